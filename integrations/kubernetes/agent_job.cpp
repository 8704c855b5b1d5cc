#include "integrations/kubernetes/agent_job.h"

namespace vigil::kubernetes {
namespace {

using nlohmann::json;

std::string base36(long long v) {
  static constexpr const char* kDigits = "0123456789abcdefghijklmnopqrstuvwxyz";
  auto u = static_cast<unsigned long long>(v < 0 ? -v : v);
  std::string out;
  do {
    out.insert(out.begin(), kDigits[u % 36]);
    u /= 36;
  } while (u != 0);
  return out;
}

json labels(const AgentJobRequest& r) {
  return {{"app.kubernetes.io/name", "vigil-agent"},
          {"app.kubernetes.io/managed-by", "vigil"},
          {"vigil.dev/run-id", r.run_id}};
}

json container_security_context() {
  return {{"runAsNonRoot", true},
          {"readOnlyRootFilesystem", true},
          {"allowPrivilegeEscalation", false},
          {"privileged", false},
          {"capabilities", {{"drop", json::array({"ALL"})}}},
          {"seccompProfile", {{"type", "RuntimeDefault"}}}};
}

json pod_security_context() {
  return {{"runAsNonRoot", true},
          {"runAsUser", 10001},
          {"runAsGroup", 10001},
          {"fsGroup", 10001},
          {"seccompProfile", {{"type", "RuntimeDefault"}}}};
}

json container_env(const AgentJobOptions& o, const AgentJobRequest& r) {
  json env = json::array({{{"name", "INCIDENT_ID"}, {"value", r.run_id}},
                          {{"name", "VIGIL_READ_ONLY"}, {"value", "true"}},
                          {{"name", "HOME"}, {"value", std::string(kWorkspaceMount) + "/.home"}}});
  for (const auto& name : api_key_variables(r.backend)) {
    env.push_back({{"name", name},
                   {"valueFrom", {{"secretKeyRef", {{"name", o.api_key_secret}, {"key", name}, {"optional", true}}}}}});
  }
  return env;
}

json container(const AgentJobOptions& o, const AgentJobRequest& r) {
  const auto& res = o.resources;
  return {{"name", "agent"},
          {"image", o.image},
          {"imagePullPolicy", "IfNotPresent"},
          {"command", agent_pod_argv(r)},
          {"workingDir", kWorkspaceMount},
          {"env", container_env(o, r)},
          {"resources",
           {{"requests", {{"cpu", res.cpu_request}, {"memory", res.memory_request}}},
            {"limits", {{"cpu", res.cpu_limit}, {"memory", res.memory_limit}}}}},
          {"securityContext", container_security_context()},
          {"volumeMounts", json::array({{{"name", "context"}, {"mountPath", kContextMount}, {"readOnly", true}},
                                        {{"name", "workspace"}, {"mountPath", kWorkspaceMount}},
                                        {{"name", "tmp"}, {"mountPath", "/tmp"}}})}};
}

json volumes(const AgentJobOptions& o, const AgentJobRequest& r) {
  return json::array({{{"name", "context"}, {"configMap", {{"name", r.name}, {"defaultMode", 0444}}}},
                      {{"name", "workspace"}, {"emptyDir", {{"sizeLimit", o.resources.workspace_size}}}},
                      {{"name", "tmp"}, {"emptyDir", {{"sizeLimit", "256Mi"}}}}});
}

}  // namespace

std::string agent_job_name(const std::string& run_id, long long stamp_ms) {
  return "vigil-agent-" + run_id.substr(0, 36) + "-" + base36(stamp_ms % (36LL * 36 * 36 * 36 * 36 * 36 * 36));
}

std::vector<std::string> api_key_variables(const std::string& backend) {
  if (backend == "claude-code") {
    return {"ANTHROPIC_API_KEY", "CLAUDE_CODE_OAUTH_TOKEN"};
  }
  if (backend == "codex") {
    return {"OPENAI_API_KEY"};
  }
  if (backend == "gemini") {
    return {"GEMINI_API_KEY", "GOOGLE_API_KEY"};
  }
  return {};
}

std::vector<std::string> agent_pod_argv(const AgentJobRequest& r) {
  std::vector<std::string> argv = {"vigil",     "agent-pod",   "--backend",   r.backend,
                                   "--context", kContextMount, "--workspace", kWorkspaceMount};
  if (!r.session_id.empty()) {
    argv.insert(argv.end(), {"--session", r.session_id});
  }
  if (r.follow_up) {
    argv.push_back("--follow-up");
  }
  if (r.backend == "command" && !r.command.empty()) {
    argv.push_back("--");
    argv.insert(argv.end(), r.command.begin(), r.command.end());
  }
  return argv;
}

json agent_job(const AgentJobOptions& o, const AgentJobRequest& r) {
  const json pod_spec = {{"serviceAccountName", o.service_account},
                         {"automountServiceAccountToken", true},
                         {"restartPolicy", "Never"},
                         {"enableServiceLinks", false},
                         {"securityContext", pod_security_context()},
                         {"containers", json::array({container(o, r)})},
                         {"volumes", volumes(o, r)}};
  return {{"apiVersion", "batch/v1"},
          {"kind", "Job"},
          {"metadata", {{"name", r.name}, {"namespace", o.namespace_name}, {"labels", labels(r)}}},
          {"spec",
           {{"backoffLimit", 0},
            {"activeDeadlineSeconds", r.timeout.count()},
            {"ttlSecondsAfterFinished", o.ttl_after_finished.count()},
            {"template", {{"metadata", {{"labels", labels(r)}}}, {"spec", pod_spec}}}}}};
}

json context_config_map(const AgentJobOptions& o, const AgentJobRequest& r,
                        const std::vector<std::pair<std::string, std::string>>& files, const std::string& job_uid) {
  json data = json::object();
  json manifest = json::object();
  for (std::size_t i = 0; i < files.size(); ++i) {
    const auto key = "f" + std::to_string(i);
    data[key] = files[i].second;
    manifest[key] = files[i].first;
  }
  data[kContextManifest] = manifest.dump();
  json metadata = {{"name", r.name}, {"namespace", o.namespace_name}, {"labels", labels(r)}};
  if (!job_uid.empty()) {
    metadata["ownerReferences"] = json::array(
        {{{"apiVersion", "batch/v1"}, {"kind", "Job"}, {"name", r.name}, {"uid", job_uid}, {"controller", false}}});
  }
  return {{"apiVersion", "v1"}, {"kind", "ConfigMap"}, {"metadata", metadata}, {"data", data}};
}

}  // namespace vigil::kubernetes
