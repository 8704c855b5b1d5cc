// Not part of unit_tests: ctest compiles this file (tests/CMakeLists.txt) once as is, which must
// work, and once per case, which must fail with the guard's name in the compiler's message. A metric
// name that is not in bot/base/metric_catalog.h, or recorded as another type, does not compile.
#include "bot/base/metrics.h"

namespace vigil {

void record(Metrics& m) {
  m.inc("vigil_socket_duplicates_total");
#if defined(VIGIL_CASE_UNCATALOGUED)
  m.inc("vigil_socket_brand_new_total");
#elif defined(VIGIL_CASE_ANOTHER_TYPE)
  m.set("vigil_socket_duplicates_total", {}, 1);
#endif
}

}  // namespace vigil
