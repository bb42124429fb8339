#!/usr/bin/env bash
# "Manage SSH for secure access to AKS nodes", its az 2.45 command lines as a script: create with
# --generate-ssh-keys, with the key in ~/.ssh taken by default, with --ssh-key-value (a file and
# its contents), with --no-ssh-key; no key at all is "key not found"; a node image upgrade.
# Written for az; runs unchanged with `az` being gangplank. Needs a fresh $HOME and a login.
set -euo pipefail
check() { [ "$1" = "$2" ] || { echo "FAIL: $3: expected '$2', got '$1'" >&2; exit 1; }; }
rg=MyResourceGroup

az group create --name $rg --location westus2 --output none

# No key parameter and no key in ~/.ssh: refused before anything is created.
if az aks create --name noKey --resource-group $rg --output none 2>no-key.err; then
  echo "FAIL: a cluster was created without any key" >&2
  exit 1
fi
grep -qi "key" no-key.err || { echo "FAIL: no-key error: $(cat no-key.err)" >&2; exit 1; }
check "$(az aks list --resource-group $rg --query 'length(@)' --output tsv)" 0 "nothing created"

# --generate-ssh-keys: a key set in ~/.ssh, used for the cluster.
az aks create --name myAKSCluster --resource-group $rg --generate-ssh-keys --node-count 2 --output none
test -f ~/.ssh/id_rsa && test -f ~/.ssh/id_rsa.pub || { echo "FAIL: no key set in ~/.ssh" >&2; exit 1; }
key=$(az aks show --name myAKSCluster --resource-group $rg --query 'linuxProfile.ssh.publicKeys[0].keyData' -o tsv)
check "$(echo "$key" | cut -d' ' -f1-2)" "$(cut -d' ' -f1-2 ~/.ssh/id_rsa.pub)" "the generated key"

# No parameter now that ~/.ssh has a key: that key.
az aks create --name defaultKey --resource-group $rg --node-count 1 --output none
key=$(az aks show --name defaultKey --resource-group $rg --query 'linuxProfile.ssh.publicKeys[0].keyData' -o tsv)
check "$(echo "$key" | cut -d' ' -f1-2)" "$(cut -d' ' -f1-2 ~/.ssh/id_rsa.pub)" "the key in ~/.ssh"

# --ssh-key-value with a file, and with the key itself.
ssh-keygen -q -t ed25519 -N '' -C fromfile -f ./page_key
az aks create --name fromFile --resource-group $rg --ssh-key-value ./page_key.pub --node-count 1 --output none
key=$(az aks show --name fromFile --resource-group $rg --query 'linuxProfile.ssh.publicKeys[0].keyData' -o tsv)
check "$key" "$(cat ./page_key.pub)" "--ssh-key-value FILE"
az aks create --name fromValue --resource-group $rg --ssh-key-value "$(cat ./page_key.pub)" --node-count 1 --output none
key=$(az aks show --name fromValue --resource-group $rg --query 'linuxProfile.ssh.publicKeys[0].keyData' -o tsv)
check "$key" "$(cat ./page_key.pub)" "--ssh-key-value CONTENTS"

# --no-ssh-key: no linux profile is returned.
az aks create --name noSsh --resource-group $rg --no-ssh-key --node-count 1 --output none
check "$(az aks show --name noSsh --resource-group $rg --query linuxProfile --output tsv)" "" "--no-ssh-key"

# A node image upgrade of every pool, waited for.
for pool in $(az aks nodepool list --resource-group $rg --cluster-name myAKSCluster --query '[].name' -o tsv); do
  az aks nodepool upgrade --resource-group $rg --cluster-name myAKSCluster --name "$pool" --node-image-only --output none
  check "$(az aks nodepool show --resource-group $rg --cluster-name myAKSCluster --name "$pool" \
    --query provisioningState --output tsv)" Succeeded "node image upgrade of $pool"
done

check "$(az aks list --resource-group $rg --query 'sort_by(@, &name)[].name' --output tsv | tr '\n' ' ')" \
  "defaultKey fromFile fromValue myAKSCluster noSsh " "aks list"
for name in myAKSCluster defaultKey fromFile fromValue noSsh; do
  az aks delete --name $name --resource-group $rg --yes --no-wait
done
for name in myAKSCluster defaultKey fromFile fromValue noSsh; do
  az aks wait --name $name --resource-group $rg --deleted --interval 1 --timeout 300
done
az group delete --name $rg --yes
echo "ssh page (az 2.45 command lines): ok"
