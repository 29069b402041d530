// SPDX-License-Identifier: Apache-2.0
// Metrics: the server's Prometheus registry (text exposition format 0.0.4).
// Series are labelled by route PATTERN ("/v1/orgs/{id}"), never by raw path, so ids cannot blow
// up cardinality; requests that match no route use route="unmatched". The hot path (observe)
// is a handful of relaxed atomic increments on storage allocated up front: no lock, no
// allocation. Thread-safe.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <boost/beast/http/verb.hpp>

namespace tenantkit::server {

class Metrics {
 public:
  /// Upper bounds (seconds) of http_request_duration_seconds; +Inf is implicit.
  static constexpr std::array<double, 11> kBuckets = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
                                                      0.5,   1.0,  2.5,   5.0,  10.0};
  /// Distinct (method, status) pairs kept per route; more are counted as method/status "other".
  static constexpr std::size_t kSeriesPerRoute = 64;

  /// One label per route pattern, in the order the router numbers them; "unmatched" is appended
  /// and is index route_labels.size(). `start` is process_start_time_seconds.
  Metrics(std::vector<std::string> route_labels, std::chrono::system_clock::time_point start);
  ~Metrics();
  Metrics(const Metrics&) = delete;
  Metrics& operator=(const Metrics&) = delete;

  /// The index of route="unmatched".
  std::size_t unmatched() const noexcept { return labels_.size() - 1; }

  /// Counts one finished request. `route` is an index from the router or unmatched().
  void observe(std::size_t route, boost::beast::http::verb method, unsigned status,
               std::chrono::steady_clock::duration duration) noexcept;

  /// The in-flight gauge: a request was read / its response was written (or abandoned).
  void request_started() noexcept { in_flight_.fetch_add(1, std::memory_order_relaxed); }
  void request_finished() noexcept { in_flight_.fetch_sub(1, std::memory_order_relaxed); }
  std::int64_t in_flight() const noexcept { return in_flight_.load(std::memory_order_relaxed); }

  /// Connection gauges and the counter of connections closed at accept (TK_MAX_CONNECTIONS).
  void connection_opened() noexcept { open_connections_.fetch_add(1, std::memory_order_relaxed); }
  void connection_closed() noexcept { open_connections_.fetch_sub(1, std::memory_order_relaxed); }
  void connection_rejected() noexcept { rejected_.fetch_add(1, std::memory_order_relaxed); }

  /// Counts a request of a try-inline route that reached a blocking point on the I/O thread and
  /// was finished on the worker pool (http_requests_resumed_on_pool_total).
  void resumed_on_pool() noexcept { resumed_.fetch_add(1, std::memory_order_relaxed); }
  std::uint64_t resumed_on_pool_count() const noexcept {
    return resumed_.load(std::memory_order_relaxed);
  }

  /// Counts one quota decision (tenantkit_quota_decisions_total{result="allowed"|"denied"}).
  void quota_decision(bool allowed) noexcept {
    (allowed ? quota_allowed_ : quota_denied_).fetch_add(1, std::memory_order_relaxed);
  }
  /// Counts one billing webhook by disposition: 0 applied, 1 duplicate, 2 stale, 3 ignored,
  /// 4 rejected, 5 unmapped, 6 bad signature (tenantkit_webhook_events_total{result=...}).
  static constexpr std::array<std::string_view, 7> kWebhookResults = {
      "applied", "duplicate", "stale", "ignored", "rejected", "unmapped", "invalid_signature"};
  void webhook_event(std::size_t result) noexcept {
    if (result < kWebhookResults.size()) webhooks_[result].fetch_add(1, std::memory_order_relaxed);
  }

  /// The whole registry in Prometheus text format 0.0.4.
  std::string render() const;

 private:
  struct RouteStats;
  std::vector<std::string> labels_;
  std::unique_ptr<RouteStats[]> stats_;
  double start_seconds_;
  std::atomic<std::int64_t> in_flight_{0};
  std::atomic<std::int64_t> open_connections_{0};
  std::atomic<std::uint64_t> rejected_{0};
  std::atomic<std::uint64_t> resumed_{0};
  std::atomic<std::uint64_t> quota_allowed_{0};
  std::atomic<std::uint64_t> quota_denied_{0};
  std::array<std::atomic<std::uint64_t>, kWebhookResults.size()> webhooks_{};
};

}  // namespace tenantkit::server
