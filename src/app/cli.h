// The command line: `flashsale serve | mint-token | verify`, each with its own --help.
#pragma once

namespace flashsale::app {

// Parses the arguments, runs the chosen subcommand and returns the process exit code.
int run_cli(int argc, char** argv);

}  // namespace flashsale::app
