#include "common/check.h"

#include <cstdio>
#include <cstdlib>

namespace flashsale::detail {

void check_failed(const char* expression, const char* file, int line) {
    std::fprintf(stderr, "flashsale: check failed: %s at %s:%d\n", expression, file, line);
    std::fflush(stderr);
    std::abort();
}

}  // namespace flashsale::detail
