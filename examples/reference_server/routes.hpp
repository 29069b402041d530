// SPDX-License-Identifier: Apache-2.0
// The route table of the reference server (routes.cpp: every endpoint on one screen).
#pragma once

#include <vector>

#include "app.hpp"
#include "http/route.hpp"

namespace tenantkit::server {

/// Every API.md endpoint implemented so far, with its steps and handler. Handlers keep a
/// reference to `app`, which must outlive the routes.
std::vector<Route> routes(App& app);

}  // namespace tenantkit::server
