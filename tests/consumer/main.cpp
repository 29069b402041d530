// Uses the installed library through its public headers only.
#include <cstdio>

#include <tenantkit/core/clock.hpp>
#include <tenantkit/core/ids.hpp>
#include <tenantkit/core/result.hpp>
#include <tenantkit/tenant/resolver.hpp>

int main() {
  using namespace tenantkit;
  const TenantId org = TenantId::generate(system_random(), system_clock());
  auto resolved = resolve_tenant({.credential_org = org}, {});
  if (!resolved || resolved->tenant != org) {
    std::puts("tenant resolution failed");
    return 1;
  }
  auto bad = TenantId::parse("not an id");
  if (bad || bad.error().code != Errc::bad_request) {
    std::puts("id parsing failed");
    return 1;
  }
  std::printf("tenantkit consumer ok: %s\n", org.str().c_str());
  return 0;
}
