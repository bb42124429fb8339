"""Runs each command line with az 2.45 and with gangplank (--debug), from the same state, and
compares what they send: the same writes (method and path), and the same JSON bodies field by field.

What may differ, and why:
- the api-version (az 2.45 sends 2022-11-01, gangplank the newest it has);
- the ids the server gives each cluster's kubelet identity, which a PUT-back echoes (each run
  starts from a cluster of its own);
- a key's trailing newline (az sends a key file's bytes, gangplank the key line; the server trims);
- members the 2022-11-01 model does not know (a pool's securityProfile.sshAccess): az drops them
  when it reads a resource, gangplank sends them back so that a PUT-back keeps them. They are found
  by reading gangplank's body through az's own SDK model, which drops exactly those.
`aks update --ssh-key-value` is not here: az 2.45 has no such flag (aks-preview adds it, and
aks-preview cannot be installed here; aks_preview_update_test.py sends its requests).
Usage: az_body_parity.py GANGPLANK WORK_DIR (az and gangplank logged in to one server)"""
import json
import re
import subprocess
import sys

from azure.mgmt.containerservice.v2022_11_01 import models

import parity

GANGPLANK, WORK = sys.argv[1], sys.argv[2]
KEY = f"{WORK}/parity_key"
CREATE = f"aks create -g rg1 -n c1 --ssh-key-value {KEY}.pub --node-count 1"
DELETE = "aks delete -g rg1 -n c1 --yes"
POOL = "aks nodepool add -g rg1 --cluster-name c1 -n pool2 --node-count 1"

# (what, the command line, commands that make the state before it, commands that undo it after)
CASES = [
    # The page's command lines.
    ("create --ssh-key-value FILE", f"aks create -g rg1 -n c1 --ssh-key-value {KEY}.pub", [], [DELETE]),
    ("create --ssh-key-value CONTENTS", "aks create -g rg1 -n c1 --ssh-key-value '{key_line}'", [], [DELETE]),
    ("create --generate-ssh-keys", "aks create -g rg1 -n c1 --generate-ssh-keys", [], [DELETE]),
    ("create --no-ssh-key", "aks create -g rg1 -n c1 --no-ssh-key", [], [DELETE]),
    ("nodepool upgrade --node-image-only",
     "aks nodepool upgrade -g rg1 --cluster-name c1 -n nodepool1 --node-image-only", [CREATE], [DELETE]),
    ("upgrade --node-image-only --yes", "aks upgrade -g rg1 -n c1 --node-image-only --yes", [CREATE], [DELETE]),
    # Common ones: vm size, zones, tags, labels, taints, autoscaler, pool settings.
    ("create with vm size, zones, tags, labels",
     f"aks create -g rg1 -n c1 --ssh-key-value {KEY}.pub --node-count 3 --node-vm-size Standard_D4s_v3 "
     "--zones 1 2 3 --tags env=dev team=platform --nodepool-labels tier=system app=web "
     "--node-osdisk-size 64 --max-pods 50 --nodepool-name sys --os-sku Mariner", [], [DELETE]),
    ("create with the autoscaler and azure networking",
     f"aks create -g rg1 -n c1 --ssh-key-value {KEY}.pub --enable-cluster-autoscaler --min-count 1 "
     "--max-count 5 --network-plugin azure --load-balancer-sku standard --enable-managed-identity",
     [], [DELETE]),
    ("update --tags", "aks update -g rg1 -n c1 --tags env=prod owner=ops", [CREATE], [DELETE]),
    ("update --enable-cluster-autoscaler",
     "aks update -g rg1 -n c1 --enable-cluster-autoscaler --min-count 1 --max-count 3", [CREATE], [DELETE]),
    ("update --nodepool-labels", "aks update -g rg1 -n c1 --nodepool-labels a=b", [CREATE], [DELETE]),
    ("scale", "aks scale -g rg1 -n c1 --node-count 3", [CREATE], [DELETE]),
    ("nodepool add with labels, taints, zones, mode",
     "aks nodepool add -g rg1 --cluster-name c1 -n pool2 --node-count 2 --labels a=b c=d "
     "--node-taints key=value:NoSchedule,other=x:PreferNoSchedule --zones 1 2 --mode User --max-pods 40 "
     "--node-vm-size Standard_D2s_v3 --os-sku Mariner --node-osdisk-size 48", [CREATE], [DELETE]),
    ("nodepool add with the autoscaler and tags",
     "aks nodepool add -g rg1 --cluster-name c1 -n pool2 --enable-cluster-autoscaler --min-count 1 "
     "--max-count 4 --tags team=data", [CREATE], [DELETE]),
    ("nodepool update labels, tags, mode",
     "aks nodepool update -g rg1 --cluster-name c1 -n pool2 --labels x=y --tags t=1 --mode System",
     [CREATE, POOL], [DELETE]),
    ("nodepool update --enable-cluster-autoscaler",
     "aks nodepool update -g rg1 --cluster-name c1 -n pool2 --enable-cluster-autoscaler --min-count 1 "
     "--max-count 3", [CREATE, POOL], [DELETE]),
    ("nodepool update --node-taints", "aks nodepool update -g rg1 --cluster-name c1 -n pool2 --node-taints a=b:NoExecute",
     [CREATE, POOL], [DELETE]),
    ("nodepool scale", "aks nodepool scale -g rg1 --cluster-name c1 -n pool2 --node-count 3", [CREATE, POOL], [DELETE]),
    ("nodepool stop", "aks nodepool stop -g rg1 --cluster-name c1 -n pool2", [CREATE, POOL], [DELETE]),
    ("nodepool start", "aks nodepool start -g rg1 --cluster-name c1 -n pool2",
     [CREATE, POOL, "aks nodepool stop -g rg1 --cluster-name c1 -n pool2"], [DELETE]),
    ("stop", "aks stop -g rg1 -n c1", [CREATE], [DELETE]),
    ("nodepool delete", "aks nodepool delete -g rg1 --cluster-name c1 -n pool2", [CREATE, POOL], [DELETE]),
]

REQUEST_AZ = re.compile(r"Request URL: '([^']*)'")
METHOD_AZ = re.compile(r"Request method: '(\w+)'")
BODY_AZ = "Request body:"
REQUEST_GP = re.compile(r"^INFO: (\w+) (\S+) -> ")
BODY_GP = "DEBUG:   request body: "


def run(tool, line, check=True):
    return parity.run("az" if tool == "az" else GANGPLANK, line, check)


def writes_az(log):
    """(method, path, body) of every request az sent that was not a GET."""
    writes, url, method, lines = [], None, None, log.splitlines()
    for i, line in enumerate(lines):
        if m := REQUEST_AZ.search(line):
            url = m.group(1)
        elif m := METHOD_AZ.search(line):
            method = m.group(1)
        elif line.endswith(BODY_AZ) and method not in (None, "GET"):
            text = lines[i + 1].split("cli.azure.cli.core.sdk.policies: ", 1)[1]
            body = None if text == "This request has no body" else json.loads(text)
            writes.append((method, path_of(url), body))
    return writes


def writes_gangplank(log):
    writes, lines = [], log.splitlines()
    for i, line in enumerate(lines):
        m = REQUEST_GP.match(line)
        if not m or m.group(1) == "GET" or "/oauth2/" in m.group(2):
            continue
        body = None
        for after in lines[i + 1:]:
            if REQUEST_GP.match(after):
                break
            if after.startswith(BODY_GP):
                body = json.loads(after[len(BODY_GP):])
        writes.append((m.group(1), path_of(m.group(2)), body))
    return writes


def path_of(url):
    """The path without scheme, host and query, lower-cased (ARM paths are case-insensitive)."""
    path = re.sub(r"^https://[^/]+", "", url).split("?", 1)[0]
    return path.lower()


def as_az_reads(body, path):
    """`body` read into az's SDK model and written out again (read-only members kept, so that a
    read-only member gangplank sends still shows): what of it az's API version knows."""
    model = models.AgentPool if "/agentpools/" in path else models.ManagedCluster
    return model.deserialize(body).serialize(keep_readonly=True)


def differences(az, ours, where=""):
    """Where two JSON values differ, as readable lines."""
    if isinstance(az, dict) and isinstance(ours, dict):
        found = []
        for key in sorted(set(az) | set(ours)):
            if key not in ours:
                found.append(f"{where}.{key}: az sends {json.dumps(az[key])}, gangplank nothing")
            elif key not in az:
                found.append(f"{where}.{key}: gangplank sends {json.dumps(ours[key])}, az nothing")
            else:
                found += differences(az[key], ours[key], f"{where}.{key}")
        return found
    if isinstance(az, list) and isinstance(ours, list) and len(az) == len(ours):
        return [d for i, (a, o) in enumerate(zip(az, ours)) for d in differences(a, o, f"{where}[{i}]")]
    if re.fullmatch(r"\.properties\.identityProfile\.\w+\.(clientId|objectId)", where):
        return []
    if where.endswith(".keyData") and isinstance(az, str) and isinstance(ours, str):
        az, ours = az.rstrip("\n"), ours.rstrip("\n")
    if az != ours and not (isinstance(az, (int, float)) and isinstance(ours, (int, float)) and float(az) == float(ours)):
        return [f"{where}: az sends {json.dumps(az)}, gangplank {json.dumps(ours)}"]
    return []


def record(tool, what, line, setup, teardown):
    for command in setup:
        run("az", command + " -o none")
    done = run(tool, line + " --debug -o none", check=False)
    for command in teardown:
        run("az", command + " -o none")
    if done.returncode != 0:
        raise SystemExit(f"FAIL [{what}]: {tool} exited {done.returncode}:\n{done.stderr[-3000:]}")
    return writes_az(done.stderr) if tool == "az" else writes_gangplank(done.stderr)


def main():
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "parity", "-f", KEY], check=True)
    subprocess.run(["ssh-keygen", "-q", "-t", "rsa", "-b", "3072", "-N", "", "-C", "new", "-f", KEY + "_new"], check=True)
    with open(KEY + ".pub") as f:
        key_line = f.read().strip()
    run("az", "group create -n rg1 -l westus2 -o none")
    failures, compared, fields = [], 0, 0
    for what, line, setup, teardown in CASES:
        line = line.format(key_line=key_line, new_key=KEY + "_new.pub")
        az = record("az", what, line, setup, teardown)
        ours = record("gangplank", what, line, setup, teardown)
        if [(m, p) for m, p, _ in az] != [(m, p) for m, p, _ in ours]:
            failures.append(f"[{what}] az sends {[(m, p) for m, p, _ in az]}\n"
                            f"  gangplank sends {[(m, p) for m, p, _ in ours]}")
            continue
        if not az:
            failures.append(f"[{what}] no write was recorded")
        for (method, path, az_body), (_, _, our_body) in zip(az, ours):
            compared += 1
            if az_body is None or our_body is None:
                if az_body != our_body:
                    failures.append(f"[{what}] {method} {path}: az body {az_body}, gangplank {our_body}")
                continue
            fields += len(json.dumps(az_body).split('":')) - 1
            found = differences(az_body, as_az_reads(our_body, path))
            failures += [f"[{what}] {method} {path}: {d}" for d in found]
            for newer in differences(as_az_reads(our_body, path), our_body):
                print(f"  newer than az 2.45's API version, kept: {newer.split(':')[0]}")
        print(f"{'same' if not [f for f in failures if f.startswith(f'[{what}]')] else 'DIFFERENT'}: {what}")
    return parity.verdict(f"{len(CASES)} command lines, {compared} requests, {fields} fields compared",
                          failures)


if __name__ == "__main__":
    sys.exit(main())
