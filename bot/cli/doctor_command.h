#pragma once

#include <string>

namespace CLI {
class App;
}

namespace vigil {

/// Registers `vigil doctor [--namespace NS]`: against the configured cluster, asks
/// `kubectl auth can-i` for every permission every kubectl step of every available skill needs,
/// with the kubeconfig that step runs with (read-only, dry run, remediation), and checks that the
/// read-only kubeconfig cannot write or read Secrets. Prints what would fail before an incident
/// needs it; exit 0 when nothing would, 1 when something would, 2 on a configuration error.
void register_doctor_command(CLI::App& app, const std::string& config_path, int& exit_code);

}  // namespace vigil
