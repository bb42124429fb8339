"""What scripts read: the same command lines through az 2.45 and gangplank print the same text
(tables through az's own table transforms, TSV by knack's rules, YAML, JSON of what az's model
knows), on one cluster with two pools; and `aks get-credentials` writes the same kubeconfig. Members newer than az 2.45's model (a pool's
securityProfile) are the documented difference, so whole resources are compared through queries.
Usage: az_output_parity.py GANGPLANK WORK_DIR (az and gangplank logged in to one server)"""
import subprocess
import sys

import parity

GANGPLANK, WORK = sys.argv[1], sys.argv[2]
POOL = "-g out --cluster-name c1"
LINES = [
    "aks show -g out -n c1 -o table",
    "aks list -o table",
    "aks list -g out -o table",
    f"aks nodepool list {POOL} -o table",
    f"aks nodepool show {POOL} -n nodepool1 -o table",
    f"aks nodepool list {POOL} --query '[].{{name:name, count:count, zones:availabilityZones}}' -o table",
    f"aks nodepool list {POOL} --query '[].{{name:name, count:count, auto:enableAutoScaling}}' -o tsv",
    f"aks nodepool list {POOL} --query '[].name' -o tsv",
    f"aks nodepool list {POOL} --query '[].[name, count, mode]' -o tsv",
    f"aks nodepool list {POOL} --query '[].[name, count, mode]' -o table",
    "aks show -g out -n c1 --query '{n:name, t:tags, c:agentPoolProfiles[0].count}' -o tsv",
    "aks show -g out -n c1 --query '[name, location, tags]' -o tsv",
    "aks show -g out -n c1 --query tags -o yaml",
    "aks show -g out -n c1 --query tags -o json",
    "aks show -g out -n c1 --query linuxProfile -o json",
    "aks show -g out -n c1 --query networkProfile -o tsv",
    "aks show -g out -n c1 --query 'agentPoolProfiles[0].enableAutoScaling' -o tsv",
    "aks show -g out -n c1 --query 'agentPoolProfiles[0].spotMaxPrice' -o tsv",
    "aks show -g out -n c1 --query 'powerState' -o table",
    "aks show -g out -n c1 --query 'identity' -o yaml",
    "aks get-upgrades -g out -n c1 -o tsv",
    f"aks nodepool get-upgrades {POOL} --nodepool-name tools -o tsv",
    f"aks nodepool get-upgrades {POOL} --nodepool-name tools -o json",
]


def run(tool, line):
    return parity.run("az" if tool == "az" else GANGPLANK, line).stdout


SEED = """apiVersion: v1
clusters:
- cluster:
    insecure-skip-tls-verify: true
    server: https://other:6443
  name: other
contexts:
- context:
    cluster: other
    user: other-user
  name: other
current-context: other
kind: Config
preferences: {}
users:
- name: other-user
  user:
    token: "12345"
"""


def kubeconfig_differences():
    """`aks get-credentials` merging into a kubeconfig that holds another cluster: the same file,
    byte for byte, and the same refusal of a different entry of the same name."""
    found = []
    for flags in ["", "--admin", "--context mine", "--overwrite-existing"]:
        files = {}
        for tool in ("az", "gangplank"):
            path = f"{WORK}/kubeconfig-{tool}"
            with open(path, "w") as f:
                f.write(SEED)
            run(tool, f"aks get-credentials -g out -n c1 -f {path} {flags}")
            with open(path) as f:
                files[tool] = f.read()
        print(f"{'same' if files['az'] == files['gangplank'] else 'DIFFERENT'}: get-credentials {flags}")
        if files["az"] != files["gangplank"]:
            found.append(f"get-credentials {flags}\n--- az\n{files['az']}--- gangplank\n{files['gangplank']}")
    for tool in ("az", "gangplank"):
        path = f"{WORK}/kubeconfig-{tool}"
        with open(path) as f:
            text = f.read().replace("server: https://127.0.0.1", "server: https://127.0.0.2")
        with open(path, "w") as f:
            f.write(text)
        done = parity.run("az" if tool == "az" else GANGPLANK,
                          f"aks get-credentials -g out -n c1 -f {path} < /dev/null", check=False)
        if done.returncode == 0 or "A different object named c1 already exists" not in done.stderr:
            found.append(f"{tool} merged over a different entry: {done.returncode} {done.stderr}")
    return found


def main():
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "out", "-f", f"{WORK}/out_key"],
                   check=True)
    for setup in ["group create -n out -l westus2",
                  f"aks create -g out -n c1 --ssh-key-value {WORK}/out_key.pub -c 2 --tags team=data env=dev "
                  "--zones 1 2",
                  f"aks nodepool add {POOL} -n tools -c 1 --labels a=b --enable-cluster-autoscaler "
                  "--min-count 1 --max-count 3"]:
        run("az", setup + " -o none")
    different = []
    for line in LINES:
        az, ours = run("az", line), run("gangplank", line)
        print(f"{'same' if az == ours else 'DIFFERENT'}: {line}")
        if az != ours:
            different.append(f"{line}\n--- az\n{az}--- gangplank\n{ours}")
    different += kubeconfig_differences()
    return parity.verdict(f"{len(LINES)} command lines and get-credentials, {len(different)} differences",
                          different)


if __name__ == "__main__":
    sys.exit(main())
