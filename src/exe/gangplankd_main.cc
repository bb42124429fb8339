// Entry point of `gangplankd`, the control plane.
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <iostream>
#include <thread>

#include "server/control_plane.h"

int main(int argc, char** argv) {
  gangplank::server::ControlPlaneOptions options;
  CLI::App app{"gangplankd: the Gangplank control plane (ARM-compatible HTTPS API).", "gangplankd"};
  app.add_option("--data-dir", options.data_dir,
                 "Data directory (default ${GANGPLANK_DATA_DIR:-$HOME/.local/share/gangplank})");
  app.add_option("--listen", options.listen, "HOST:PORT to listen on (default 127.0.0.1:8443)");
  app.add_option("--metrics-listen", options.metrics_listen,
                 "HOST:PORT for Prometheus: plain HTTP, GET /metrics only, no token (default: "
                 "none; GET /metrics on --listen takes a token); bind it to a private address");
  app.add_option("--store", options.store_url,
                 "Store URL: sqlite:PATH (default sqlite:DATA_DIR/gangplank.db), or a PostgreSQL "
                 "URI (postgresql://USER@HOST:PORT/DB) that any number of replicas share");
  app.add_option("--store-key", options.store_key,
                 "With a PostgreSQL store: the file (32 random bytes, base64) that seals the "
                 "control plane's private keys in the database; the same file on every replica");
  app.add_option("--public-url", options.public_url,
                 "The URL clients and nodes use, e.g. a load balancer in front of replicas "
                 "(default: this process's https://HOST:PORT/)");
  app.add_option("--threads", options.threads, "I/O threads (default: the number of cores)")
      ->check(CLI::Range(1, 256));
  app.add_option("--max-connections", options.max_connections,
                 "Client connections served at once (default 1000, and at most half the "
                 "open-file limit); more get 503 with Retry-After")
      ->check(CLI::Range(1, 1000000));
  app.add_option("--tls-cert", options.tls_cert,
                 "Serving certificate (PEM); default: the local CA's");
  app.add_option("--tls-key", options.tls_key, "Serving key (PEM), with --tls-cert");
  app.add_option("--nodes", options.nodes,
                 "local: every node is a container (runc) made from a node image, with its own "
                 "address on the node bridge and a real sshd (needs root); "
                 "simulated: nodes are records that report their desired state at once (default: "
                 "local as root, simulated otherwise)")
      ->check(CLI::IsMember({"local", "simulated"}));
  app.add_option("--nodes-dir", options.nodes_dir,
                 "Where local nodes keep their files (default "
                 "/var/lib/gangplank/nodes/<hash of the data dir>; with a PostgreSQL store, "
                 "/var/lib/gangplank/nodes/<node bridge>, which every replica on the host shares)");
  app.add_option("--node-agent", options.node_agent,
                 "The gangplank-node binary (default: beside gangplankd)");
  app.add_option("--node-timeout", options.node_timeout_seconds,
                 "Seconds a node may take to come up before its operation fails (default 120)")
      ->check(CLI::Range(5, 3600));
  app.add_option("--node-disk-max", options.node_disk_max,
                 "The largest disk a local node gets, e.g. 256M or 8G (default 8G): its own file "
                 "system in a sparse file, so writing past it is ENOSPC inside the node and "
                 "nothing outside; a pool's osDiskSizeGB below it is kept");
  app.add_option("--node-network", options.node_network,
                 "The /16 local nodes get their addresses from: auto (the first /16 of "
                 "10.224.0.0/12 no route or address of this host overlaps, kept in the store) or "
                 "10.N.0.0/16 (default auto)");
  app.add_option("--node-bridge-ports", options.nodes_per_bridge,
                 "Local nodes per node bridge (a Linux bridge holds at most 1,023 ports); more "
                 "nodes go on further bridges linked to the first (default 900)")
      ->check(CLI::Range(1, 1000));
  app.set_version_flag("--version", "gangplankd 0.1.0");
  auto* stop_nodes = app.add_subcommand(
      "stop-nodes",
      "Stop every local node (container) of a data dir (or, with --store postgresql://…, of "
      "the replicas on this host); gangplankd itself is stopped with SIGTERM. Started again, "
      "gangplankd starts them again with their disks.");
  bool remove = false;
  stop_nodes->fallthrough();  // --data-dir and --nodes-dir also after the subcommand
  stop_nodes->add_flag("--remove", remove,
                       "also delete the nodes' disks and directories and the node bridge");
  auto* node_image = app.add_subcommand("node-image", "The node image catalog of a data dir");
  node_image->fallthrough();
  node_image->require_subcommand(1);
  std::string os_sku, version;
  auto* publish = node_image->add_subcommand(
      "publish",
      "Publish a node image version: new nodes get it, and upgradeNodeImageVersion reimages "
      "every node of the OS SKU onto it");
  publish->fallthrough();
  publish->add_option("--os-sku", os_sku, "Ubuntu, AzureLinux, CBLMariner or Mariner")->required();
  publish->add_option("--version", version, "for example AKSUbuntu-2204gen2containerd-202312.01.0")
      ->required();
  auto* list = node_image->add_subcommand(
      "list", "Every known version per OS SKU, newest last, and whether this data dir has built it");
  list->fallthrough();
  auto* build = node_image->add_subcommand(
      "build",
      "Build a node image (a root file system from Debian packages: debootstrap, openssh-server, "
      "the node agent) into the data dir; the first build on a machine is cached");
  build->fallthrough();
  build->add_option("--version", version,
                    "the version to build (default: the latest published Ubuntu version)");
  CLI11_PARSE(app, argc, argv);
  if (publish->parsed()) {
    return gangplank::server::PublishNodeImage(options, os_sku, version, std::cout, std::cerr);
  }
  if (list->parsed()) return gangplank::server::ListNodeImages(options, std::cout);
  if (build->parsed()) {
    return gangplank::server::BuildNodeImage(options, version, std::cout, std::cerr);
  }
  if (stop_nodes->parsed()) {
    return gangplank::server::StopLocalNodes(options, remove, std::cout, std::cerr);
  }
  return gangplank::server::RunControlPlane(options, std::cout, std::cerr);
}
