#pragma once

namespace CLI {
class App;
}

namespace vigil {

/// Adds `vigil agent-pod` (the entrypoint of an agent's Pod when agent.isolation is kubernetes:
/// lays out the workspace from the mounted context, runs the agent CLI by argv, hands the outputs
/// back framed in its log). Not for people; hidden from --help.
void register_agent_pod_command(CLI::App& app, int& exit_code);

}  // namespace vigil
