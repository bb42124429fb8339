// The table of az's `aks` flags and how their words become the ARM body.
#include "cli/az_flags.h"

#include <algorithm>
#include <cctype>
#include <sstream>

#include "common/base64.h"
#include "common/file_io.h"
#include "common/paths.h"

namespace gangplank::cli {
namespace json = boost::json;

namespace {

constexpr unsigned C = kAksCreate, U = kAksUpdate, PA = kPoolAdd, PU = kPoolUpdate,
                   PG = kPoolUpgrade, UG = kAksUpgrade, PP = kPoolPower, S = kAksScale,
                   PS = kPoolScale, SH = kAksShow, D = kAksDelete, PD = kPoolDelete, AB = kAbort;
using V = AzValue;

constexpr std::string_view kNeedsLogAnalytics =
    "it needs a Log Analytics workspace and Azure Monitor data collection rules, which this "
    "control plane does not run; leave it out (nodes' logs: gangplank aks node logs)";
constexpr std::string_view kNeedsRoleAssignments =
    "az grants the cluster's identity a role on the registry through Azure role assignments, "
    "which this control plane does not have; give the nodes registry credentials instead";
constexpr std::string_view kNeedsIdentityService =
    "az reads the identity's client and object IDs from the Managed Identity service, which this "
    "control plane does not run; leave it out (the kubelet identity is then system-assigned)";
constexpr std::string_view kNeedsClusterSnapshots =
    "cluster snapshots are not kept here; leave it out (clusters start from the latest node image)";
constexpr std::string_view kNeedsAzureMonitor =
    "it needs an Azure Monitor workspace and data collection rules, which this control plane "
    "does not run; leave it out (nodes' logs: gangplank aks node logs)";
constexpr std::string_view kNeedsSnapshots =
    "node pool snapshots are not kept here; leave it out (pools start from the latest node image)";

}  // namespace

const std::vector<AzFlag>& AzFlags() {
  static const std::vector<AzFlag> kFlags = {
      // The pool's machines.
      {"-c,--node-count", C | PA, V::kInt, "pool.count", "", "", "", "Nodes (default 3)"},
      {"-s,--node-vm-size", C | PA, V::kText, "pool.vmSize", "", "", "",
       "VM size (default Standard_DS2_v2)"},
      {"--node-osdisk-size", C | PA, V::kInt, "pool.osDiskSizeGB", "", "", "", "OS disk in GB"},
      {"--node-osdisk-type", C | PA, V::kText, "pool.osDiskType", "", "Ephemeral,Managed", "",
       "OS disk type"},
      {"-m,--max-pods", C | PA, V::kInt, "pool.maxPods", "", "", "", "Pods per node"},
      {"-z,--zones", C | PA, V::kWords, "pool.availabilityZones", "", "1,2,3", "",
       "Availability zones: 1 2 3"},
      {"--os-sku", C | PA, V::kText, "pool.osSKU", "",
       "Ubuntu,AzureLinux,CBLMariner,Mariner,Windows2019,Windows2022", "", "Node OS"},
      {"--os-type", PA, V::kText, "pool.osType", "", "Linux,Windows", "", "Linux (default)"},
      {"--vm-set-type", C, V::kText, "pool.type", "",
       "VirtualMachineScaleSets,AvailabilitySet,VirtualMachines", "",
       "VirtualMachineScaleSets (default), AvailabilitySet or VirtualMachines"},
      {"--nodepool-name", C, V::kText, "pool.name", "", "", "", "First pool (default nodepool1)"},
      {"--enable-node-public-ip", C | PA, V::kSwitch, "pool.enableNodePublicIP", "true", "", "",
       "A public IP per node"},
      {"--node-public-ip-prefix-id", C | PA, V::kText, "pool.nodePublicIPPrefixID", "", "", "",
       "Prefix of the nodes' public IPs"},
      {"--enable-encryption-at-host", C | PA, V::kSwitch, "pool.enableEncryptionAtHost", "true",
       "", "", "Host-based encryption"},
      {"--enable-ultra-ssd", C | PA, V::kSwitch, "pool.enableUltraSSD", "true", "", "",
       "UltraSSD"},
      {"--enable-fips-image", C | PA, V::kSwitch, "pool.enableFIPS", "true", "", "",
       "FIPS-enabled OS"},
      {"--gpu-instance-profile", C | PA, V::kText, "pool.gpuInstanceProfile", "",
       "MIG1g,MIG2g,MIG3g,MIG4g,MIG7g", "", "GPU partition"},
      {"--host-group-id", C | PA, V::kText, "pool.hostGroupID", "", "", "",
       "Dedicated host group"},
      {"--kubelet-config", C | PA, V::kJsonFile, "pool.kubeletConfig", "", "", "",
       "JSON file of kubelet settings"},
      {"--linux-os-config", C | PA, V::kJsonFile, "pool.linuxOSConfig", "", "", "",
       "JSON file of OS settings"},
      {"--pod-subnet-id", C | PA, V::kText, "pool.podSubnetID", "", "", "", "Pods' subnet"},
      {"--vnet-subnet-id", C | PA, V::kText, "pool.vnetSubnetID", "", "", "", "Nodes' subnet"},
      {"--ppg", C | PA, V::kText, "pool.proximityPlacementGroupID", "", "", "",
       "Proximity placement group"},
      {"--snapshot-id", C | PA | PG, V::kText, "", "", "", kNeedsSnapshots, "Node pool snapshot"},
      {"--priority", PA, V::kText, "pool.scaleSetPriority", "", "Regular,Spot", "",
       "Regular (default) or Spot"},
      {"--eviction-policy", PA, V::kText, "pool.scaleSetEvictionPolicy", "", "Deallocate,Delete",
       "", "Spot eviction"},
      {"--spot-max-price", PA, V::kNumber, "pool.spotMaxPrice", "", "", "", "Spot price cap"},
      {"--scale-down-mode", PA | PU, V::kText, "pool.scaleDownMode", "", "Deallocate,Delete", "",
       "How nodes leave"},
      {"--mode", PA | PU, V::kText, "pool.mode", "", "System,User", "", "System or User"},
      {"--max-surge", PA | PU | PG, V::kText, "pool.upgradeSettings.maxSurge", "", "", "",
       "Nodes reimaged at a time: a count or N%"},
      {"--labels", PA | PU, V::kPairs, "pool.nodeLabels", "", "", "", "Node labels: KEY=VALUE ..."},
      {"--node-taints", PA | PU, V::kCommaList, "pool.nodeTaints", "", "", "",
       "Taints: KEY=VALUE:EFFECT,..."},
      {"--tags", PA | PU, V::kPairs, "pool.tags", "", "", "", "The pool's tags: KEY[=VALUE] ..."},
      {"--nodepool-tags", C, V::kPairs, "pool.tags", "", "", "", "The first pool's tags"},
      {"--nodepool-labels", C, V::kPairs, "pool.nodeLabels", "", "", "", "The first pool's labels"},
      {"--nodepool-labels", U, V::kPairs, "pools.nodeLabels", "", "", "", "Every pool's labels"},
      {"-k,--kubernetes-version", C, V::kText, "props.kubernetesVersion;pool.orchestratorVersion",
       "", "", "", "Kubernetes version (kept; nodes run no Kubernetes here)"},
      {"-k,--kubernetes-version", PA | PG, V::kText, "pool.orchestratorVersion", "", "", "",
       "Kubernetes version (kept; nodes run no Kubernetes here)"},
      // SSH access (aks-preview's spelling).
      {"--ssh-access", C | PA | PU, V::kText, "pool.securityProfile.sshAccess", "",
       "localuser=LocalUser,disabled=Disabled", "",
       "localuser (default) or disabled; applies at the next node image upgrade"},
      {"--ssh-access", U, V::kText, "pools.securityProfile.sshAccess", "",
       "localuser=LocalUser,disabled=Disabled", "",
       "Every pool: localuser or disabled; applies at the next node image upgrade"},
      // The autoscaler.
      {"--enable-cluster-autoscaler", C, V::kSwitch, "pool.enableAutoScaling", "true", "", "",
       "Autoscale the first pool (--min-count, --max-count)"},
      {"-e,--enable-cluster-autoscaler", U | PA | PU, V::kSwitch, "pool.enableAutoScaling",
       "true", "", "", "Autoscale (--min-count, --max-count)"},
      {"-d,--disable-cluster-autoscaler", U | PU, V::kSwitch,
       "pool.enableAutoScaling=false;pool.minCount=null;pool.maxCount=null", "", "", "",
       "Stop autoscaling"},
      {"-u,--update-cluster-autoscaler", U | PU, V::kSwitch, "", "", "", "",
       "Change --min-count/--max-count"},
      {"--min-count", C | U | PA | PU, V::kInt, "pool.minCount", "", "", "", "Autoscaler minimum"},
      {"--max-count", C | U | PA | PU, V::kInt, "pool.maxCount", "", "", "", "Autoscaler maximum"},
      {"--ca-profile,--cluster-autoscaler-profile", C | U, V::kPairs, "props.autoScalerProfile",
       "", "", "", "Autoscaler settings: KEY=VALUE ..."},
      // The cluster.
      {"-l,--location", C, V::kText, "top.location", "", "", "",
       "Location (default: the resource group's)"},
      {"--tags", C | U, V::kPairs, "top.tags", "", "", "",
       "Tags: KEY[=VALUE] ... ('' clears them)"},
      {"-p,--dns-name-prefix", C, V::kText, "props.dnsPrefix", "", "", "",
       "DNS prefix (default NAME-GROUP-SUB)"},
      {"--fqdn-subdomain", C, V::kText, "props.fqdnSubdomain", "", "", "", "FQDN subdomain"},
      {"--node-resource-group", C, V::kText, "props.nodeResourceGroup", "", "", "",
       "Group of the nodes' resources"},
      {"-d,--node-osdisk-diskencryptionset-id", C, V::kText, "props.diskEncryptionSetID", "", "",
       "", "Disk encryption set"},
      {"--disable-rbac", C, V::kSwitch, "props.enableRBAC", "false", "", "", "No Kubernetes RBAC"},
      {"--disable-local-accounts", C | U, V::kSwitch, "props.disableLocalAccounts", "true", "",
       "", "No local accounts"},
      {"--enable-local-accounts", U, V::kSwitch, "props.disableLocalAccounts", "false", "", "",
       "Local accounts again"},
      {"--auto-upgrade-channel", C | U, V::kText, "props.autoUpgradeProfile.upgradeChannel", "",
       "node-image,none,patch,rapid,stable", "", "Auto-upgrade channel"},
      {"--enable-oidc-issuer", C | U, V::kSwitch, "props.oidcIssuerProfile.enabled", "true", "",
       "", "OIDC issuer"},
      {"--enable-keda", C | U, V::kSwitch, "props.workloadAutoScalerProfile.keda.enabled", "true",
       "", "", "KEDA"},
      {"--disable-keda", U, V::kSwitch, "props.workloadAutoScalerProfile.keda.enabled", "false",
       "", "", "No KEDA"},
      {"--http-proxy-config", C | U, V::kJsonFile, "props.httpProxyConfig", "", "", "",
       "JSON file of proxy settings"},
      {"--edge-zone", C, V::kText, "top.extendedLocation.name;top.extendedLocation.type=\"EdgeZone\"",
       "", "", "", "Edge zone"},
      {"--uptime-sla", C | U, V::kSwitch, "top.sku", R"({"name":"Basic","tier":"Paid"})", "", "",
       "Paid tier"},
      {"--no-uptime-sla", U, V::kSwitch, "top.sku", R"({"name":"Basic","tier":"Free"})", "", "",
       "Free tier"},
      {"--aks-custom-headers", C | U | PA | PU | PG | PP | UG | S | PS | SH | AB, V::kCommaPairs, "header", "", "", "",
       "Extra request headers: KEY=VALUE,..."},
      {"-y,--yes", C | U | PG | UG | kRotateCerts, V::kSwitch, "", "", "", "", "Do not ask for confirmation"},
      {"-k,--kubernetes-version", UG, V::kText, "", "", "", "",
       "Kubernetes version (kept on the cluster; nodes run no Kubernetes here)"},
      {"--control-plane-only", UG, V::kSwitch, "", "", "", "",
       "Only the cluster's version, not its pools'"},
      // Identity and access.
      {"--enable-managed-identity", C | U, V::kSwitch, "top.identity.type", "\"SystemAssigned\"",
       "", "", "System-assigned identity (the default)"},
      {"--assign-identity", C | U, V::kText,
       "top.identity.type=\"UserAssigned\";top.identity.userAssignedIdentities", "", "", "",
       "A user-assigned identity's resource ID"},
      {"--assign-kubelet-identity", C | U, V::kText, "", "", "", kNeedsIdentityService,
       "Kubelet identity"},
      {"--service-principal", C, V::kText, "props.servicePrincipalProfile.clientId", "", "", "",
       "Service principal ID"},
      {"--client-secret", C, V::kText, "props.servicePrincipalProfile.secret", "", "", "",
       "Service principal secret (never printed)"},
      {"--attach-acr", C | U, V::kText, "", "", "", kNeedsRoleAssignments, "Registry to pull from"},
      {"--detach-acr", U, V::kText, "", "", "", kNeedsRoleAssignments, "Registry to stop pulling from"},
      {"--enable-aad", C | U, V::kSwitch, "props.aadProfile.managed", "true", "", "",
       "Managed Azure AD"},
      {"--aad-admin-group-object-ids", C | U, V::kCommaList,
       "props.aadProfile.adminGroupObjectIDs", "", "", "", "Admin groups: ID,..."},
      {"--aad-tenant-id", C | U, V::kText, "props.aadProfile.tenantID", "", "", "", "AAD tenant"},
      {"--enable-azure-rbac", C | U, V::kSwitch, "props.aadProfile.enableAzureRBAC", "true", "",
       "", "Azure RBAC for Kubernetes"},
      {"--disable-azure-rbac", U, V::kSwitch, "props.aadProfile.enableAzureRBAC", "false", "", "",
       "No Azure RBAC for Kubernetes"},
      {"--api-server-authorized-ip-ranges", C | U, V::kCommaList,
       "props.apiServerAccessProfile.authorizedIPRanges", "", "", "", "CIDR,..."},
      {"--enable-private-cluster", C, V::kSwitch, "props.apiServerAccessProfile.enablePrivateCluster",
       "true", "", "", "Private API server"},
      {"--private-dns-zone", C, V::kText, "props.apiServerAccessProfile.privateDNSZone", "", "", "",
       "Private DNS zone"},
      {"--disable-public-fqdn", C | U, V::kSwitch,
       "props.apiServerAccessProfile.enablePrivateClusterPublicFQDN", "false", "", "",
       "No public FQDN"},
      {"--enable-public-fqdn", U, V::kSwitch,
       "props.apiServerAccessProfile.enablePrivateClusterPublicFQDN", "true", "", "", "Public FQDN"},
      {"--azure-keyvault-kms-key-id", C | U, V::kText,
       "props.securityProfile.azureKeyVaultKms.keyId", "", "", "", "KMS key"},
      {"--azure-keyvault-kms-key-vault-network-access", C | U, V::kText,
       "props.securityProfile.azureKeyVaultKms.keyVaultNetworkAccess", "", "Private,Public", "",
       "KMS key vault access"},
      {"--azure-keyvault-kms-key-vault-resource-id", C | U, V::kText,
       "props.securityProfile.azureKeyVaultKms.keyVaultResourceId", "", "", "", "KMS key vault"},
      {"--enable-azure-keyvault-kms", C | U, V::kSwitch,
       "props.securityProfile.azureKeyVaultKms.enabled", "true", "", "", "KMS etcd encryption"},
      {"--disable-azure-keyvault-kms", U, V::kSwitch,
       "props.securityProfile.azureKeyVaultKms.enabled", "false", "", "", "No KMS"},
      {"--enable-defender", C | U, V::kSwitch, "", "", "", kNeedsLogAnalytics, "Defender"},
      {"--defender-config", C | U, V::kText, "", "", "", kNeedsLogAnalytics, "Defender settings"},
      {"--disable-defender", U, V::kSwitch,
       "props.securityProfile.defender.securityMonitoring.enabled", "false", "", "", "No Defender"},
      // Windows.
      {"--windows-admin-username", C, V::kText, "props.windowsProfile.adminUsername", "", "", "",
       "Windows admin user"},
      {"--windows-admin-password", C | U, V::kText, "props.windowsProfile.adminPassword", "", "",
       "", "Windows admin password (never printed)"},
      {"--enable-ahub", C | U, V::kSwitch, "props.windowsProfile.licenseType", "\"Windows_Server\"",
       "", "", "Azure Hybrid User Benefits"},
      {"--disable-ahub", U, V::kSwitch, "props.windowsProfile.licenseType", "\"None\"", "", "",
       "No Azure Hybrid User Benefits"},
      {"--enable-windows-gmsa", C | U, V::kSwitch, "props.windowsProfile.gmsaProfile.enabled",
       "true", "", "", "Windows gMSA"},
      {"--gmsa-dns-server", C | U, V::kText, "props.windowsProfile.gmsaProfile.dnsServer", "", "",
       "", "gMSA DNS server"},
      {"--gmsa-root-domain-name", C | U, V::kText,
       "props.windowsProfile.gmsaProfile.rootDomainName", "", "", "", "gMSA root domain"},
      // Storage drivers.
      {"--disable-disk-driver", C | U, V::kSwitch, "props.storageProfile.diskCSIDriver.enabled",
       "false", "", "", "No disk CSI driver"},
      {"--enable-disk-driver", U, V::kSwitch, "props.storageProfile.diskCSIDriver.enabled", "true",
       "", "", "Disk CSI driver"},
      {"--disable-file-driver", C | U, V::kSwitch, "props.storageProfile.fileCSIDriver.enabled",
       "false", "", "", "No file CSI driver"},
      {"--enable-file-driver", U, V::kSwitch, "props.storageProfile.fileCSIDriver.enabled", "true",
       "", "", "File CSI driver"},
      {"--enable-blob-driver", C | U, V::kSwitch, "props.storageProfile.blobCSIDriver.enabled",
       "true", "", "", "Blob CSI driver"},
      {"--disable-blob-driver", U, V::kSwitch, "props.storageProfile.blobCSIDriver.enabled",
       "false", "", "", "No blob CSI driver"},
      {"--disable-snapshot-controller", C | U, V::kSwitch,
       "props.storageProfile.snapshotController.enabled", "false", "", "", "No snapshot controller"},
      {"--enable-snapshot-controller", U, V::kSwitch,
       "props.storageProfile.snapshotController.enabled", "true", "", "", "Snapshot controller"},
      // The network.
      {"--network-plugin", C, V::kText, "props.networkProfile.networkPlugin", "",
       "azure,kubenet,none", "", "kubenet (default), azure or none"},
      {"--network-policy", C, V::kText, "props.networkProfile.networkPolicy", "", "", "",
       "Network policy"},
      {"--pod-cidr", C | U, V::kText, "props.networkProfile.podCidr", "", "", "", "Pods' CIDR"},
      {"--service-cidr", C, V::kText, "props.networkProfile.serviceCidr", "", "", "",
       "Services' CIDR"},
      {"--dns-service-ip", C, V::kText, "props.networkProfile.dnsServiceIP", "", "", "",
       "Cluster DNS address"},
      {"--docker-bridge-address", C, V::kText, "props.networkProfile.dockerBridgeCidr", "", "", "",
       "Docker bridge CIDR"},
      {"--outbound-type", C | U, V::kText, "props.networkProfile.outboundType", "",
       "loadBalancer,managedNATGateway,userAssignedNATGateway,userDefinedRouting", "",
       "Egress"},
      {"--load-balancer-sku", C, V::kText, "props.networkProfile.loadBalancerSku", "",
       "basic,standard", "", "Load balancer SKU"},
      {"--load-balancer-idle-timeout", C | U, V::kInt,
       "props.networkProfile.loadBalancerProfile.idleTimeoutInMinutes", "", "", "",
       "Minutes"},
      {"--load-balancer-managed-outbound-ip-count", C | U, V::kInt,
       "props.networkProfile.loadBalancerProfile.managedOutboundIPs.count", "", "", "",
       "Managed outbound IPs"},
      {"--load-balancer-outbound-ip-prefixes", C | U, V::kIdList,
       "props.networkProfile.loadBalancerProfile.outboundIPPrefixes.publicIPPrefixes", "", "", "",
       "Prefix IDs: ID,..."},
      {"--load-balancer-outbound-ips", C | U, V::kIdList,
       "props.networkProfile.loadBalancerProfile.outboundIPs.publicIPs", "", "", "",
       "Public IP IDs: ID,..."},
      {"--load-balancer-outbound-ports", C | U, V::kInt,
       "props.networkProfile.loadBalancerProfile.allocatedOutboundPorts", "", "", "",
       "SNAT ports per node"},
      {"--nat-gateway-idle-timeout", C | U, V::kInt,
       "props.networkProfile.natGatewayProfile.idleTimeoutInMinutes", "", "", "", "Minutes"},
      {"--nat-gateway-managed-outbound-ip-count", C | U, V::kInt,
       "props.networkProfile.natGatewayProfile.managedOutboundIPProfile.count", "", "", "",
       "Managed outbound IPs"},
      {"--skip-subnet-role-assignment", C, V::kSwitch, "", "", "", "",
       "Accepted; there are no role assignments here"},
      // Addons.
      {"-a,--enable-addons", C, V::kAddons, "props.addonProfiles", "", "", "",
       "Addons: NAME,... (monitoring needs Log Analytics and is refused)"},
      {"--aci-subnet-name", C, V::kText, "props.addonProfiles.aciConnectorLinux.config.SubnetName",
       "", "", "", "Virtual node subnet"},
      {"--enable-secret-rotation", C | U, V::kSwitch,
       "props.addonProfiles.azureKeyvaultSecretsProvider.config.enableSecretRotation", "\"true\"",
       "", "", "Rotate Key Vault secrets"},
      {"--disable-secret-rotation", U, V::kSwitch,
       "props.addonProfiles.azureKeyvaultSecretsProvider.config.enableSecretRotation",
       "\"false\"", "", "", "Stop rotating"},
      {"--rotation-poll-interval", C | U, V::kText,
       "props.addonProfiles.azureKeyvaultSecretsProvider.config.rotationPollInterval", "", "", "",
       "Rotation interval"},
      {"--enable-sgxquotehelper", C, V::kSwitch,
       "props.addonProfiles.ACCSGXDevicePlugin.config.ACCSGXQuoteHelperEnabled", "\"true\"", "",
       "", "SGX quote helper"},
      {"--appgw-id", C, V::kText,
       "props.addonProfiles.ingressApplicationGateway.config.applicationGatewayId", "", "", "",
       "Application gateway"},
      {"--appgw-name", C, V::kText,
       "props.addonProfiles.ingressApplicationGateway.config.applicationGatewayName", "", "", "",
       "Application gateway name"},
      {"--appgw-subnet-cidr", C, V::kText,
       "props.addonProfiles.ingressApplicationGateway.config.subnetCIDR", "", "", "",
       "Application gateway subnet CIDR"},
      {"--appgw-subnet-id", C, V::kText,
       "props.addonProfiles.ingressApplicationGateway.config.subnetId", "", "", "",
       "Application gateway subnet"},
      {"--appgw-watch-namespace", C, V::kText,
       "props.addonProfiles.ingressApplicationGateway.config.watchNamespace", "", "", "",
       "Namespaces to watch"},
      {"--workspace-resource-id", C, V::kText, "", "", "", kNeedsLogAnalytics,
       "Log Analytics workspace"},
      {"--enable-msi-auth-for-monitoring", C, V::kText, "", "", "", kNeedsLogAnalytics,
       "Monitoring with managed identity"},
      {"--enable-syslog", C, V::kText, "", "", "", kNeedsLogAnalytics, "Syslog collection"},
      {"--data-collection-settings", C, V::kText, "", "", "", kNeedsLogAnalytics,
       "Data collection settings"},
      // What the aks-preview extension (0.5.151, the release for az 2.45) adds to these commands.
      {"--vm-set-type", PA, V::kText, "pool.type", "",
       "VirtualMachineScaleSets,AvailabilitySet,VirtualMachines", "", "The pool's VM set type"},
      {"--crg-id", C | PA, V::kText, "pool.capacityReservationGroupID", "", "", "",
       "Capacity reservation group"},
      {"--message-of-the-day", C | PA, V::kFileBase64, "pool.messageOfTheDay", "", "", "",
       "A file whose text nodes show as /etc/motd"},
      {"--workload-runtime", C | PA, V::kText, "pool.workloadRuntime", "",
       "OCIContainer,WasmWasi,KataMshvVmIsolation", "", "What the nodes run"},
      {"--enable-custom-ca-trust", C | PA | PU, V::kSwitch, "pool.enableCustomCATrust", "true", "",
       "", "Nodes trust the cluster's custom CAs"},
      {"--disable-custom-ca-trust,--dcat", PU, V::kSwitch, "pool.enableCustomCATrust", "false", "",
       "", "Nodes stop trusting custom CAs"},
      {"--disable-windows-outbound-nat", PA, V::kSwitch, "pool.windowsProfile.disableOutboundNat",
       "true", "", "", "Windows pools: no outbound NAT"},
      {"--nodepool-allowed-host-ports", C, V::kPortRanges, "pool.networkProfile.allowedHostPorts",
       "", "", "", "The first pool's host ports: 80/tcp,4000-4100/udp"},
      {"--allowed-host-ports", PA | PU, V::kPortRanges, "pool.networkProfile.allowedHostPorts", "",
       "", "", "Host ports: 80/tcp,4000-4100/udp"},
      {"--nodepool-asg-ids", C, V::kCommaList, "pool.networkProfile.applicationSecurityGroups", "",
       "", "", "The first pool's application security groups: ID,..."},
      {"--asg-ids", PA | PU, V::kCommaList, "pool.networkProfile.applicationSecurityGroups", "", "",
       "", "Application security groups: ID,..."},
      {"--node-public-ip-tags", C | PA, V::kIpTags, "pool.networkProfile.nodePublicIPTags", "", "",
       "", "Node public IP tags: TYPE=TAG ..."},
      {"--nodepool-taints", C, V::kCommaList, "pool.nodeTaints", "", "", "",
       "The first pool's taints: KEY=VALUE:EFFECT,..."},
      {"--nodepool-taints", U, V::kCommaList, "pools.nodeTaints", "", "", "",
       "Every pool's taints: KEY=VALUE:EFFECT,..."},
      {"--load-balancer-backend-pool-type", C | U, V::kText,
       "props.networkProfile.loadBalancerProfile.backendPoolType", "",
       "nodeIP,nodeIPConfiguration", "", "Load balancer backend pool type"},
      {"--network-plugin-mode", C, V::kText, "props.networkProfile.networkPluginMode", "",
       "overlay", "", "overlay"},
      {"--network-plugin-mode", U, V::kText, "props.networkProfile.networkPluginMode", "", "", "",
       "The network plugin mode"},
      {"--network-dataplane", C | U, V::kText, "props.networkProfile.networkDataplane", "",
       "azure,cilium", "", "Network dataplane"},
      {"--kube-proxy-config", C | U, V::kJsonFile, "props.networkProfile.kubeProxyConfig", "", "",
       "", "kube-proxy configuration: a JSON file"},
      {"--ip-families", C, V::kCommaList, "props.networkProfile.ipFamilies", "", "", "",
       "IPv4,IPv6"},
      {"--pod-cidrs", C, V::kCommaList, "props.networkProfile.podCidrs", "", "", "", "CIDR,..."},
      {"--service-cidrs", C, V::kCommaList, "props.networkProfile.serviceCidrs", "", "", "",
       "CIDR,..."},
      {"--load-balancer-managed-outbound-ipv6-count", C | U, V::kInt,
       "props.networkProfile.loadBalancerProfile.managedOutboundIPs.countIPv6", "", "", "",
       "Managed outbound IPv6 addresses"},
      {"--enable-network-observability", C | U, V::kSwitch,
       "props.networkProfile.monitoring.enabled", "true", "", "", "Network observability"},
      {"--node-os-upgrade-channel", C | U, V::kText,
       "props.autoUpgradeProfile.nodeOSUpgradeChannel", "",
       "NodeImage,None,SecurityPatch,Unmanaged", "", "How nodes' OS is updated"},
      {"--tier", C | U, V::kText, "top.sku.name=\"Base\";top.sku.tier", "",
       "free=Free,standard=Standard", "", "SKU tier"},
      {"--nrg-lockdown-restriction-level", C | U, V::kText,
       "props.nodeResourceGroupProfile.restrictionLevel", "", "ReadOnly,Unrestricted", "",
       "Node resource group restriction"},
      {"--disk-driver-version", C | U, V::kText, "props.storageProfile.diskCSIDriver.version", "",
       "v1,v2", "", "Azure Disk CSI driver version"},
      {"--enable-pod-identity", C | U, V::kSwitch, "props.podIdentityProfile.enabled", "true", "",
       "", "Pod identity"},
      {"--enable-pod-identity-with-kubenet", C | U, V::kSwitch,
       "props.podIdentityProfile.allowNetworkPluginKubenet", "true", "", "",
       "Pod identity with kubenet"},
      {"--disable-pod-identity", U, V::kSwitch, "props.podIdentityProfile.enabled", "false", "", "",
       "No pod identity"},
      {"--disable-pod-security-policy", U, V::kSwitch, "props.enablePodSecurityPolicy", "false", "",
       "", "No pod security policy"},
      {"--enable-workload-identity", C | U, V::kBool,
       "props.securityProfile.workloadIdentity.enabled", "", "", "",
       "Workload identity (true when given alone)"},
      {"--enable-image-cleaner", C | U, V::kSwitch, "props.securityProfile.imageCleaner.enabled",
       "true", "", "", "Image cleaner"},
      {"--disable-image-cleaner", U, V::kSwitch, "props.securityProfile.imageCleaner.enabled",
       "false", "", "", "No image cleaner"},
      {"--image-cleaner-interval-hours", C | U, V::kInt,
       "props.securityProfile.imageCleaner.intervalHours", "", "", "", "Hours between scans"},
      {"--disable-image-integrity", U, V::kSwitch, "props.securityProfile.imageIntegrity.enabled",
       "false", "", "", "No image integrity"},
      {"--enable-node-restriction", C | U, V::kSwitch,
       "props.securityProfile.nodeRestriction.enabled", "true", "", "", "Node restriction"},
      {"--disable-node-restriction", U, V::kSwitch, "props.securityProfile.nodeRestriction.enabled",
       "false", "", "", "No node restriction"},
      {"--custom-ca-trust-certificates,--ca-certs", C | U, V::kCertsFile,
       "props.securityProfile.customCATrustCertificates", "", "", "",
       "A file of up to 10 PEM certificates, blank-line separated"},
      {"--enable-apiserver-vnet-integration", C | U, V::kSwitch,
       "props.apiServerAccessProfile.enableVnetIntegration", "true", "", "",
       "API server in the cluster's VNet"},
      {"--apiserver-subnet-id", C | U, V::kText, "props.apiServerAccessProfile.subnetId", "", "", "",
       "The API server's subnet"},
      {"--enable-private-cluster", U, V::kSwitch,
       "props.apiServerAccessProfile.enablePrivateCluster", "true", "", "",
       "Private API server (VNet-integrated clusters)"},
      {"--disable-private-cluster", U, V::kSwitch,
       "props.apiServerAccessProfile.enablePrivateCluster", "false", "", "",
       "Public API server (VNet-integrated clusters)"},
      {"--private-dns-zone", U, V::kText, "props.apiServerAccessProfile.privateDNSZone", "", "", "",
       "Private DNS zone"},
      {"--dns-zone-resource-id", C, V::kText, "props.ingressProfile.webAppRouting.dnsZoneResourceId",
       "", "", "", "DNS zone of the web application routing addon"},
      {"--enable-vpa", C | U, V::kSwitch,
       "props.workloadAutoScalerProfile.verticalPodAutoscaler.enabled", "true", "", "",
       "Vertical pod autoscaler"},
      {"--disable-vpa", U, V::kSwitch, "props.workloadAutoScalerProfile.verticalPodAutoscaler.enabled",
       "false", "", "", "No vertical pod autoscaler"},
      {"--guardrails-level", C | U, V::kText, "props.guardrailsProfile.level", "",
       "Off,Warning,Enforcement", "", "Guardrails level"},
      {"--guardrails-version", C | U, V::kText, "props.guardrailsProfile.version", "", "", "",
       "Guardrails version"},
      {"--guardrails-excluded-ns", C | U, V::kCommaList, "props.guardrailsProfile.excludedNamespaces",
       "", "", "", "Namespaces without guardrails: NS,..."},
      {"--enable-azure-service-mesh,--enable-asm", C | U, V::kSwitch, "props.serviceMeshProfile.mode",
       "\"Istio\"", "", "", "Azure service mesh (Istio)"},
      {"--upgrade-settings", U, V::kCommaList,
       "props.upgradeSettings.overrideSettings.controlPlaneOverrides", "", "", "",
       "Upgrade overrides: IgnoreKubernetesDeprecations,..."},
      {"--upgrade-override-until", U, V::kText, "props.upgradeSettings.overrideSettings.until", "",
       "", "", "Until when the overrides hold (date-time)"},
      {"--cluster-snapshot-id", C | U | UG, V::kText, "", "", "", kNeedsClusterSnapshots,
       "Cluster snapshot"},
      {"--enable-azure-monitor-metrics", C | U, V::kSwitch, "", "", "", kNeedsAzureMonitor,
       "Azure Monitor metrics"},
      {"--azure-monitor-workspace-resource-id", C | U, V::kText, "", "", "", kNeedsAzureMonitor,
       "Azure Monitor workspace"},
      {"--ksm-metric-labels-allow-list", C | U, V::kText, "", "", "", kNeedsAzureMonitor,
       "kube-state-metrics labels"},
      {"--ksm-metric-annotations-allow-list", C | U, V::kText, "", "", "", kNeedsAzureMonitor,
       "kube-state-metrics annotations"},
      {"--grafana-resource-id", C | U, V::kText, "", "", "", kNeedsAzureMonitor, "Managed Grafana"},
      {"--enable-windows-recording-rules", C | U, V::kSwitch, "", "", "", kNeedsAzureMonitor,
       "Windows recording rules"},
      {"--disable-azure-monitor-metrics", U, V::kSwitch, "props.azureMonitorProfile.metrics.enabled",
       "false", "", "", "No Azure Monitor metrics"},
      {"--ignore-pod-disruption-budget", D, V::kBool, "query.ignore-pod-disruption-budget", "", "",
       "", "Delete without waiting for pod disruption budgets"},
      {"-i,--ignore-pod-disruption-budget", PD, V::kBool, "query.ignore-pod-disruption-budget", "",
       "", "", "Delete without waiting for pod disruption budgets"},
  };
  return kFlags;
}

std::string_view LongName(const AzFlag& flag) {
  const std::size_t at = flag.names.find("--");
  std::string_view rest = flag.names.substr(at);
  return rest.substr(0, rest.find(','));
}

namespace {

std::vector<std::string_view> Split(std::string_view text, char separator) {
  std::vector<std::string_view> parts;
  while (!text.empty()) {
    const std::size_t at = text.find(separator);
    parts.push_back(text.substr(0, at));
    if (at == std::string_view::npos) break;
    text = text.substr(at + 1);
  }
  return parts;
}

Error BadValue(const AzFlag& flag, const std::string& why) {
  return MakeError(StatusCode::kInvalidArgument, "InvalidArgumentValue",
                   "argument " + std::string(LongName(flag)) + ": " + why);
}

// az's choices are case-insensitive; the body gets the choice as az spells it (or, for a
// "given=sent" pair, what is sent).
Result<std::string> Choose(const AzFlag& flag, const std::string& word) {
  if (flag.choices.empty()) return word;
  std::string listed;
  for (std::string_view choice : Split(flag.choices, ',')) {
    const std::string_view given = choice.substr(0, choice.find('='));
    const std::string_view sent =
        choice.find('=') == std::string_view::npos ? choice : choice.substr(choice.find('=') + 1);
    if (word.size() == given.size() &&
        std::equal(word.begin(), word.end(), given.begin(), [](char a, char b) {
          return std::tolower(static_cast<unsigned char>(a)) ==
                 std::tolower(static_cast<unsigned char>(b));
        }))
      return std::string(sent);
    listed += (listed.empty() ? "'" : ", '") + std::string(given) + "'";
  }
  return BadValue(flag, "invalid choice: '" + word.substr(0, 80) + "' (choose from " + listed + ")");
}

// az's addon names → the addonProfiles key. Monitoring needs Log Analytics.
Result<json::object> Addons(const AzFlag& flag, const std::string& list) {
  static const std::map<std::string, std::string> kAddonKeys = {
      {"http_application_routing", "httpApplicationRouting"},
      {"virtual-node", "aciConnectorLinux"},
      {"azure-policy", "azurepolicy"},
      {"ingress-appgw", "ingressApplicationGateway"},
      {"confcom", "ACCSGXDevicePlugin"},
      {"open-service-mesh", "openServiceMesh"},
      {"azure-keyvault-secrets-provider", "azureKeyvaultSecretsProvider"}};
  json::object addons;
  for (std::string_view name : Split(list, ',')) {
    if (name == "monitoring") {
      return MakeError(StatusCode::kInvalidArgument, "RefusedArgument",
                       "--enable-addons monitoring is not supported here: " +
                           std::string(kNeedsLogAnalytics));
    }
    const auto found = kAddonKeys.find(std::string(name));
    if (found == kAddonKeys.end()) {
      std::string known = "monitoring";
      for (const auto& [key, unused] : kAddonKeys) known += ", " + key;
      return BadValue(flag, "'" + std::string(name.substr(0, 60)) + "' is not an addon (" + known +
                                ")");
    }
    addons[found->second] = json::object{{"enabled", true}};
  }
  return addons;
}

Result<json::object> Pairs(const std::vector<std::string>& words, char separator) {
  json::object pairs;
  for (const std::string& word : words) {
    for (std::string_view pair : Split(word, separator)) {
      if (pair.empty()) continue;  // '' clears
      const std::size_t equals = pair.find('=');
      pairs[pair.substr(0, equals)] =
          equals == std::string_view::npos ? "" : std::string(pair.substr(equals + 1));
    }
  }
  return pairs;
}

// A text file as az sends it: the message of the day in base64, or the certificates of a CA
// trust file (blank-line separated, at most 10) each in base64.
Result<json::value> FileValue(const AzFlag& flag, const std::string& path) {
  auto text = ReadFile(path, 1 << 20);
  if (!text) return BadValue(flag, "cannot read '" + path + "': " + text.error().message);
  if (flag.value == AzValue::kFileBase64) return json::value(Base64Encode(*text));
  json::array certificates;
  std::string current;
  std::istringstream lines(*text);
  for (std::string line; std::getline(lines, line);) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.find_first_not_of(" \t") == std::string::npos) {
      if (!current.empty()) certificates.emplace_back(Base64Encode(current));
      current.clear();
    } else {
      current += line + "\n";
    }
  }
  if (!current.empty()) certificates.emplace_back(Base64Encode(current));
  if (certificates.empty() || certificates.size() > 10)
    return BadValue(flag, "'" + path + "' must hold 1 to 10 certificates, separated by blank lines");
  return json::value(std::move(certificates));
}

// az's host port ranges: PORT[-PORT]/PROTOCOL, comma-separated.
Result<json::value> PortRanges(const AzFlag& flag, const std::string& list) {
  json::array ranges;
  for (std::string_view range : Split(list, ',')) {
    if (range.empty()) continue;
    const std::size_t slash = range.find('/');
    const std::string_view ports = range.substr(0, slash);
    const std::string protocol = slash == std::string_view::npos
                                     ? ""
                                     : std::string(range.substr(slash + 1));
    const std::size_t dash = ports.find('-');
    const auto port = [](std::string_view text) {  // -1 when not a port number
      if (text.empty() || text.size() > 5 ||
          text.find_first_not_of("0123456789") != std::string_view::npos)
        return -1;
      return std::stoi(std::string(text));
    };
    const int start = port(ports.substr(0, dash));
    const int end = dash == std::string_view::npos ? start : port(ports.substr(dash + 1));
    std::string upper = protocol;
    for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    if (start < 1 || end > 65535 || end < start || (upper != "TCP" && upper != "UDP"))
      return BadValue(flag, "'" + std::string(range.substr(0, 60)) +
                                "' is not PORT[-PORT]/tcp|udp (e.g. 80/tcp,4000-4100/udp)");
    ranges.emplace_back(json::object{{"portStart", start}, {"portEnd", end}, {"protocol", upper}});
  }
  return json::value(std::move(ranges));
}

// The JSON a given flag stands for.
Result<json::value> ValueOf(const AzFlag& flag, const std::vector<std::string>& words,
                            const std::string& home) {
  const std::string word = words.empty() ? "" : words.front();
  switch (flag.value) {
    case AzValue::kSwitch:
      return json::parse(flag.set_to.empty() ? "true" : flag.set_to);
    case AzValue::kText: {
      auto chosen = Choose(flag, word);
      if (!chosen) return chosen.error();
      return json::value(*chosen);
    }
    case AzValue::kInt: {
      std::size_t used = 0;
      long long number = 0;
      try {
        number = std::stoll(word, &used);
      } catch (const std::exception&) {
        used = 0;
      }
      if (used == 0 || used != word.size())
        return BadValue(flag, "invalid int value: '" + word.substr(0, 40) + "'");
      return json::value(number);
    }
    case AzValue::kNumber: {
      std::size_t used = 0;
      double number = 0;
      try {
        number = std::stod(word, &used);
      } catch (const std::exception&) {
        used = 0;
      }
      if (used == 0 || used != word.size())
        return BadValue(flag, "invalid float value: '" + word.substr(0, 40) + "'");
      return json::value(number);
    }
    case AzValue::kWords: {
      json::array array;
      for (const std::string& each : words) {
        auto chosen = Choose(flag, each);
        if (!chosen) return chosen.error();
        array.emplace_back(*chosen);
      }
      return json::value(std::move(array));
    }
    case AzValue::kPairs: {
      auto pairs = Pairs(words, ' ');
      if (!pairs) return pairs.error();
      return json::value(std::move(*pairs));
    }
    case AzValue::kCommaPairs: {
      auto pairs = Pairs(words, ',');
      if (!pairs) return pairs.error();
      return json::value(std::move(*pairs));
    }
    case AzValue::kCommaList:
    case AzValue::kIdList: {
      json::array array;
      for (std::string_view part : Split(word, ',')) {
        if (part.empty()) continue;
        if (flag.value == AzValue::kIdList)
          array.emplace_back(json::object{{"id", part}});
        else
          array.emplace_back(part);
      }
      return json::value(std::move(array));
    }
    case AzValue::kJsonFile: {
      const std::string path = ExpandUser(word, home);
      auto text = ReadFile(path, 1 << 20);
      if (!text) return BadValue(flag, "cannot read '" + path + "': " + text.error().message);
      boost::system::error_code ec;
      json::value doc = json::parse(*text, ec);
      if (ec || !doc.is_object())
        return BadValue(flag, "'" + path + "' is not a JSON object (" + ec.message() + ")");
      return doc;
    }
    case AzValue::kAddons: {
      auto addons = Addons(flag, word);
      if (!addons) return addons.error();
      return json::value(std::move(*addons));
    }
    case AzValue::kBool: {
      std::string lower = word;
      for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      if (lower.empty() || lower == "true") return json::value(true);
      if (lower == "false") return json::value(false);
      return BadValue(flag, "invalid boolean value: '" + word.substr(0, 40) + "' (true or false)");
    }
    case AzValue::kFileBase64:
    case AzValue::kCertsFile:
      return FileValue(flag, ExpandUser(word, home));
    case AzValue::kPortRanges:
      return PortRanges(flag, word);
    case AzValue::kIpTags: {
      json::array tags;
      for (const std::string& each : words) {
        const std::size_t equals = each.find('=');
        if (equals == std::string::npos || equals == 0)
          return BadValue(flag, "'" + each.substr(0, 60) + "' is not TYPE=TAG (e.g. RoutingPreference=Internet)");
        tags.emplace_back(json::object{{"ipTagType", each.substr(0, equals)},
                                       {"tag", each.substr(equals + 1)}});
      }
      return json::value(std::move(tags));
    }
  }
  return BadValue(flag, "unknown value kind");
}

// The object at `path` (dot-separated keys) under `root`, made (or made an object) when missing.
json::object& ObjectAt(json::object& root, std::string_view path) {
  json::object* at = &root;
  for (std::string_view key : Split(path, '.')) {
    json::value& next = (*at)[key];
    if (!next.is_object()) next = json::object();
    at = &next.as_object();
  }
  return *at;
}

// Sets `value` at a dotted path. With `merge`, an object joins one already there (addons that
// other flags configured); otherwise it replaces it (--labels names every label, as in az).
void SetAt(json::object& root, std::string_view path, json::value value, bool merge = false) {
  const std::size_t last_dot = path.rfind('.');
  json::object& parent =
      last_dot == std::string_view::npos ? root : ObjectAt(root, path.substr(0, last_dot));
  json::value& slot = parent[path.substr(last_dot == std::string_view::npos ? 0 : last_dot + 1)];
  if (merge && slot.is_object() && value.is_object()) {
    for (auto& [name, member] : value.as_object()) slot.as_object()[name] = member;
  } else {
    slot = std::move(value);
  }
}

// The pools a target writes to: the pool resource's properties, the first pool of a cluster
// body, or (pools.) every pool of it.
std::vector<json::object*> PoolsOf(json::object& body, AzBody kind, bool every) {
  if (kind == AzBody::kPool) return {&ObjectAt(body, "properties")};
  json::value& pools = ObjectAt(body, "properties")["agentPoolProfiles"];
  if (!pools.is_array() || pools.as_array().empty()) pools = json::array{json::object()};
  std::vector<json::object*> found;
  for (json::value& pool : pools.as_array()) {
    if (!pool.is_object()) pool = json::object();
    found.push_back(&pool.as_object());
    if (!every) break;
  }
  return found;
}

}  // namespace

void AzFlagSet::Register(CLI::App& app, AzCommand command) {
  // The rows are added when the command line reaches this command (Prepare), not before: CLI11
  // compares every new option with all of its command's options, and a process runs one command.
  pending_[&app] = command;
  app.preparse_callback([this, &app](std::size_t) { Prepare(app); });
}

void AzFlagSet::Prepare(CLI::App& app) {
  const auto found = pending_.find(&app);
  if (found == pending_.end()) return;
  const AzCommand command = found->second;
  pending_.erase(found);
  RegisterNow(app, command);
}

void AzFlagSet::RegisterNow(CLI::App& app, AzCommand command) {
  for (const AzFlag& flag : AzFlags()) {
    if ((flag.commands & command) == 0) continue;
    std::string help(flag.help);
    if (!flag.refused.empty()) help += " [refused here: " + std::string(flag.refused) + "]";
    if (!flag.choices.empty() && flag.value != AzValue::kSwitch) {
      std::string shown;
      for (std::string_view choice : Split(flag.choices, ','))
        shown += (shown.empty() ? "" : ", ") + std::string(choice.substr(0, choice.find('=')));
      help += " (" + shown + ")";
    }
    CLI::Option* option = nullptr;
    if (flag.value == AzValue::kSwitch) {
      option = app.add_flag(std::string(flag.names));
    } else {
      option = app.add_option(std::string(flag.names));
      if (flag.value == AzValue::kWords || flag.value == AzValue::kPairs ||
          flag.value == AzValue::kIpTags)
        option->expected(CLI::detail::expected_max_vector_size);  // one or more words
      else if (flag.value == AzValue::kBool)
        option->expected(0, 1);
      else
        option->expected(1);
      option->type_name(flag.value == AzValue::kInt      ? "INT"
                        : flag.value == AzValue::kNumber ? "FLOAT"
                                                         : "TEXT");
    }
    option->description(help);
    options_.emplace_back(&flag, option);
  }
}

bool AzFlagSet::Given(std::string_view long_name) const {
  for (const auto& [flag, option] : options_)
    if (LongName(*flag) == long_name && option->count() > 0) return true;
  return false;
}

std::vector<std::string> AzFlagSet::Words(std::string_view long_name) const {
  for (const auto& [flag, option] : options_)
    if (LongName(*flag) == long_name && option->count() > 0) return option->results();
  return {};
}

bool AzFlagSet::SetsPoolFields() const {
  for (const auto& [flag, option] : options_) {
    if (option->count() == 0) continue;
    for (std::string_view target : Split(flag->fields, ';'))
      if (target.starts_with("pool.")) return true;
  }
  return false;
}

Status AzFlagSet::Check(AzBody kind, const std::string& home) const {
  json::object scratch;
  AzRequestExtras extras;
  return Apply(scratch, kind, home, extras);
}

Status AzFlagSet::Apply(json::object& body, AzBody kind, const std::string& home,
                        AzRequestExtras& extras) const {
  for (const auto& [flag, option] : options_) {
    if (option->count() == 0) continue;
    if (!flag->refused.empty()) {
      return MakeError(StatusCode::kInvalidArgument, "RefusedArgument",
                       std::string(LongName(*flag)) + " is not supported here: " +
                           std::string(flag->refused));
    }
    auto value = ValueOf(*flag, option->results(), home);
    if (!value) return value.error();
    for (std::string_view target : Split(flag->fields, ';')) {
      if (target.empty()) continue;
      json::value this_value = *value;
      if (const std::size_t equals = target.find('='); equals != std::string_view::npos) {
        this_value = json::parse(target.substr(equals + 1));
        target = target.substr(0, equals);
      }
      if (target == "header") {
        for (const auto& [name, header] : value->as_object())
          extras.headers[std::string(name)] = std::string(header.as_string());
        continue;
      }
      if (target.starts_with("query.")) {
        extras.query.emplace_back(target.substr(6), this_value.is_string()
                                                        ? std::string(this_value.as_string())
                                                        : json::serialize(this_value));
        continue;
      }
      if (target == "top.identity.userAssignedIdentities") {  // the ID is a key
        this_value = json::object{{std::string(value->as_string()), json::object()}};
      }
      const std::size_t dot = target.find('.');
      const std::string_view root = target.substr(0, dot), rest = target.substr(dot + 1);
      if (root == "top") {
        SetAt(body, rest, std::move(this_value));
      } else if (root == "props") {
        SetAt(ObjectAt(body, "properties"), rest, std::move(this_value),
              flag->value == AzValue::kAddons);
      } else {
        for (json::object* pool : PoolsOf(body, kind, root == "pools"))
          SetAt(*pool, rest, this_value);
      }
    }
  }
  return OkStatus();
}

}  // namespace gangplank::cli
