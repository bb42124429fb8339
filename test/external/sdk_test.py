"""The Azure SDK for Python (Debian's python3-azure, api-version 2022-11-01) against a real
gangplankd: clusters and pools are created, read, updated (a new SSH key), listed and deleted,
and every long-running operation is polled to completion. Usage: sdk_test.py DATA_DIR"""
import subprocess
import sys
import tempfile

from azure.core.exceptions import HttpResponseError

from azure_clients import connect

API_VERSION = "2022-11-01"


def new_key(directory, name):
    path = f"{directory}/{name}"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", name, "-f", path], check=True)
    with open(path + ".pub") as f:
        return f.read().strip()


def main():
    clients = connect(sys.argv[1], API_VERSION)
    resources, aks, models = clients.resources, clients.aks, clients.models
    resources.resource_groups.create_or_update("sdk-rg", {"location": "westus2"})

    with tempfile.TemporaryDirectory() as keys:
        first, second = new_key(keys, "first"), new_key(keys, "second")

    cluster = models.ManagedCluster(
        location="westus2", dns_prefix="sdk",
        linux_profile=models.ContainerServiceLinuxProfile(
            admin_username="azureuser",
            ssh=models.ContainerServiceSshConfiguration(
                public_keys=[models.ContainerServiceSshPublicKey(key_data=first)])),
        agent_pool_profiles=[models.ManagedClusterAgentPoolProfile(
            name="nodepool1", count=2, mode="System", os_type="Linux", vm_size="Standard_DS2_v2",
            type="VirtualMachineScaleSets")])
    created = aks.managed_clusters.begin_create_or_update("sdk-rg", "sdk1", cluster).result()
    assert created.provisioning_state == "Succeeded", created.provisioning_state
    assert created.linux_profile.ssh.public_keys[0].key_data == first

    # Update: a new SSH key through a full PUT.
    current = aks.managed_clusters.get("sdk-rg", "sdk1")
    current.linux_profile.ssh.public_keys = [models.ContainerServiceSshPublicKey(key_data=second)]
    updated = aks.managed_clusters.begin_create_or_update("sdk-rg", "sdk1", current).result()
    assert updated.linux_profile.ssh.public_keys[0].key_data == second

    # A bad key is a 400 InvalidParameter aimed at keyData.
    current.linux_profile.ssh.public_keys = [models.ContainerServiceSshPublicKey(key_data="ssh-dss AAAA x")]
    try:
        aks.managed_clusters.begin_create_or_update("sdk-rg", "sdk1", current).result()
        raise AssertionError("a DSA key was accepted")
    except HttpResponseError as error:
        assert error.status_code == 400 and error.error.code == "InvalidParameter", error
        assert error.error.target == "linuxProfile.ssh.publicKeys.keyData", error.error.target

    pool = aks.agent_pools.begin_create_or_update(
        "sdk-rg", "sdk1", "user1",
        models.AgentPool(count=1, mode="User", os_type="Linux", os_sku="AzureLinux")).result()
    assert pool.provisioning_state == "Succeeded"
    assert sorted(p.name for p in aks.agent_pools.list("sdk-rg", "sdk1")) == ["nodepool1", "user1"]
    upgraded = aks.agent_pools.begin_upgrade_node_image_version("sdk-rg", "sdk1", "user1").result()
    assert aks.agent_pools.get("sdk-rg", "sdk1", "user1").provisioning_state == "Succeeded"
    del upgraded
    aks.agent_pools.begin_delete("sdk-rg", "sdk1", "user1").result()
    assert [p.name for p in aks.agent_pools.list("sdk-rg", "sdk1")] == ["nodepool1"]

    assert [c.name for c in aks.managed_clusters.list()] == ["sdk1"]
    assert [c.name for c in aks.managed_clusters.list_by_resource_group("sdk-rg")] == ["sdk1"]
    aks.managed_clusters.begin_delete("sdk-rg", "sdk1").result()
    assert list(aks.managed_clusters.list()) == []
    print("Azure SDK for Python: clusters and pools create/get/update/list/delete with LRO polling: ok")


if __name__ == "__main__":
    main()
