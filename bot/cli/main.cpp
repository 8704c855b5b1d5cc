#include "bot/cli/cli.h"

int main(int argc, char** argv) {
  return vigil::run_cli(argc, argv);
}
