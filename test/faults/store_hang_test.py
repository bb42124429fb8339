#!/usr/bin/env python3
"""A hung store never hangs a request. PostgreSQL is stopped with SIGSTOP (every process of it: a
hang, not a crash) under one replica and under two behind HAProxy, once in the middle of a stream
of reads and writes and once while idle. Every request is answered within 6 s (a 503
StoreUnavailable with Retry-After and an ARM error body when the store is needed); /livez stays
200 and /readyz turns 503, so HAProxy takes the replicas out, and back in after SIGCONT; nothing
refused is written, nothing acknowledged is lost.
Usage: store_hang_test.py PATH_TO_GANGPLANKD [HANG_SECONDS]"""
import signal
import sys
import threading
import time

import faultlib
from faultlib import Broken, expect

GROUPS = "/resourcegroups/{}?api-version=2021-04-01"
PROMISE = 6.0  # seconds: every request is answered within this while the store hangs


class Load:
    """Reads and writes through every replica, side by side, recording each answer."""

    def __init__(self, lab, ports, tag):
        self.lab, self.ports, self.tag = lab, ports, tag
        self.records = []  # (kind, name, started, status, seconds, headers, body)
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.threads = [threading.Thread(target=self.loop, args=(kind, port), daemon=True)
                        for port in ports for kind in ("GET", "PUT")]

    def loop(self, kind, port):
        n = 0
        while not self.stop.is_set():
            n += 1
            name = "kept" if kind == "GET" else f"w-{self.tag}-{port}-{n}"
            started = time.monotonic()
            status, headers, body, seconds = self.lab.call(
                kind, port, self.lab.arm(GROUPS.format(name)),
                {"location": "westus2"} if kind == "PUT" else None, timeout=30)
            with self.lock:
                self.records.append((kind, name, started, status, seconds, headers, body))
            time.sleep(0.05)

    def __enter__(self):
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        for thread in self.threads:
            thread.join(timeout=60)


def check_answer(record):
    kind, name, _, status, seconds, headers, body = record
    expect(status != 0, f"{kind} {name}: no answer ({body}) after {seconds:.1f} s")
    expect(seconds < PROMISE, f"{kind} {name}: answered after {seconds:.1f} s (promise: {PROMISE} s)")
    if status >= 300:
        expect(status == 503, f"{kind} {name}: {status} {body}")
        expect("Retry-After" in headers, f"{kind} {name}: 503 without Retry-After")
        error = body.get("error", {}) if isinstance(body, dict) else {}
        expect(error.get("code") == "StoreUnavailable" and error.get("message"),
               f"{kind} {name}: 503 without an ARM error body: {body}")


def percentile(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))] if values else 0


def wait_until(what, predicate, seconds):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise Broken(f"{what} did not happen within {seconds} s")


def experiment(lab, replicas, moment, hang):
    ports = [r["port"] for r in lab.replicas]
    ready = lambda port: lab.call("GET", port, "/readyz", token=False, timeout=PROMISE)
    if moment == "idle":
        lab.signal_postgres(signal.SIGSTOP)
        hung_at = time.monotonic()
        time.sleep(2.5)  # every read lease has lapsed: each request needs the store
        load = Load(lab, ports, f"{replicas}{moment}")
    else:
        load = Load(lab, ports, f"{replicas}{moment}")
    with load:
        if moment == "busy":
            time.sleep(1.0)
            lab.signal_postgres(signal.SIGSTOP)
            hung_at = time.monotonic()
        time.sleep(max(0.0, hang - (time.monotonic() - hung_at) - 1.5))
        for port in ports:
            status, _, body, seconds = ready(port)
            expect(status == 503 and seconds < PROMISE,
                   f"/readyz on {port} said {status} ({body}) after {seconds:.1f} s with the store hung")
            status, _, _, _ = lab.call("GET", port, "/livez", token=False, timeout=PROMISE)
            expect(status == 200, f"/livez on {port} said {status} while the process serves")
        if lab.haproxy:
            states = lab.haproxy_states()
            expect(states and set(states.values()) == {"DOWN"},
                   f"HAProxy still sends clients to replicas whose store hangs: {states}")
            # With no replica ready, a client through the balancer still gets an ARM 503.
            status, headers, body, seconds = lab.call(
                "GET", lab.lb_port, lab.arm(GROUPS.format("kept")), timeout=30)
            check_answer(("GET", "through HAProxy", 0.0, status, seconds, headers, body))
            expect(status == 503, f"through HAProxy during the hang: {status} {body}")
        time.sleep(max(0.0, hang - (time.monotonic() - hung_at)))
        lab.signal_postgres(signal.SIGCONT)
        resumed_at = time.monotonic()
        wait_until("every replica ready again", lambda: all(ready(p)[0] == 200 for p in ports), 15)
        back = time.monotonic() - resumed_at
        time.sleep(0.5)
    if lab.haproxy:
        wait_until("HAProxy sending clients to the replicas again",
                   lambda: set(lab.haproxy_states().values()) == {"UP"}, 10)
    during = [r for r in load.records if hung_at <= r[2] < resumed_at]
    expect(len(during) >= 4 * len(ports), f"too few requests during the hang: {len(during)}")
    for record in load.records:
        check_answer(record)
    refused = [r for r in during if r[3] == 503]
    expect(refused, "no request needed the store during the hang")
    # Nothing refused was written, unless the refusal said the store stopped in the middle of
    # the commit (the outcome was unknown, and said so); everything acknowledged is there.
    for kind, name, _, status, _, _, answer in load.records:
        if kind != "PUT":
            continue
        got, _, body, _ = lab.call("GET", ports[0], lab.arm(GROUPS.format(name)))
        if status in (200, 201):
            expect(got == 200, f"an acknowledged write {name} is gone: {got} {body}")
        elif status == 503:
            unknown = "may or may not have been made" in answer["error"]["message"]
            expect(got == 404 or unknown, f"a refused write {name} was written after all: {got}")
    for kind in ("GET", "PUT"):
        times = [r[4] for r in during if r[0] == kind]
        answers = sorted({r[3] for r in during if r[0] == kind})
        print(f"store hang {hang:.0f} s, {replicas} replica(s), {moment}: {kind} n={len(times)} "
              f"p50={percentile(times, 50) * 1000:.0f} ms p99={percentile(times, 99) * 1000:.0f} ms "
              f"max={max(times) * 1000:.0f} ms answers={answers}; ready again {back:.1f} s after SIGCONT")


def main(factory):
    gangplankd = sys.argv[1]
    hang = float(sys.argv[2]) if len(sys.argv) > 2 else 8.0
    for replicas in (1, 2):
        lab = factory(gangplankd)
        lab.extra_args = ["--nodes", "simulated"]
        lab.start_postgres()
        if replicas > 1:
            lab.lb_port = faultlib.free_port()  # the public URL every replica's tokens name
        for _ in range(replicas):
            lab.start_replica()
        if replicas > 1:
            lab.start_haproxy()
        status, _, body, _ = lab.call("PUT", lab.replicas[0]["port"], lab.arm(GROUPS.format("kept")),
                                      {"location": "westus2"})
        expect(status in (200, 201), f"group create: {status} {body}")
        for moment in ("busy", "idle"):
            experiment(lab, replicas, moment, hang)
        for replica in lab.replicas:
            expect(replica["proc"].poll() is None, "a replica exited")
        lab.close()
    print("store hang: every request answered within 6 s, 503 + Retry-After where the store was "
          "needed, readiness followed the store, nothing lost or half-written: ok")


if __name__ == "__main__":
    faultlib.run(main)
