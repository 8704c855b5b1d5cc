// Reports, as `file:line: message`, every function body in the product's sources (bot/, skills/,
// handlers/, integrations/) longer than 80 lines that does not say why it is kept whole (see
// function_length.h). Exit 0 when there is none, 1 when there is, 2 on a usage or I/O error. Run by
// ctest as repo.function_length.
//
// Usage: check_function_length ROOT [LIMIT]
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "tests/repo/function_length.h"

namespace fs = std::filesystem;

int main(int argc, char** argv) {
  if (argc != 2 && argc != 3) {
    std::cerr << "usage: check_function_length ROOT [LIMIT]\n";
    return 2;
  }
  const fs::path root = argv[1];
  const int limit = argc == 3 ? std::atoi(argv[2]) : 80;
  std::vector<fs::path> files;
  for (const std::string folder : {"bot", "handlers", "integrations", "skills"}) {
    const fs::path dir = root / folder;
    if (!fs::is_directory(dir))
      continue;
    for (const auto& entry : fs::recursive_directory_iterator(dir)) {
      const auto ext = entry.path().extension();
      if (entry.is_regular_file() && (ext == ".cpp" || ext == ".h"))
        files.push_back(entry.path());
    }
  }
  std::sort(files.begin(), files.end());
  if (files.empty()) {
    std::cerr << "check_function_length: no C++ sources under " << root << "\n";
    return 2;
  }
  int found = 0;
  for (const auto& file : files) {
    std::ifstream in(file, std::ios::binary);
    if (!in) {
      std::cerr << file.string() << ": cannot read\n";
      return 2;
    }
    std::stringstream buffer;
    buffer << in.rdbuf();
    for (const auto& f : vigil::repo::find_long_functions(buffer.str(), limit)) {
      std::cout << fs::relative(file, root).generic_string() << ":" << f.line << ": a body of " << f.body_lines
                << " lines (over " << limit << "): split it into named steps, or say why it is kept whole in a "
                << "`// long-function: <reason>` comment above it: " << f.signature << "\n";
      ++found;
    }
  }
  if (found > 0) {
    std::cout << found << " function(s) over " << limit << " lines in " << files.size() << " files\n";
    return 1;
  }
  std::cout << "no function body over " << limit << " lines without a reason in " << files.size() << " files\n";
  return 0;
}
