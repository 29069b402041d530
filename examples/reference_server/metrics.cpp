// SPDX-License-Identifier: Apache-2.0
#include "metrics.hpp"

#include <cstdio>

namespace tenantkit::server {
namespace http = boost::beast::http;

struct Metrics::RouteStats {
  // A small lock-free open-addressing table: key = (verb + 1) << 16 | status, claimed by CAS.
  struct Series {
    std::atomic<std::uint32_t> key{0};
    std::atomic<std::uint64_t> count{0};
  };
  std::array<Series, kSeriesPerRoute> series;
  std::atomic<std::uint64_t> overflow{0};
  std::array<std::atomic<std::uint64_t>, kBuckets.size() + 1> buckets{};
  std::atomic<std::uint64_t> sum_us{0};
  std::atomic<std::uint64_t> count{0};
};

Metrics::Metrics(std::vector<std::string> route_labels, std::chrono::system_clock::time_point start)
    : labels_(std::move(route_labels)),
      start_seconds_(std::chrono::duration<double>(start.time_since_epoch()).count()) {
  labels_.emplace_back("unmatched");
  stats_ = std::make_unique<RouteStats[]>(labels_.size());
}

Metrics::~Metrics() = default;

void Metrics::observe(std::size_t route, http::verb method, unsigned status,
                      std::chrono::steady_clock::duration duration) noexcept {
  if (route >= labels_.size()) route = unmatched();
  RouteStats& s = stats_[route];
  const std::uint32_t key = (static_cast<std::uint32_t>(method) + 1) << 16 | (status & 0xffffu);
  bool counted = false;
  std::size_t slot = (key * 2654435761u) % kSeriesPerRoute;
  for (std::size_t i = 0; i < kSeriesPerRoute && !counted;
       ++i, slot = (slot + 1) % kSeriesPerRoute) {
    auto& series = s.series[slot];
    std::uint32_t seen = series.key.load(std::memory_order_acquire);
    if (seen == 0 && series.key.compare_exchange_strong(seen, key, std::memory_order_acq_rel))
      seen = key;
    if (seen == key) {
      series.count.fetch_add(1, std::memory_order_relaxed);
      counted = true;
    }
  }
  if (!counted) s.overflow.fetch_add(1, std::memory_order_relaxed);

  const double seconds = std::chrono::duration<double>(duration).count();
  std::size_t bucket = 0;
  while (bucket < kBuckets.size() && seconds > kBuckets[bucket]) ++bucket;
  s.buckets[bucket].fetch_add(1, std::memory_order_relaxed);
  const auto us = std::chrono::duration_cast<std::chrono::microseconds>(duration).count();
  s.sum_us.fetch_add(static_cast<std::uint64_t>(us > 0 ? us : 0), std::memory_order_relaxed);
  s.count.fetch_add(1, std::memory_order_relaxed);
}

namespace {

// Label values escape \, " and newline (exposition format 0.0.4).
std::string label(std::string_view v) {
  std::string out;
  for (char c : v) {
    if (c == '\\' || c == '"') {
      out.push_back('\\');
      out.push_back(c);
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out.push_back(c);
    }
  }
  return out;
}

std::string number(double v) {
  char buf[40];
  const int n = std::snprintf(buf, sizeof buf, "%.6f", v);
  return std::string(buf, static_cast<std::size_t>(n > 0 ? n : 0));
}

std::string_view method_name(std::uint32_t verb_plus_one) {
  const auto v = static_cast<http::verb>(verb_plus_one - 1);
  if (v == http::verb::unknown) return "OTHER";
  const auto s = http::to_string(v);
  return {s.data(), s.size()};
}

}  // namespace

std::string Metrics::render() const {
  std::string out;
  out.reserve(4096);
  out +=
      "# HELP http_requests_total HTTP requests answered, by method, route pattern and status.\n"
      "# TYPE http_requests_total counter\n";
  for (std::size_t r = 0; r < labels_.size(); ++r) {
    const RouteStats& s = stats_[r];
    const std::string route = label(labels_[r]);
    for (const auto& series : s.series) {
      const std::uint32_t key = series.key.load(std::memory_order_acquire);
      if (key == 0) continue;
      out += "http_requests_total{method=\"";
      out += method_name(key >> 16);
      out += "\",route=\"" + route + "\",status=\"" + std::to_string(key & 0xffffu) + "\"} ";
      out += std::to_string(series.count.load(std::memory_order_relaxed)) + "\n";
    }
    if (const auto n = s.overflow.load(std::memory_order_relaxed); n != 0)
      out += "http_requests_total{method=\"other\",route=\"" + route + "\",status=\"other\"} " +
             std::to_string(n) + "\n";
  }
  out +=
      "# HELP http_request_duration_seconds Time from a request fully read to its response "
      "ready, by route pattern.\n"
      "# TYPE http_request_duration_seconds histogram\n";
  for (std::size_t r = 0; r < labels_.size(); ++r) {
    const RouteStats& s = stats_[r];
    const std::uint64_t count = s.count.load(std::memory_order_relaxed);
    if (count == 0) continue;
    const std::string route = label(labels_[r]);
    std::uint64_t cumulative = 0;
    for (std::size_t b = 0; b <= kBuckets.size(); ++b) {
      cumulative += s.buckets[b].load(std::memory_order_relaxed);
      out += "http_request_duration_seconds_bucket{route=\"" + route + "\",le=\"";
      if (b < kBuckets.size()) {
        char buf[16];
        const int n = std::snprintf(buf, sizeof buf, "%g", kBuckets[b]);
        out.append(buf, static_cast<std::size_t>(n > 0 ? n : 0));
      } else {
        out += "+Inf";
      }
      out += "\"} " + std::to_string(cumulative) + "\n";
    }
    out += "http_request_duration_seconds_sum{route=\"" + route + "\"} " +
           number(static_cast<double>(s.sum_us.load(std::memory_order_relaxed)) / 1e6) + "\n";
    out += "http_request_duration_seconds_count{route=\"" + route + "\"} " + std::to_string(count) +
           "\n";
  }
  out +=
      "# HELP http_requests_in_flight Requests read and not yet answered.\n"
      "# TYPE http_requests_in_flight gauge\n"
      "http_requests_in_flight " +
      std::to_string(in_flight()) +
      "\n"
      "# HELP http_connections_open Open client connections.\n"
      "# TYPE http_connections_open gauge\n"
      "http_connections_open " +
      std::to_string(open_connections_.load(std::memory_order_relaxed)) +
      "\n"
      "# HELP http_connections_rejected_total Connections closed at accept "
      "(TK_MAX_CONNECTIONS).\n"
      "# TYPE http_connections_rejected_total counter\n"
      "http_connections_rejected_total " +
      std::to_string(rejected_.load(std::memory_order_relaxed)) +
      "\n"
      "# HELP http_requests_resumed_on_pool_total Requests tried on an I/O thread that needed "
      "storage and were finished on the worker pool.\n"
      "# TYPE http_requests_resumed_on_pool_total counter\n"
      "http_requests_resumed_on_pool_total " +
      std::to_string(resumed_.load(std::memory_order_relaxed)) +
      "\n"
      "# HELP process_start_time_seconds Start time of the process since the Unix epoch.\n"
      "# TYPE process_start_time_seconds gauge\n"
      "process_start_time_seconds " +
      number(start_seconds_) + "\n";
  out +=
      "# HELP tenantkit_quota_decisions_total Quota decisions on metered routes, by result.\n"
      "# TYPE tenantkit_quota_decisions_total counter\n"
      "tenantkit_quota_decisions_total{result=\"allowed\"} " +
      std::to_string(quota_allowed_.load(std::memory_order_relaxed)) +
      "\ntenantkit_quota_decisions_total{result=\"denied\"} " +
      std::to_string(quota_denied_.load(std::memory_order_relaxed)) + "\n";
  out +=
      "# HELP tenantkit_webhook_events_total Billing webhook deliveries, by result.\n"
      "# TYPE tenantkit_webhook_events_total counter\n";
  for (std::size_t i = 0; i < kWebhookResults.size(); ++i) {
    out += "tenantkit_webhook_events_total{result=\"";
    out += kWebhookResults[i];
    out += "\"} " + std::to_string(webhooks_[i].load(std::memory_order_relaxed)) + "\n";
  }
  return out;
}

}  // namespace tenantkit::server
