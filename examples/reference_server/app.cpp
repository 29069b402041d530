// SPDX-License-Identifier: Apache-2.0
#include "app.hpp"

#include <exception>
#include <future>

#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>

namespace tenantkit::server {

App::App(Config config, Options options)
    : config_(std::move(config)),
      logger_(parse_log_level(config_.log_level).value_or(LogLevel::info),
              std::move(options.log_sink)),
      clock_(options.clock ? options.clock : &system_clock()),
      random_(options.random ? options.random : &system_random()),
      readiness_timeout_(options.readiness_timeout),
      cors_(config_.cors_origins),
      pool_(std::make_unique<boost::asio::thread_pool>(
          static_cast<std::size_t>(config_.worker_threads))),
      probes_(std::make_unique<boost::asio::thread_pool>(2)) {}

App::~App() {
  pool_->join();
  probes_->join();
}

Result<void> App::install_routes(std::vector<Route> routes) {
  auto router = Router::create(std::move(routes));
  if (!router) return router.error();
  router_ = std::move(*router);
  metrics_ = std::make_unique<Metrics>(router_.patterns(), started_);
  return ok();
}

void App::set_mode(std::initializer_list<std::string_view> patterns, Mode mode) {
  const auto all = router_.patterns();
  if (mode_.size() != all.size()) mode_.assign(all.size(), Mode::pool);
  for (std::size_t i = 0; i < all.size(); ++i)
    for (const auto p : patterns)
      if (all[i] == p) mode_[i] = mode;
}

void App::run_inline(std::initializer_list<std::string_view> patterns) {
  set_mode(patterns, Mode::inline_only);
}

void App::try_inline(std::initializer_list<std::string_view> patterns) {
  set_mode(patterns, Mode::try_inline);
}

void App::add_readiness_check(ReadinessCheck check) {
  readiness_.push_back(std::move(check));
}

std::vector<ReadinessResult> App::check_readiness() const {
  std::vector<std::future<Result<void>>> pending;
  pending.reserve(readiness_.size());
  for (const auto& c : readiness_) {
    auto task =
        std::make_shared<std::packaged_task<Result<void>()>>([check = c.check]() -> Result<void> {
          try {
            return check();
          } catch (const std::exception& e) {
            return Error{Errc::unavailable, e.what()};
          }
        });
    pending.push_back(task->get_future());
    boost::asio::post(*probes_, [task] { (*task)(); });
  }
  const auto deadline = std::chrono::steady_clock::now() + readiness_timeout_;
  std::vector<ReadinessResult> out;
  out.reserve(readiness_.size());
  for (std::size_t i = 0; i < readiness_.size(); ++i) {
    // A timed-out future is dropped; its task still finishes on the probe pool (shared state).
    if (pending[i].wait_until(deadline) == std::future_status::ready) {
      out.push_back({readiness_[i].name, pending[i].get()});
    } else {
      out.push_back({readiness_[i].name, Error{Errc::unavailable, "timed out"}});
    }
  }
  return out;
}

}  // namespace tenantkit::server
