#!/usr/bin/env bash
# kill -9 of the replica that runs a node image upgrade: another replica takes the operation over
# when its lease lapses and finishes it; no node is lost or doubled, no process is left.
# Three replicas on one PostgreSQL behind HAProxy, real nodes (root), the unmodified az CLI.
# Usage: replica_takeover_test.sh PATH_TO_GANGPLANKD
export GANGPLANK_TEST_REPLICAS=3
source "$(dirname "$0")/lib.sh"
[ "$(id -u)" = 0 ] || fail "real nodes need root"
start_gangplankd "$1"
az_login
az group create -n rg1 -l westus2 -o none
ssh-keygen -q -t ed25519 -N '' -C takeover -f "$work/id_ed25519"
nodes=6
az aks create -g rg1 -n c1 --ssh-key-value "$work/id_ed25519.pub" --node-count "$nodes" -o none \
  || fail "aks create"

# A new node image, published once into the catalog the replicas share (in the store).
image=AKSUbuntu-2204gen2containerd-209912.01.0
"$gangplankd_bin" node-image publish --store "$(cat "$work/pg.uri")" --data-dir "$work/data" \
  --os-sku Ubuntu --version "$image" >/dev/null || fail "node-image publish"
# One node at a time, so the upgrade runs long enough to be cut in the middle.
az aks nodepool update -g rg1 --cluster-name c1 -n nodepool1 --max-surge 1 -o none \
  || fail "nodepool update --max-surge"
az aks nodepool upgrade -g rg1 --cluster-name c1 -n nodepool1 --node-image-only --no-wait -o none \
  || fail "nodepool upgrade"

# Which replica holds the upgrade's lease: the owner field names host:pid:port.
psql_q() { psql -qAt -d "$(cat "$work/pg.uri")" -c "$1"; }
owner_of_upgrade() {
  psql_q "SELECT body::json->'work'->>'owner' FROM resources WHERE kind = 'operation'
          AND body::json->'work'->>'type' = 'UpgradeNodeImageVersion'
          AND body::json->>'status' = 'InProgress'"
}
progress_of_upgrade() {
  psql_q "SELECT COALESCE(body::json->>'percentComplete', '0') FROM resources WHERE kind = 'operation'
          AND body::json->'work'->>'type' = 'UpgradeNodeImageVersion'"
}
owner=
for _ in $(seq 200); do
  owner=$(owner_of_upgrade)
  [ -n "$owner" ] && [ "$(progress_of_upgrade)" -gt 0 ] && break
  sleep 0.05
done
[ -n "$owner" ] || fail "no replica took the upgrade"
victim=$(echo "$owner" | cut -d: -f2)
before=$(progress_of_upgrade)
kill -9 "$victim"
killed_at=$(date +%s.%N)
# Another replica takes it over once the lease lapses, and makes progress.
taken=
for _ in $(seq 600); do
  now_owner=$(owner_of_upgrade)
  if [ -n "$now_owner" ] && [ "$now_owner" != "$owner" ] && [ "$(progress_of_upgrade)" -gt "$before" ]; then
    taken=$(date +%s.%N)
    break
  fi
  [ -z "$now_owner" ] && [ "$(progress_of_upgrade)" = 100 ] && { taken=$(date +%s.%N); break; }
  sleep 0.05
done
[ -n "$taken" ] || fail "no replica took the upgrade over after kill -9 of $owner"
echo "takeover: progress again $(python3 -c "print(round($taken - $killed_at, 2))") s after kill -9 (lease 6 s)"

az aks wait -g rg1 -n c1 --custom "agentPoolProfiles[0].provisioningState=='Succeeded'" --timeout 300 \
  || fail "the upgrade did not finish after the takeover"
expect_eq "$(az aks nodepool show -g rg1 --cluster-name c1 -n nodepool1 --query nodeImageVersion -o tsv)" \
  "$image" "node image after the takeover"
# Every node once: as many machines, node directories and containers as the pool's count.
sub=$(az account show --query id -o tsv)
machines="https://127.0.0.1:$port/subscriptions/$sub/resourceGroups/rg1/providers/Microsoft.ContainerService/managedClusters/c1/agentPools/nodepool1/machines?api-version=2024-07-01"
expect_eq "$(az rest --method get --url "$machines" --query 'length(value)' -o tsv)" "$nodes" "machines"
expect_eq "$(find "$nodes_dir" -mindepth 1 -maxdepth 1 -type d -name '*-*-*-*-*' | wc -l)" "$nodes" "node directories"
expect_eq "$(running_nodes)" "$nodes" "node containers running"
az aks delete -g rg1 -n c1 --yes -o none || fail "aks delete"
expect_eq "$(find "$nodes_dir" -mindepth 1 -maxdepth 1 -type d -name '*-*-*-*-*' 2>/dev/null | wc -l)" "0" "nodes left"
expect_eq "$(running_nodes)" "0" "node containers left"
echo "replicas: kill -9 of the replica running a node image upgrade, another finishes it: ok"
