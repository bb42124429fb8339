"""Clusters with real nodes for the fault experiments: the ARM calls, the operation to wait for,
and what runs on the host (node containers, their directories) to hold the API's word against."""
import glob
import json
import os
import re
import subprocess
import time
import urllib.parse

from faultlib import Broken, expect

API = "api-version=2024-07-01"
UID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def psql(lab, sql):
    return subprocess.check_output(["psql", "-qAt", "-d", lab.pg_uri, "-c", sql], text=True).strip()


def nodes_dir(lab):
    """--nodes-dir, or where replicas of a shared store keep their nodes by default."""
    if "--nodes-dir" in lab.extra_args:
        return lab.extra_args[lab.extra_args.index("--nodes-dir") + 1]
    bridge = json.loads(psql(lab, "SELECT body FROM resources WHERE kind = 'nodeNetwork'"))
    prefix = bridge["prefix"].split(".")[1]
    return f"/var/lib/gangplank/nodes/gp-node-{prefix}"


def running_containers(directory):
    """uid -> pid of the node containers whose first process runs in the node's cgroup."""
    running = {}
    for path in glob.glob(os.path.join(directory, "*")):
        uid = os.path.basename(path)
        if not UID.match(uid):
            continue
        try:
            pid = int(open(os.path.join(path, "init.pid")).read())
            if f"/gangplank/{uid}" in open(f"/proc/{pid}/cgroup").read():
                running[uid] = pid
        except (OSError, ValueError):
            continue
    return running


def node_dirs(directory):
    return sorted(os.path.basename(p) for p in glob.glob(os.path.join(directory, "*"))
                  if UID.match(os.path.basename(p)))


class Cluster:
    def __init__(self, lab, name, count, key):
        self.lab, self.name, self.count, self.key = lab, name, count, key
        self.path = lab.arm(f"/resourceGroups/rg/providers/Microsoft.ContainerService/"
                            f"managedClusters/{name}")

    def live_port(self):
        for replica in self.lab.replicas:
            if replica["proc"].poll() is None and not replica.get("paused"):
                return replica["port"]
        raise Broken("no replica runs")

    def call(self, method, rest="", body=None):
        return self.lab.call(method, self.live_port(), f"{self.path}{rest}?{API}" if "?" not in rest
                             else f"{self.path}{rest}&{API}", body)

    def wait_operation(self, headers, what, seconds=240):
        url = headers.get("Azure-AsyncOperation") or headers.get("Location")
        expect(url, f"{what}: no operation to poll")
        path = urllib.parse.urlsplit(url)
        path = path.path + "?" + path.query
        deadline = time.monotonic() + seconds
        status, body = None, None
        while time.monotonic() < deadline:
            status, _, body, _ = self.lab.call("GET", self.live_port(), path)
            if status == 200 and isinstance(body, dict) and body.get("status") in (
                    "Succeeded", "Failed", "Canceled"):
                expect(body["status"] == "Succeeded", f"{what} ended {body}")
                return
            if status == 200 and headers.get("Location") and not headers.get("Azure-AsyncOperation"):
                return  # a Location poll answers 200 with the result when done
            time.sleep(0.3)
        raise Broken(f"{what} did not finish within {seconds} s: {path} said {status} {body}")

    def machines(self):
        status, _, body, _ = self.call("GET", "/agentPools/nodepool1/machines")
        expect(status == 200, f"machines: {status} {body}")
        return body["value"]

    def expect_nodes_match(self, what, image=None):
        directory = nodes_dir(self.lab)
        deadline = time.monotonic() + 30
        while True:
            machines = self.machines()
            running = running_containers(directory)
            dirs = node_dirs(directory)
            states = sorted({m["properties"]["state"] for m in machines})
            if len(machines) == self.count and len(running) == self.count and \
                    len(dirs) == self.count and states == ["Running"]:
                break
            if time.monotonic() > deadline:
                raise Broken(f"{what}: {len(machines)} machines ({states}), {len(running)} containers "
                             f"running, {len(dirs)} node directories; the pool has {self.count}")
            time.sleep(0.5)
        if image:
            images = {m["properties"]["nodeImageVersion"] for m in machines}
            expect(images == {image}, f"{what}: node images {images}")
        names = [m["name"] for m in machines]
        expect(len(set(names)) == len(names), f"{what}: a machine twice: {names}")


def cluster_body(name, count, key):
    return {"location": "westus2", "properties": {
        "dnsPrefix": name,
        "linuxProfile": {"adminUsername": "azureuser", "ssh": {"publicKeys": [{"keyData": key}]}},
        "agentPoolProfiles": [{"name": "nodepool1", "count": count, "mode": "System",
                               "osType": "Linux", "type": "VirtualMachineScaleSets",
                               "vmSize": "Standard_DS2_v2",
                               "upgradeSettings": {"maxSurge": "1"}}]}}


def new_key(directory):
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", f"{directory}/k"],
                   check=True)
    with open(f"{directory}/k.pub") as f:
        return f.read().strip()


def create_group(lab):
    status, _, body, _ = lab.call("PUT", lab.replicas[0]["port"],
                                  lab.arm("/resourcegroups/rg?api-version=2021-04-01"),
                                  {"location": "westus2"})
    expect(status in (200, 201), f"group: {status} {body}")


def publish_image(lab, version):
    subprocess.run([lab.gangplankd, "node-image", "publish", "--store", lab.pg_uri, "--data-dir",
                    lab.replicas[0]["data"], "--os-sku", "Ubuntu", "--version", version],
                   check=True, stdout=subprocess.DEVNULL)


def replicas_on_postgres(factory, gangplankd, count=2, envs=()):
    """A lab with a throwaway PostgreSQL and `count` replicas on it (replica i with envs[i]
    added to its environment, if given), a public URL their tokens share, and the group `rg`."""
    import faultlib
    lab = factory(gangplankd)
    lab.start_postgres()
    lab.lb_port = faultlib.free_port()
    for i in range(count):
        lab.start_replica(env=envs[i] if i < len(envs) else None)
    create_group(lab)
    return lab


def created_cluster(lab, name, count, key):
    """A cluster of `count` real nodes, created and checked against the host."""
    cluster = Cluster(lab, name, count, key)
    status, headers, body, _ = cluster.call("PUT", "", cluster_body(name, count, key))
    expect(status == 201, f"create: {status} {body}")
    cluster.wait_operation(headers, "create", 600)
    cluster.expect_nodes_match("after the create")
    return cluster


def test_key():
    """An ed25519 public key made by the real ssh-keygen."""
    import tempfile
    with tempfile.TemporaryDirectory() as keys:
        return new_key(keys)
