// Result<T>: the value of an operation whose failure is an expected outcome (sold out, bad
// input, not found). Failures carry an Errc and a human-readable message. Exceptions are kept
// for the control plane (config, start-up); bugs crash through FS_CHECK.
#pragma once

#include <string>
#include <utility>
#include <variant>

#include "common/check.h"
#include "common/errc.h"

namespace flashsale {

struct Error {
    Errc code;
    std::string message;
};

inline Error make_error(Errc code, std::string message = {}) {
    return Error{code, std::move(message)};
}

template <class T>
class [[nodiscard]] Result {
public:
    // Asio's co_spawn needs a default; an unset result reads as an internal error.
    Result() : state_(Error{Errc::kInternal, "no result"}) {}
    Result(T value) : state_(std::move(value)) {}   // NOLINT: implicit by design
    Result(Error error) : state_(std::move(error)) {}  // NOLINT: implicit by design

    bool ok() const { return state_.index() == 0; }
    explicit operator bool() const { return ok(); }

    T& value() & {
        FS_CHECK(ok());
        return std::get<0>(state_);
    }
    const T& value() const& {
        FS_CHECK(ok());
        return std::get<0>(state_);
    }
    T&& value() && {
        FS_CHECK(ok());
        return std::get<0>(std::move(state_));
    }
    T* operator->() { return &value(); }
    const T* operator->() const { return &value(); }
    T& operator*() & { return value(); }
    const T& operator*() const& { return value(); }

    const Error& error() const {
        FS_CHECK(!ok());
        return std::get<1>(state_);
    }

private:
    std::variant<T, Error> state_;
};

struct Ok {};
using Status = Result<Ok>;

}  // namespace flashsale
