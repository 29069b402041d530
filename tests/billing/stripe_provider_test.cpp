// SPDX-License-Identifier: Apache-2.0
// The Stripe provider against an in-test fake Stripe on loopback (plain HTTP) that checks the
// requests as Stripe would: Bearer key, form encoding, fields, Idempotency-Key on writes.
#include <atomic>
#include <functional>
#include <map>
#include <mutex>
#include <thread>

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <tenantkit/billing/stripe/stripe_provider.hpp>
#include <tenantkit/testing/matchers.hpp>

namespace tenantkit::billing {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;
using ::tenantkit::testing::HasError;
using ::tenantkit::testing::IsOk;
using ::testing::HasSubstr;

struct Seen {
  std::string method, target, authorization, content_type, idempotency_key;
  std::map<std::string, std::string> form;
};

std::string percent_decode(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size()) {
      out.push_back(static_cast<char>(std::stoi(std::string(s.substr(i + 1, 2)), nullptr, 16)));
      i += 2;
    } else {
      out.push_back(s[i] == '+' ? ' ' : s[i]);
    }
  }
  return out;
}

std::map<std::string, std::string> parse_form(std::string_view body) {
  std::map<std::string, std::string> out;
  while (!body.empty()) {
    auto amp = body.find('&');
    auto pair = body.substr(0, amp);
    auto eq = pair.find('=');
    out[percent_decode(pair.substr(0, eq))] =
        eq == std::string_view::npos ? "" : percent_decode(pair.substr(eq + 1));
    body = amp == std::string_view::npos ? std::string_view{} : body.substr(amp + 1);
  }
  return out;
}

// Answers each request with `respond(seen)` -> {status, body}; optional delay to force timeouts.
class FakeStripe {
 public:
  using Responder = std::function<std::pair<unsigned, std::string>(const Seen&)>;
  explicit FakeStripe(Responder respond, std::chrono::milliseconds delay = {})
      : respond_(std::move(respond)),
        delay_(delay),
        acceptor_(ioc_, {net::ip::make_address("127.0.0.1"), 0}) {
    port_ = acceptor_.local_endpoint().port();
    thread_ = std::thread([this] { serve(); });
  }
  ~FakeStripe() {
    stop_ = true;
    beast::error_code ec;
    tcp::socket s(ioc_);
    s.connect({net::ip::make_address("127.0.0.1"), port_}, ec);
    thread_.join();
  }
  std::string base() const { return "http://127.0.0.1:" + std::to_string(port_); }
  std::vector<Seen> seen() {
    std::lock_guard lock(mu_);
    return seen_;
  }

 private:
  void serve() {
    while (!stop_) {
      tcp::socket socket(ioc_);
      beast::error_code ec;
      acceptor_.accept(socket, ec);
      if (ec || stop_) return;
      beast::flat_buffer buffer;
      http::request<http::string_body> req;
      http::read(socket, buffer, req, ec);
      if (ec) continue;
      Seen s{std::string(req.method_string()),
             std::string(req.target()),
             std::string(req[http::field::authorization]),
             std::string(req[http::field::content_type]),
             std::string(req["Idempotency-Key"]),
             parse_form(req.body())};
      {
        std::lock_guard lock(mu_);
        seen_.push_back(s);
      }
      if (delay_.count() > 0) std::this_thread::sleep_for(delay_);
      auto [status, body] = respond_(s);
      http::response<http::string_body> res{static_cast<http::status>(status), 11};
      res.set(http::field::content_type, "application/json");
      res.body() = body;
      res.prepare_payload();
      http::write(socket, res, ec);
      socket.shutdown(tcp::socket::shutdown_both, ec);
    }
  }

  Responder respond_;
  std::chrono::milliseconds delay_;
  net::io_context ioc_;
  tcp::acceptor acceptor_;
  unsigned short port_ = 0;
  std::atomic<bool> stop_{false};
  std::mutex mu_;
  std::vector<Seen> seen_;
  std::thread thread_;
};

const TenantId kOrg = TenantId::from_trusted("org_1");

class StripeProviderTest : public ::testing::Test {
 protected:
  SeededRandom random_{7};
  PlanCatalogue catalogue_ = *PlanCatalogue::builtin().with_price_id("pro", "stripe", "price_pro");

  std::unique_ptr<BillingProvider> open(
      const std::string& base, int retries = 2,
      std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
    auto p = open_stripe({.secret_key = Secret("sk_test_1"),
                          .api_base = base,
                          .catalogue = &catalogue_,
                          .timeout = timeout,
                          .max_retries = retries,
                          .initial_backoff = std::chrono::milliseconds(1)},
                         random_);
    EXPECT_THAT(p, IsOk());
    return p ? std::move(*p) : nullptr;
  }
  CheckoutRequest checkout() {
    return {.tenant = kOrg,
            .plan_id = "pro",
            .customer_email = "a@example.com",
            .success_url = "https://app/ok",
            .cancel_url = "https://app/no"};
  }
};

TEST_F(StripeProviderTest, CheckoutSendsWhatStripeExpects) {
  FakeStripe fake([](const Seen& s) -> std::pair<unsigned, std::string> {
    if (s.authorization != "Bearer sk_test_1") return {401, R"({"error":{"message":"bad key"}})"};
    if (s.idempotency_key.empty()) return {400, R"({"error":{"message":"no key"}})"};
    return {
        200,
        R"({"id":"cs_1","object":"checkout.session","url":"https://checkout.stripe.com/c/cs_1"})"};
  });
  auto provider = open(fake.base());
  auto s = provider->create_checkout_session(checkout());
  ASSERT_THAT(s, IsOk());
  EXPECT_EQ(s->id, "cs_1");
  EXPECT_EQ(s->url, "https://checkout.stripe.com/c/cs_1");
  auto seen = fake.seen();
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].method, "POST");
  EXPECT_EQ(seen[0].target, "/v1/checkout/sessions");
  EXPECT_EQ(seen[0].content_type, "application/x-www-form-urlencoded");
  EXPECT_EQ(seen[0].idempotency_key.size(), 32u);
  const auto& f = seen[0].form;
  EXPECT_EQ(f.at("mode"), "subscription");
  EXPECT_EQ(f.at("line_items[0][price]"), "price_pro");
  EXPECT_EQ(f.at("line_items[0][quantity]"), "1");
  EXPECT_EQ(f.at("client_reference_id"), "org_1");
  EXPECT_EQ(f.at("subscription_data[metadata][org_id]"), "org_1");
  EXPECT_EQ(f.at("subscription_data[metadata][plan]"), "pro");
  EXPECT_EQ(f.at("subscription_data[trial_period_days]"), "14");
  EXPECT_EQ(f.at("customer_email"), "a@example.com");
  EXPECT_EQ(f.at("success_url"), "https://app/ok");
}

TEST_F(StripeProviderTest, RetriesServerErrorsWithTheSameIdempotencyKey) {
  std::atomic<int> calls{0};
  FakeStripe fake([&](const Seen&) -> std::pair<unsigned, std::string> {
    if (++calls < 3) return {calls == 1 ? 503u : 429u, R"({"error":{"message":"busy"}})"};
    return {200, R"({"url":"https://billing.stripe.com/p/session/x"})"};
  });
  auto provider = open(fake.base());
  auto p = provider->create_portal_session({kOrg, "cus_1", "https://app/back"});
  ASSERT_THAT(p, IsOk());
  EXPECT_EQ(p->url, "https://billing.stripe.com/p/session/x");
  auto seen = fake.seen();
  ASSERT_EQ(seen.size(), 3u);
  EXPECT_EQ(seen[0].target, "/v1/billing_portal/sessions");
  EXPECT_EQ(seen[0].form.at("customer"), "cus_1");
  EXPECT_EQ(seen[1].idempotency_key, seen[0].idempotency_key);
  EXPECT_EQ(seen[2].idempotency_key, seen[0].idempotency_key);
  // A new call gets a new key.
  ASSERT_THAT(provider->create_portal_session({kOrg, "cus_1", ""}), IsOk());
  EXPECT_NE(fake.seen().back().idempotency_key, seen[0].idempotency_key);
}

TEST_F(StripeProviderTest, GivesUpAfterMaxRetries) {
  FakeStripe fake([](const Seen&) -> std::pair<unsigned, std::string> { return {500, "{}"}; });
  auto provider = open(fake.base(), 2);
  EXPECT_THAT(provider->create_checkout_session(checkout()), HasError(Errc::unavailable));
  EXPECT_EQ(fake.seen().size(), 3u);
}

TEST_F(StripeProviderTest, ClientErrorsAreNotRetriedAndCarryStripesMessage) {
  FakeStripe fake([](const Seen&) -> std::pair<unsigned, std::string> {
    return {400,
            R"({"error":{"type":"invalid_request_error","message":"No such price: 'price_pro'"}})"};
  });
  auto provider = open(fake.base());
  auto r = provider->create_checkout_session(checkout());
  ASSERT_THAT(r, HasError(Errc::validation_failed));
  EXPECT_THAT(r.error().detail, HasSubstr("No such price"));
  EXPECT_EQ(fake.seen().size(), 1u);
}

TEST_F(StripeProviderTest, FetchSubscription) {
  FakeStripe fake([](const Seen& s) -> std::pair<unsigned, std::string> {
    if (s.target != "/v1/subscriptions/sub_1")
      return {404, R"({"error":{"message":"No such subscription"}})"};
    return {200, R"({"id":"sub_1","object":"subscription","customer":"cus_1","status":"past_due",
      "cancel_at_period_end":true,"metadata":{"org_id":"org_1","plan":"pro"},
      "items":{"data":[{"price":{"id":"price_pro"},"current_period_end":1767225600}]}})"};
  });
  auto provider = open(fake.base());
  auto s = provider->fetch_subscription("sub_1");
  ASSERT_THAT(s, IsOk());
  EXPECT_EQ(s->status, SubscriptionState::past_due);
  EXPECT_EQ(s->customer_id, "cus_1");
  EXPECT_EQ(s->price_id, "price_pro");
  EXPECT_TRUE(s->cancel_at_period_end);
  EXPECT_EQ(s->current_period_end, from_unix_seconds(1767225600));
  EXPECT_EQ(s->metadata.at("org_id"), "org_1");
  EXPECT_EQ(fake.seen()[0].method, "GET");
  EXPECT_TRUE(fake.seen()[0].idempotency_key.empty());
  EXPECT_THAT(provider->fetch_subscription("sub_2"), HasError(Errc::not_found));
  EXPECT_THAT(provider->fetch_subscription("../v1/customers"), HasError(Errc::not_found));
}

TEST_F(StripeProviderTest, TimeoutAndRefusedConnectionAreUnavailable) {
  FakeStripe slow(
      [](const Seen&) -> std::pair<unsigned, std::string> {
        return {200, "{}"};
      },
      std::chrono::milliseconds(600));
  auto provider = open(slow.base(), 0, std::chrono::milliseconds(150));
  EXPECT_THAT(provider->create_portal_session({kOrg, "cus_1", ""}), HasError(Errc::unavailable));
  std::string closed_base;
  {
    FakeStripe gone([](const Seen&) -> std::pair<unsigned, std::string> { return {200, "{}"}; });
    closed_base = gone.base();
  }
  auto refused = open(closed_base, 1);
  EXPECT_THAT(refused->create_portal_session({kOrg, "cus_1", ""}), HasError(Errc::unavailable));
}

TEST_F(StripeProviderTest, ValidatesOptionsAndInputsWithoutNetwork) {
  EXPECT_THAT(open_stripe({.secret_key = Secret("")}, random_), HasError(Errc::validation_failed));
  EXPECT_THAT(open_stripe({.secret_key = Secret("sk"), .api_base = "ftp://x"}, random_),
              HasError(Errc::validation_failed));
  EXPECT_THAT(open_stripe({.secret_key = Secret("sk"), .max_retries = 11}, random_),
              HasError(Errc::validation_failed));
  auto provider = open("http://127.0.0.1:9");  // never contacted below
  auto req = checkout();
  req.plan_id = "enterprise";  // no Stripe price configured
  EXPECT_THAT(provider->create_checkout_session(req), HasError(Errc::validation_failed));
  req.plan_id = "gold";
  EXPECT_THAT(provider->create_checkout_session(req), HasError(Errc::not_found));
  EXPECT_THAT(provider->create_portal_session({kOrg, "", ""}), HasError(Errc::validation_failed));
}

}  // namespace
}  // namespace tenantkit::billing
