"""The seed page's `az aks update --ssh-key-value` as Microsoft's aks-preview extension 0.5.151
sends it: a GET of the cluster at api-version 2023-06-02-preview, then a full PUT of what it read
(its SDK model: read-only and unknown fields dropped) with the new key, polled to the end.
aks-preview itself cannot be installed here (it is not a Debian package), so its requests are
made with Debian's Azure SDK for Python, whose newest preview models (2022-11-02-preview) drop
fields the same way, at aks-preview's api-version. Usage: aks_preview_update_test.py DATA_DIR"""
import json
import subprocess
import sys
import tempfile
import urllib.request
import ssl
import time

from azure_clients import connect

AKS_PREVIEW = "2023-06-02-preview"   # what aks-preview 0.5.151 sends
MODELS = "2022-11-02-preview"        # the newest preview models python3-azure has
NEWEST = "2026-08-01"                # has securityProfile.sshAccess and the machines API


def new_key(directory, name):
    path = f"{directory}/{name}"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", name, "-f", path], check=True)
    with open(path + ".pub") as f:
        return f.read()  # with its newline, as az reads a key file


def main():
    clients = connect(sys.argv[1], MODELS)
    server, sub = clients.server, clients.subscription
    resources, aks, models = clients.resources, clients.aks, clients.models
    token = clients.credential.get_token(clients.scopes[0]).token
    tls = ssl.create_default_context(cafile=f"{sys.argv[1]}/tls/ca.crt")

    def rest(method, path, body=None):
        request = urllib.request.Request(server + path, method=method,
                                         data=json.dumps(body).encode() if body else None,
                                         headers={"Authorization": "Bearer " + token,
                                                  "Content-Type": "application/json"})
        with urllib.request.urlopen(request, context=tls) as reply:
            return json.loads(reply.read() or b"null")

    resources.resource_groups.create_or_update("preview-rg", {"location": "westus2"})
    with tempfile.TemporaryDirectory() as keys:
        first, second = new_key(keys, "first"), new_key(keys, "second")

    # az aks create's body: SystemAssigned identity, one System pool.
    cluster = models.ManagedCluster(
        location="westus2", dns_prefix="preview", identity=models.ManagedClusterIdentity(type="SystemAssigned"),
        linux_profile=models.ContainerServiceLinuxProfile(
            admin_username="azureuser",
            ssh=models.ContainerServiceSshConfiguration(
                public_keys=[models.ContainerServiceSshPublicKey(key_data=first)])),
        agent_pool_profiles=[models.ManagedClusterAgentPoolProfile(
            name="nodepool1", count=2, mode="System", os_type="Linux", vm_size="Standard_DS2_v2",
            type="VirtualMachineScaleSets")])
    aks.managed_clusters.begin_create_or_update("preview-rg", "c1", cluster, api_version=AKS_PREVIEW).result()
    # A second pool with SSH disabled, set at a version that has sshAccess.
    pool_path = (f"/subscriptions/{sub}/resourceGroups/preview-rg/providers/Microsoft.ContainerService/"
                 f"managedClusters/c1/agentPools")
    rest("PUT", f"{pool_path}/locked?api-version={NEWEST}",
         {"properties": {"count": 1, "mode": "User", "securityProfile": {"sshAccess": "Disabled"}}})
    for _ in range(600):
        state = rest("GET", f"{pool_path}/locked?api-version={NEWEST}")["properties"]["provisioningState"]
        if state != "Creating":
            break
        time.sleep(0.1)
    assert state == "Succeeded", state

    # aks-preview's update: GET, change the key, PUT everything back.
    current = aks.managed_clusters.get("preview-rg", "c1", api_version=AKS_PREVIEW)
    kubelet = current.identity_profile["kubeletidentity"]
    assert kubelet.client_id and kubelet.object_id and kubelet.resource_id, kubelet
    current.linux_profile.ssh.public_keys = [models.ContainerServiceSshPublicKey(key_data=second)]
    updated = aks.managed_clusters.begin_create_or_update(
        "preview-rg", "c1", current, api_version=AKS_PREVIEW).result()
    assert updated.provisioning_state == "Succeeded", updated.provisioning_state
    assert updated.linux_profile.ssh.public_keys[0].key_data == second.strip()

    # Every pool's model has the new key; nodes keep the old one until a node image upgrade; the
    # pool whose SSH is disabled stays disabled (aks-preview's PUT could not see sshAccess).
    for name in ("nodepool1", "locked"):
        pool = rest("GET", f"{pool_path}/{name}?api-version={NEWEST}")
        assert pool["properties"]["sshModelVersion"] == 2, (name, pool["properties"]["sshModelVersion"])
        machines = rest("GET", f"{pool_path}/{name}/machines?api-version={NEWEST}")["value"]
        assert machines and not any(m["properties"]["latestModelApplied"] for m in machines), name
    locked = rest("GET", f"{pool_path}/locked?api-version={NEWEST}")
    assert locked["properties"]["securityProfile"]["sshAccess"] == "Disabled", locked["properties"]
    aks.agent_pools.begin_upgrade_node_image_version("preview-rg", "c1", "nodepool1", api_version=AKS_PREVIEW).result()
    machines = rest("GET", f"{pool_path}/nodepool1/machines?api-version={NEWEST}")["value"]
    assert all(m["properties"]["latestModelApplied"] for m in machines), machines

    aks.managed_clusters.begin_delete("preview-rg", "c1", api_version=AKS_PREVIEW).result()
    print("aks-preview's az aks update --ssh-key-value (GET then PUT at 2023-06-02-preview): ok")


if __name__ == "__main__":
    main()
