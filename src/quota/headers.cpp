// SPDX-License-Identifier: Apache-2.0
#include <algorithm>
#include <cstdint>

#include <tenantkit/quota/headers.hpp>

namespace tenantkit::quota {

namespace {
// RFC 8941 sf-string: only `"` and `\` need escaping.
void append_sf_string(std::string& out, std::string_view s) {
  out.push_back('"');
  for (char ch : s) {
    if (ch == '"' || ch == '\\') out.push_back('\\');
    out.push_back(ch);
  }
  out.push_back('"');
}
}  // namespace

RateLimitHeaders rate_limit_headers(std::string_view meter, const Outcome& outcome, Timestamp now) {
  RateLimitHeaders h;
  if (outcome.kind == MeterKind::gauge || outcome.limit >= kUnlimited) return h;
  const std::int64_t until_reset_us = (outcome.reset - now).count();
  const std::int64_t t = until_reset_us <= 0 ? 0 : (until_reset_us + 999'999) / 1'000'000;
  append_sf_string(h.policy, meter);
  h.policy +=
      ";q=" + std::to_string(outcome.limit) + ";w=" + std::to_string(outcome.window.count());
  append_sf_string(h.rate_limit, meter);
  h.rate_limit += ";r=" + std::to_string(std::max<std::int64_t>(0, outcome.remaining)) +
                  ";t=" + std::to_string(t);
  if (!outcome.allowed())
    h.retry_after = std::to_string(std::max<std::int64_t>(1, outcome.retry_after.count()));
  return h;
}

}  // namespace tenantkit::quota
