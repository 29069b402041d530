// SPDX-License-Identifier: Apache-2.0
#include <thread>
#include <utility>
#include <vector>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/json.hpp>
#include <boost/url/parse.hpp>
#include <openssl/ssl.h>

#include <tenantkit/billing/stripe/stripe_provider.hpp>
#include <tenantkit/core/encoding.hpp>

namespace tenantkit::billing {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = net::ssl;
namespace json = boost::json;
using tcp = net::ip::tcp;

namespace {

constexpr auto kTuple = net::as_tuple(net::use_awaitable);
constexpr std::size_t kMaxResponseBytes = 1 << 20;

struct Endpoint {
  bool tls = true;
  std::string host;
  std::string port;
  std::string base_path;  // without a trailing slash
};

struct HttpResult {
  bool transport_ok = false;
  std::string transport_error;
  unsigned status = 0;
  std::string body;
};

using Form = std::vector<std::pair<std::string, std::string>>;

// application/x-www-form-urlencoded as Stripe reads it: unreserved characters stay, the rest
// (brackets included) are percent-encoded.
std::string form_encode(const Form& form) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  auto enc = [](std::string& out, std::string_view s) {
    for (unsigned char c : s) {
      if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
          c == '_' || c == '.' || c == '~') {
        out.push_back(static_cast<char>(c));
      } else {
        out.push_back('%');
        out.push_back(kHex[c >> 4]);
        out.push_back(kHex[c & 15]);
      }
    }
  };
  std::string out;
  for (const auto& [k, v] : form) {
    if (!out.empty()) out.push_back('&');
    enc(out, k);
    out.push_back('=');
    enc(out, v);
  }
  return out;
}

template <class Stream>
net::awaitable<HttpResult> exchange(Stream& stream, const http::request<http::string_body>& req) {
  HttpResult r;
  auto [we, wn] = co_await http::async_write(stream, req, kTuple);
  if (we) {
    r.transport_error = "write: " + we.message();
    co_return r;
  }
  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(kMaxResponseBytes);
  auto [re, rn] = co_await http::async_read(stream, buffer, parser, kTuple);
  if (re) {
    r.transport_error = "read: " + re.message();
    co_return r;
  }
  r.transport_ok = true;
  r.status = parser.get().result_int();
  r.body = std::move(parser.get().body());
  co_return r;
}

net::awaitable<HttpResult> attempt(const Endpoint& ep, const http::request<http::string_body>& req,
                                   std::chrono::milliseconds timeout, ssl::context& tls) {
  auto ex = co_await net::this_coro::executor;
  HttpResult r;
  tcp::resolver resolver(ex);
  auto [rse, results] = co_await resolver.async_resolve(ep.host, ep.port, kTuple);
  if (rse) {
    r.transport_error = "resolve " + ep.host + ": " + rse.message();
    co_return r;
  }
  beast::tcp_stream tcp_stream(ex);
  tcp_stream.expires_after(timeout);  // one deadline for the whole attempt
  auto [ce, endpoint] = co_await tcp_stream.async_connect(results, kTuple);
  if (ce) {
    r.transport_error = "connect: " + ce.message();
    co_return r;
  }
  if (!ep.tls) {
    r = co_await exchange(tcp_stream, req);
    beast::error_code ignored;
    tcp_stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
    co_return r;
  }
  beast::ssl_stream<beast::tcp_stream> stream(std::move(tcp_stream), tls);
  // SNI, and the certificate must name the host (RFC 6125), not merely chain to a root.
  // SSL_set_tlsext_host_name is a macro with a C cast; this is its expansion.
  if (!SSL_ctrl(stream.native_handle(), SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name,
                const_cast<char*>(ep.host.c_str()))) {
    r.transport_error = "TLS: cannot set SNI";
    co_return r;
  }
  stream.set_verify_callback(ssl::host_name_verification(ep.host));
  auto [he] = co_await stream.async_handshake(ssl::stream_base::client, kTuple);
  if (he) {
    r.transport_error = "TLS handshake: " + he.message();
    co_return r;
  }
  r = co_await exchange(stream, req);
  co_await stream.async_shutdown(kTuple);  // best effort; Stripe may just close
  co_return r;
}

std::string str(const json::object* o, std::string_view key) {
  if (!o) return {};
  const json::value* v = o->if_contains(key);
  if (v && v->is_string()) return std::string(v->get_string());
  if (v && v->is_object()) {
    const json::value* id = v->get_object().if_contains("id");
    if (id && id->is_string()) return std::string(id->get_string());
  }
  return {};
}

std::optional<Timestamp> unix_time(const json::object* o, std::string_view key) {
  if (!o) return std::nullopt;
  const json::value* v = o->if_contains(key);
  if (v && v->is_int64() && v->get_int64() >= 0 && v->get_int64() <= 253402300799)
    return from_unix_seconds(v->get_int64());
  return std::nullopt;
}

class StripeProvider final : public BillingProvider {
 public:
  StripeProvider(StripeOptions options, Endpoint endpoint, Random& random)
      : options_(std::move(options)),
        endpoint_(std::move(endpoint)),
        random_(random),
        tls_(ssl::context::tls_client) {
    tls_.set_default_verify_paths();
    tls_.set_verify_mode(ssl::verify_peer);
  }

  Result<CheckoutSession> create_checkout_session(const CheckoutRequest& request) override {
    const Plan* plan = options_.catalogue->find(request.plan_id);
    if (!plan) return Error{Errc::not_found, "unknown plan " + request.plan_id};
    auto price = plan->price_ids.find("stripe");
    if (price == plan->price_ids.end() || price->second.empty())
      return Error{Errc::validation_failed,
                   "plan " + plan->id + " has no Stripe price id",
                   {{"plan", "has no Stripe price (set TK_STRIPE_PRICE_<PLAN>)"}}};
    if (request.success_url.empty() || request.cancel_url.empty())
      return Error{Errc::validation_failed,
                   "success_url and cancel_url are required",
                   {{"success_url", "is required"}}};
    Form form = {{"mode", "subscription"},
                 {"line_items[0][price]", price->second},
                 {"line_items[0][quantity]", "1"},
                 {"success_url", request.success_url},
                 {"cancel_url", request.cancel_url},
                 {"client_reference_id", request.tenant.str()},
                 {"metadata[org_id]", request.tenant.str()},
                 {"metadata[plan]", plan->id},
                 {"subscription_data[metadata][org_id]", request.tenant.str()},
                 {"subscription_data[metadata][plan]", plan->id}};
    if (plan->trial_days > 0)
      form.emplace_back("subscription_data[trial_period_days]", std::to_string(plan->trial_days));
    if (!request.customer_id.empty())
      form.emplace_back("customer", request.customer_id);
    else if (!request.customer_email.empty())
      form.emplace_back("customer_email", request.customer_email);
    auto body = call(http::verb::post, "/v1/checkout/sessions", form);
    if (!body) return body.error();
    const json::object& o = body->get_object();
    CheckoutSession s{str(&o, "id"), str(&o, "url")};
    if (s.id.empty() || s.url.empty())
      return Error{Errc::unavailable, "Stripe answered a checkout session without id or url"};
    return s;
  }

  Result<PortalSession> create_portal_session(const PortalRequest& request) override {
    if (request.customer_id.empty())
      return Error{Errc::validation_failed,
                   "the org has no billing customer yet",
                   {{"customer_id", "is required"}}};
    Form form = {{"customer", request.customer_id}};
    if (!request.return_url.empty()) form.emplace_back("return_url", request.return_url);
    auto body = call(http::verb::post, "/v1/billing_portal/sessions", form);
    if (!body) return body.error();
    PortalSession s{str(&body->get_object(), "url")};
    if (s.url.empty()) return Error{Errc::unavailable, "Stripe answered a portal without url"};
    return s;
  }

  Result<ProviderSubscription> fetch_subscription(std::string_view subscription_id) override {
    auto id = TenantId::parse(subscription_id);  // same syntax rule: no path tricks
    if (!id) return Error{Errc::not_found, "unknown subscription"};
    auto body = call(http::verb::get, "/v1/subscriptions/" + std::string(subscription_id), {});
    if (!body) return body.error();
    const json::object& o = body->get_object();
    ProviderSubscription s;
    s.id = str(&o, "id");
    s.customer_id = str(&o, "customer");
    s.status = parse_subscription_state(str(&o, "status")).value_or(SubscriptionState::none);
    const json::object* item = nullptr;
    if (const json::value* items = o.if_contains("items"); items && items->is_object())
      if (const json::value* data = items->get_object().if_contains("data");
          data && data->is_array() && !data->get_array().empty() &&
          data->get_array()[0].is_object())
        item = &data->get_array()[0].get_object();
    if (item)
      if (const json::value* p = item->if_contains("price"); p && p->is_object())
        s.price_id = str(&p->get_object(), "id");
    s.current_period_end = unix_time(&o, "current_period_end");
    if (!s.current_period_end) s.current_period_end = unix_time(item, "current_period_end");
    s.trial_end = unix_time(&o, "trial_end");
    const json::value* cape = o.if_contains("cancel_at_period_end");
    s.cancel_at_period_end = cape && cape->is_bool() && cape->get_bool();
    if (const json::value* m = o.if_contains("metadata"); m && m->is_object())
      for (const auto& kv : m->get_object())
        if (kv.value().is_string())
          s.metadata[std::string(kv.key())] = std::string(kv.value().get_string());
    return s;
  }

 private:
  // One request with retries; returns the parsed JSON object of a 2xx answer.
  Result<json::value> call(http::verb method, const std::string& path, const Form& form) {
    http::request<http::string_body> req{method, endpoint_.base_path + path, 11};
    req.set(http::field::host, endpoint_.host);
    req.set(http::field::user_agent, "tenantkit/0.1");
    req.set(http::field::authorization, "Bearer " + options_.secret_key.reveal());
    req.set(http::field::accept, "application/json");
    if (!options_.api_version.empty()) req.set("Stripe-Version", options_.api_version);
    if (method == http::verb::post) {
      // One key for every attempt of this call: a retried write is applied once by Stripe.
      std::byte key[16];
      random_.fill(key);
      req.set("Idempotency-Key", hex_encode(std::span<const std::byte>(key)));
      req.set(http::field::content_type, "application/x-www-form-urlencoded");
      req.body() = form_encode(form);
    }
    req.prepare_payload();

    HttpResult r;
    auto backoff = options_.initial_backoff;
    for (int i = 0;; ++i) {
      net::io_context ioc;
      net::co_spawn(ioc, attempt(endpoint_, req, options_.timeout, tls_),
                    [&r](std::exception_ptr e, HttpResult res) {
                      if (e) {
                        r = HttpResult{};
                        r.transport_error = "unexpected exception";
                      } else {
                        r = std::move(res);
                      }
                    });
      ioc.run();
      const bool retryable = !r.transport_ok || r.status == 429 || r.status >= 500;
      if (!retryable || i >= options_.max_retries) break;
      std::this_thread::sleep_for(backoff);
      backoff *= 2;
    }
    if (!r.transport_ok)
      return Error{Errc::unavailable, "Stripe unreachable: " + r.transport_error};

    boost::system::error_code ec;
    json::value body = json::parse(r.body, ec);
    std::string message;
    if (!ec && body.is_object())
      if (const json::value* err = body.get_object().if_contains("error"); err && err->is_object())
        message = str(&err->get_object(), "message");
    const std::string what = "Stripe HTTP " + std::to_string(r.status) +
                             (message.empty() ? std::string() : ": " + message);
    if (r.status >= 200 && r.status < 300) {
      if (ec || !body.is_object()) return Error{Errc::unavailable, "Stripe answered invalid JSON"};
      return body;
    }
    switch (r.status) {
      case 400:
      case 402:
        return Error{Errc::validation_failed, what};
      case 404:
        return Error{Errc::not_found, what};
      case 409:
        return Error{Errc::conflict, what};
      default:
        return Error{Errc::unavailable, what};  // 401/403 (bad key), 429, 5xx
    }
  }

  StripeOptions options_;
  Endpoint endpoint_;
  Random& random_;
  ssl::context tls_;
};

}  // namespace

Result<std::unique_ptr<BillingProvider>> open_stripe(StripeOptions options, Random& random) {
  std::vector<FieldError> errors;
  if (options.secret_key.empty()) errors.push_back({"secret_key", "is required"});
  Endpoint ep;
  auto url = boost::urls::parse_absolute_uri(options.api_base);
  if (!url || (url->scheme() != "https" && url->scheme() != "http") || url->host().empty()) {
    errors.push_back({"api_base", "must be an http(s) URL"});
  } else {
    ep.tls = url->scheme() == "https";
    ep.host = url->host();
    ep.port = url->has_port() ? std::string(url->port()) : (ep.tls ? "443" : "80");
    ep.base_path = url->path();
    while (!ep.base_path.empty() && ep.base_path.back() == '/') ep.base_path.pop_back();
  }
  if (!options.catalogue) options.catalogue = &PlanCatalogue::builtin();
  if (options.timeout < std::chrono::milliseconds(100) ||
      options.timeout > std::chrono::seconds(120))
    errors.push_back({"timeout", "must be between 100 ms and 120 s"});
  if (options.max_retries < 0 || options.max_retries > 10)
    errors.push_back({"max_retries", "must be between 0 and 10"});
  if (options.initial_backoff < std::chrono::milliseconds(0) ||
      options.initial_backoff > std::chrono::seconds(10))
    errors.push_back({"initial_backoff", "must be between 0 and 10 s"});
  if (!errors.empty()) {
    std::string detail = "stripe: " + errors.front().field + " " + errors.front().message;
    return Error{Errc::validation_failed, std::move(detail), std::move(errors)};
  }
  return std::unique_ptr<BillingProvider>(
      new StripeProvider(std::move(options), std::move(ep), random));
}

}  // namespace tenantkit::billing
