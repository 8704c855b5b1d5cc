#pragma once

#include <optional>
#include <string_view>
#include <vector>

namespace vigil {

/// A file compiled into the binary (cmake/EmbedFiles.cmake): the sandbox page under "web/", the
/// demo cluster under "demo/".
struct EmbeddedFile {
  std::string_view name;
  std::string_view data;
};

/// The file's contents, or nullopt when no such file was embedded.
std::optional<std::string_view> embedded_file(std::string_view name);
/// Every embedded file whose name starts with `prefix`, in name order.
std::vector<EmbeddedFile> embedded_files(std::string_view prefix);

}  // namespace vigil
