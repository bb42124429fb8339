#!/usr/bin/env python3
"""Role removal to refused login on every node of an EntraId pool (run by
bench/entra_id_revocation.sh, as root): the time from the DELETE of the role assignment until no
node keeps the identity's principals file, and until the real ssh is refused on the last node."""
import glob, json, os, statistics, subprocess, sys, time, uuid

from node_bench_lib import V, Api

work, port, size = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
api = Api(work, port)
cluster = api.cluster("entra")
status, body = api.call("PUT", cluster + V, json.dumps({"location": "westus2", "properties": {
    "linuxProfile": {"adminUsername": "azureuser",
                     "ssh": {"publicKeys": [{"keyData": api.key["a"]}]}},
    "agentPoolProfiles": [{"name": "nodepool1", "count": size, "mode": "System",
                           "securityProfile": {"sshAccess": "EntraId"}}]}}))
assert status == 201, body
started = time.time()
assert api.wait(cluster) == "Succeeded", "create"
print(f"{size} EntraId nodes created in {time.time() - started:.1f} s", flush=True)


def post(path, doc):
    status, reply = api.call("POST", path, json.dumps(doc))
    assert status in (200, 201), reply
    return json.loads(reply)


app = post("/v1.0/applications", {"displayName": "bench-entra"})
secret = post(f"/v1.0/applications/{app['id']}/addPassword", {})["secretText"]
principal = post("/v1.0/servicePrincipals", {"appId": app["appId"]})
login = app["appId"].lower()
role = (f"/subscriptions/{api.sub}/providers/Microsoft.Authorization/roleDefinitions/"
        "fb879df8-f326-4884-b1cf-06f3ad86be52")
subprocess.run(["ssh-keygen", "-q", "-t", "rsa", "-b", "3072", "-N", "", "-f", f"{work}/id_rsa"],
               check=True)
principals = [f"{d}/bundle/rootfs/var/lib/gangplank-node/ssh/principals/{login}"
              for d in glob.glob(f"{work}/nodes/*-*-*-*-*")]
assert len(principals) == size, f"{len(principals)} node directories"
machines = api.machines(cluster)
last = machines[-1]


def ssh_refused(machine):
    address = machine["properties"]["network"]["ipAddresses"][0]["ip"]
    known = f"{work}/known_hosts"
    with open(known, "w") as f:
        f.writelines(f"{address} {key}\n" for key in machine["properties"]["hostKeys"])
    done = subprocess.run(["ssh", "-F", "/dev/null", "-i", f"{work}/id_rsa", "-o",
                           f"CertificateFile={work}/id_rsa-cert.pub", "-o", "IdentitiesOnly=yes",
                           "-o", "BatchMode=yes", "-o", f"UserKnownHostsFile={known}", "-l",
                           login, address, "true"], capture_output=True)
    return done.returncode == 255


def wait_files(present, limit=60):
    deadline = time.time() + limit
    while time.time() < deadline:
        if all(os.path.exists(p) == present for p in principals):
            return time.time()
        time.sleep(0.005)
    raise SystemExit(f"principals files still {'missing' if present else 'there'} after {limit} s")


rounds = []
for round_no in range(3):
    assignment = (f"{cluster}/providers/Microsoft.Authorization/roleAssignments/{uuid.uuid4()}"
                  "?api-version=2022-04-01")
    status, reply = api.call("PUT", assignment, json.dumps({"properties": {
        "roleDefinitionId": role, "principalId": principal["id"],
        "principalType": "ServicePrincipal"}}))
    assert status == 201, reply
    if round_no == 0:
        env = {**os.environ, "REQUESTS_CA_BUNDLE": f"{work}/data/tls/ca.crt"}
        # Debian's python3 (python3-msal), whatever python3 comes first on the PATH.
        done = subprocess.run(["/usr/bin/python3", "test/external/ssh_cert_client.py",
                               f"https://127.0.0.1:{port}/adfs", app["appId"], secret,
                               f"{work}/id_rsa.pub", f"{work}/id_rsa-cert.pub"], env=env,
                              capture_output=True, text=True)
        assert done.returncode == 0, f"no certificate: {done.stderr[-500:]}"
    wait_files(True)
    assert not ssh_refused(last), "the identity was refused with its role"
    removed = time.time()
    status, reply = api.call("DELETE", assignment)
    assert status == 200, reply
    everywhere = wait_files(False) - removed
    refused = ssh_refused(last)
    rounds.append(everywhere)
    print(f"round {round_no + 1}: refused on all {size} nodes {everywhere:.2f} s after the "
          f"DELETE (ssh to the last node refused: {refused})", flush=True)
    assert refused

print(f"\nrole removal to refused on every one of {size} nodes: median "
      f"{statistics.median(rounds):.2f} s, max {max(rounds):.2f} s (goal: under 2 s)")
api.call("DELETE", cluster + V)
api.wait(cluster)
