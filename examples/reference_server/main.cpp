// SPDX-License-Identifier: Apache-2.0
// tenantkit-server: the reference server. Reads TK_* variables and --flags (--help lists them),
// binds TK_LISTEN, prints "tenantkit-server listening on http://HOST:PORT", serves until SIGINT
// or SIGTERM, drains, exits 0. A bad configuration prints every bad setting and exits 2.
#include <cstdio>
#include <cstdlib>
#include <string_view>
#include <vector>

#include <tenantkit/core/config.hpp>

#include "app.hpp"
#include "backends.hpp"
#include "maintenance.hpp"
#include "net/server.hpp"
#include "routes.hpp"
#include "services.hpp"

int main(int argc, char** argv) {
  using namespace tenantkit;
  std::vector<std::string_view> args(argv + 1, argv + argc);
  for (const auto arg : args) {
    if (arg == "--help" || arg == "-h") {
      std::fputs("Usage: tenantkit-server [--flag=value ...]\n\n", stdout);
      std::fputs(config_help().c_str(), stdout);
      return 0;
    }
  }
  auto config = load_config([](const char* name) { return std::getenv(name); }, args);
  if (!config) {
    std::fputs("tenantkit-server: invalid configuration\n", stderr);
    for (const auto& f : config.error().fields)
      std::fprintf(stderr, "  %s: %s\n", f.field.c_str(), f.message.c_str());
    if (config.error().fields.empty())
      std::fprintf(stderr, "  %s\n", config.error().detail.c_str());
    return 2;
  }

  server::App app(std::move(*config));
  auto backends = server::open_backends(app);
  if (!backends) {
    std::fprintf(stderr, "tenantkit-server: %s\n", backends.error().detail.c_str());
    return 1;
  }
  auto services = server::Services::create(app, *backends);
  if (!services) {
    std::fprintf(stderr, "tenantkit-server: %s\n", services.error().detail.c_str());
    return 1;
  }
  if (auto installed = app.install_routes(server::routes(app, **services)); !installed) {
    std::fprintf(stderr, "tenantkit-server: %s\n", installed.error().detail.c_str());
    return 1;
  }
  server::Maintenance maintenance(**services, app.config().audit_retention_interval);
  server::mark_inline_routes(app);
  auto srv = server::Server::create(app);
  if (!srv) {
    std::fprintf(stderr, "tenantkit-server: %s\n", srv.error().detail.c_str());
    return 1;
  }
  const auto& host = (*srv)->host();
  const bool v6 = host.find(':') != std::string::npos;
  std::printf("tenantkit-server listening on http://%s%s%s:%u\n", v6 ? "[" : "", host.c_str(),
              v6 ? "]" : "", static_cast<unsigned>((*srv)->port()));
  std::fflush(stdout);
  (*srv)->run();
  app.logger().info("stopped");
  return 0;
}
