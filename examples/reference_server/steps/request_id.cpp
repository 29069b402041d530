// SPDX-License-Identifier: Apache-2.0
#include "steps/request_id.hpp"

#include <algorithm>
#include <array>
#include <cstddef>
#include <span>

namespace tenantkit::server {
namespace {

// Request ids need uniqueness, not secrecy, yet system_random() makes one getrandom() system
// call per id. This draws the same OS CSPRNG bytes 4 KiB at a time into a per-thread buffer
// (one call per ~256 ids). The bytes serve request ids only, which are sent to clients anyway.
class BufferedSystemRandom final : public Random {
 public:
  void fill(std::span<std::byte> out) noexcept override {
    thread_local Buffer buffer;
    std::size_t done = 0;
    while (done < out.size()) {
      if (buffer.used == buffer.bytes.size()) {
        system_random().fill(buffer.bytes);
        buffer.used = 0;
      }
      const std::size_t n = std::min(out.size() - done, buffer.bytes.size() - buffer.used);
      std::copy_n(buffer.bytes.begin() + static_cast<std::ptrdiff_t>(buffer.used), n,
                  out.begin() + static_cast<std::ptrdiff_t>(done));
      buffer.used += n;
      done += n;
    }
  }

 private:
  struct Buffer {
    std::array<std::byte, 4096> bytes{};
    std::size_t used = bytes.size();
  };
};

}  // namespace

bool is_valid_request_id(std::string_view id) noexcept {
  if (id.empty() || id.size() > kMaxRequestIdLength) return false;
  for (const char c : id) {
    const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '_' || c == ':' || c == '-';
    if (!ok) return false;
  }
  return true;
}

void assign_request_id(RequestContext& ctx, Random& random, const Clock& clock) {
  const std::string_view incoming = ctx.header("X-Request-Id");
  static BufferedSystemRandom buffered;
  // An injected Random (tests: SeededRandom) is used as given.
  Random& source = &random == &system_random() ? static_cast<Random&>(buffered) : random;
  ctx.request_id =
      is_valid_request_id(incoming) ? std::string(incoming) : uuid_v7(source, clock.now());
  // RequestId's own syntax (ids.hpp) is narrower than API.md's; the value was checked above.
  ctx.tenant.request_id = RequestId::from_trusted(ctx.request_id);
}

}  // namespace tenantkit::server
