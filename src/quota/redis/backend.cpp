// SPDX-License-Identifier: Apache-2.0
#include <algorithm>
#include <array>
#include <atomic>
#include <charconv>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include <hiredis/hiredis.h>

#include <tenantkit/quota/redis/backend.hpp>

#include "endpoint.hpp"
#include "script.hpp"
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

namespace tenantkit::quota::redis {

namespace {

using Steady = std::chrono::steady_clock;

using detail::Endpoint;
using detail::parse_url;
using detail::to_timeval;

struct ReplyDeleter {
  void operator()(redisReply* r) const noexcept {
    if (r != nullptr) freeReplyObject(r);
  }
};
using ReplyPtr = std::unique_ptr<redisReply, ReplyDeleter>;

struct ContextDeleter {
  void operator()(redisContext* c) const noexcept {
    if (c != nullptr) redisFree(c);
  }
};

std::int64_t to_us(Timestamp t) noexcept {
  return t.time_since_epoch().count();
}

char kind_code(MeterKind k) noexcept {
  switch (k) {
    case MeterKind::gauge:
      return 'g';
    case MeterKind::token_bucket:
      return 'b';
    case MeterKind::counter:
    case MeterKind::fixed_window:
    default:
      return 'c';
  }
}

// The arguments of one script call: EVALSHA sha 4 key res rexp rid, then ARGV 1..11 (see
// script.hpp). argv points into this object, so it is neither copied nor moved.
struct Call {
  static constexpr std::size_t kArgs = 19;
  std::string key, res, rexp, rid, prefix, meter;
  std::array<std::array<char, 24>, 7> nums{};
  std::array<const char*, kArgs> argv{};
  std::array<std::size_t, kArgs> len{};
  char op = 'd';
  char kind = 'c';
  char soft = '0';

  Call() = default;
  Call(const Call&) = delete;
  Call& operator=(const Call&) = delete;

  void set(std::size_t i, std::string_view v) {
    argv[i] = v.data();
    len[i] = v.size();
  }
  void set_num(std::size_t slot, std::size_t i, std::int64_t v) {
    auto& buf = nums[slot];
    const auto r = std::to_chars(buf.data(), buf.data() + buf.size(), v);
    argv[i] = buf.data();
    len[i] = static_cast<std::size_t>(r.ptr - buf.data());
  }
};

struct Resolved {
  Policy policy;
  std::int64_t limit = 0;
};

// The script's reply: {allowed, used, reset, retry, overage, id}, or {-1} / {-2}.
struct Reply {
  std::array<std::int64_t, 7> v{};
  std::size_t n = 0;
};

// What a connection last heard of a counter (op B): the start of its window (-1: nothing) and
// its usage after the decisions of that call. Sent back as the script's hint, so the script
// goes straight to the window's key (one INCRBY); a full counter is read before it is written.
struct Hint {
  std::int64_t start = -1;
  std::int64_t used = 0;
  std::uint64_t call = 0;  // the Batch call that holds the counter as entry `entry`
  std::size_t entry = 0;
};

struct KeyHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view v) const noexcept {
    return std::hash<std::string_view>{}(v);
  }
};

// One op-B script call (script.hpp), written as RESP straight into a reused buffer: EVALSHA sha
// N key1..keyN B now P, P policies (with the cost), then per key (policy,) units. The decisions
// of one counter share its entry, so the script touches each counter once per call and answers
// two numbers for it. Kept per connection and reused, so that decisions allocate nothing once the
// buffers have grown (and the connection has met the counter: hints_ holds one node per counter,
// up to kMaxHints).
class Batch {
 public:
  static constexpr std::size_t npos = static_cast<std::size_t>(-1);
  // Counters a connection remembers; beyond that, new ones go without a hint (one more Redis
  // call on their first decision in a call) until forget_if_large() drops them all.
  static constexpr std::size_t kMaxHints = std::size_t{1} << 14;
  struct Entry {
    std::string_view tenant;
    std::string_view meter;
    std::size_t policy = 0;
    std::int64_t cost = 0;
    std::int64_t count = 0;
    bool counter = true;
    bool full = false;        // the hint says no decision of cost `cost` fits
    std::int64_t start = -1;  // the window start sent as the hint
    Hint* hint = nullptr;     // counters: where the answer goes (stable: a node of hints_)
  };

  void clear() noexcept {
    entries_.clear();
    policies_.clear();
    ++call_;
  }
  [[nodiscard]] bool empty() const noexcept { return entries_.empty(); }
  [[nodiscard]] const std::vector<Entry>& entries() const noexcept { return entries_; }

  // Drops the hints when there are too many; only while no call is in flight (Entry::hint).
  void forget_if_large() {
    if (hints_.size() >= kMaxHints) hints_.clear();
  }

  // Adds one decision and returns its entry, or npos when this call already holds the counter
  // with another cost (send this call first: a key appears once per call).
  std::size_t add(std::string_view key_prefix, std::string_view tenant, std::string_view meter,
                  const Resolved& r, std::int64_t cost, std::int64_t now_us) {
    const PolicyArg pa = PolicyArg::of(r, cost);
    const bool counter = pa.kind == 'c';
    Hint* h = nullptr;
    if (counter) {
      key_.assign(key_prefix).append("{").append(tenant).append("}:").append(meter);
      auto it = hints_.find(std::string_view(key_));
      if (it == hints_.end() && hints_.size() < 2 * kMaxHints)
        it = hints_.emplace(key_, Hint{}).first;
      if (it != hints_.end()) {
        h = &it->second;
        if (h->call == call_) {
          // This call holds the counter already.
          Entry& en = entries_[h->entry];
          if (en.cost != cost) return npos;
          ++en.count;
          return h->entry;
        }
      } else {
        for (std::size_t e = 0; e < entries_.size(); ++e) {
          Entry& en = entries_[e];
          if (en.tenant.size() != tenant.size() || en.meter != meter || en.tenant != tenant)
            continue;
          if (!en.counter || en.cost != cost) return npos;
          ++en.count;
          return e;
        }
      }
    }
    std::size_t p = 0;
    while (p < policies_.size() && !(policies_[p] == pa)) ++p;
    if (p == policies_.size()) policies_.push_back(pa);
    Entry en{tenant, meter, p, cost, 1, counter};
    if (counter) {
      en.hint = h;
      if (h != nullptr) {
        h->call = call_;
        h->entry = entries_.size();
      }
      if (pa.anchor >= 0) {
        // The policy's anchor: the window is known (as the script works it out).
        en.start =
            pa.anchor + (now_us > pa.anchor ? (now_us - pa.anchor) / pa.window : 0) * pa.window;
      } else if (h != nullptr && h->start >= 0) {
        // The window `now` falls in, if the counter still has the anchor last heard of (the
        // script checks that whenever the window key is new).
        const std::int64_t d = now_us - h->start;
        const std::int64_t k = d >= 0 ? d / pa.window : -((-d + pa.window - 1) / pa.window);
        en.start = h->start + k * pa.window;
      }
      en.full = h != nullptr && en.start >= 0 && h->start == en.start && !pa.soft && cost > 0 &&
                h->used > pa.limit - cost;
    }
    entries_.push_back(en);
    return entries_.size() - 1;
  }

  // The command for the entries added so far; valid until the next finish().
  std::string_view finish(std::string_view key_prefix, std::string_view sha, std::int64_t now_us) {
    const std::size_t n = entries_.size();
    const std::size_t np = policies_.size();
    const std::size_t stride = np > 1 ? 2 : 1;
    buf_.clear();
    count('*', 6 + n + 6 * np + stride * n);
    bulk("EVALSHA");
    bulk(sha);
    number(static_cast<std::int64_t>(n));
    for (const Entry& e : entries_) {
      // The window key when the window is known, else the base key.
      std::array<char, 24> st{};
      std::size_t sl = 0;
      if (e.start >= 0) {
        st[0] = '#';
        sl = static_cast<std::size_t>(
            std::to_chars(st.data() + 1, st.data() + st.size(), e.start).ptr - st.data());
      }
      count('$', key_prefix.size() + e.tenant.size() + e.meter.size() + 3 + sl);
      buf_.append(key_prefix).append("{").append(e.tenant).append("}:").append(e.meter);
      buf_.append(st.data(), sl).append("\r\n");
    }
    bulk("B");
    number(now_us);
    number(static_cast<std::int64_t>(np));
    for (const PolicyArg& p : policies_) {
      bulk(std::string_view(&p.kind, 1));
      number(p.limit);
      number(p.window);
      bulk(p.soft ? "1" : "0");
      number(p.anchor);
      number(p.cost);
    }
    for (const Entry& e : entries_) {
      if (stride == 2) number(static_cast<std::int64_t>(e.policy + 1));
      // The units: `n` first without a hint, negative when the hint says full.
      const std::int64_t units = e.count * e.cost;
      if (e.start < 0) {
        number(units, 'n');
      } else {
        number(e.full ? -units : units);
      }
    }
    return buf_;
  }

 private:
  struct PolicyArg {
    char kind = 'c';
    bool soft = false;
    std::int64_t limit = 0, window = 0, anchor = -1, cost = 0;
    static PolicyArg of(const Resolved& r, std::int64_t cost) {
      return PolicyArg{
          kind_code(r.policy.kind),
          r.policy.enforcement == Enforcement::soft,
          r.limit,
          r.policy.kind == MeterKind::gauge ? 1'000'000 : r.policy.window.count() * 1'000'000,
          r.policy.anchor ? to_us(*r.policy.anchor) : -1,
          cost};
    }
    bool operator==(const PolicyArg&) const = default;
  };

  void count(char type, std::size_t v) {
    std::array<char, 24> b{};
    b[0] = type;
    const auto r = std::to_chars(b.data() + 1, b.data() + b.size() - 2, v);
    buf_.append(b.data(), static_cast<std::size_t>(r.ptr - b.data())).append("\r\n");
  }
  void bulk(std::string_view v) {
    count('$', v.size());
    buf_.append(v).append("\r\n");
  }
  void number(std::int64_t v, char lead = 0) {
    std::array<char, 24> b{};
    std::size_t at = 0;
    if (lead != 0) b[at++] = lead;
    const auto r = std::to_chars(b.data() + at, b.data() + b.size(), v);
    const auto len = static_cast<std::size_t>(r.ptr - b.data());
    count('$', len);
    buf_.append(b.data(), len).append("\r\n");
  }

  std::vector<Entry> entries_;
  std::vector<PolicyArg> policies_;
  std::string buf_;
  std::string key_;
  std::uint64_t call_ = 1;
  std::unordered_map<std::string, Hint, KeyHash, std::equal_to<>> hints_;
};

// A counter's reset from op B's answer: 0 says it is the one of the window sent as the hint.
inline std::int64_t reset_of(std::int64_t start, const Resolved& r, std::int64_t reply) {
  return reply != 0 ? reply : start + r.policy.window.count() * 1'000'000;
}

// Notes a counter's answer (op B: used before the call's decisions, the reset) in its hint.
inline void learn(Hint* h, const Resolved& r, std::int64_t reset, std::int64_t used_after) {
  if (h == nullptr) return;
  h->start = reset - r.policy.window.count() * 1'000'000;
  h->used = used_after;
}

// Replays `count` decisions of `cost` each on a counter that held `used` before them, as the
// script counts them (op B): each is allowed while used + cost fits the limit (always when soft;
// cost 0 while used < limit) and allowed ones add their cost.
// Returns the usage after them.
template <class Each>
std::int64_t replay(const Resolved& r, std::int64_t used, std::int64_t reset, std::int64_t now_us,
                    std::int64_t cost, std::int64_t count, Each&& each) {
  const bool soft = r.policy.enforcement == Enforcement::soft;
  const std::int64_t limit = r.limit;
  Reply rep;
  rep.n = 6;
  for (std::int64_t i = 0; i < count; ++i) {
    std::int64_t ok = 1, over = 0, retry = 0;
    if (cost == 0) {
      if (!soft && used >= limit) {
        ok = 0;
        retry = reset - now_us;
      }
      if (used > limit) over = 1;
    } else if (used + cost > limit && !soft) {
      ok = 0;
      retry = reset - now_us;
    } else {
      if (used + cost > limit) over = 1;
      used += cost;
    }
    rep.v = {ok, used, reset, retry, over, 0, 0};
    each(rep);
  }
  return used;
}

struct Conn {
  std::unique_ptr<redisContext, ContextDeleter> ctx;
  std::string sha;  // of the script, once loaded on this connection
  Call call;
  Batch batch;
};

Outcome make_outcome(const Resolved& r, const Reply& rep) {
  Outcome o;
  const Policy& p = r.policy;
  o.is_allowed = rep.v[0] == 1;
  o.kind = p.kind;
  o.deny_code = p.deny_code;
  const bool unlimited = p.limit >= kUnlimited;
  o.limit = unlimited ? kUnlimited : p.limit;
  o.used = std::max<std::int64_t>(0, rep.v[1]);
  o.remaining = std::max<std::int64_t>(0, o.limit - o.used);
  o.warning = !unlimited && o.used * 5 >= o.limit * 4;
  o.overage = rep.v[4] == 1;
  if (p.kind != MeterKind::gauge) {
    o.window = p.window;
    o.reset = Timestamp{std::chrono::microseconds{rep.v[2]}};
  }
  if (!o.is_allowed)
    o.retry_after =
        std::chrono::seconds{std::max<std::int64_t>(1, (rep.v[3] + 999'999) / 1'000'000)};
  return o;
}

enum class Io { ok, noscript, broken, refused };

// Checks the reply of an op-B call: `n` integers (two per counter entry, six per other one).
Io check_batch_reply(redisReply* r, std::size_t n) {
  if (r == nullptr) return Io::broken;
  if (r->type == REDIS_REPLY_ERROR) {
    if (std::string_view(r->str, r->len).substr(0, 8) == "NOSCRIPT") return Io::noscript;
    return Io::refused;
  }
  if (r->type != REDIS_REPLY_ARRAY || r->elements != n) return Io::refused;
  for (std::size_t i = 0; i < r->elements; ++i)
    if (r->element[i]->type != REDIS_REPLY_INTEGER) return Io::refused;
  return Io::ok;
}

Io parse_reply(redisReply* r, Reply& out) {
  if (r == nullptr) return Io::broken;
  if (r->type == REDIS_REPLY_ERROR) {
    if (std::string_view(r->str, r->len).substr(0, 8) == "NOSCRIPT") return Io::noscript;
    return Io::refused;
  }
  if (r->type != REDIS_REPLY_ARRAY || r->elements == 0 || r->elements > 7) return Io::refused;
  out.n = r->elements;
  for (std::size_t i = 0; i < r->elements; ++i) {
    if (r->element[i]->type != REDIS_REPLY_INTEGER) return Io::refused;
    out.v[i] = r->element[i]->integer;
  }
  return Io::ok;
}

}  // namespace

struct RedisBackend::Impl {
  Impl(RedisOptions o, Endpoint e, const LimitSource& l, const Clock& c)
      : options(std::move(o)), endpoint(std::move(e)), limits(l), clock(c) {}

  RedisOptions options;
  Endpoint endpoint;
  const LimitSource& limits;
  const Clock& clock;

  std::mutex pool_mu;
  std::condition_variable pool_cv;
  std::vector<std::unique_ptr<Conn>> idle;
  std::size_t out = 0;  // connections checked out
  std::atomic<std::int64_t> down_until{0};

  struct Pending {
    std::string tenant;
    std::string meter;
    Resolved resolved;
    std::int64_t delta = 0;
  };
  std::mutex pending_mu;
  std::map<std::string, Pending> pending;  // fail-open usage to add once Redis answers again
  std::atomic<bool> has_pending{false};    // !pending.empty(), read without the mutex

  // ---- connections ---------------------------------------------------------------------

  // A connection of the pool, or null when none came free within connect_timeout +
  // command_timeout (every caller then answers unavailable: a caller never waits for good, not
  // even a decide_many() sink that calls back into a backend whose pool it holds).
  std::unique_ptr<Conn> checkout() {
    std::unique_lock lk(pool_mu);
    if (!pool_cv.wait_for(lk, options.connect_timeout + options.command_timeout,
                          [&] { return !idle.empty() || out < options.pool_size; }))
      return nullptr;
    ++out;
    if (!idle.empty()) {
      auto c = std::move(idle.back());
      idle.pop_back();
      return c;
    }
    return std::make_unique<Conn>();
  }

  void checkin(std::unique_ptr<Conn> c) {
    if (!c) return;  // checkout() gave none
    {
      std::lock_guard lk(pool_mu);
      --out;
      if (c && c->ctx) idle.push_back(std::move(c));
    }
    pool_cv.notify_one();
  }

  static Error pool_timeout() {
    return Error{Errc::unavailable, "redis: no pooled connection came free in time"};
  }

  void mark_down() {
    const auto until = Steady::now() + options.retry_backoff;
    down_until.store(until.time_since_epoch().count(), std::memory_order_relaxed);
  }

  bool is_down() const {
    return Steady::now().time_since_epoch().count() < down_until.load(std::memory_order_relaxed);
  }

  // Connects when needed and loads the script. Errors: unavailable.
  Result<void> ensure_connected(Conn& c) {
    if (c.ctx && c.ctx->err == 0) {
      // A connection that stayed up while another one failed: it adds the fail-open usage.
      if (has_pending.load(std::memory_order_relaxed)) reconcile(c);
      return ok();
    }
    c.ctx.reset();
    if (is_down()) return Error{Errc::unavailable, "redis unreachable (backing off)"};
    c.ctx.reset(redisConnectWithTimeout(endpoint.host.c_str(), endpoint.port,
                                        to_timeval(options.connect_timeout)));
    if (!c.ctx || c.ctx->err != 0) {
      c.ctx.reset();
      mark_down();
      return Error{Errc::unavailable, "redis connect failed"};
    }
    redisSetTimeout(c.ctx.get(), to_timeval(options.command_timeout));
    redisEnableKeepAlive(c.ctx.get());
    // One small write per decision: never let Nagle hold it back (hiredis sets it too, but
    // that is an implementation detail of its connect).
    const int one = 1;
    setsockopt(c.ctx->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (endpoint.db != 0) {
      ReplyPtr r(static_cast<redisReply*>(redisCommand(c.ctx.get(), "SELECT %d", endpoint.db)));
      if (!r || r->type == REDIS_REPLY_ERROR) {
        c.ctx.reset();
        mark_down();
        return Error{Errc::unavailable, "redis SELECT failed"};
      }
    }
    auto loaded = load_script(c);
    if (!loaded) {
      c.ctx.reset();
      mark_down();
      return loaded.error();
    }
    reconcile(c);
    return ok();
  }

  Result<void> load_script(Conn& c) {
    ReplyPtr r(static_cast<redisReply*>(redisCommand(
        c.ctx.get(), "SCRIPT LOAD %b", detail::kScript.data(), detail::kScript.size())));
    if (!r) return Error{Errc::unavailable, "redis SCRIPT LOAD failed"};
    if (r->type != REDIS_REPLY_STRING)
      return Error{Errc::unavailable, "redis refused the quota script"};
    c.sha.assign(r->str, r->len);
    return ok();
  }

  // ---- calls ---------------------------------------------------------------------------

  Result<Resolved> resolve(std::string_view tenant, std::string_view meter) const {
    if (tenant.empty() || tenant.find_first_of("{}") != std::string_view::npos)
      return Error{Errc::validation_failed, "tenant must be non-empty and hold no { or }"};
    if (meter.empty() || meter.find_first_of("|#") != std::string_view::npos)
      return Error{Errc::validation_failed, "meter name must be non-empty and hold no | or #"};
    auto p = limits.policy(tenant, meter);
    if (!p) return p.error();
    if (p->limit < 0) return Error{Errc::internal, "quota policy with a negative limit"};
    if (p->kind != MeterKind::gauge && p->window.count() < 1)
      return Error{Errc::internal, "quota policy with a window under 1 s"};
    return Resolved{*p, std::min<std::int64_t>(p->limit, kUnlimited)};
  }

  void build(Call& call, std::string_view sha, char op, std::string_view tenant,
             std::string_view meter, const Resolved& r, std::int64_t now_us, std::int64_t cost,
             std::int64_t arg, std::int64_t extra = 0) {
    call.prefix.clear();
    call.prefix.append(options.key_prefix).append("{").append(tenant).append("}:");
    call.key.assign(call.prefix).append(meter);
    call.res.assign(call.prefix).append("#res");
    call.rexp.assign(call.prefix).append("#rexp");
    call.rid.assign(call.prefix).append("#rid");
    call.meter.assign(meter);
    call.op = op;
    call.kind = kind_code(r.policy.kind);
    call.soft = r.policy.enforcement == Enforcement::soft ? '1' : '0';
    call.set(0, "EVALSHA");
    call.set(1, sha);
    call.set(2, "4");
    call.set(3, call.key);
    call.set(4, call.res);
    call.set(5, call.rexp);
    call.set(6, call.rid);
    call.set(7, std::string_view(&call.op, 1));
    call.set(8, std::string_view(&call.kind, 1));
    call.set_num(0, 9, r.limit);
    call.set_num(
        1, 10, r.policy.kind == MeterKind::gauge ? 1'000'000 : r.policy.window.count() * 1'000'000);
    call.set_num(2, 11, now_us);
    call.set_num(3, 12, cost);
    call.set(13, std::string_view(&call.soft, 1));
    call.set_num(4, 14, r.policy.anchor ? to_us(*r.policy.anchor) : -1);
    call.set(15, call.prefix);
    call.set(16, call.meter);
    call.set_num(5, 17, arg);
    call.set_num(6, 18, extra);
  }

  // One blocking call, reloading the script once on NOSCRIPT (argv[1] is the SHA).
  Io run(Conn& c, int argc, const char** argv, std::size_t* len, Reply& reply) {
    for (int attempt = 0; attempt < 2; ++attempt) {
      ReplyPtr r(static_cast<redisReply*>(redisCommandArgv(c.ctx.get(), argc, argv, len)));
      const Io io = parse_reply(r.get(), reply);
      if (io != Io::noscript) return io;
      if (!load_script(c)) return Io::broken;
      argv[1] = c.sha.data();
      len[1] = c.sha.size();
    }
    return Io::refused;
  }
  // One blocking op-B call of one counter entry: v gets {used before, reset}.
  Io run_batch(Conn& c, Batch& b, std::int64_t now_us, std::array<std::int64_t, 2>& v) {
    for (int attempt = 0; attempt < 2; ++attempt) {
      const std::string_view cmd = b.finish(options.key_prefix, c.sha, now_us);
      void* raw = nullptr;
      if (redisAppendFormattedCommand(c.ctx.get(), cmd.data(), cmd.size()) != REDIS_OK ||
          redisGetReply(c.ctx.get(), &raw) != REDIS_OK)
        return Io::broken;
      ReplyPtr r(static_cast<redisReply*>(raw));
      const Io io = check_batch_reply(r.get(), 2);
      if (io == Io::ok) {
        v = {r->element[0]->integer, r->element[1]->integer};
        return io;
      }
      if (io != Io::noscript) return io;
      if (!load_script(c)) return Io::broken;
    }
    return Io::refused;
  }
  Io run(Conn& c, Call& call, Reply& reply) {
    return run(c, static_cast<int>(Call::kArgs), call.argv.data(), call.len.data(), reply);
  }

  // ---- failure policy --------------------------------------------------------------------

  Result<Outcome> unavailable(std::string_view tenant, std::string_view meter, const Resolved& r,
                              std::int64_t cost, const Error& why) {
    // A gauge is a level (seats in use), not a rate: allowing one blind could pass its limit for
    // good, so gauges are never faked, whatever the policy.
    if (options.on_unavailable == FailurePolicy::fail_closed || r.policy.kind == MeterKind::gauge)
      return why;
    if (cost > 0) {
      // Length-prefixed, so no tenant id can make two meters share a key.
      std::string k = std::to_string(tenant.size());
      k.push_back(':');
      k.append(tenant);
      k.append(meter);
      std::lock_guard lk(pending_mu);
      auto [it, inserted] = pending.try_emplace(k);
      if (inserted) it->second = Pending{std::string(tenant), std::string(meter), r, 0};
      it->second.delta += cost;
      has_pending.store(true, std::memory_order_relaxed);
    }
    Reply allowed;
    allowed.v = {1, 0, 0, 0, 0, 0};
    Outcome o = make_outcome(r, allowed);
    o.reset = clock.now() + r.policy.window;  // unknown while Redis is away: a full window
    return o;
  }

  // Adds fail-open usage counted while Redis was away (best effort: kept on failure). At most
  // kReconcilePerCall counters per call, so the call that finds Redis back is not held up by
  // one round trip per tenant seen during the outage; the rest rides on the following calls.
  static constexpr int kReconcilePerCall = 64;
  void reconcile(Conn& c) {
    std::map<std::string, Pending> todo;
    {
      std::lock_guard lk(pending_mu);
      todo.swap(pending);
      has_pending.store(false, std::memory_order_relaxed);
    }
    const std::int64_t now_us = to_us(clock.now());
    int sent = 0;
    for (auto it = todo.begin(); it != todo.end() && sent < kReconcilePerCall; ++sent) {
      build(c.call, c.sha, 'a', it->second.tenant, it->second.meter, it->second.resolved, now_us,
            it->second.delta, 0);
      Reply rep;
      if (run(c, c.call, rep) != Io::ok) break;
      it = todo.erase(it);
    }
    if (!todo.empty()) {
      std::lock_guard lk(pending_mu);
      for (auto& [k, p] : todo) {
        auto [it, inserted] = pending.try_emplace(k, p);
        if (!inserted) it->second.delta += p.delta;
      }
      has_pending.store(true, std::memory_order_relaxed);
    }
  }

  // Runs one op for decide/reserve/commit/release; `io_error` gets the failure when Redis is
  // unreachable, so each caller applies the failure policy its own way.
  Result<Reply> call(char op, std::string_view tenant, std::string_view meter, const Resolved& r,
                     std::int64_t cost, std::int64_t arg, std::int64_t extra = 0) {
    auto conn = checkout();
    struct Return {
      Impl* impl;
      std::unique_ptr<Conn>& c;
      ~Return() { impl->checkin(std::move(c)); }
    } give_back{this, conn};
    if (!conn) return pool_timeout();
    if (auto ok_ = ensure_connected(*conn); !ok_) return ok_.error();
    Reply rep;
    Io io = Io::ok;
    if (op == 'd' && kind_code(r.policy.kind) == 'c') {
      // The script's lean path: a batch of one counter decision.
      Batch& b = conn->batch;
      b.clear();
      b.forget_if_large();
      const std::int64_t now_us = to_us(clock.now());
      b.add(options.key_prefix, tenant, meter, r, cost, now_us);
      std::array<std::int64_t, 2> v{};
      io = run_batch(*conn, b, now_us, v);
      if (io == Io::ok) {
        v[1] = reset_of(b.entries().front().start, r, v[1]);
        const std::int64_t after =
            replay(r, v[0], v[1], now_us, cost, 1, [&](const Reply& x) { rep = x; });
        learn(b.entries().front().hint, r, v[1], after);
      }
    } else {
      build(conn->call, conn->sha, op, tenant, meter, r, to_us(clock.now()), cost, arg, extra);
      io = run(*conn, conn->call, rep);
    }
    switch (io) {
      case Io::ok:
        return rep;
      case Io::refused:
        return Error{Errc::internal, "redis rejected the quota script call"};
      case Io::noscript:
      case Io::broken:
      default:
        conn->ctx.reset();
        mark_down();
        return Error{Errc::unavailable, "redis command failed or timed out"};
    }
  }
};

RedisBackend::RedisBackend(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
RedisBackend::~RedisBackend() = default;

Result<Outcome> RedisBackend::decide(std::string_view tenant, std::string_view meter,
                                     std::int64_t cost) {
  if (auto v = check_units(cost, 0, "cost"); !v) return v.error();
  auto r = impl_->resolve(tenant, meter);
  if (!r) return r.error();
  auto rep = impl_->call('d', tenant, meter, *r, cost, 0);
  if (!rep) {
    if (rep.error().code != Errc::unavailable) return rep.error();
    return impl_->unavailable(tenant, meter, *r, cost, rep.error());
  }
  return make_outcome(*r, *rep);
}

Result<Outcome> RedisBackend::add(std::string_view tenant, std::string_view meter,
                                  std::int64_t amount) {
  if (auto v = check_units(amount, 0, "amount"); !v) return v.error();
  auto r = impl_->resolve(tenant, meter);
  if (!r) return r.error();
  auto rep = impl_->call('a', tenant, meter, *r, amount, 0);
  if (!rep) {
    // fail_open keeps the units and adds them once Redis answers again, as for decisions.
    if (rep.error().code != Errc::unavailable) return rep.error();
    return impl_->unavailable(tenant, meter, *r, amount, rep.error());
  }
  return make_outcome(*r, *rep);
}

Result<void> RedisBackend::set_gauge(std::string_view tenant, std::string_view meter,
                                     std::int64_t value) {
  if (auto v = check_units(value, 0, "gauge level"); !v) return v.error();
  auto r = impl_->resolve(tenant, meter);
  if (!r) return r.error();
  if (r->policy.kind != MeterKind::gauge)
    return Error{Errc::validation_failed, "meter is not a gauge"};
  auto rep = impl_->call('g', tenant, meter, *r, value, 0);
  if (!rep) return rep.error();
  return ok();
}

Result<Reservation> RedisBackend::reserve(std::string_view tenant, std::string_view meter,
                                          std::int64_t amount, std::chrono::seconds ttl) {
  if (auto v = check_units(amount, 1, "reservation amount"); !v) return v.error();
  if (ttl.count() < 1) return Error{Errc::validation_failed, "reservation ttl must be >= 1 s"};
  auto r = impl_->resolve(tenant, meter);
  if (!r) return r.error();
  const Timestamp now = impl_->clock.now();
  auto rep = impl_->call('r', tenant, meter, *r, amount, ttl.count() * 1'000'000);
  if (!rep) return rep.error();  // no fail-open for reservations: nothing could settle them
  Reservation res;
  res.tenant.assign(tenant);
  res.meter.assign(meter);
  res.amount = amount;
  res.outcome = make_outcome(*r, *rep);
  if (res.outcome.allowed()) {
    res.id = static_cast<std::uint64_t>(rep->v[5]);
    res.expires_at = now + ttl;
  }
  return res;
}

Result<Outcome> RedisBackend::commit(const Reservation& reservation, std::int64_t actual) {
  if (auto v = check_units(actual, 0, "actual usage"); !v) return v.error();
  if (reservation.id == 0) return Error{Errc::not_found, "unknown reservation"};
  auto r = impl_->resolve(reservation.tenant, reservation.meter);
  if (!r) return r.error();
  auto rep = impl_->call('c', reservation.tenant, reservation.meter, *r, actual,
                         static_cast<std::int64_t>(reservation.id));
  if (!rep) return rep.error();
  if (rep->n == 1 && rep->v[0] == -2)
    return Error{Errc::gone, "reservation already settled or expired"};
  if (rep->n == 1) return Error{Errc::not_found, "unknown reservation"};
  return make_outcome(*r, *rep);
}

Result<void> RedisBackend::release(const Reservation& reservation) {
  if (reservation.id == 0) return Error{Errc::not_found, "unknown reservation"};
  auto r = impl_->resolve(reservation.tenant, reservation.meter);
  if (!r) return r.error();
  auto rep = impl_->call('x', reservation.tenant, reservation.meter, *r, 0,
                         static_cast<std::int64_t>(reservation.id));
  if (!rep) return rep.error();
  if (rep->n == 1 && rep->v[0] == -2)
    return Error{Errc::gone, "reservation already settled or expired"};
  if (rep->n == 1) return Error{Errc::not_found, "unknown reservation"};
  return ok();
}

Result<RedisBackend::Lease> RedisBackend::take_lease(std::string_view tenant,
                                                     std::string_view meter, std::int64_t min_units,
                                                     std::int64_t divisor, std::int64_t max_units) {
  if (min_units < 1 || divisor < 1 || max_units < 1)
    return Error{Errc::validation_failed, "lease sizes must be >= 1"};
  auto r = impl_->resolve(tenant, meter);
  if (!r) return r.error();
  if (r->policy.kind != MeterKind::counter && r->policy.kind != MeterKind::fixed_window)
    return Error{Errc::validation_failed, "only counters and fixed windows are leased"};
  auto rep = impl_->call('l', tenant, meter, *r, min_units, divisor, max_units);
  if (!rep) return rep.error();
  Lease lease;
  lease.outcome = make_outcome(*r, *rep);
  if (lease.outcome.allowed()) {
    lease.units = rep->n >= 7 ? rep->v[6] : 0;
    lease.outcome.used -= lease.units - min_units;  // the rest is not spent yet
    lease.outcome.remaining = std::max<std::int64_t>(0, lease.outcome.limit - lease.outcome.used);
  }
  lease.window_index = rep->v[5];
  return lease;
}

Result<void> RedisBackend::return_lease(std::string_view tenant, std::string_view meter,
                                        std::int64_t units, std::int64_t window_index) {
  if (units <= 0) return ok();
  auto r = impl_->resolve(tenant, meter);
  if (!r) return r.error();
  auto rep = impl_->call('u', tenant, meter, *r, units, window_index);
  if (!rep) return rep.error();
  return ok();
}

void RedisBackend::decide_many(std::span<const Request> requests, std::span<Result<Outcome>> out,
                               std::size_t window) {
  decide_many(
      requests, [&](std::size_t i, const Result<Outcome>& r) { out[i] = r; }, window);
}

void RedisBackend::decide_many(std::span<const Request> requests, const Sink& sink,
                               std::size_t window) {
  Impl& im = *impl_;
  window = std::clamp<std::size_t>(window, 1, 1024);
  const std::size_t per_call = im.options.batch_size;
  struct Slot {
    std::size_t index = 0;
    Resolved resolved;
    std::uint16_t slot = 0;
  };
  // A script call in flight: its entries (Batch::Entry) and the requests each answers, in order.
  struct Sent {
    struct Entry {
      Resolved resolved;
      std::int64_t cost = 0;
      std::size_t first = 0;  // into members
      std::size_t count = 0;
      bool counter = true;
      Hint* hint = nullptr;
      std::int64_t start = -1;  // the window start sent as the hint
    };
    std::vector<Entry> entries;
    std::vector<std::size_t> members;
    std::size_t numbers = 0;  // expected in the reply
    std::int64_t now_us = 0;
  };
  {
    std::deque<Sent> calls;             // in flight, in command order
    std::vector<Sent> spare;            // answered calls, kept for their buffers
    std::vector<Slot> round;            // decisions issued together, before grouping into calls
    std::vector<std::size_t> entry_of;  // round position -> entry of the call being built
    std::size_t inflight = 0;           // decisions issued and not answered
    auto conn = im.checkout();
    // The connection goes back to the pool as it is only when the loop ran to its end with every
    // reply read; otherwise (a sink threw) replies may still be on their way and the next caller
    // would read them as its own, so it is closed.
    bool drained = false;
    struct Return {
      Impl* impl;
      std::unique_ptr<Conn>& c;
      const bool& drained;
      ~Return() {
        if (!drained && c) c->ctx.reset();
        impl->checkin(std::move(c));
      }
    } give_back{&im, conn, drained};
    std::optional<Error> failure;
    if (!conn) {
      failure = Impl::pool_timeout();
    } else {
      conn->batch.forget_if_large();
      if (auto connected = im.ensure_connected(*conn); !connected) failure = connected.error();
    }
    // ensure_connected() has already started the back-off if it failed: only a failure of the
    // pipeline's own reads and writes starts it here (starting it again on every call that found
    // the backend backing off would keep a busy caller's backend down for good).
    const bool connect_failed = failure.has_value();

    auto fail = [&](std::size_t i, const Resolved& r) {
      sink(i, im.unavailable(requests[i].tenant, requests[i].meter, r, requests[i].cost, *failure));
    };
    // Appends one script call for a prefix of round[from, to); returns where it stopped (a
    // counter already in the call with another cost ends it).
    auto send = [&](std::size_t from, std::size_t to) -> std::size_t {
      Batch& b = conn->batch;
      b.clear();
      entry_of.clear();
      const std::int64_t now_us = to_us(im.clock.now());
      std::size_t end = from;
      for (; end < to; ++end) {
        const Request& q = requests[round[end].index];
        const std::size_t e =
            b.add(im.options.key_prefix, q.tenant, q.meter, round[end].resolved, q.cost, now_us);
        if (e == Batch::npos) break;
        entry_of.push_back(e);
      }
      Sent s;
      if (!spare.empty()) {
        s = std::move(spare.back());
        spare.pop_back();
      }
      s.entries.clear();
      s.numbers = 0;
      std::size_t first = 0;
      for (const Batch::Entry& be : b.entries()) {
        s.entries.push_back(Sent::Entry{{}, be.cost, first, 0, be.counter, be.hint, be.start});
        first += static_cast<std::size_t>(be.count);
        s.numbers += be.counter ? 2 : 6;
      }
      s.members.resize(end - from);
      for (std::size_t k = from; k < end; ++k) {
        Sent::Entry& se = s.entries[entry_of[k - from]];
        if (se.count == 0) se.resolved = round[k].resolved;
        s.members[se.first + se.count++] = round[k].index;
      }
      s.now_us = now_us;
      const std::string_view cmd = b.finish(im.options.key_prefix, conn->sha, s.now_us);
      if (redisAppendFormattedCommand(conn->ctx.get(), cmd.data(), cmd.size()) != REDIS_OK) {
        failure = Error{Errc::unavailable, "redis pipeline write failed"};
        // The rest of the round fails with the decisions in flight.
        for (std::size_t k = from; k < round.size(); ++k) fail(round[k].index, round[k].resolved);
        return round.size();
      }
      inflight += end - from;
      calls.push_back(std::move(s));
      return end;
    };

    // Writes everything appended so far (no system call when nothing is).
    auto flush = [&] {
      int done = 0;
      while (done == 0)
        if (redisBufferWrite(conn->ctx.get(), &done) != REDIS_OK) return false;
      return true;
    };

    // Redis lost the script (SCRIPT FLUSH, a failover) while calls were in flight: no more
    // calls go out until every call in flight has answered; the script is then loaded again on
    // this connection and the decisions that met NOSCRIPT go out first, in their order, so a
    // tenant's decisions still reach Redis in request order.
    std::vector<std::size_t> requeue;  // met NOSCRIPT: issued again before `next`
    std::size_t requeued = 0;          // of requeue, already issued again
    bool reloading = false;
    int reloads = 0;
    std::size_t next = 0;
    auto pending = [&] { return requeued < requeue.size() || next < requests.size(); };
    while (pending() || inflight != 0) {
      if (reloading && inflight == 0 && !failure) {
        reloading = false;
        if (++reloads > 3) {
          failure = Error{Errc::unavailable, "redis keeps losing the quota script"};
        } else if (auto loaded = im.load_script(*conn); !loaded) {
          failure = loaded.error();
        }
        std::sort(requeue.begin() + static_cast<std::ptrdiff_t>(requeued), requeue.end());
      }
      // Issue as many decisions as the window has room for, coalesced into script calls.
      while (!failure && !reloading && inflight < window && pending()) {
        const std::size_t room = std::min(window - inflight, per_call);
        round.clear();
        while (round.size() < room && pending()) {
          const std::size_t i = requeued < requeue.size() ? requeue[requeued++] : next++;
          const Request& q = requests[i];
          if (auto v = check_units(q.cost, 0, "cost"); !v) {
            sink(i, v.error());
            continue;
          }
          auto r = im.resolve(q.tenant, q.meter);
          if (!r) {
            sink(i, r.error());
            continue;
          }
          const std::uint16_t slot = im.options.cluster ? cluster_slot(q.tenant) : 0;
          round.push_back(Slot{i, std::move(*r), slot});
        }
        if (round.empty()) break;
        if (!im.options.cluster) {
          for (std::size_t from = 0; from < round.size() && !failure;)
            from = send(from, round.size());
        } else {
          // One call per slot; a tenant's decisions keep their order (stable).
          std::stable_sort(round.begin(), round.end(),
                           [](const Slot& a, const Slot& b) { return a.slot < b.slot; });
          for (std::size_t from = 0; from < round.size() && !failure;) {
            std::size_t to = from + 1;
            while (to < round.size() && round[to].slot == round[from].slot) ++to;
            while (from < to && !failure) from = send(from, to);
          }
        }
      }
      // Send what was issued now, before reading on: when two answers arrive together, the
      // calls they free go out one at a time instead of queuing behind the second answer's
      // processing (which would leave Redis idle, then hand it both calls at once).
      if (!failure && !flush()) failure = Error{Errc::unavailable, "redis pipeline write failed"};
      if (failure) {
        for (const Sent& s : calls)
          for (const Sent::Entry& e : s.entries)
            for (std::size_t k = 0; k < e.count; ++k) fail(s.members[e.first + k], e.resolved);
        calls.clear();
        inflight = 0;
        while (pending()) {
          const std::size_t i = requeued < requeue.size() ? requeue[requeued++] : next++;
          auto r = im.resolve(requests[i].tenant, requests[i].meter);
          if (!r) {
            sink(i, r.error());
          } else {
            fail(i, *r);
          }
        }
        break;
      }
      if (inflight == 0) continue;
      void* raw = nullptr;
      if (redisGetReplyFromReader(conn->ctx.get(), &raw) != REDIS_OK) {
        failure = Error{Errc::unavailable, "redis pipeline read failed"};
        continue;
      }
      if (raw == nullptr) {
        // No complete reply buffered (everything issued is already sent): wait for more bytes.
        if (redisBufferRead(conn->ctx.get()) != REDIS_OK)
          failure = Error{Errc::unavailable, "redis pipeline failed or timed out"};
        continue;
      }
      ReplyPtr reply(static_cast<redisReply*>(raw));
      Sent s = std::move(calls.front());
      calls.pop_front();
      inflight -= s.members.size();
      const Io io = check_batch_reply(reply.get(), s.numbers);
      std::size_t at = 0;  // next reply number
      for (const Sent::Entry& e : s.entries) {
        const std::size_t* who = s.members.data() + e.first;
        if (io == Io::ok && e.counter) {
          std::size_t k = 0;
          const std::int64_t reset = reset_of(e.start, e.resolved, reply->element[at + 1]->integer);
          const std::int64_t after =
              replay(e.resolved, reply->element[at]->integer, reset, s.now_us, e.cost,
                     static_cast<std::int64_t>(e.count),
                     [&](const Reply& rep) { sink(who[k++], make_outcome(e.resolved, rep)); });
          learn(e.hint, e.resolved, reset, after);
          at += 2;
          continue;
        }
        if (io == Io::ok) {
          Reply rep;
          rep.n = 6;
          for (std::size_t q = 0; q < 6; ++q) rep.v[q] = reply->element[at + q]->integer;
          at += 6;
          for (std::size_t k = 0; k < e.count; ++k) sink(who[k], make_outcome(e.resolved, rep));
          continue;
        }
        for (std::size_t k = 0; k < e.count; ++k) {
          if (io == Io::noscript) {
            requeue.push_back(who[k]);
            reloading = true;
          } else {
            sink(who[k], Error{Errc::internal, "redis rejected the quota script call"});
          }
        }
      }
      spare.push_back(std::move(s));
    }
    if (failure && conn) {
      conn->ctx.reset();
      if (!connect_failed) im.mark_down();
    }
    drained = true;
  }
}

std::uint16_t cluster_slot(std::string_view tenant) noexcept {
  // CRC16-CCITT (XModem), as Redis Cluster's keyHashSlot.
  std::uint16_t crc = 0;
  for (const char ch : tenant) {
    crc = static_cast<std::uint16_t>(crc ^ (static_cast<std::uint8_t>(ch) << 8));
    for (int bit = 0; bit < 8; ++bit)
      crc = static_cast<std::uint16_t>((crc & 0x8000) != 0 ? (crc << 1) ^ 0x1021 : crc << 1);
  }
  return static_cast<std::uint16_t>(crc & 0x3FFF);
}

Result<void> RedisBackend::ping() {
  Impl& im = *impl_;
  auto conn = im.checkout();
  if (!conn) return Impl::pool_timeout();
  auto connected = im.ensure_connected(*conn);
  if (!connected) {
    im.checkin(std::move(conn));
    return connected.error();
  }
  ReplyPtr r(static_cast<redisReply*>(redisCommand(conn->ctx.get(), "PING")));
  const bool good =
      r && r->type == REDIS_REPLY_STATUS && std::string_view(r->str, r->len) == "PONG";
  if (!good) conn->ctx.reset();
  im.checkin(std::move(conn));
  if (!good) return Error{Errc::unavailable, "redis did not answer PING"};
  return ok();
}

Result<void> RedisBackend::flush_all_for_tests() {
  Impl& im = *impl_;
  auto conn = im.checkout();
  if (!conn) return Impl::pool_timeout();
  auto connected = im.ensure_connected(*conn);
  if (!connected) {
    im.checkin(std::move(conn));
    return connected.error();
  }
  const std::string pattern = im.options.key_prefix + "*";
  ReplyPtr r(static_cast<redisReply*>(
      redisCommand(conn->ctx.get(), "EVAL %s 0 %b",
                   "local ks = redis.call('KEYS', ARGV[1]) for i = 1, #ks, 500 do "
                   "redis.call('DEL', unpack(ks, i, math.min(i + 499, #ks))) end return #ks",
                   pattern.data(), pattern.size())));
  const bool good = r && r->type == REDIS_REPLY_INTEGER;
  if (!good) conn->ctx.reset();
  im.checkin(std::move(conn));
  if (!good) return Error{Errc::unavailable, "redis flush failed"};
  return ok();
}

Result<std::unique_ptr<RedisBackend>> open_backend(const RedisOptions& options,
                                                   const LimitSource& limits, const Clock& clock) {
  auto ep = parse_url(options.url);
  if (!ep) return ep.error();
  if (options.pool_size < 1 || options.pool_size > 256)
    return Error{Errc::validation_failed, "pool_size: must be 1..256"};
  const auto in_range = [](std::chrono::milliseconds ms) {
    return ms.count() >= 1 && ms.count() <= 60'000;
  };
  if (!in_range(options.connect_timeout))
    return Error{Errc::validation_failed, "connect_timeout: must be 1 ms..60 s"};
  if (!in_range(options.command_timeout))
    return Error{Errc::validation_failed, "command_timeout: must be 1 ms..60 s"};
  if (options.retry_backoff.count() < 0)
    return Error{Errc::validation_failed, "retry_backoff: must not be negative"};
  if (options.batch_size < 1 || options.batch_size > 1024)
    return Error{Errc::validation_failed, "batch_size: must be 1..1024"};
  if (options.key_prefix.find_first_of("{}") != std::string::npos)
    return Error{Errc::validation_failed, "key_prefix: must hold no { or }"};
  auto impl = std::make_unique<RedisBackend::Impl>(options, std::move(*ep), limits, clock);
  auto conn = impl->checkout();  // the pool is new: never null
  auto connected = impl->ensure_connected(*conn);
  impl->checkin(std::move(conn));
  if (!connected) return connected.error();
  return std::make_unique<RedisBackend>(std::move(impl));
}

}  // namespace tenantkit::quota::redis
