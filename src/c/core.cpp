// SPDX-License-Identifier: Apache-2.0
// C ABI: version, status names, error objects, strings, manual clocks.
#include <cstring>

#include <sodium.h>

#include "c/common.hpp"

// The header's version macros and status values are hand-written C; keep them tied to the
// project and to Errc so that neither can drift silently.
static_assert(TK_VERSION_MAJOR == TENANTKIT_PROJECT_VERSION_MAJOR &&
                  TK_VERSION_MINOR == TENANTKIT_PROJECT_VERSION_MINOR &&
                  TK_VERSION_PATCH == TENANTKIT_PROJECT_VERSION_PATCH,
              "include/tenantkit/c/tenantkit.h TK_VERSION_* differ from project(VERSION)");

#define TK_SAME(c, e) static_assert(static_cast<int>(c) == static_cast<int>(tenantkit::Errc::e))
TK_SAME(TK_BAD_REQUEST, bad_request);
TK_SAME(TK_VALIDATION_FAILED, validation_failed);
TK_SAME(TK_UNAUTHORIZED, unauthorized);
TK_SAME(TK_FORBIDDEN, forbidden);
TK_SAME(TK_NOT_FOUND, not_found);
TK_SAME(TK_CONFLICT, conflict);
TK_SAME(TK_GONE, gone);
TK_SAME(TK_PAYLOAD_TOO_LARGE, payload_too_large);
TK_SAME(TK_RATE_LIMITED, rate_limited);
TK_SAME(TK_QUOTA_EXCEEDED, quota_exceeded);
TK_SAME(TK_SEAT_LIMIT_REACHED, seat_limit_reached);
TK_SAME(TK_FEATURE_NOT_IN_PLAN, feature_not_in_plan);
TK_SAME(TK_PLAN_LIMIT_REACHED, plan_limit_reached);
TK_SAME(TK_INVALID_SIGNATURE, invalid_signature);
TK_SAME(TK_UNAVAILABLE, unavailable);
TK_SAME(TK_INTERNAL, internal);
#undef TK_SAME

namespace tenantkit::c {

tk_status fail(tk_error** out, const Error& e) noexcept {
  const tk_status code = status_of(e.code);
  if (out == nullptr) return code;
  try {
    auto err = std::make_unique<tk_error>();
    err->code = code;
    err->detail = e.detail;
    err->message = std::string(to_string(e.code));
    if (!e.detail.empty()) err->message += ": " + e.detail;
    err->fields = e.fields;
    tk_error_free(*out);
    *out = err.release();
  } catch (...) {
    // Out of memory while reporting: the status alone still tells the caller what failed.
  }
  return code;
}

Result<std::vector<std::string>> strings_in(const char* const* items, std::size_t count,
                                            std::string_view what) {
  if (items == nullptr && count != 0)
    return Error{Errc::bad_request, std::string(what) + " is NULL with a non-zero count"};
  std::vector<std::string> out;
  out.reserve(count);
  for (std::size_t i = 0; i < count; ++i) {
    if (items[i] == nullptr)
      return Error{Errc::bad_request, std::string(what) + " holds a NULL item"};
    out.emplace_back(items[i]);
  }
  return out;
}

void FreeDeleter::operator()(char* p) const noexcept {
  tk_string_free(p);
}

OwnedString string_out(std::string_view s) {
  auto* p = static_cast<char*>(std::malloc(s.size() + 1));
  if (p == nullptr) throw std::bad_alloc();
  if (!s.empty()) std::memcpy(p, s.data(), s.size());
  p[s.size()] = '\0';
  return OwnedString(p);
}

std::unique_ptr<tk_strings> strings_out(std::vector<std::string> items) {
  auto out = std::make_unique<tk_strings>();
  out->items = std::move(items);
  return out;
}

}  // namespace tenantkit::c

using namespace tenantkit;
using namespace tenantkit::c;

extern "C" {

const char* tk_version(void) {
  return TENANTKIT_PROJECT_VERSION;
}

int tk_version_number(void) {
  return TENANTKIT_PROJECT_VERSION_MAJOR * 10000 + TENANTKIT_PROJECT_VERSION_MINOR * 100 +
         TENANTKIT_PROJECT_VERSION_PATCH;
}

bool tk_built_with(const char* component) {
  if (component == nullptr) return false;
  const std::string_view c(component);
#ifdef TENANTKIT_C_WITH_SQLITE
  if (c == "sqlite") return true;
#endif
#ifdef TENANTKIT_C_WITH_REDIS
  if (c == "redis") return true;
#endif
  return false;
}

const char* tk_status_name(tk_status status) {
  // A table of literals rather than to_string(Errc): the result must be NUL-terminated and
  // live forever. The C test checks every spelling against API.md's codes.
  switch (status) {
    case TK_OK:
      return "ok";
    case TK_BAD_REQUEST:
      return "bad_request";
    case TK_VALIDATION_FAILED:
      return "validation_failed";
    case TK_UNAUTHORIZED:
      return "unauthorized";
    case TK_FORBIDDEN:
      return "forbidden";
    case TK_NOT_FOUND:
      return "not_found";
    case TK_CONFLICT:
      return "conflict";
    case TK_GONE:
      return "gone";
    case TK_PAYLOAD_TOO_LARGE:
      return "payload_too_large";
    case TK_RATE_LIMITED:
      return "rate_limited";
    case TK_QUOTA_EXCEEDED:
      return "quota_exceeded";
    case TK_SEAT_LIMIT_REACHED:
      return "seat_limit_reached";
    case TK_FEATURE_NOT_IN_PLAN:
      return "feature_not_in_plan";
    case TK_PLAN_LIMIT_REACHED:
      return "plan_limit_reached";
    case TK_INVALID_SIGNATURE:
      return "invalid_signature";
    case TK_UNAVAILABLE:
      return "unavailable";
    case TK_INTERNAL:
    default:
      return "internal";
  }
}

tk_status tk_error_code(const tk_error* error) {
  return error == nullptr ? TK_INTERNAL : error->code;
}

const char* tk_error_message(const tk_error* error) {
  return error == nullptr ? "" : error->message.c_str();
}

const char* tk_error_detail(const tk_error* error) {
  return error == nullptr ? "" : error->detail.c_str();
}

size_t tk_error_field_count(const tk_error* error) {
  return error == nullptr ? 0 : error->fields.size();
}

const char* tk_error_field_name(const tk_error* error, size_t index) {
  if (error == nullptr || index >= error->fields.size()) return nullptr;
  return error->fields[index].field.c_str();
}

const char* tk_error_field_message(const tk_error* error, size_t index) {
  if (error == nullptr || index >= error->fields.size()) return nullptr;
  return error->fields[index].message.c_str();
}

void tk_error_free(tk_error* error) {
  delete error;
}

void tk_string_free(char* s) {
  if (s == nullptr) return;
  // Strings handed out include API key secrets and tokens: wipe before the allocator reuses it.
  sodium_memzero(s, std::strlen(s));
  std::free(s);
}

size_t tk_strings_count(const tk_strings* list) {
  return list == nullptr ? 0 : list->items.size();
}

const char* tk_strings_get(const tk_strings* list, size_t index) {
  if (list == nullptr || index >= list->items.size()) return nullptr;
  return list->items[index].c_str();
}

void tk_strings_free(tk_strings* list) {
  delete list;
}

tk_status tk_clock_create_manual(int64_t unix_seconds, tk_clock** out, tk_error** error) {
  return guard(error, [&] {
    if (out == nullptr) return null_argument(error, "out");
    auto c = std::make_unique<tk_clock>();
    c->clock.set(from_unix(unix_seconds));
    *out = c.release();
    return TK_OK;
  });
}

void tk_clock_destroy(tk_clock* clock) {
  delete clock;
}

void tk_clock_set(tk_clock* clock, int64_t unix_seconds) {
  if (clock != nullptr) clock->clock.set(from_unix(unix_seconds));
}

void tk_clock_advance(tk_clock* clock, int64_t seconds) {
  if (clock != nullptr) clock->clock.advance(std::chrono::seconds{seconds});
}

int64_t tk_clock_now(const tk_clock* clock) {
  return to_unix(clock_of(clock).now());
}

}  // extern "C"
