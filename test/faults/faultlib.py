"""Shared by the fault experiments: a throwaway PostgreSQL server, gangplankd replicas on it,
HAProxy in front, HTTPS calls with deadlines, and cleanup of every process by its PID (also when
a check fails). Each experiment is a script that raises on the first broken promise."""
import base64
import json
import os
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request

SOURCE_DIR = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
SANDBOX = os.path.join(SOURCE_DIR, "scripts", "postgres-sandbox")


class Broken(Exception):
    """A promise did not hold."""


def expect(condition, message):
    if not condition:
        raise Broken(message)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def children_of(pid):
    """Every descendant of pid (read from /proc: by PID, never by name)."""
    parents = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                stat = f.read()
            parents.setdefault(int(stat[stat.rindex(")") + 2:].split()[1]), []).append(int(entry))
        except (OSError, ValueError, IndexError):
            continue
    found, todo = [], [pid]
    while todo:
        for child in parents.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def alive(pid):
    try:
        os.kill(pid, 0)
    except OSError:
        return False
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(") ")[1][0] != "Z"
    except OSError:
        return False


class Lab:
    """A scratch directory and the processes started in it; `close` stops them all by PID."""

    def __init__(self, gangplankd):
        self.gangplankd = os.path.abspath(gangplankd)
        self.work = tempfile.mkdtemp(prefix="gangplank-fault-")
        os.chmod(self.work, 0o755)
        self.replicas = []  # dicts: proc, port, data, log
        self.pg_dir = None
        self.pg_uri = None
        self.haproxy = None
        self.lb_port = None
        self.store_key = os.path.join(self.work, "store.key")
        self.extra_args = []
        self.token = None

    # --- PostgreSQL -------------------------------------------------------------------------
    def start_postgres(self):
        self.pg_dir = os.path.join(self.work, "pg")
        self.pg_uri = subprocess.check_output([SANDBOX, "start", self.pg_dir], text=True).strip()
        with open(self.store_key, "wb") as f:
            f.write(base64.b64encode(os.urandom(32)) + b"\n")
        os.chmod(self.store_key, 0o600)

    def postgres_pid(self):
        with open(os.path.join(self.pg_dir, "data", "postmaster.pid")) as f:
            return int(f.readline())

    def postgres_pids(self):
        """The postmaster and every backend: a hang is all of them stopped, not only one."""
        pid = self.postgres_pid()
        return [pid] + children_of(pid)

    def signal_postgres(self, sig):
        for pid in self.postgres_pids():
            try:
                os.kill(pid, sig)
            except ProcessLookupError:
                pass

    # --- gangplankd -------------------------------------------------------------------------
    def start_replica(self, index=None, port=None, env=None):
        """Starts replica `index` (the next one by default), with `env` added to its
        environment; the process started is gangplankd itself, so its PID stops it."""
        index = len(self.replicas) if index is None else index
        data = os.path.join(self.work, f"data{index}")
        log = os.path.join(self.work, f"log{index}")
        for _ in range(5):
            own = port or free_port()
            args = [self.gangplankd, "--data-dir", data, "--listen", f"127.0.0.1:{own}"]
            if self.pg_uri:
                args += ["--store", self.pg_uri, "--store-key", self.store_key]
            if self.lb_port:
                args += ["--public-url", f"https://127.0.0.1:{self.lb_port}/"]
            args += self.extra_args
            proc = subprocess.Popen(args, stdout=open(log, "ab"), stderr=subprocess.STDOUT,
                                    stdin=subprocess.DEVNULL, env={**os.environ, **(env or {})})
            if self._wait_listening(proc, log, own):
                replica = {"proc": proc, "port": own, "data": data, "log": log}
                if index < len(self.replicas):
                    self.replicas[index] = replica
                else:
                    self.replicas.append(replica)
                return replica
            if port:
                break
        raise Broken(f"replica {index} did not start: {self.log_tail(log)}")

    def _wait_listening(self, proc, log, port):
        deadline = time.time() + 30
        needle = f"listening on https://127.0.0.1:{port}/"
        while time.time() < deadline:
            if proc.poll() is not None:
                return False
            try:
                with open(log) as f:
                    if needle in f.read():
                        return True
            except OSError:
                pass
            time.sleep(0.05)
        proc.kill()
        proc.wait()
        return False

    def ca(self):
        return os.path.join(self.replicas[0]["data"], "tls", "ca.crt")

    def credentials(self):
        with open(os.path.join(self.replicas[0]["data"], "credentials.json")) as f:
            return json.load(f)

    def start_haproxy(self):
        """HAProxy in front of the replicas, checking /readyz as docs/reference.md says."""
        self.lb_port = self.lb_port or free_port()
        self.haproxy_socket = os.path.join(self.work, "haproxy.sock")
        lines = ["global", "  maxconn 2000", f"  stats socket {self.haproxy_socket}", "defaults", "  mode tcp", "  timeout connect 2s",
                 "  timeout client 60s", "  timeout server 60s", "frontend api",
                 f"  bind 127.0.0.1:{self.lb_port}", "  default_backend replicas",
                 "backend replicas", "  balance roundrobin", "  option httpchk GET /readyz",
                 "  http-check expect status 200", "  option allbackups"]
        for i, replica in enumerate(self.replicas):
            lines.append(f"  server r{i} 127.0.0.1:{replica['port']} check check-ssl verify required "
                         f"ca-file {self.ca()} inter 300 fall 2 rise 2")
        # With no replica ready, clients still get a replica's own 503 with Retry-After.
        for i, replica in enumerate(self.replicas):
            lines.append(f"  server b{i} 127.0.0.1:{replica['port']} backup")
        cfg = os.path.join(self.work, "haproxy.cfg")
        with open(cfg, "w") as f:
            f.write("\n".join(lines) + "\n")
        self.haproxy = subprocess.Popen(["haproxy", "-f", cfg, "-db"],
                                        stdout=open(os.path.join(self.work, "log-haproxy"), "ab"),
                                        stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        deadline = time.time() + 10
        while time.time() < deadline and set(self.haproxy_states().values()) != {"UP"}:
            time.sleep(0.1)
        expect(set(self.haproxy_states().values()) == {"UP"},
               f"HAProxy does not see the replicas up: {self.haproxy_states()}")

    def haproxy_states(self):
        """server name -> UP/DOWN, as HAProxy's health checks see it now."""
        try:
            with socket.socket(socket.AF_UNIX) as s:
                s.connect(self.haproxy_socket)
                s.sendall(b"show stat\n")
                text = b""
                while chunk := s.recv(65536):
                    text += chunk
        except OSError:
            return {}
        states = {}
        for line in text.decode().splitlines():
            fields = line.split(",")
            if len(fields) > 17 and fields[0] == "replicas" and fields[1].startswith("r"):
                states[fields[1]] = fields[17].split(" ")[0]
        return states

    def log_tail(self, log, size=3000):
        try:
            with open(log, errors="replace") as f:
                return f.read()[-size:]
        except OSError:
            return "(no log)"

    # --- HTTPS ------------------------------------------------------------------------------
    def call(self, method, port, path, body=None, timeout=20, token=True):
        """(status, headers, parsed body or text, seconds); status 0 on a connection error."""
        ctx = ssl.create_default_context(cafile=self.ca())
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(f"https://127.0.0.1:{port}{path}", data=data,
                                         method=method)
        if data is not None:
            request.add_header("Content-Type", "application/json")
        if token:
            request.add_header("Authorization", f"Bearer {self.get_token()}")
        started = time.monotonic()
        try:
            with urllib.request.urlopen(request, context=ctx, timeout=timeout) as response:
                status, headers, raw = response.status, dict(response.headers), response.read()
        except urllib.error.HTTPError as error:
            status, headers, raw = error.code, dict(error.headers), error.read()
        except (urllib.error.URLError, OSError, socket.timeout) as error:
            return 0, {}, str(error), time.monotonic() - started
        seconds = time.monotonic() - started
        try:
            parsed = json.loads(raw) if raw else None
        except ValueError:
            parsed = raw.decode(errors="replace")
        return status, headers, parsed, seconds

    def get_token(self):
        if self.token:
            return self.token
        creds = self.credentials()
        form = urllib.parse.urlencode({
            "grant_type": "client_credentials", "client_id": creds["clientId"],
            "client_secret": creds["clientSecret"],
            "scope": creds["server"] + ".default"}).encode()
        ctx = ssl.create_default_context(cafile=self.ca())
        port = self.replicas[0]["port"]
        with urllib.request.urlopen(urllib.request.Request(
                f"https://127.0.0.1:{port}/adfs/oauth2/v2.0/token", data=form), context=ctx,
                timeout=20) as response:
            self.token = json.load(response)["access_token"]
        return self.token

    def subscription(self):
        return self.credentials()["subscriptionId"]

    def arm(self, rest):
        return f"/subscriptions/{self.subscription()}{rest}"

    # --- cleanup ----------------------------------------------------------------------------
    def close(self, keep=False):
        if self.haproxy and self.haproxy.poll() is None:
            self.haproxy.terminate()
            self.haproxy.wait()
        if self.pg_dir:  # a stopped server would never stop: let it run on to its end
            try:
                self.signal_postgres(signal.SIGCONT)
            except OSError:
                pass
        for replica in self.replicas:
            proc = replica["proc"]
            if proc.poll() is None:
                try:
                    os.kill(proc.pid, signal.SIGCONT)
                except OSError:
                    pass
                proc.terminate()
                try:
                    proc.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
        self.stop_nodes()
        if self.pg_dir:
            subprocess.run([SANDBOX, "stop", self.pg_dir], stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)
        if not keep:
            shutil.rmtree(self.work, ignore_errors=True)
        self.replicas, self.pg_dir, self.haproxy = [], None, None  # closed: a second close is a no-op

    def stop_nodes(self):
        if not self.replicas or os.geteuid() != 0 or "--nodes" in self.extra_args and \
                self.extra_args[self.extra_args.index("--nodes") + 1] == "simulated":
            return
        args = [self.gangplankd, "stop-nodes", "--remove", "--data-dir", self.replicas[0]["data"]]
        if "--nodes-dir" in self.extra_args:
            args += ["--nodes-dir", self.extra_args[self.extra_args.index("--nodes-dir") + 1]]
        if self.pg_uri:
            args += ["--store", self.pg_uri]
        subprocess.run(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def run(main):
    """Runs main(lab_factory) and prints the verdict; every Lab it made is closed, pass or fail."""
    labs = []

    def factory(gangplankd):
        lab = Lab(gangplankd)
        labs.append(lab)
        return lab

    try:
        main(factory)
    except Exception:
        for lab in labs:
            for replica in lab.replicas:
                print(f"--- {replica['log']}\n{lab.log_tail(replica['log'])}", file=sys.stderr)
        for lab in labs:
            lab.close()
        raise
    for lab in labs:
        lab.close()
