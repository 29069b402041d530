// SPDX-License-Identifier: Apache-2.0
// Interop CLI for tests/interop/stripe.test.mjs: signs and verifies Stripe-Signature headers
// with tenantkit::billing so the official `stripe` npm package can be checked against it.
//   stripe_webhook sign <secret> <unix seconds>       body on stdin -> header on stdout
//   stripe_webhook verify <secret[,secret...]> <header>   body on stdin -> "ok <t>" or
//                                                      "<code>: <detail>" (exit 1)
#include <iostream>
#include <iterator>
#include <string>
#include <vector>

#include <tenantkit/billing/webhook.hpp>

namespace {

std::vector<tenantkit::Secret> split_secrets(const std::string& list) {
  std::vector<tenantkit::Secret> out;
  std::size_t start = 0;
  while (start <= list.size()) {
    const auto comma = list.find(',', start);
    const auto end = comma == std::string::npos ? list.size() : comma;
    out.emplace_back(list.substr(start, end - start));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace tenantkit;
  const std::vector<std::string> args(argv + 1, argv + argc);
  const std::string body{std::istreambuf_iterator<char>(std::cin), {}};
  if (args.size() == 3 && args[0] == "sign") {
    std::cout << billing::sign_webhook(split_secrets(args[1]),
                                       from_unix_seconds(std::stoll(args[2])), body);
    return 0;
  }
  if (args.size() == 3 && args[0] == "verify") {
    auto verifier = billing::WebhookVerifier::create({split_secrets(args[1])}, system_clock());
    if (!verifier) {
      std::cout << verifier.error() << "\n";
      return 2;
    }
    auto r = verifier->verify(args[2], body);
    if (!r) {
      std::cout << to_string(r.error().code) << ": " << r.error().detail << "\n";
      return 1;
    }
    std::cout << "ok " << to_unix_seconds(*r) << "\n";
    return 0;
  }
  std::cerr << "usage: stripe_webhook sign <secret> <unix seconds> | verify <secrets> <header>\n";
  return 2;
}
