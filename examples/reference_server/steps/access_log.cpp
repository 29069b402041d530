// SPDX-License-Identifier: Apache-2.0
#include "steps/access_log.hpp"

namespace tenantkit::server {

void log_access(const Logger& log, const RequestContext& ctx, unsigned status, std::size_t bytes) {
  if (!log.enabled(LogLevel::info)) return;
  const auto method = ctx.request.method_string();
  const double ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - ctx.start)
          .count();
  log.info("request", {{"request_id", ctx.request_id},
                       {"method", std::string_view(method.data(), method.size())},
                       {"path", ctx.path},
                       {"route", ctx.route},
                       {"status", static_cast<std::int64_t>(status)},
                       {"duration_ms", ms},
                       {"bytes", static_cast<std::int64_t>(bytes)},
                       {"ip", ctx.client_ip}});
}

}  // namespace tenantkit::server
