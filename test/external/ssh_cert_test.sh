#!/usr/bin/env bash
# SSH certificates as az ssh asks for them (through MSAL, as ssh_cert_client.py does) from a real
# gangplankd: an identity without a machine login role gets none; with Virtual Machine User Login
# it gets one that ssh-keygen -L reads as a user certificate naming it; without the role again, no
# new one. (That a real sshd trusting the CA takes such a certificate is SshdLoginTest's, which
# starts sshd through the product's own check.) Usage: ssh_cert_test.sh PATH_TO_GANGPLANKD
gangplankd_args=(--nodes simulated)
source "$(dirname "$0")/lib.sh"
start_gangplankd "$1"
az_login_with_graph
az ad sp create-for-rbac --name ssh-user >"$work/sp.json" 2>/dev/null || fail "create-for-rbac"
app=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["appId"])' "$work/sp.json")
secret=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["password"])' "$work/sp.json")
oid=$(az ad sp show --id "$app" --query id -o tsv)
ssh-keygen -q -t rsa -b 3072 -N '' -C az-ssh -f "$work/id_rsa"
certificate() { REQUESTS_CA_BUNDLE="$work/data/tls/ca.crt" /usr/bin/python3 "$(dirname "$0")/ssh_cert_client.py" \
  "$base/adfs" "$app" "$secret" "$work/id_rsa.pub" "$work/id_rsa-cert.pub"; }

if certificate 2>"$work/err"; then fail "a certificate without a login role"; fi
grep -q "unauthorized_client" "$work/err" || fail "refusal: $(cat "$work/err")"
assignment="/subscriptions/$sub/providers/Microsoft.Authorization/roleAssignments/$(python3 -c 'import uuid; print(uuid.uuid4())')"
az rest --method put --url "$base$assignment?api-version=2022-04-01" --body \
  "{\"properties\": {\"roleDefinitionId\": \"/subscriptions/$sub/providers/Microsoft.Authorization/roleDefinitions/fb879df8-f326-4884-b1cf-06f3ad86be52\", \"principalId\": \"$oid\", \"principalType\": \"ServicePrincipal\"}}" \
  -o none || fail "Virtual Machine User Login"
certificate 2>"$work/err" || fail "certificate: $(cat "$work/err")"
ssh-keygen -L -f "$work/id_rsa-cert.pub" >"$work/listed" || fail "ssh-keygen -L"
grep -q "user certificate" "$work/listed" || fail "not a user certificate: $(cat "$work/listed")"
grep -q "Key ID: \"$oid@adfs\"" "$work/listed" || fail "key id: $(cat "$work/listed")"
principal=$(echo "$app" | tr 'A-Z' 'a-z')
grep -qx "                $principal" "$work/listed" || fail "principal: $(cat "$work/listed")"
# Signed by the control plane's user CA (on replicas, the one they share).
ca_url="$base/subscriptions/$sub/providers/Gangplank.Ssh/userCertificateAuthority"
signing_ca() { az rest --method get --url "$ca_url" \
  --query "properties.generations[?state=='Signing'].fingerprint | [0]" -o tsv; }
ca=$(signing_ca)
grep -q "Signing CA: ED25519 $ca" "$work/listed" || fail "CA $ca: $(cat "$work/listed")"

# gangplank login --az-cloud: an az configuration whose active cloud az ssh accepts (named
# azurecloud), pointing at this server; the real az logs in with it, and the authority it reads
# issues the certificate.
gangplank="$(dirname "$1")/gangplank"
HOME="$work/home" "$gangplank" login --data-dir "$work/data" --az-cloud 2>"$work/login" \
  || fail "gangplank login --az-cloud: $(cat "$work/login")"
grep -q "AZURE_CONFIG_DIR=$work/home/.config/gangplank/az" "$work/login" || fail "login: $(cat "$work/login")"
grep -q "$(field clientSecret)" "$work/login" && fail "the login printed the secret"
azdir="$work/home/.config/gangplank/az"
AZURE_CONFIG_DIR="$azdir" az login --service-principal -u "$app" -p "$secret" --tenant adfs >/dev/null \
  || fail "az login with the --az-cloud configuration"
authority=$(AZURE_CONFIG_DIR="$azdir" /usr/bin/python3 -c '
from azure.cli.core import get_default_cli
from azure.cli.core.cloud import get_active_cloud
cloud = get_active_cloud(get_default_cli())
assert cloud.name.lower() == "azurecloud", cloud.name  # what az ssh checks before anything
print(cloud.endpoints.active_directory)') || fail "the active cloud"
[ "$authority" = "$base/adfs" ] || fail "authority $authority"
REQUESTS_CA_BUNDLE="$work/data/tls/ca.crt" /usr/bin/python3 "$(dirname "$0")/ssh_cert_client.py" \
  "$authority" "$app" "$secret" "$work/id_rsa.pub" "$work/id_rsa-cert.pub" 2>"$work/err" \
  || fail "certificate through the az configuration's authority: $(cat "$work/err")"

# A CA rotation with the CLI: add a next CA, switch to it, drop the old one; certificates are
# signed by the new one from the switch on.
for step in "ssh-ca add" "ssh-ca switch" "ssh-ca drop --generation 1"; do
  HOME="$work/home" "$gangplank" $step -o none 2>"$work/err" || fail "gangplank $step: $(cat "$work/err")"
done
new_ca=$(signing_ca)
[ -n "$new_ca" ] && [ "$new_ca" != "$ca" ] || fail "the signing CA after the switch: $new_ca"
[ "$(az rest --method get --url "$ca_url" --query "length(properties.generations)")" = 1 ] \
  || fail "generation 1 still listed after the drop"
certificate 2>"$work/err" || fail "certificate after the rotation: $(cat "$work/err")"
ssh-keygen -L -f "$work/id_rsa-cert.pub" >"$work/listed" || fail "ssh-keygen -L"
grep -q "Signing CA: ED25519 $new_ca" "$work/listed" || fail "CA $new_ca: $(cat "$work/listed")"
if HOME="$work/home" "$gangplank" ssh-ca drop --generation 2 -o none 2>"$work/err"; then
  fail "dropped the signing CA"
fi
grep -q "switch to it first" "$work/err" || fail "drop of the signing CA: $(cat "$work/err")"

az rest --method delete --url "$base$assignment?api-version=2022-04-01" -o none || fail "delete assignment"
if certificate 2>"$work/err"; then fail "a certificate after the role was removed"; fi
echo "ssh certificates: refused without a role, issued with one, from the new CA after a rotation, refused again without the role: ok"
