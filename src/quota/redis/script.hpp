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
/// Op B (decisions, the lean path): KEYS: one counter key per entry, each key at most once per
/// call unless its kind is not a counter; ARGV: 1 'B', 2 now (us), 3 count P of policies, then
/// 5 per policy: kind, limit, window (us), soft, anchor (us, -1); then per entry: the policy
/// index (1-based, only when P > 1), the number m of decisions on the key and their cost (each;
/// m is 1 for gauges and buckets). All keys must share one Cluster slot unless the server is not
/// a cluster. Reply per entry: counters {used before the entry's decisions, reset (us)} (the
/// caller replays the m decisions: in order, each allowed while used + cost fits the limit, or
/// always when soft, cost 0 allowed while used < limit); other kinds op d's six numbers.
extern const std::string_view kScript;

}  // namespace tenantkit::quota::redis::detail
