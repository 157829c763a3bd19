// FS_CHECK: internal states that must never happen (stock below zero, a transition the status
// machine forbids reaching the store). A failure is a bug: log where and abort, so that the node
// restarts from durable state instead of running on with a broken one. Never use it on input.
#pragma once

namespace flashsale::detail {
[[noreturn]] void check_failed(const char* expression, const char* file, int line);
}

#define FS_CHECK(condition)                                                   \
    do {                                                                      \
        if (!(condition)) [[unlikely]] {                                      \
            ::flashsale::detail::check_failed(#condition, __FILE__, __LINE__); \
        }                                                                     \
    } while (false)

#ifdef NDEBUG
#define FS_DCHECK(condition) \
    do {                     \
    } while (false && (condition))
#else
#define FS_DCHECK(condition) FS_CHECK(condition)
#endif
