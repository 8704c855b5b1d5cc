#include "bot/cli.h"

int main(int argc, char** argv) { return vigil::run_cli(argc, argv); }
