#!/usr/bin/env python3
"""/metrics as the real Prometheus server scrapes it: a gangplankd (simulated nodes), a service
principal that holds only Gangplank Metrics Reader (it reads /metrics and nothing else), and
Prometheus on loopback scraping every second with that identity's client credentials (OAuth2 at
the control plane's own token endpoint, its CA checked). `promtool check metrics` accepts what is
served. A cluster of two nodes shows up as two running nodes; an SSH key change puts both behind
their pool's model and the node image upgrade brings them back, and the operations that did it
are counted, all as Prometheus' own queries see it. A second job scrapes the plain-HTTP listener of
--metrics-listen, which needs no token and serves nothing but /metrics, and sees the same nodes.
Usage: prometheus_scrape_test.py GANGPLANKD"""
import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "faults"))
import faultlib  # noqa: E402
from clusterlib import Cluster, cluster_body, create_group, test_key  # noqa: E402
from faultlib import Broken, expect, free_port  # noqa: E402

METRICS_READER = "6a7c0b5e-3f1d-4e8a-9c2b-8d4f1e0a7b31"


def metrics_identity(lab, port):
    """A service principal with Gangplank Metrics Reader at the subscription: (app id, secret)."""
    def call(method, path, body):
        status, _, reply, _ = lab.call(method, port, path, body)
        expect(status in (200, 201), f"{method} {path}: {status} {reply}")
        return reply
    app = call("POST", "/v1.0/applications", {"displayName": "prometheus"})
    secret = call("POST", f"/v1.0/applications/{app['id']}/addPassword", {})["secretText"]
    sp = call("POST", "/v1.0/servicePrincipals", {"appId": app["appId"]})
    sub = lab.subscription()
    call("PUT", f"/subscriptions/{sub}/providers/Microsoft.Authorization/roleAssignments/"
                f"{uuid.uuid4()}?api-version=2022-04-01",
         {"properties": {"roleDefinitionId": f"/subscriptions/{sub}/providers/"
                                             f"Microsoft.Authorization/roleDefinitions/"
                                             f"{METRICS_READER}",
                         "principalId": sp["id"], "principalType": "ServicePrincipal"}})
    return app["appId"], secret


def token_for(lab, port, app, secret):
    form = urllib.parse.urlencode({"grant_type": "client_credentials", "client_id": app,
                                   "client_secret": secret,
                                   "scope": f"https://127.0.0.1:{port}/.default"}).encode()
    import ssl
    ctx = ssl.create_default_context(cafile=lab.ca())
    with urllib.request.urlopen(urllib.request.Request(
            f"https://127.0.0.1:{port}/adfs/oauth2/token", data=form), context=ctx) as reply:
        return json.load(reply)["access_token"]


def start_prometheus(lab, port, app, secret, plain_port):
    web = free_port()
    config = os.path.join(lab.work, "prometheus.yml")
    with open(config, "w") as f:
        json.dump({  # YAML is a superset of JSON
            "global": {"scrape_interval": "1s", "scrape_timeout": "1s"},
            "scrape_configs": [{
                "job_name": "gangplank", "scheme": "https", "metrics_path": "/metrics",
                "tls_config": {"ca_file": lab.ca()},
                "oauth2": {"client_id": app, "client_secret": secret,
                           "token_url": f"https://127.0.0.1:{port}/adfs/oauth2/token",
                           "scopes": [f"https://127.0.0.1:{port}/.default"],
                           "tls_config": {"ca_file": lab.ca()}},
                "static_configs": [{"targets": [f"127.0.0.1:{port}"]}]}, {
                "job_name": "gangplank-plain", "scheme": "http", "metrics_path": "/metrics",
                "static_configs": [{"targets": [f"127.0.0.1:{plain_port}"]}]}]}, f)
    log = open(os.path.join(lab.work, "prometheus.log"), "wb")
    proc = subprocess.Popen(["prometheus", f"--config.file={config}",
                             f"--storage.tsdb.path={os.path.join(lab.work, 'tsdb')}",
                             f"--web.listen-address=127.0.0.1:{web}"],
                            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    return proc, web


def query(web, expression):
    """The values of an instant query, as floats (empty when no series matches)."""
    url = f"http://127.0.0.1:{web}/api/v1/query?" + urllib.parse.urlencode({"query": expression})
    try:
        with urllib.request.urlopen(url, timeout=5) as reply:
            result = json.load(reply)["data"]["result"]
    except OSError:
        return []
    return [float(series["value"][1]) for series in result]


def wait_for(web, expression, wanted, what, seconds=60):
    deadline = time.monotonic() + seconds
    values = []
    while time.monotonic() < deadline:
        values = query(web, expression)
        if values and wanted(values):
            return values
        time.sleep(0.5)
    raise Broken(f"{what}: Prometheus says {expression} = {values}")


def main(factory):
    lab = factory(sys.argv[1])
    plain_port = free_port()
    lab.extra_args = ["--nodes", "simulated", "--metrics-listen", f"127.0.0.1:{plain_port}"]
    port = lab.start_replica()["port"]
    # The plain listener: /metrics without a token, and nothing else at all.
    with urllib.request.urlopen(f"http://127.0.0.1:{plain_port}/metrics", timeout=10) as reply:
        expect("gangplank_build_info" in reply.read().decode(), "plain /metrics")
    try:
        urllib.request.urlopen(f"http://127.0.0.1:{plain_port}/subscriptions", timeout=10)
        raise Broken("the plain listener served /subscriptions")
    except urllib.error.HTTPError as error:
        expect(error.code == 404, f"plain /subscriptions: {error.code}")
    create_group(lab)
    app, secret = metrics_identity(lab, port)
    # The metrics identity reads /metrics and nothing else; no token reads nothing at all.
    token = token_for(lab, port, app, secret)
    lab.token = token
    status, headers, text, _ = lab.call("GET", port, "/metrics")
    expect(status == 200 and "gangplank_build_info" in text, f"/metrics: {status} {text}")
    expect(headers.get("Content-Type", "").startswith("text/plain; version=0.0.4"), f"{headers}")
    status, _, _, _ = lab.call("GET", port, lab.arm("/resourcegroups/rg?api-version=2021-04-01"))
    expect(status == 403, f"the metrics identity read a resource group: {status}")
    status, _, _, _ = lab.call("GET", port, "/metrics", token=False)
    expect(status == 401, f"/metrics without a token: {status}")
    lab.token = None
    checked = subprocess.run(["promtool", "check", "metrics"], input=text, text=True,
                             capture_output=True)
    expect(checked.returncode == 0, f"promtool check metrics: {checked.stdout} {checked.stderr}")

    proc, web = start_prometheus(lab, port, app, secret, plain_port)
    try:
        wait_for(web, 'up{job="gangplank"}', lambda v: v == [1.0], "the scrape")
        wait_for(web, 'up{job="gangplank-plain"}', lambda v: v == [1.0], "the plain scrape")
        cluster = Cluster(lab, "c1", 2, test_key())
        status, headers, body, _ = cluster.call("PUT", "", cluster_body("c1", 2, cluster.key))
        expect(status == 201, f"create: {status} {body}")
        cluster.wait_operation(headers, "create")
        pool = 'cluster="c1",pool="nodepool1"'
        wait_for(web, f'gangplank_nodes{{job="gangplank",{pool},state="Running"}}',
                 lambda v: v == [2.0], "two running nodes")
        wait_for(web, f"gangplank_nodes_behind_ssh_model{{{pool}}}", lambda v: v == [0.0, 0.0],
                 "no node behind after the create (both jobs)")
        wait_for(web, f'gangplank_nodes{{job="gangplank-plain",{pool},state="Running"}}',
                 lambda v: v == [2.0], "two running nodes through the plain listener")
        # A new key: both nodes are behind the pool's model until their node image upgrade.
        status, headers, body, _ = cluster.call("PUT", "", cluster_body("c1", 2, test_key()))
        expect(status == 200, f"new key: {status} {body}")
        cluster.wait_operation(headers, "key change")
        wait_for(web, f"gangplank_nodes_behind_ssh_model{{{pool}}}", lambda v: v == [2.0, 2.0],
                 "both nodes behind after the key change (both jobs)")
        wait_for(web, f"gangplank_pool_ssh_model_pending_seconds{{{pool}}}", lambda v: v[0] >= 0,
                 "the pending model's age")
        status, headers, body, _ = cluster.call(
            "POST", "/agentPools/nodepool1/upgradeNodeImageVersion")
        expect(status == 202, f"upgrade: {status} {body}")
        cluster.wait_operation(headers, "node image upgrade")
        wait_for(web, f"gangplank_nodes_behind_ssh_model{{{pool}}}", lambda v: v == [0.0, 0.0],
                 "no node behind after the upgrade (both jobs)")
        wait_for(web, 'sum(gangplank_operations_total{job="gangplank",outcome="Succeeded"})',
                 lambda v: v[0] >= 3,
                 "the create, the key change and the upgrade counted")
        wait_for(web, 'sum(gangplank_http_requests_total{route="managedclusters/{cluster}",'
                      'method="PUT"})', lambda v: v[0] >= 2, "the PUTs counted by route")
        wait_for(web, 'sum(gangplank_store_commit_duration_seconds_count)', lambda v: v[0] > 0,
                 "store commits")
    except Exception:
        with open(os.path.join(lab.work, "prometheus.log"), errors="replace") as f:
            print(f.read()[-3000:], file=sys.stderr)
        raise
    finally:
        proc.terminate()
        proc.wait(timeout=20)
    print("prometheus: scraped with a metrics-only identity and through the plain listener; nodes, "
          "a key change, an upgrade and operations seen by its queries: ok")


if __name__ == "__main__":
    faultlib.run(main)
