// SPDX-License-Identifier: Apache-2.0
#include <algorithm>
#include <cctype>
#include <functional>

#include <tenantkit/auth/login_throttle.hpp>

namespace tenantkit::auth {

Result<void> validate(const LoginThrottleOptions& options) {
  std::vector<FieldError> bad;
  if (options.max_attempts < 1 || options.max_attempts > 1000)
    bad.push_back({"login_max_attempts", "must be between 1 and 1000"});
  if (options.window.count() < 1) bad.push_back({"login_window", "must be at least 1 second"});
  if (options.max_keys < 16) bad.push_back({"max_keys", "must be at least 16"});
  if (!bad.empty()) return Error{Errc::validation_failed, "invalid login throttle", std::move(bad)};
  return ok();
}

LoginThrottle::~LoginThrottle() = default;

Result<std::unique_ptr<LoginThrottle>> LoginThrottle::create(const Clock& clock,
                                                             LoginThrottleOptions options) {
  auto t = InProcessLoginThrottle::create(clock, options);
  if (!t) return t.error();
  return std::unique_ptr<LoginThrottle>(std::move(*t));
}

Result<void> LoginThrottle::admit(std::string_view ip, std::string_view identifier) {
  const ThrottleDecision d = check(ip, identifier);
  if (d.allowed) return ok();
  return Error{Errc::rate_limited, "retry after " + std::to_string(d.retry_after.count()) + " s"};
}

Result<std::unique_ptr<InProcessLoginThrottle>> InProcessLoginThrottle::create(
    const Clock& clock, LoginThrottleOptions options) {
  if (auto valid = validate(options); !valid) return valid.error();
  return std::unique_ptr<InProcessLoginThrottle>(new InProcessLoginThrottle(clock, options));
}

InProcessLoginThrottle::InProcessLoginThrottle(const Clock& clock, LoginThrottleOptions options)
    : clock_(clock),
      options_(options),
      window_us_(std::chrono::duration_cast<std::chrono::microseconds>(options.window).count()),
      per_shard_(std::max<std::size_t>(1, options.max_keys / kShards)) {}

std::string InProcessLoginThrottle::key(char kind, std::string_view value) {
  // Identifiers are emails: compare case-insensitively so "Bob@x" and "bob@x" share a counter.
  std::string k;
  k.reserve(value.size() + 2);
  k.push_back(kind);
  k.push_back(':');
  for (char c : value)
    k.push_back(kind == 'u' ? static_cast<char>(std::tolower(static_cast<unsigned char>(c))) : c);
  return k;
}

InProcessLoginThrottle::Shard& InProcessLoginThrottle::shard_for(const std::string& k) noexcept {
  return shards_[std::hash<std::string>{}(k) % kShards];
}

std::chrono::seconds InProcessLoginThrottle::blocked_for(const std::string& k,
                                                         std::int64_t now_us) {
  Shard& s = shard_for(k);
  std::lock_guard lock(s.mutex);
  const auto it = s.entries.find(k);
  if (it == s.entries.end()) return std::chrono::seconds{0};
  const Entry& e = it->second;
  const auto max = static_cast<std::size_t>(options_.max_attempts);
  if (e.failures.size() < max) return std::chrono::seconds{0};
  // The ring holds exactly the last max_attempts failures; the oldest sits at `next`.
  const std::int64_t oldest = e.failures[e.next];
  const std::int64_t free_at = oldest + window_us_;
  if (free_at <= now_us) return std::chrono::seconds{0};
  const std::int64_t wait_us = free_at - now_us;
  return std::chrono::seconds{(wait_us + 999'999) / 1'000'000};  // round up: never "retry in 0 s"
}

void InProcessLoginThrottle::evict(Shard& s, std::int64_t now_us) {
  // First everything whose newest failure has left the window; then, under a flood of distinct
  // keys, the least recently failed entries.
  std::erase_if(s.entries,
                [&](const auto& kv) { return kv.second.last_us + window_us_ <= now_us; });
  while (s.entries.size() >= per_shard_) {
    auto victim = std::min_element(
        s.entries.begin(), s.entries.end(),
        [](const auto& a, const auto& b) { return a.second.last_us < b.second.last_us; });
    s.entries.erase(victim);
  }
}

void InProcessLoginThrottle::add_failure(const std::string& k, std::int64_t now_us) {
  Shard& s = shard_for(k);
  std::lock_guard lock(s.mutex);
  auto it = s.entries.find(k);
  if (it == s.entries.end()) {
    if (s.entries.size() >= per_shard_) evict(s, now_us);
    it = s.entries.emplace(k, Entry{}).first;
  }
  Entry& e = it->second;
  const auto max = static_cast<std::size_t>(options_.max_attempts);
  if (e.failures.size() < max) {
    e.failures.push_back(now_us);
    e.next = e.failures.size() % max;
  } else {
    e.failures[e.next] = now_us;
    e.next = (e.next + 1) % max;
  }
  e.last_us = now_us;
}

ThrottleDecision InProcessLoginThrottle::check(std::string_view ip, std::string_view identifier) {
  const std::int64_t now_us = clock_.now().time_since_epoch().count();
  const auto wait =
      std::max(blocked_for(key('i', ip), now_us), blocked_for(key('u', identifier), now_us));
  if (wait.count() == 0) return {};
  return {false, wait};
}

void InProcessLoginThrottle::record_failure(std::string_view ip, std::string_view identifier) {
  const std::int64_t now_us = clock_.now().time_since_epoch().count();
  add_failure(key('i', ip), now_us);
  add_failure(key('u', identifier), now_us);
}

void InProcessLoginThrottle::record_success(std::string_view, std::string_view identifier) {
  const std::string k = key('u', identifier);
  Shard& s = shard_for(k);
  std::lock_guard lock(s.mutex);
  s.entries.erase(k);
}

std::size_t InProcessLoginThrottle::tracked() const {
  std::size_t n = 0;
  for (const Shard& s : shards_) {
    std::lock_guard lock(s.mutex);
    n += s.entries.size();
  }
  return n;
}

}  // namespace tenantkit::auth
