// The seed page's whole flow with the newest official Azure JavaScript SDK at its default
// api-versions (@azure/arm-containerservice 25.5.0: 2026-06-01; @azure/arm-resources: 2025-04-01)
// against a real gangplankd with real nodes: create with a key, ssh with it, rotate, the old key
// still in, node image upgrade, only the new key in, a pool with SSH disabled, a cluster without a
// key, bad keys refused, lists, deletes. Usage: node seed_flow_test.mjs DATA_DIR (as root)
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import assert from "node:assert/strict";
import { ClientSecretCredential } from "@azure/identity";
import { ContainerServiceClient } from "@azure/arm-containerservice";
import { ResourceManagementClient } from "@azure/arm-resources";

const dataDir = process.argv[2];
const creds = JSON.parse(readFileSync(join(dataDir, "credentials.json"), "utf8"));
const server = creds.server.replace(/\/$/, "");
const options = { endpoint: server, credentials: { scopes: [`${server}/.default`] } };
const credential = new ClientSecretCredential("adfs", creds.clientId, creds.clientSecret, {
  authorityHost: server,
  disableInstanceDiscovery: true,
});
const aks = new ContainerServiceClient(credential, creds.subscriptionId, options);
const groups = new ResourceManagementClient(credential, creds.subscriptionId, options);
const rg = "js-rg";
const scratch = mkdtempSync(join(tmpdir(), "gangplank-js-"));

function newKey(name) {
  const path = join(scratch, name);
  execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", name, "-f", path]);
  return { path, publicKey: readFileSync(`${path}.pub`, "utf8").trim() };
}

// The machines of a pool through the SDK, with their host keys from the same API (Gangplank's
// extra field, which the SDK's model does not carry) for a checked known_hosts.
async function nodes(cluster, pool) {
  const found = [];
  for await (const machine of aks.machines.list(rg, cluster, pool)) found.push(machine);
  const token = (await credential.getToken(`${server}/.default`)).token;
  const url = `${server}/subscriptions/${creds.subscriptionId}/resourceGroups/${rg}/providers/` +
    `Microsoft.ContainerService/managedClusters/${cluster}/agentPools/${pool}/machines?api-version=2026-06-01`;
  const raw = await (await fetch(url, { headers: { Authorization: `Bearer ${token}` } })).json();
  return found.map((machine) => {
    const ip = machine.properties.network.ipAddresses[0].ip;
    const view = raw.value.find((m) => m.name === machine.name);
    return { name: machine.name, ip, hostKeys: view.properties.hostKeys, latest: view.properties.latestModelApplied };
  });
}

// ssh as azureuser with `key` into every node; true when every login succeeds.
function sshWorks(list, key) {
  return list.every((node) => {
    const knownHosts = join(scratch, `known_hosts_${node.name}`);
    writeFileSync(knownHosts, node.hostKeys.map((k) => `${node.ip} ${k}`).join("\n") + "\n");
    const result = spawnSync("ssh", ["-F", "/dev/null", "-i", key.path, "-o", "IdentitiesOnly=yes",
      "-o", "BatchMode=yes", "-o", `UserKnownHostsFile=${knownHosts}`, "-o", "StrictHostKeyChecking=yes",
      "-o", "ConnectTimeout=5", "-l", "azureuser", node.ip, "--", "true"], { encoding: "utf8" });
    return result.status === 0;
  });
}

function clusterBody(key, pools = [{ name: "nodepool1", count: 2, mode: "System", osType: "Linux", vmSize: "Standard_DS2_v2" }]) {
  const body = { location: "westus2", dnsPrefix: "js", agentPoolProfiles: pools };
  if (key) body.linuxProfile = { adminUsername: "azureuser", ssh: { publicKeys: [{ keyData: key }] } };
  return body;
}

async function expectRefused(promise, code, what) {
  await assert.rejects(promise, (error) => {
    assert.equal(error.statusCode, 400, `${what}: ${error.message}`);
    assert.equal(error.code, code, `${what}: ${error.message}`);
    return true;
  }, what);
}

try {
  await groups.resourceGroups.createOrUpdate(rg, { location: "westus2" });
  const a = newKey("a"), b = newKey("b");

  // Create with key A; ssh with it.
  const created = await aks.managedClusters.createOrUpdate(rg, "c1", clusterBody(a.publicKey));
  assert.equal(created.provisioningState, "Succeeded");
  assert.equal(created.linuxProfile.ssh.publicKeys[0].keyData, a.publicKey);
  let pool = await nodes("c1", "nodepool1");
  assert.equal(pool.length, 2);
  assert.ok(sshWorks(pool, a), "key A logs into every node after create");

  // Rotate to key B: the model changes, running nodes keep A until a node image upgrade.
  const current = await aks.managedClusters.get(rg, "c1");
  current.linuxProfile.ssh.publicKeys = [{ keyData: b.publicKey }];
  const rotated = await aks.managedClusters.createOrUpdate(rg, "c1", current);
  assert.equal(rotated.linuxProfile.ssh.publicKeys[0].keyData, b.publicKey);
  pool = await nodes("c1", "nodepool1");
  assert.ok(pool.every((node) => node.latest === false), "nodes pending the upgrade");
  assert.ok(sshWorks(pool, a), "the old key still works before the upgrade");
  assert.ok(!sshWorks(pool, b), "the new key does not work before the upgrade");

  await aks.agentPools.upgradeNodeImageVersion(rg, "c1", "nodepool1");
  pool = await nodes("c1", "nodepool1");
  assert.ok(pool.every((node) => node.latest === true), "every node on the latest model");
  assert.ok(sshWorks(pool, b), "the new key works after the upgrade");
  assert.ok(!sshWorks(pool, a), "the old key no longer works");

  // A pool with SSH disabled: its nodes let nobody in.
  const locked = await aks.agentPools.createOrUpdate(rg, "c1", "locked",
    { count: 1, mode: "User", osType: "Linux", securityProfile: { sshAccess: "Disabled" } });
  assert.equal(locked.securityProfile.sshAccess, "Disabled");
  assert.ok(!sshWorks(await nodes("c1", "locked"), b), "no login on a Disabled pool");

  // Bad keys are refused before anything is created.
  await expectRefused(aks.managedClusters.createOrUpdate(rg, "bad", clusterBody("ssh-dss AAAAB3NzaC1kc3MAAACBAP")),
    "InvalidParameter", "a DSA key");
  await expectRefused(aks.managedClusters.createOrUpdate(rg, "bad", clusterBody("not a key")),
    "InvalidParameter", "text that is no key");
  await expectRefused(aks.agentPools.createOrUpdate(rg, "c1", "win", { count: 1, mode: "User", osType: "Windows" }),
    "InvalidParameter", "a Windows pool");

  // A cluster without a key: none is shown, and no key of ours gets in.
  const keyless = await aks.managedClusters.createOrUpdate(rg, "c2", clusterBody(undefined,
    [{ name: "nodepool1", count: 1, mode: "System", osType: "Linux" }]));
  assert.equal(keyless.linuxProfile, undefined);
  const keylessNodes = await nodes("c2", "nodepool1");
  assert.ok(!sshWorks(keylessNodes, a) && !sshWorks(keylessNodes, b), "no key gets into a keyless cluster");

  // Lists.
  const names = [];
  for await (const cluster of aks.managedClusters.listByResourceGroup(rg)) names.push(cluster.name);
  assert.deepEqual(names.sort(), ["c1", "c2"]);
  const all = [];
  for await (const cluster of aks.managedClusters.list()) all.push(cluster.name);
  assert.deepEqual(all.sort(), ["c1", "c2"]);
  const pools = [];
  for await (const p of aks.agentPools.list(rg, "c1")) pools.push(p.name);
  assert.deepEqual(pools.sort(), ["locked", "nodepool1"]);

  // Deletes.
  await aks.agentPools.delete(rg, "c1", "locked");
  await aks.managedClusters.delete(rg, "c1");
  await aks.managedClusters.delete(rg, "c2");
  const left = [];
  for await (const cluster of aks.managedClusters.list()) left.push(cluster.name);
  assert.deepEqual(left, []);
  await groups.resourceGroups.delete(rg);
  console.log("JavaScript SDK (@azure/arm-containerservice 25.5.0, default api-versions): the seed page's flow on real nodes: ok");
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
