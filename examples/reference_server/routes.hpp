// SPDX-License-Identifier: Apache-2.0
// The route table of the reference server: routes.cpp lists the groups; each handlers/<group>.cpp
// lists its routes with their steps beside them.
#pragma once

#include <vector>

#include "app.hpp"
#include "http/route.hpp"
#include "services.hpp"

namespace tenantkit::server {

/// Every API.md endpoint implemented so far, with its steps and handler. Handlers keep
/// references to `app` and `services`, which must outlive the routes.
std::vector<Route> routes(App& app, Services& services);

/// Marks the routes that run on the I/O thread (App::run_inline: they never block) and those
/// tried there first (App::try_inline: every blocking point on their path asks
/// blocking_allowed()). Call after app.install_routes().
void mark_inline_routes(App& app);

}  // namespace tenantkit::server
