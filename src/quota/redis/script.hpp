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
/// 11 reservation id, ttl (us), lease divisor or window index, 12 largest lease. (KEYS[1] is
/// the base key `<prefix>{tenant}:<meter>`.)
/// Reply: {allowed, used, reset (us), retry (us), overage, id or window[, granted]};
/// {-1} not found; {-2} gone.
/// Counters and fixed windows keep their usage in `<base>#<window start us>` (a plain integer,
/// or a hash {u, x} while reservations counted in that window may be pending) and windows
/// anchored at first use their anchor in `<base>#a`; reservation records name the window start.
/// Op B (decisions, the lean path): KEYS: one key per entry, each counter at most once per call:
/// a counter's window key `<base>#<start>` when the client has a hint (the window it expects),
/// else its base key. ARGV: 1 'B', 2 now (us), 3 count P of policies, then 6 per policy: kind,
/// limit, window (us), soft, anchor (us, -1), cost; then per entry: the policy index (1-based,
/// only when P > 1) and the units its decisions add (count x cost): `N`, `-N` when the client
/// believes the counter full, `nN` without a hint (always so for gauges and buckets, whose
/// entries carry one decision). All keys must share one Cluster slot unless the server is not a
/// cluster. Reply per entry: counters {used before the entry's decisions, reset (us), or 0 when
/// it is the hint's window's} (the caller replays the decisions: in order, each allowed while
/// used + cost fits the limit, or always when soft, cost 0 allowed while used < limit); other
/// kinds op d's six numbers.
extern const std::string_view kScript;

}  // namespace tenantkit::quota::redis::detail
