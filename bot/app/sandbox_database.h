#pragma once

#include <filesystem>
#include <string>

#include "bot/base/error.h"

namespace vigil {

/// The table the sandbox writes into a database it creates: its mark of ownership.
inline constexpr const char* kSandboxMarkerTable = "vigil_sandbox";

/// What the sandbox does with the database the configuration names.
enum class SandboxDatabaseUse {
  Create,  // none there yet (or an empty file): the sandbox creates it, marked as its own
  Reuse,   // one the sandbox created before (it has the marker)
  Refuse,  // any other database, e.g. the production vigil.db of the configuration
};

/// The decision alone: `exists` means a non-empty file is at the path.
SandboxDatabaseUse sandbox_database_use(bool exists, bool has_marker);

/// What `vigil serve --sandbox` says when it refuses the database at `path`.
std::string sandbox_database_refusal(const std::string& path);

/// Makes sure the sandbox acts only on a database of its own: creates the database at `path`
/// (0600, with the marker table) when there is none, accepts one that has the marker, and refuses
/// any other (InvalidConfig with sandbox_database_refusal). ":memory:" needs nothing.
Result<void> claim_sandbox_database(const std::filesystem::path& path);

}  // namespace vigil
