// What AKS fills in when a client leaves it out, and what a client cannot set: tables of paths
// into a cluster's or pool's ARM properties, applied on create (defaults) and on every write
// (read-only fields are the server's).
#pragma once

#include <boost/json/object.hpp>

namespace gangplank::resources {

// Drops the read-only fields a client sent (provisioningState, fqdn, azurePortalFQDN,
// effectiveOutboundIPs, currentOrchestratorVersion, …): the server sets its own.
void DropReadOnlyClusterInput(boost::json::object& properties);
void DropReadOnlyPoolInput(boost::json::object& pool_properties);

// Fills what AKS fills on create and the client left out (networkProfile's plugin and CIDRs,
// enableRBAC, supportPlan; a pool's maxPods, osDisk, vmSize, …), as the spec's example
// responses show them.
void FillClusterDefaults(boost::json::object& properties);
void FillPoolDefaults(boost::json::object& pool_properties, bool azure_cni);

}  // namespace gangplank::resources
