// Reports, as `file:line: message`, every co_await / co_return in the repository's C++ sources
// that holds what g++ 12 miscompiles (see coroutine_lint.h). Exit 0 when there is none, 1 when
// there is, 2 on a usage or I/O error. Run by ctest as repo.coroutine_temporaries.
//
// Usage: check_coroutine_temporaries ROOT
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "tests/repo/coroutine_lint.h"

namespace fs = std::filesystem;

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: check_coroutine_temporaries ROOT\n";
    return 2;
  }
  const fs::path root = argv[1];
  // Sources of the product, its tests, benchmarks and fuzzers; build folders and captured data are not.
  const std::vector<std::string> folders = {"bot", "handlers", "integrations", "skills", "tests", "bench", "fuzz"};
  std::vector<fs::path> files;
  for (const auto& folder : folders) {
    const fs::path dir = root / folder;
    if (!fs::is_directory(dir))
      continue;
    for (const auto& entry : fs::recursive_directory_iterator(dir)) {
      if (!entry.is_regular_file())
        continue;
      const auto ext = entry.path().extension();
      const auto relative = fs::relative(entry.path(), root).generic_string();
      if (relative.rfind("tests/fixtures/", 0) == 0 || relative.rfind("tests/repo/coroutine_lint_test", 0) == 0)
        continue;
      if (ext == ".cpp" || ext == ".h" || ext == ".hpp")
        files.push_back(entry.path());
    }
  }
  std::sort(files.begin(), files.end());
  if (files.empty()) {
    std::cerr << "check_coroutine_temporaries: no C++ sources under " << root << "\n";
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
    for (const auto& f : vigil::repo::find_coroutine_temporaries(buffer.str())) {
      std::cout << fs::relative(file, root).generic_string() << ":" << f.line << ": " << f.problem << " inside "
                << f.keyword << " (g++ 12 miscompiles it; name the value on its own line first): " << f.keyword << " "
                << f.excerpt << "\n";
      ++found;
    }
  }
  if (found > 0) {
    std::cout << found << " co_await/co_return expression(s) to rewrite in " << files.size() << " files\n";
    return 1;
  }
  std::cout << "no conditional, lambda, braced or string temporary inside co_await/co_return in " << files.size()
            << " files\n";
  return 0;
}
