"""What the node benchmarks share (bench/node_upgrade.py, bench/node_idle.py): the API as the
admin, clusters of real container nodes, the real ssh, and what a node costs the host (its
processes' PSS, its cgroup's memory and CPU time)."""
import json, os, socket, ssl, subprocess, time
import http.client, urllib.parse

V = "?api-version=2026-08-01"  # the newest stable: it has the machines API


def pools(count, surge):
    """COUNT nodes split evenly over pools of at most 1,000 (AKS's limit per pool)."""
    n = -(-count // 1000)
    return [{"name": f"nodepool{i + 1}", "count": count // n + (i < count % n),
             "mode": "System" if i == 0 else "User", "upgradeSettings": {"maxSurge": surge}}
            for i in range(n)]


class Api:
    def __init__(self, work, port):
        self.work = work
        creds = json.load(open(f"{work}/data/credentials.json"))
        ctx = ssl.create_default_context(cafile=f"{work}/data/tls/ca.crt")
        self.conn = http.client.HTTPSConnection("127.0.0.1", port, context=ctx)
        form = urllib.parse.urlencode({"grant_type": "client_credentials",
                                       "client_id": creds["clientId"],
                                       "client_secret": creds["clientSecret"],
                                       "scope": f"https://127.0.0.1:{port}//.default"})
        self.conn.request("POST", "/adfs/oauth2/v2.0/token", body=form,
                          headers={"Content-Type": "application/x-www-form-urlencoded"})
        self.token = json.loads(self.conn.getresponse().read())["access_token"]
        self.sub = creds["subscriptionId"]
        self.call("PUT", f"/subscriptions/{self.sub}/resourceGroups/bench?api-version=2021-04-01",
                  '{"location":"westus2"}')
        self.key = {}
        for name in ("a", "b"):
            if not os.path.exists(f"{work}/{name}"):
                subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f",
                                f"{work}/{name}"], check=True)
            self.key[name] = open(f"{work}/{name}.pub").read().strip()

    def call(self, method, path, body=None):
        headers = {"Content-Type": "application/json", "Authorization": "Bearer " + self.token}
        try:
            self.conn.request(method, path, body=body, headers=headers)
            reply = self.conn.getresponse()
        except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
            # gangplankd closed the connection while it sat idle (an idle benchmark's window is
            # longer than the API's keep-alive): the same request on a new one.
            self.conn.close()
            self.conn.request(method, path, body=body, headers=headers)
            reply = self.conn.getresponse()
        return reply.status, reply.read().decode()

    def cluster(self, name):
        return (f"/subscriptions/{self.sub}/resourceGroups/bench/providers/"
                f"Microsoft.ContainerService/managedClusters/{name}")

    def cluster_body(self, key, count, surge="33%"):
        """COUNT nodes with KEY, in as few pools as AKS allows (1,000 nodes at most per pool)."""
        return json.dumps({"location": "westus2", "properties": {
            "linuxProfile": {"adminUsername": "azureuser",
                             "ssh": {"publicKeys": [{"keyData": self.key[key]}]}},
            "agentPoolProfiles": pools(count, surge)}})

    def wait(self, path, limit=1800):
        deadline = time.time() + limit
        while time.time() < deadline:
            status, body = self.call("GET", path + V)
            if status == 404:
                return "NotFound"
            state = json.loads(body)["properties"]["provisioningState"]
            if state in ("Succeeded", "Failed"):
                return state
            time.sleep(0.05)
        return "timeout"

    def machines(self, cluster):
        _, body = self.call("GET", f"{cluster}/agentPools/nodepool1/machines{V}")
        return json.loads(body)["value"]


def ssh_ok(work, identity, machine):
    address = machine["properties"]["network"]["ipAddresses"][0]["ip"]
    known = f"{work}/known_hosts_{address}"
    with open(known, "w") as f:
        for host_key in machine["properties"]["hostKeys"]:
            f.write(f"{address} {host_key}\n")
    result = subprocess.run(["ssh", "-F", "/dev/null", "-i", identity, "-o", "IdentitiesOnly=yes",
                             "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=yes",
                             "-o", f"UserKnownHostsFile={known}", "-o", "ConnectTimeout=10",
                             "-l", "azureuser", address, "true"], capture_output=True)
    return result.returncode == 0


def pss_kib(pid):
    try:
        return next(int(line.split()[1]) for line in open(f"/proc/{pid}/smaps_rollup")
                    if line.startswith("Pss:"))
    except (OSError, StopIteration):
        return 0


def cpu_seconds(pid):
    """utime + stime of one process."""
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def machine_busy_seconds():
    """CPU time the whole machine spent busy (every core; /proc/stat's first line less idle and
    iowait): on a shared, noisy machine, CPU per node compares runs better than wall time."""
    fields = [int(f) for f in open("/proc/stat").readline().split()[1:]]
    return (sum(fields[:8]) - fields[3] - fields[4]) / os.sysconf("SC_CLK_TCK")


def node_uids(nodes_dir):
    return [d for d in os.listdir(nodes_dir) if len(d) == 36]


def node_cost(nodes_dir):
    """Per node: PSS of every process in its cgroup (KiB), its memory cgroup's usage (KiB), and
    the CPU time of its cgroup (seconds); summed over nodes, with the node count."""
    uids = set(node_uids(nodes_dir))
    pss = 0
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            cgroup = open(f"/proc/{pid}/cgroup").read()
        except OSError:
            continue
        at = cgroup.find("/gangplank/")
        if at >= 0 and cgroup[at + 11:at + 47] in uids:
            pss += pss_kib(pid)
    memory = cpu = 0
    for uid in uids:
        try:
            memory += int(open(f"/sys/fs/cgroup/memory/gangplank/{uid}/memory.usage_in_bytes").read())
            cpu += int(open(f"/sys/fs/cgroup/cpuacct/gangplank/{uid}/cpuacct.usage").read())
        except OSError:
            pass
    return len(uids), pss, memory // 1024, cpu / 1e9


def container_floor(work, runs=10):
    """The floor of a reimage: one bare container from the same node image (overlay, runc, a veth
    with an address on the node bridge) whose only process is sshd with a ready host key, until
    its SSH banner answers."""
    images = f"{work}/data/node-images"
    rootfs = f"{images}/{sorted(v for v in os.listdir(images) if not v.startswith('.'))[0]}/rootfs"
    bridge = open(f"{work}/nodes/bridge").read().strip()
    prefix = "10." + bridge.rsplit("-", 1)[1]
    address = f"{prefix}.255.250"
    d = f"{work}/floor"
    os.makedirs(f"{d}/rootfs", exist_ok=True)
    config = {"ociVersion": "1.0.2",
              "process": {"terminal": False, "user": {"uid": 0, "gid": 0}, "cwd": "/",
                          "args": ["/usr/sbin/sshd", "-D", "-e", "-f", "/floor/sshd_config"],
                          "env": ["PATH=/usr/sbin:/usr/bin:/sbin:/bin"],
                          "capabilities": {k: ["CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT",
                                               "CAP_SETUID", "CAP_SETGID", "CAP_CHOWN"]
                                           for k in ("bounding", "effective", "permitted")}},
              "root": {"path": "rootfs"}, "hostname": "floor",
              "mounts": [{"destination": "/proc", "type": "proc", "source": "proc"},
                         {"destination": "/dev", "type": "tmpfs", "source": "tmpfs"}],
              "linux": {"namespaces": [{"type": t} for t in
                                       ("pid", "network", "ipc", "uts", "mount")]}}
    json.dump(config, open(f"{d}/config.json", "w"))
    times = []
    for i in range(runs):
        for sub in ("upper", "work"):
            subprocess.run(["rm", "-rf", f"{d}/{sub}"], check=True)
            os.makedirs(f"{d}/{sub}")
        os.makedirs(f"{d}/upper/floor")
        os.makedirs(f"{d}/upper/run/sshd")
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f",
                        f"{d}/upper/floor/hk"], check=True)
        open(f"{d}/upper/floor/sshd_config", "w").write(
            f"ListenAddress {address}:22\nHostKey /floor/hk\nPidFile /floor/pid\nUsePAM no\n")
        started = time.perf_counter()
        subprocess.run(["mount", "-t", "overlay", "overlay", "-o",
                        f"lowerdir={rootfs},upperdir={d}/upper,workdir={d}/work", f"{d}/rootfs"],
                       check=True)
        name = f"gpfloor{i}"
        root = f"{d}/runc"
        subprocess.run(["runc", "--root", root, "create", "--bundle", d, "--pid-file",
                        f"{d}/pid", name], check=True, stdin=subprocess.DEVNULL,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        pid = open(f"{d}/pid").read().strip()
        subprocess.run(["ip", "link", "add", "gpvfloor", "type", "veth", "peer", "name", "eth0",
                        "netns", pid], check=True)
        subprocess.run(["ip", "link", "set", "gpvfloor", "master", bridge, "up"], check=True)
        for cmd in (["addr", "add", f"{address}/16", "dev", "eth0"],
                    ["link", "set", "eth0", "up"]):
            subprocess.run(["nsenter", f"--net=/proc/{pid}/ns/net", "ip"] + cmd, check=True)
        subprocess.run(["runc", "--root", root, "start", name], check=True)
        while True:
            try:
                with socket.create_connection((address, 22), timeout=1) as s:
                    if s.recv(8).startswith(b"SSH-2.0"):
                        break
            except OSError:
                time.sleep(0.001)
        times.append(time.perf_counter() - started)
        subprocess.run(["runc", "--root", root, "delete", "--force", name], check=True)
        subprocess.run(["umount", f"{d}/rootfs"], check=True)
    subprocess.run(["rm", "-rf", d], check=True)
    times.sort()
    return times[len(times) // 2]
