// SPDX-License-Identifier: Apache-2.0
// Shared plumbing of the C ABI: the error object, the catch-all guard every entry point runs
// in, string conversion in both directions, and the handle types several files use.
#pragma once

#include <cstdlib>
#include <exception>
#include <memory>
#include <new>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <tenantkit/c/tenantkit.h>
#include <tenantkit/core/clock.hpp>
#include <tenantkit/core/error.hpp>
#include <tenantkit/core/result.hpp>
#include <tenantkit/storage/storage.hpp>

struct tk_error {
  tk_status code = TK_INTERNAL;
  std::string message;
  std::string detail;
  std::vector<tenantkit::FieldError> fields;
};

struct tk_strings {
  std::vector<std::string> items;
};

struct tk_clock {
  tenantkit::ManualClock clock;
};

struct tk_storage {
  std::unique_ptr<tenantkit::storage::Storage> storage;
};

namespace tenantkit::c {

inline tk_status status_of(Errc code) noexcept {
  return static_cast<tk_status>(code);
}

/// Stores `e` in *out (when out is non-null) and returns its status. Never throws: when the
/// error object itself cannot be allocated the caller still gets the code.
tk_status fail(tk_error** out, const Error& e) noexcept;

/// Runs `f` (returning tk_status) and turns any exception into TK_INTERNAL, so that no C++
/// exception crosses the C boundary.
template <class F>
tk_status guard(tk_error** error, F&& f) noexcept {
  try {
    return f();
  } catch (const std::bad_alloc&) {
    return fail(error, Error{Errc::internal, "out of memory"});
  } catch (const std::exception& e) {
    return fail(error, Error{Errc::internal, std::string("unexpected exception: ") + e.what()});
  } catch (...) {
    return fail(error, Error{Errc::internal, "unexpected exception"});
  }
}

/// TK_BAD_REQUEST naming the missing argument.
inline tk_status null_argument(tk_error** error, std::string_view name) noexcept {
  try {
    return fail(error, Error{Errc::bad_request, std::string(name) + " must not be NULL"});
  } catch (...) {
    return TK_BAD_REQUEST;
  }
}

/// A (ptr, len) argument as a view; NULL with length 0 is the empty string.
inline std::string_view view(const char* s, std::size_t len) noexcept {
  return s == nullptr ? std::string_view() : std::string_view(s, len);
}

/// A C string array as std::strings (NULL with count 0 is empty). Errors: bad_request for a
/// NULL array with a non-zero count or a NULL item.
Result<std::vector<std::string>> strings_in(const char* const* items, std::size_t count,
                                            std::string_view what);

struct FreeDeleter {
  void operator()(char* p) const noexcept;  // wipes, then frees (tk_string_free)
};
using OwnedString = std::unique_ptr<char, FreeDeleter>;

/// A malloc'd NUL-terminated copy for the caller to tk_string_free. Throws std::bad_alloc.
OwnedString string_out(std::string_view s);

/// A tk_strings holding `items`.
std::unique_ptr<tk_strings> strings_out(std::vector<std::string> items);

/// Assigns an owned string to an optional out-parameter (dropping it when the out is NULL).
inline void give(char** out, OwnedString& s) noexcept {
  if (out != nullptr) *out = s.release();
}

/// The clock a handle uses: the manual clock given, else the system clock.
inline const Clock& clock_of(const tk_clock* c) noexcept {
  return c != nullptr ? static_cast<const Clock&>(c->clock) : system_clock();
}

/// Unix seconds <-> Timestamp.
inline Timestamp from_unix(std::int64_t seconds) noexcept {
  return Timestamp{std::chrono::seconds{seconds}};
}
inline std::int64_t to_unix(Timestamp t) noexcept {
  return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}
/// Rounded up: "when the window ends" must never be reported early.
inline std::int64_t to_unix_ceil(Timestamp t) noexcept {
  return std::chrono::ceil<std::chrono::seconds>(t.time_since_epoch()).count();
}

}  // namespace tenantkit::c
