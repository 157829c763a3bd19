// flashsale: one binary that runs a whole flash sale. See README.md and docs/ARCHITECTURE.md.
#include "app/cli.h"

int main(int argc, char** argv) { return flashsale::app::run_cli(argc, argv); }
