// The server process: wires the modules together and owns their start and stop order.
// Start: open the store, rebuild the stock engine from it, start the journal writer, the
// workers and the listener. Stop (SIGINT/SIGTERM): stop accepting, drain in-flight requests
// with a deadline, stop the workers, then let the writer commit what is left, and close.
#pragma once

#include <optional>
#include <string>

#include "app/config.h"

namespace flashsale::app {

struct ServeOptions {
    Config config;
    bool demo_sale = false;  // create a sale that opens a minute after start (make run)
    bool show_admin_token = false;  // print it in the start banner
};

// Runs until SIGINT or SIGTERM; returns the process exit code.
int serve(const ServeOptions& options);

// Blocks until SIGINT or SIGTERM arrives.
void wait_for_signal();

}  // namespace flashsale::app
