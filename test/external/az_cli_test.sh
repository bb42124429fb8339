#!/usr/bin/env bash
# The unmodified Azure CLI (Debian's azure-cli 2.45) against a real gangplankd: cloud register,
# service-principal login, and resource groups. Usage: az_cli_test.sh PATH_TO_GANGPLANKD
source "$(dirname "$0")/lib.sh"
start_gangplankd "$1"
az_login
expect_eq "$(az account show --query id -o tsv)" "$(field subscriptionId)" "az account show"

expect_eq "$(az group create -n rg1 -l westus2 --tags team=ops --query name -o tsv)" "rg1" "group create"
expect_eq "$(az group show -n RG1 --query tags.team -o tsv)" "ops" "group show (other case)"
expect_eq "$(az group list --query 'length(@)' -o tsv)" "1" "group list"
expect_eq "$(az group exists -n rg1)" "true" "group exists"
az group delete -n rg1 --yes >/dev/null
expect_eq "$(az group exists -n rg1)" "false" "group exists after delete"
if az group show -n rg1 >"$work/out" 2>&1; then fail "group show after delete succeeded"; fi
grep -q ResourceGroupNotFound "$work/out" || fail "group show after delete: $(cat "$work/out")"

# A wrong secret is refused by the token endpoint.
if az login --service-principal -u "$(field clientId)" -p wrong --tenant adfs >"$work/out" 2>&1; then
  fail "login with a wrong secret succeeded"
fi
grep -q "unknown client or wrong secret" "$work/out" || fail "wrong secret: $(cat "$work/out")"
echo "az CLI: cloud register, login, group create/show/list/exists/delete: ok"
