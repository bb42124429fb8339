#!/usr/bin/env bash
# The page's key rotation, as a script for az ≥ 2.47 or aks-preview (az 2.45 has no
# `aks update --ssh-key-value`): key A at create, update to B (every pool's model), B reaches the
# nodes with a node image upgrade, a new pool takes B, and aks-preview's --ssh-access disables SSH
# on one pool. Written for az; runs unchanged with `az` being gangplank. Needs a login.
set -euo pipefail
check() { [ "$1" = "$2" ] || { echo "FAIL: $3: expected '$2', got '$1'" >&2; exit 1; }; }
rg=rotation-rg
cluster=myAKSCluster

az group create --name $rg --location westus2 --output none
ssh-keygen -q -t ed25519 -N '' -C key-a -f ./key_a
ssh-keygen -q -t rsa -b 3072 -N '' -C key-b -f ./key_b

az aks create --name $cluster --resource-group $rg --ssh-key-value ./key_a.pub --node-count 2 --output none
az aks nodepool add --resource-group $rg --cluster-name $cluster --name pool2 --node-count 1 --mode User \
  --labels team=data --output none

# Update the key: a file path, then the contents, as the page shows both.
az aks update --name $cluster --resource-group $rg --ssh-key-value ./key_b.pub --output none
check "$(az aks show --name $cluster --resource-group $rg --query 'linuxProfile.ssh.publicKeys[0].keyData' -o tsv)" \
  "$(cat ./key_b.pub)" "the key after update (file)"
az aks update --name $cluster --resource-group $rg --ssh-key-value "$(cat ./key_b.pub)" --output none

# The new key takes effect with a node image upgrade of each pool.
for pool in $(az aks nodepool list --resource-group $rg --cluster-name $cluster --query '[].name' -o tsv); do
  az aks nodepool upgrade --resource-group $rg --cluster-name $cluster --name "$pool" --node-image-only --yes \
    --no-wait --output none
  az aks nodepool wait --resource-group $rg --cluster-name $cluster --name "$pool" --updated --interval 1 --timeout 300
  check "$(az aks nodepool show --resource-group $rg --cluster-name $cluster --name "$pool" --query provisioningState -o tsv)" \
    Succeeded "node image upgrade of $pool"
done

# Scale out: the new node gets the current model; a pool added now too.
az aks scale --name $cluster --resource-group $rg --nodepool-name nodepool1 --node-count 3 --output none
check "$(az aks nodepool show --resource-group $rg --cluster-name $cluster --name nodepool1 --query count -o tsv)" 3 "scale"

# aks-preview: SSH off for one pool, then on again.
az aks nodepool update --resource-group $rg --cluster-name $cluster --name pool2 --ssh-access disabled --yes --output none
check "$(az aks nodepool show --resource-group $rg --cluster-name $cluster --name pool2 --query securityProfile.sshAccess -o tsv)" \
  Disabled "ssh access disabled"
az aks nodepool update --resource-group $rg --cluster-name $cluster --name pool2 --ssh-access localuser --output none
check "$(az aks nodepool show --resource-group $rg --cluster-name $cluster --name pool2 --query securityProfile.sshAccess -o tsv)" \
  LocalUser "ssh access back on"

az aks delete --name $cluster --resource-group $rg --yes
az group delete --name $rg --yes
echo "ssh key rotation (az ≥ 2.47 / aks-preview command lines): ok"
