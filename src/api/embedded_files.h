// The web pages built from web/ at build time, embedded in the binary by
// cmake/embed_files.cmake, so that one binary serves its own pages wherever it runs.
#pragma once

#include <cstddef>

namespace flashsale::api {

struct EmbeddedFile {
    const char* path;  // relative to the build output, e.g. "index.html", "assets/sale.js"
    const unsigned char* data;
    std::size_t size;
};

// Ends with an entry whose path is nullptr.
extern const EmbeddedFile kEmbeddedFiles[];

}  // namespace flashsale::api
