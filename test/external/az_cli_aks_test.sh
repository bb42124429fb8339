#!/usr/bin/env bash
# The unmodified Azure CLI 2.45 driving managed clusters and node pools on a real gangplankd:
# create with --ssh-key-value (file and contents) and --no-ssh-key, show, list, scale,
# get-credentials then kubectl get nodes on the cluster's Kubernetes view,
# nodepool add/list/show/upgrade/delete, delete, and --no-wait variants.
# Usage: az_cli_aks_test.sh PATH_TO_GANGPLANKD
source "$(dirname "$0")/lib.sh"
start_gangplankd "$1"
az_login
az group create -n rg1 -l westus2 -o none

ssh-keygen -q -t ed25519 -N '' -C aks-test -f "$work/id_ed25519"
key=$(cat "$work/id_ed25519.pub")
key="${key% aks-test}"

# --ssh-key-value with a file path.
az aks create -g rg1 -n c1 --ssh-key-value "$work/id_ed25519.pub" --node-count 2 -o none || fail "aks create (file)"
expect_eq "$(az aks show -g rg1 -n c1 --query provisioningState -o tsv)" "Succeeded" "aks show state"
got=$(az aks show -g rg1 -n c1 --query 'linuxProfile.ssh.publicKeys[0].keyData' -o tsv)
expect_eq "${got% aks-test}" "$key" "aks show keyData"
expect_eq "$(az aks show -g rg1 -n c1 --query 'agentPoolProfiles[0].count' -o tsv)" "2" "node count"

# The machines extension API, through az rest: one record per node, on the latest model.
sub=$(az account show --query id -o tsv)
machines="https://127.0.0.1:$port/subscriptions/$sub/resourceGroups/rg1/providers/Microsoft.ContainerService/managedClusters/c1/agentPools/nodepool1/machines?api-version=2024-07-01"
expect_eq "$(az rest --method get --url "$machines" --query 'length(value)' -o tsv)" "2" "machines"
expect_eq "$(az rest --method get --url "$machines" --query 'value[0].properties.latestModelApplied' -o tsv)" "true" \
  "machine on the latest model"

# az aks get-credentials, then the real kubectl against the cluster's read-only Kubernetes view:
# every machine with its address, node image and SSH model; anything but nodes refused clearly.
az aks get-credentials -g rg1 -n c1 --file "$work/kubeconfig" -o none || fail "aks get-credentials"
kube() { kubectl --kubeconfig "$work/kubeconfig" --request-timeout=20s "$@"; }
kube get nodes -o wide >"$work/nodes" 2>&1 || fail "kubectl get nodes: $(cat "$work/nodes")"
expect_eq "$(grep -c ' Ready ' "$work/nodes")" "2" "kubectl: both nodes Ready"
for address in $(az rest --method get --url "$machines" --query 'value[].properties.network.ipAddresses[0].ip' -o tsv); do
  grep -q " $address " "$work/nodes" || fail "kubectl get nodes -o wide lacks $address: $(cat "$work/nodes")"
done
grep -q "AKSUbuntu-" "$work/nodes" || fail "kubectl shows no node image: $(cat "$work/nodes")"
first=$(kube get nodes -o jsonpath='{.items[0].metadata.name}')
expect_eq "$(kube get node "$first" -o jsonpath='{.metadata.annotations.gangplank\.io/latest-ssh-model-applied}')" \
  "true" "kubectl: the latest SSH model is applied"
expect_eq "$(kube get nodes -l agentpool=nodepool1 -o name | wc -l)" "2" "kubectl: pool label"
if kube get pods >"$work/pods" 2>&1; then fail "kubectl get pods succeeded"; fi
grep -q 'resource type "pods"' "$work/pods" || fail "kubectl get pods: $(cat "$work/pods")"
# What kubectl does not show: the view's own answer, a Kubernetes Status saying why.
server=$(kube config view -o jsonpath='{.clusters[0].cluster.server}')
token=$(kube config view --raw -o jsonpath='{.users[0].user.token}')
curl -s --cacert "$work/data/tls/ca.crt" -H "Authorization: Bearer $token" \
  "$server/api/v1/namespaces/default/pods" >"$work/status"
expect_eq "$(jq -r '.kind + " " + (.code|tostring)' "$work/status")" "Status 404" "pods Status"
grep -q "serves nodes only" "$work/status" || fail "pods Status message: $(cat "$work/status")"
if kube delete node "$first" >"$work/delete" 2>&1; then fail "a node was deleted through the view"; fi
az aks get-credentials -g rg1 -n c1 --admin --file "$work/admin" -o none || fail "get-credentials --admin"
expect_eq "$(kubectl --kubeconfig "$work/admin" config current-context)" "c1-admin" "admin context"
sed -i 's/token: .*/token: forged/' "$work/admin"
if kubectl --kubeconfig "$work/admin" get nodes >"$work/forged" 2>&1; then fail "a forged token was accepted"; fi
grep -qi "unauthorized" "$work/forged" || fail "forged token error: $(cat "$work/forged")"
# az aks rotate-certs: every kubeconfig issued before stops working; new ones work.
az aks get-credentials -g rg1 -n c1 --admin --file "$work/admin" -o none --overwrite-existing \
  || fail "get-credentials --admin again"
[ "$(kube config view --raw -o jsonpath='{.users[0].user.token}')" != \
  "$(kubectl --kubeconfig "$work/admin" config view --raw -o jsonpath='{.users[0].user.token}')" ] \
  || fail "the user and admin kubeconfigs carry the same token"
az aks rotate-certs -g rg1 -n c1 --yes -o none || fail "aks rotate-certs"
expect_eq "$(az aks show -g rg1 -n c1 --query provisioningState -o tsv)" "Succeeded" "rotated"
for config in "$work/kubeconfig" "$work/admin"; do
  if kubectl --kubeconfig "$config" get nodes >"$work/revoked" 2>&1; then
    fail "a kubeconfig from before the rotation still works ($config)"
  fi
  grep -qi "unauthorized" "$work/revoked" || fail "revoked token error: $(cat "$work/revoked")"
done
az aks get-credentials -g rg1 -n c1 --file "$work/kubeconfig" -o none --overwrite-existing \
  || fail "get-credentials after the rotation"
expect_eq "$(kube get nodes -o name | wc -l)" "2" "kubectl with the new credential"

# --ssh-key-value with the key contents, and --no-wait then polling with show.
az aks create -g rg1 -n c2 --ssh-key-value "$(cat "$work/id_ed25519.pub")" --node-count 1 --no-wait -o none \
  || fail "aks create --no-wait (contents)"
wait_for_output 300 Succeeded az aks show -g rg1 -n c2 --query provisioningState -o tsv
expect_eq "$(az aks show -g rg1 -n c2 --query provisioningState -o tsv)" "Succeeded" "no-wait create finished"

# --no-ssh-key: no linux profile is shown.
az aks create -g rg1 -n c3 --no-ssh-key --node-count 1 -o none || fail "aks create --no-ssh-key"
expect_eq "$(az aks show -g rg1 -n c3 --query 'linuxProfile' -o tsv)" "" "no-ssh-key has no linuxProfile"

expect_eq "$(az aks list --query 'length(@)' -o tsv)" "3" "aks list"
expect_eq "$(az aks list -g rg1 --query 'length(@)' -o tsv)" "3" "aks list -g"

# Scale is a GET and a full PUT.
expect_eq "$(az aks scale -g rg1 -n c1 --node-count 4 --query 'agentPoolProfiles[0].count' -o tsv)" "4" "aks scale"

# Node pools.
az aks nodepool add -g rg1 --cluster-name c1 -n pool2 --node-count 2 --os-sku Mariner -o none || fail "nodepool add"
expect_eq "$(az aks nodepool list -g rg1 --cluster-name c1 --query 'length(@)' -o tsv)" "2" "nodepool list"
expect_eq "$(az aks nodepool show -g rg1 --cluster-name c1 -n pool2 --query osSku -o tsv)" "Mariner" "nodepool show"
az aks nodepool upgrade -g rg1 --cluster-name c1 -n pool2 --node-image-only -o none || fail "nodepool upgrade"
expect_eq "$(az aks nodepool show -g rg1 --cluster-name c1 -n pool2 --query provisioningState -o tsv)" "Succeeded" \
  "after node image upgrade"
az aks nodepool upgrade -g rg1 --cluster-name c1 -n nodepool1 --node-image-only --no-wait -o none \
  || fail "nodepool upgrade --no-wait"
wait_for_output 300 Succeeded \
  az aks nodepool show -g rg1 --cluster-name c1 -n nodepool1 --query provisioningState -o tsv
az aks nodepool delete -g rg1 --cluster-name c1 -n pool2 -o none || fail "nodepool delete"
expect_eq "$(az aks nodepool list -g rg1 --cluster-name c1 --query 'length(@)' -o tsv)" "1" "after nodepool delete"

# A bad key is refused by the server with the key's problem, and nothing is created.
if az aks create -g rg1 -n bad --ssh-key-value "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAAAgQC9 x" -o none >"$work/out" 2>&1; then
  fail "a truncated RSA key was accepted"
fi
grep -q "linuxProfile.ssh.publicKeys\[0\].keyData" "$work/out" || fail "bad key message: $(cat "$work/out")"
expect_eq "$(az aks list --query 'length(@)' -o tsv)" "3" "nothing created by the bad request"

# Delete, waiting and not waiting.
az aks delete -g rg1 -n c1 --yes || fail "aks delete"
az aks delete -g rg1 -n c2 --yes --no-wait || fail "aks delete --no-wait"
az aks delete -g rg1 -n c3 --yes || fail "aks delete c3"
wait_for_output 300 0 az aks list --query 'length(@)' -o tsv
expect_eq "$(az aks list --query 'length(@)' -o tsv)" "0" "all clusters deleted"
echo "az CLI: aks create/show/list/scale/delete and nodepool add/list/show/upgrade/delete: ok"
