#!/usr/bin/env bash
# Azure RBAC with the unmodified Azure CLI 2.45: `az ad sp create-for-rbac` makes an identity
# through Gangplank's Microsoft Graph; it signs in with the secret az printed and can do nothing;
# Reader on the group lets it `az aks show` but not `az aks update` (a PUT of the cluster: az
# 2.45's own `update` has no --ssh-key-value, the aks-preview suite sends that one) nor
# `az aks get-credentials` (ARM's AuthorizationFailed); Contributor lets the update through;
# `az role assignment delete --ids` takes it away from the next request on.
# Assignments are made with `az rest` (Debian's az 2.45 cannot run `az role assignment create`:
# see the reference notes in docs/security.md). Usage: az_rbac_test.sh PATH_TO_GANGPLANKD
gangplankd_args=(--nodes simulated)
source "$(dirname "$0")/lib.sh"
start_gangplankd "$1"
az_login_with_graph
az group create -n rg1 -l westus2 -o none
ssh-keygen -q -t ed25519 -N '' -C rbac-test -f "$work/id_ed25519"
az aks create -g rg1 -n c1 --ssh-key-value "$work/id_ed25519.pub" --node-count 1 -o none || fail "aks create"

az ad sp create-for-rbac --name ci-deployer >"$work/sp.json" 2>"$work/sp.err" || fail "create-for-rbac: $(cat "$work/sp.err")"
app=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["appId"])' "$work/sp.json")
password=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["password"])' "$work/sp.json")
expect_eq "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["displayName"])' "$work/sp.json")" \
  "ci-deployer" "create-for-rbac displayName"
object_id=$(az ad sp show --id "$app" --query id -o tsv)
[ -n "$object_id" ] || fail "az ad sp show"
expect_eq "$(az ad sp list --display-name ci-deployer --query 'length(@)' -o tsv)" "1" "az ad sp list"
expect_eq "$(az ad app show --id "$app" --query displayName -o tsv)" "ci-deployer" "az ad app show"
expect_eq "$(az ad app list --display-name ci-deployer --query 'length(@)' -o tsv)" "1" "az ad app list"
expect_eq "$(az ad app credential list --id "$app" --query 'length(@)' -o tsv)" "1" "az ad app credential list"
if az ad app show --id api://no-such-app >"$work/out" 2>&1; then fail "az ad app show of an unknown URI"; fi
grep -q "doesn't exist" "$work/out" || fail "unknown URI: $(cat "$work/out")"

# Assigns ROLE (a built-in role's GUID) at SCOPE to the identity (or to PRINCIPAL of TYPE), as
# the SDKs do; prints its id.
assign() {
  local id="$2/providers/Microsoft.Authorization/roleAssignments/$(python3 -c 'import uuid; print(uuid.uuid4())')"
  az rest --method put --url "$base$id?api-version=2020-04-01-preview" --body \
    "{\"properties\": {\"roleDefinitionId\": \"/subscriptions/$sub/providers/Microsoft.Authorization/roleDefinitions/$1\", \"principalId\": \"${3:-$object_id}\", \"principalType\": \"${4:-ServicePrincipal}\"}}" \
    --query id -o tsv || fail "role assignment $1 at $2"
}
group="/subscriptions/$sub/resourceGroups/rg1"

# The identity in a CLI of its own.
as_sp() { AZURE_CONFIG_DIR="$work/az-sp" az "$@"; }
as_sp cloud register -n gangplank-test --endpoint-resource-manager "$base/" >/dev/null
as_sp cloud set -n gangplank-test >/dev/null
as_sp login --service-principal -u "$app" -p "$password" --tenant adfs >/dev/null || fail "az login as the new identity"
if as_sp aks show -g rg1 -n c1 >"$work/out" 2>&1; then fail "aks show without a role succeeded"; fi
grep -q "AuthorizationFailed" "$work/out" || fail "aks show without a role: $(cat "$work/out")"
grep -q "with object id '$object_id'" "$work/out" || fail "the 403 names the identity: $(cat "$work/out")"

assign acdd72a7-3385-48ef-bd42-f606fba81ae7 "$group" >/dev/null  # Reader
expect_eq "$(as_sp aks show -g rg1 -n c1 --query provisioningState -o tsv)" "Succeeded" "aks show as Reader"
if as_sp aks update -g rg1 -n c1 --tags owner=ci -o none >"$work/out" 2>&1; then
  fail "aks update as Reader succeeded"
fi
grep -q "AuthorizationFailed" "$work/out" || fail "aks update as Reader: $(cat "$work/out")"
if as_sp aks get-credentials -g rg1 -n c1 --file "$work/kubeconfig" >"$work/out" 2>&1; then
  fail "aks get-credentials as Reader succeeded"
fi
grep -q "listClusterUserCredential" "$work/out" || fail "get-credentials as Reader: $(cat "$work/out")"

contributor=$(assign b24988ac-6180-42a0-ab88-20f7382dd24c "$group")
as_sp aks update -g rg1 -n c1 --tags owner=ci -o none || fail "aks update as Contributor"
expect_eq "$(az aks show -g rg1 -n c1 --query tags.owner -o tsv)" "ci" "the tag the identity set"

az role assignment delete --ids "$contributor" || fail "az role assignment delete --ids"
if as_sp aks update -g rg1 -n c1 --tags owner=nobody -o none >"$work/out" 2>&1; then
  fail "aks update after the Contributor assignment was deleted succeeded"
fi
grep -q "AuthorizationFailed" "$work/out" || fail "after delete: $(cat "$work/out")"
# The activity log as az reads it: the identity's updates, refused and accepted, by caller.
az monitor activity-log list -g rg1 --offset 1h --caller "$app" \
  --query '[].[operationName.value, status.value, subStatus.value]' -o tsv >"$work/events" ||
  fail "az monitor activity-log list"
write=Microsoft.ContainerService/managedClusters/write
expect_eq "$(grep -c "^$write	Failed	Forbidden$" "$work/events")" "2" "refused updates in the log: $(cat "$work/events")"
expect_eq "$(grep -c "^$write	Accepted	" "$work/events")" "1" "accepted update in the log: $(cat "$work/events")"
expect_eq "$(grep -c "^$write	Succeeded	" "$work/events")" "1" "the update's end in the log: $(cat "$work/events")"
expect_eq "$(az monitor activity-log list -g rg1 --offset 1h --status Failed --query 'length(@)' -o tsv)" "3" \
  "failed events of rg1 (two refused updates, the get-credentials)"
# create-for-rbac again: the same identity with a new secret; the old one opens nothing.
az ad sp create-for-rbac --name ci-deployer >"$work/sp2.json" 2>"$work/sp2.err" || fail "create-for-rbac again: $(cat "$work/sp2.err")"
expect_eq "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["appId"])' "$work/sp2.json")" "$app" "the same app"
rotated=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["password"])' "$work/sp2.json")
[ "$rotated" != "$password" ] || fail "create-for-rbac again kept the secret"
if as_sp login --service-principal -u "$app" -p "$password" --tenant adfs >"$work/out" 2>&1; then
  fail "the old secret still signs in"
fi
as_sp login --service-principal -u "$app" -p "$rotated" --tenant adfs >/dev/null || fail "the new secret"

# A person: az ad user create, then az login -u -p (without --tenant, so az lists /tenants first).
az ad user create --display-name Ada --user-principal-name ada@gangplank.test \
  --password 'Correct-Horse-9' -o none || fail "az ad user create"
ada=$(az ad user show --id ada@gangplank.test --query id -o tsv)
[ -n "$ada" ] || fail "az ad user show"
as_ada() { AZURE_CONFIG_DIR="$work/az-ada" az "$@"; }
as_ada cloud register -n gangplank-test --endpoint-resource-manager "$base/" >/dev/null
as_ada cloud set -n gangplank-test >/dev/null
if as_ada login -u ada@gangplank.test -p 'Wrong-Horse-1' >"$work/out" 2>&1; then fail "login with a wrong password"; fi
grep -q "Invalid credentials" "$work/out" || fail "wrong password: $(cat "$work/out")"
as_ada login -u ada@gangplank.test -p 'Correct-Horse-9' >/dev/null || fail "az login -u -p"
expect_eq "$(as_ada account show --query user.name -o tsv)" "ada@gangplank.test" "az account show names her"
expect_eq "$(as_ada account show --query user.type -o tsv)" "user" "az account show: a user"
assign acdd72a7-3385-48ef-bd42-f606fba81ae7 "$group" "$ada" User >/dev/null
expect_eq "$(as_ada aks show -g rg1 -n c1 --query name -o tsv)" "c1" "aks show as Ada (Reader)"

# Groups: a role assigned to a group is held by its members (az ad group ... as az 2.45 sends it).
az ad group create --display-name node-admins --mail-nickname node-admins -o none || fail "az ad group create"
admins=$(az ad group show --group node-admins --query id -o tsv)
[ -n "$admins" ] || fail "az ad group show"
az ad group member add --group node-admins --member-id "$ada" || fail "az ad group member add"
expect_eq "$(az ad group member list --group node-admins --query '[].userPrincipalName' -o tsv)" \
  "ada@gangplank.test" "az ad group member list"
expect_eq "$(az ad group member check --group node-admins --member-id "$ada" --query value -o tsv)" "true" \
  "az ad group member check"
if as_ada aks update -g rg1 -n c1 --tags owner=ada -o none >"$work/out" 2>&1; then fail "aks update as Ada (Reader)"; fi
assign b24988ac-6180-42a0-ab88-20f7382dd24c "$group" "$admins" Group >/dev/null  # Contributor, to the group
as_ada aks update -g rg1 -n c1 --tags owner=ada -o none || fail "aks update as a member of node-admins"
az ad group member remove --group node-admins --member-id "$ada" || fail "az ad group member remove"
if as_ada aks update -g rg1 -n c1 --tags owner=nobody -o none >"$work/out" 2>&1; then
  fail "aks update after Ada left node-admins"
fi

# az login --use-device-code: az prints the page and a code; the person signs in there (here with
# curl, as a browser posts the form); az collects the tokens.
as_dev() { AZURE_CONFIG_DIR="$work/az-dev" az "$@"; }
as_dev cloud register -n gangplank-test --endpoint-resource-manager "$base/" >/dev/null
as_dev cloud set -n gangplank-test >/dev/null
as_dev login --use-device-code >"$work/device.out" 2>"$work/device.err" &
device_pid=$!
for _ in $(seq 1 100); do grep -q "enter the code" "$work/device.err" && break; sleep 0.1; done
code=$(grep -o 'enter the code [A-Z-]*' "$work/device.err" | awk '{print $4}')
page=$(grep -o 'https://[^ ]*/adfs/oauth2/deviceauth' "$work/device.err")
[ -n "$code" ] && [ -n "$page" ] || { kill "$device_pid"; fail "az login --use-device-code printed: $(cat "$work/device.err")"; }
curl -sS --cacert "$work/data/tls/ca.crt" "$page" | grep -q 'name="user_code"' || { kill "$device_pid"; fail "the sign-in page"; }
curl -sS --cacert "$work/data/tls/ca.crt" -o "$work/approved.html" --data-urlencode "user_code=$code" \
  --data-urlencode "username=ada@gangplank.test" --data-urlencode "password=Correct-Horse-9" "$page"
grep -q "signed in as ada@gangplank.test" "$work/approved.html" || { kill "$device_pid"; fail "approval: $(cat "$work/approved.html")"; }
for _ in $(seq 1 150); do kill -0 "$device_pid" 2>/dev/null || break; sleep 0.1; done
if kill -0 "$device_pid" 2>/dev/null; then kill "$device_pid"; fail "az login --use-device-code did not finish"; fi
wait "$device_pid" || fail "az login --use-device-code: $(cat "$work/device.err")"
expect_eq "$(as_dev account show --query user.name -o tsv)" "ada@gangplank.test" "signed in by device code"
expect_eq "$(as_dev aks show -g rg1 -n c1 --query name -o tsv)" "c1" "aks show after a device-code sign-in"
echo "az CLI: create-for-rbac, sign-in, Reader, Contributor, assignment deleted, activity log, a person, groups, device code: ok"
