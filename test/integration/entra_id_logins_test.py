#!/usr/bin/env python3
"""SSH by identity end to end, with real parts: a gangplankd (root, local nodes) with an EntraId
pool beside a LocalUser one; three service principals, one with Virtual Machine User Login, one
with Virtual Machine Administrator Login at the cluster, one with neither. Each asks for a
certificate as az ssh does (MSAL, ssh_cert_client.py) and logs in with the real ssh as itself on
every EntraId node; only the administrator may sudo; the third gets no certificate; the static
cluster key is refused there and still works on the LocalUser pool. Removing the user's role makes
its next login fail within seconds, without a reimage. The nodes' login events name each
certificate by key id and serial. Switching the pool back to LocalUser and upgrading it restores
key logins. A CA rotation on the running nodes: the next CA is trusted at once, and the retired
one until the node image upgrade. With --replicas: two replicas on PostgreSQL, every change made through the replica
that does not run the nodes (its removal reaches the nodes through the store and the other).
Usage: entra_id_logins_test.py PATH_TO_GANGPLANKD [--replicas]"""
import json
import os
import re
import subprocess
import sys
import time
import uuid

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "faults"))
import faultlib  # noqa: E402
from clusterlib import create_group, new_key, psql, replicas_on_postgres  # noqa: E402
from faultlib import Broken, expect  # noqa: E402

VERSION = "api-version=2026-06-01"
USER_LOGIN = "fb879df8-f326-4884-b1cf-06f3ad86be52"
ADMIN_LOGIN = "1c0163c0-47e6-4577-8991-ea5c82e286e4"
READER = "acdd72a7-3385-48ef-bd42-f606fba81ae7"
CLIENT = os.path.join(os.path.dirname(__file__), "..", "external", "ssh_cert_client.py")


class Setup:
    def __init__(self, lab, port):
        self.lab = lab
        self.port = port
        self.cluster = lab.arm("/resourceGroups/rg/providers/Microsoft.ContainerService/"
                               "managedClusters/c1")
        self.keys = os.path.join(lab.work, "keys")
        os.makedirs(self.keys)

    def call(self, method, path, body=None, ok=(200, 201, 202)):
        status, headers, reply, _ = self.lab.call(method, self.port, path, body)
        expect(status in ok, f"{method} {path}: {status} {reply}")
        return headers, reply

    def arm(self, method, rest, body=None, ok=(200, 201, 202)):
        sep = "&" if "?" in rest else "?"
        return self.call(method, f"{self.cluster}{rest}{sep}{VERSION}", body, ok)

    def wait_pool(self, pool, seconds=300):
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            _, body = self.arm("GET", f"/agentPools/{pool}")
            state = body["properties"]["provisioningState"]
            if state in ("Succeeded", "Failed"):
                expect(state == "Succeeded", f"pool {pool}: {json.dumps(body)}")
                return
            time.sleep(0.5)
        raise Broken(f"pool {pool} still not done after {seconds} s")

    def machines(self, pool):
        return self.arm("GET", f"/agentPools/{pool}/machines")[1]["value"]

    def identity(self, name):
        """A service principal with a secret: (app id, secret, object id)."""
        _, app = self.call("POST", "/v1.0/applications", {"displayName": name})
        _, secret = self.call("POST", f"/v1.0/applications/{app['id']}/addPassword", {})
        _, sp = self.call("POST", "/v1.0/servicePrincipals", {"appId": app["appId"]})
        return app["appId"], secret["secretText"], sp["id"]

    def assign(self, role, object_id):
        path = (f"{self.cluster}/providers/Microsoft.Authorization/roleAssignments/"
                f"{uuid.uuid4()}?api-version=2022-04-01")
        sub = self.lab.subscription()
        self.call("PUT", path, {"properties": {
            "roleDefinitionId": f"/subscriptions/{sub}/providers/Microsoft.Authorization/"
                                f"roleDefinitions/{role}",
            "principalId": object_id, "principalType": "ServicePrincipal"}})
        return path

    def certificate(self, name, app_id, secret):
        """An RSA key and the certificate az ssh would get for it; None when refused."""
        key = os.path.join(self.keys, name)
        subprocess.run(["ssh-keygen", "-q", "-t", "rsa", "-b", "3072", "-N", "", "-f", key],
                       check=True)
        env = {**os.environ, "REQUESTS_CA_BUNDLE": self.lab.ca()}
        done = subprocess.run(["/usr/bin/python3", CLIENT, f"https://127.0.0.1:{self.port}/adfs",
                               app_id, secret, key + ".pub", key + "-cert.pub"],
                              env=env, capture_output=True, text=True)
        if done.returncode != 0:
            return None, done.stderr
        return key, ""

    def ssh(self, machine, user, key, command, certificate=True):
        address = machine["properties"]["network"]["ipAddresses"][0]["ip"]
        known = os.path.join(self.keys, "known_hosts")
        with open(known, "w") as f:
            for host_key in machine["properties"]["hostKeys"]:
                f.write(f"{address} {host_key}\n")
        argv = ["ssh", "-F", "/dev/null", "-i", key, "-o", "IdentitiesOnly=yes", "-o",
                "BatchMode=yes", "-o", "StrictHostKeyChecking=yes", "-o",
                f"UserKnownHostsFile={known}", "-o", "ConnectTimeout=5", "-l", user]
        if certificate:
            argv += ["-o", f"CertificateFile={key}-cert.pub"]
        done = subprocess.run(argv + ["--", address, command], capture_output=True, text=True,
                              timeout=30)
        return done.returncode, done.stdout, done.stderr


def logs_name_certificate(setup, machine, key_id, serial):
    _, logs = setup.arm("GET", f"/agentPools/entra/machines/{machine['name']}/logs")
    for event in logs["loginEvents"]:
        if event.get("certificateKeyId") == key_id and event.get("certificateSerial") == serial \
                and event["result"] == "Accepted":
            return True
    return False


def serial_of(key):
    listed = subprocess.run(["ssh-keygen", "-L", "-f", key + "-cert.pub"], capture_output=True,
                            text=True, check=True).stdout
    return re.search(r"Serial: (\d+)", listed).group(1)


def main(factory):
    expect(os.geteuid() == 0, "real nodes are containers: run as root")
    if "--replicas" in sys.argv[2:]:
        lab = replicas_on_postgres(factory, sys.argv[1])
        lab.start_haproxy()  # the public URL the replicas name (their token endpoint) is HAProxy
        owner = psql(lab, "SELECT body::json->>'owner' FROM resources WHERE kind = 'lease' "
                          "AND key LIKE '%/node-controller'")
        pids = [r["proc"].pid for r in lab.replicas]
        leader = pids.index(int(owner.split(":")[1])) if owner else 0
        port = lab.replicas[1 - leader]["port"]  # changes go through the other replica
    else:
        lab = factory(sys.argv[1])
        lab.start_replica()
        create_group(lab)
        port = lab.replicas[0]["port"]
    setup = Setup(lab, port)
    cluster_key = new_key(setup.keys)
    key_path = os.path.join(setup.keys, "k")
    pool = {"count": 1, "mode": "System", "osType": "Linux", "type": "VirtualMachineScaleSets",
            "vmSize": "Standard_DS2_v2"}
    headers, _ = setup.arm("PUT", "", {"location": "westus2", "properties": {
        "dnsPrefix": "c1",
        "linuxProfile": {"adminUsername": "azureuser",
                         "ssh": {"publicKeys": [{"keyData": cluster_key}]}},
        "agentPoolProfiles": [{"name": "nodepool1", **pool}]}})
    setup.wait_pool("nodepool1")
    # aks-preview sends the mode in lower case; the service answers EntraId.
    _, body = setup.arm("PUT", "/agentPools/entra", {"properties": {
        **pool, "count": 2, "mode": "User", "securityProfile": {"sshAccess": "entraid"}}})
    expect(body["properties"]["securityProfile"]["sshAccess"] == "EntraId", f"{body}")
    setup.wait_pool("entra")
    entra = setup.machines("entra")
    expect([m["properties"]["sshAccess"] for m in entra] == ["EntraId"] * 2, f"{entra}")

    user_app, user_secret, user_oid = setup.identity("vm-user")
    admin_app, admin_secret, admin_oid = setup.identity("vm-admin")
    none_app, none_secret, _ = setup.identity("no-role")
    user_assignment = setup.assign(USER_LOGIN, user_oid)
    setup.assign(ADMIN_LOGIN, admin_oid)
    user_key, why_user = setup.certificate("user", user_app, user_secret)
    admin_key, why_admin = setup.certificate("admin", admin_app, admin_secret)
    none_key, refusal = setup.certificate("none", none_app, none_secret)
    expect(user_key and admin_key, f"a certificate was refused to an identity with a login role: "
                                   f"{why_user} {why_admin}")
    expect(none_key is None and "unauthorized_client" in refusal, f"no role: {refusal}")

    # Each logs in as itself (its app id, lower case) on every EntraId node; only the admin sudos.
    deadline = time.monotonic() + 30
    for machine in entra:
        for app, key, admin in ((user_app, user_key, False), (admin_app, admin_key, True)):
            while True:
                code, out, err = setup.ssh(machine, app.lower(), key,
                                           "id -un; sudo -n true 2>/dev/null && echo may-sudo; true")
                if code == 0 or time.monotonic() > deadline:
                    break
                time.sleep(0.5)
            expect(code == 0, f"{app} on {machine['name']}: {code} {err}")
            lines = out.split()
            expect(lines[0] == app.lower(), f"logged in as {lines}")
            expect(("may-sudo" in lines) == admin, f"{app} (admin: {admin}) sudo: {out}")
        # The static key: refused on the EntraId node (no key file at all).
        code, _, _ = setup.ssh(machine, "azureuser", key_path, "true", certificate=False)
        expect(code == 255, f"the cluster key logged into EntraId node {machine['name']}")
    for machine in setup.machines("nodepool1"):
        code, _, err = setup.ssh(machine, "azureuser", key_path, "true", certificate=False)
        expect(code == 0, f"the cluster key on the LocalUser pool: {err}")
    # gangplank aks ssh gets a certificate for a fresh key, logs in with it, and removes both
    # (reading the cluster and its machines takes Reader, as az aks show does).
    setup.assign(READER, admin_oid)
    home = os.path.join(lab.work, "home")
    os.makedirs(home)
    env = {**os.environ, "HOME": home, "XDG_CONFIG_HOME": os.path.join(home, ".config")}
    gangplank = os.path.join(os.path.dirname(os.path.abspath(sys.argv[1])), "gangplank")
    subprocess.run([gangplank, "login", "--server", f"https://127.0.0.1:{setup.port}/",
                    "--client-id", admin_app, "--client-secret", admin_secret, "--ca-file",
                    lab.ca()], env=env, check=True, stdout=subprocess.DEVNULL)
    done = subprocess.run([gangplank, "aks", "ssh", "-g", "rg", "-n", "c1", "--node",
                           entra[0]["name"], "--", "id -un; sudo -n true && echo may-sudo"],
                          env=env, capture_output=True, text=True, timeout=60,
                          stdin=subprocess.DEVNULL)
    expect(done.returncode == 0 and done.stdout.split() == [admin_app.lower(), "may-sudo"],
           f"gangplank aks ssh: {done.returncode} {done.stdout} {done.stderr}")
    left = [os.path.join(d, f) for d, _, files in os.walk(home) for f in files if "id_rsa" in f]
    expect(not left, f"gangplank aks ssh left its key behind: {left}")
    for machine in entra:
        expect(logs_name_certificate(setup, machine, f"{user_oid}@adfs", serial_of(user_key)),
               f"{machine['name']}: no login event with the user's key id and serial")

    # The user's role goes: its still-valid certificate stops working within seconds.
    removed_at = time.monotonic()
    setup.call("DELETE", user_assignment)
    for machine in entra:
        while True:
            code, _, _ = setup.ssh(machine, user_app.lower(), user_key, "true")
            if code != 0:
                break
            expect(time.monotonic() - removed_at < 10,
                   f"{machine['name']} still let the user in 10 s after its role was removed")
            time.sleep(0.2)
        code, _, err = setup.ssh(machine, admin_app.lower(), admin_key, "true")
        expect(code == 0, f"the admin was refused along with the user: {err}")
    print(f"role removed: refused on {len(entra)} nodes after "
          f"{time.monotonic() - removed_at:.1f} s")

    # The CA rotated on running nodes: the next CA is trusted at once; after the switch new
    # certificates come from it, while the retired CA still opens the nodes imaged under it (a
    # certificate it signed lives up to an hour); their node image upgrade leaves only the new one.
    ca = f"/subscriptions/{lab.subscription()}/providers/Gangplank.Ssh/userCertificateAuthority"
    setup.call("POST", f"{ca}/addNext")
    setup.call("POST", f"{ca}/switch")
    rotated_key, why = setup.certificate("admin-rotated", admin_app, admin_secret)
    expect(rotated_key, f"no certificate after the switch: {why}")
    deadline = time.monotonic() + 10
    for machine in entra:
        while True:
            code, _, err = setup.ssh(machine, admin_app.lower(), rotated_key, "true")
            if code == 0 or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        expect(code == 0, f"{machine['name']} refused a certificate of the new CA: {err}")
        code, _, err = setup.ssh(machine, admin_app.lower(), admin_key, "true")
        expect(code == 0, f"{machine['name']} refused the retired CA before its upgrade: {err}")
    setup.arm("POST", "/agentPools/entra/upgradeNodeImageVersion")
    setup.wait_pool("entra")
    for machine in setup.machines("entra"):
        expect(machine["properties"].get("sshCaGenerations") == [2], f"{machine['properties']}")
        code, _, err = setup.ssh(machine, admin_app.lower(), rotated_key, "true")
        expect(code == 0, f"the new CA after the upgrade: {err}")
        code, _, _ = setup.ssh(machine, admin_app.lower(), admin_key, "true")
        expect(code == 255, f"{machine['name']} still takes the retired CA after its upgrade")
    _, shown = setup.call("POST", f"{ca}/drop", {"generation": 1})
    expect([g["generation"] for g in shown["properties"]["generations"]] == [2], f"{shown}")
    print("CA rotation: next trusted at once, retired kept until the upgrade, then dropped: ok")

    # Back to LocalUser: after the node image upgrade, the cluster key logs in again.
    setup.arm("PUT", "/agentPools/entra", {"properties": {
        **pool, "count": 2, "mode": "User", "securityProfile": {"sshAccess": "LocalUser"}}})
    setup.wait_pool("entra")
    setup.arm("POST", "/agentPools/entra/upgradeNodeImageVersion")
    setup.wait_pool("entra")
    for machine in setup.machines("entra"):
        expect(machine["properties"]["sshAccess"] == "LocalUser", f"{machine}")
        code, _, err = setup.ssh(machine, "azureuser", key_path, "true", certificate=False)
        expect(code == 0, f"the cluster key after going back to LocalUser: {err}")
        code, _, _ = setup.ssh(machine, admin_app.lower(), admin_key, "true")
        expect(code == 255, "a certificate logged into a LocalUser node")
    print("EntraId pool: per-identity logins, admin-only sudo, live revocation, back to "
          "LocalUser: ok")


if __name__ == "__main__":
    faultlib.run(main)
