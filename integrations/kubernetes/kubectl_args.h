#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace vigil::kubernetes {

/// A long flag's name as kubectl reads it: without the leading dashes and any "=value", with "_"
/// turned into "-" (kubectl normalises flag names so; `--as_group` is `--as-group`).
std::string normalized_flag_name(std::string_view arg);

/// The first argument kubectl would read as a flag that picks the identity, credentials, cluster or
/// files of the call (--kubeconfig, --token, --as, --as-group, --as-uid, --server, --context,
/// --user, --client-key, --insecure-skip-tls-verify, …), as it was written; none when there is none.
/// Parsed as kubectl (pflag) parses: "--flag", "--flag=value" and "--flag_name" alike; "-s" (the
/// --server shorthand) alone, with its value attached ("-shttp://…", "-s=…"), or at the end of a
/// cluster of boolean shorthands ("-ws …"). Arguments after a lone "--" are not flags to kubectl.
std::optional<std::string> identity_flag(const std::vector<std::string>& argv);

/// The value of the last --dry-run flag before "--" ("server", "client", "none"; a bare --dry-run
/// is "client"), or none when there is no such flag. kubectl takes the last one given.
std::optional<std::string> effective_dry_run(const std::vector<std::string>& argv);

}  // namespace vigil::kubernetes
