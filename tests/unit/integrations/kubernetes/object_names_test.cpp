#include "integrations/kubernetes/object_names.h"

#include <gtest/gtest.h>

namespace vigil::kubernetes {
namespace {

TEST(ObjectNames, ParsesKubectlListingsAndDropsWhatIsNotAName) {
  EXPECT_EQ(parse_names("NAME          STATUS   AGE\ndefault       Active   91d\ndemo   Active 1d\n"),
            (std::vector<std::string>{"default", "demo"}));
  EXPECT_EQ(parse_names("namespace/demo\nnamespace/kube-system\n"), (std::vector<std::string>{"demo", "kube-system"}));
  EXPECT_EQ(parse_names("$(rm -rf /) x\nBad_Name y\n-leading z\nok\n"), (std::vector<std::string>{"ok"}));
  EXPECT_EQ(
      parse_namespaced_names("NAMESPACE   NAME   READY\ndemo        checkout-1   1/1\r\nshop web-2 0/1\nonlyone\n"),
      (std::vector<NamespacedName>{{"demo", "checkout-1"}, {"shop", "web-2"}}));
  std::string many;
  for (int i = 0; i < 50; ++i) {
    many += "ns pod-" + std::to_string(i) + "\n";
  }
  EXPECT_EQ(parse_namespaced_names(many, 10).size(), 10u);
}

}  // namespace
}  // namespace vigil::kubernetes
