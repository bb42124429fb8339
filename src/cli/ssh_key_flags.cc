// The SSH key flags shared by every command that sets a cluster's key.
#include "cli/ssh_key_flags.h"

namespace gangplank::cli {

void AddSshKeyFlags(CLI::App& command, sshkey::SshKeyFlags& flags) {
  command.add_option("--ssh-key-value", flags.ssh_key_value,
                     "Public key path (~ expanded) or key contents. Default ~/.ssh/id_rsa.pub")
      ->group("SSH Arguments");
  command.add_flag("--generate-ssh-keys,--generate-ssh-key", flags.generate_ssh_keys,
                   "Use the key at the path if it exists, else generate a key pair there")
      ->group("SSH Arguments");
  command.add_flag("-x,--no-ssh-key", flags.no_ssh_key,
                   "Send no key: the service generates one and discards its private half")
      ->group("SSH Arguments");
}

}  // namespace gangplank::cli
