// SPDX-License-Identifier: Apache-2.0
// The one Lua script behind every RedisBackend call (private to tenantkit::redis).
#pragma once

#include <string_view>

namespace tenantkit::quota::redis::detail {

/// KEYS: 1 counter key, 2 reservation hash, 3 reservation expiry zset, 4 reservation id counter.
/// ARGV: 1 op (d decide, g set gauge, r reserve, c commit, x release, a add, l lease,
/// u unlease), 2 kind
/// (c counter/fixed window, g gauge, b bucket), 3 limit, 4 window (us), 5 now (us), 6 cost,
/// 7 soft (0/1), 8 anchor (us, -1: first use), 9 key prefix with hash tag, 10 meter,
/// 11 reservation id, ttl (us), lease divisor or window index, 12 largest lease.
/// Reply: {allowed, used, reset (us), retry (us), overage, id or window[, granted]};
/// {-1} not found; {-2} gone.
/// Op B (decisions, the lean path for counters): KEYS: decision i's counter key; ARGV: 1 'B',
/// 2 now (us), 3 count N, then 7 per decision: kind, limit, window (us), cost, soft, anchor
/// (us, -1), meter. All keys must share one Cluster slot unless the server is not a cluster.
/// Reply: 6 numbers per decision, as op d's first six.
extern const std::string_view kScript;

}  // namespace tenantkit::quota::redis::detail
