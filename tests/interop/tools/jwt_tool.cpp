// SPDX-License-Identifier: Apache-2.0
// jwt_tool: a small CLI over tenantkit::auth::JwtCodec for the jose interop test
// (tests/interop/jwt.test.mjs). Not installed; not a ctest test.
//
//   jwt_tool jwks   --key-file F                      print the JWKS (creates F on first use)
//   jwt_tool rotate --key-file F                      add a new signing key to F, print the JWKS
//   jwt_tool sign   --key-file F [--sub U] [--org O] [--sid S] [--ttl SECONDS]
//   jwt_tool sign   --alg HS256 --secret S [...]      print a token
//   jwt_tool verify --key-file F TOKEN                print the claims as JSON, exit 0;
//   jwt_tool verify --alg HS256 --secret S TOKEN      or print the refusal reason, exit 1
// Common: --issuer (default tenantkit), --audience (default tenantkit).
#include <cstdio>
#include <iostream>
#include <map>
#include <string>
#include <vector>

#include <boost/json.hpp>

#include <tenantkit/auth/jwt.hpp>

namespace {

using namespace tenantkit;

int usage() {
  std::cerr << "usage: jwt_tool jwks|rotate|sign|verify [--key-file F | --alg HS256 --secret S]"
               " [--issuer I] [--audience A] [--sub U] [--org O] [--sid S] [--ttl N] [TOKEN]\n";
  return 2;
}

int fail(const Error& e) {
  std::cout << e.detail << "\n";
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) return usage();
  const std::string command = argv[1];
  std::map<std::string, std::string> flags;
  std::vector<std::string> positional;
  for (int i = 2; i < argc; ++i) {
    std::string a = argv[i];
    if (a.starts_with("--") && i + 1 < argc) {
      flags[a.substr(2)] = argv[++i];
    } else {
      positional.push_back(std::move(a));
    }
  }
  const auto flag = [&](const std::string& name, std::string fallback = "") {
    auto it = flags.find(name);
    return it == flags.end() ? fallback : it->second;
  };

  auth::JwtOptions options;
  options.issuer = flag("issuer", "tenantkit");
  options.audience = flag("audience", "tenantkit");
  if (flags.contains("ttl")) options.ttl = std::chrono::seconds{std::stoll(flag("ttl"))};
  const std::string alg = flag("alg", "EdDSA");
  const std::string key_file = flag("key-file");

  std::unique_ptr<auth::JwtCodec> codec;
  if (alg == "HS256") {
    options.alg = auth::JwtAlg::hs256;
    auto c =
        auth::JwtCodec::hs256(Secret(flag("secret")), options, system_random(), system_clock());
    if (!c) return fail(c.error());
    codec = std::move(*c);
  } else {
    if (key_file.empty()) return usage();
    auto keys = auth::JwtKeySet::load_or_create(key_file, system_random(), system_clock().now());
    if (!keys) return fail(keys.error());
    if (command == "rotate") {
      keys->rotate(system_random(), system_clock().now());
      if (auto saved = keys->save(key_file); !saved) return fail(saved.error());
    }
    auto c = auth::JwtCodec::eddsa(std::move(*keys), options, system_random(), system_clock());
    if (!c) return fail(c.error());
    codec = std::move(*c);
  }

  if (command == "jwks" || command == "rotate") {
    std::cout << codec->jwks_json() << "\n";
    return 0;
  }
  if (command == "sign") {
    auth::TokenSubject subject;
    subject.user = UserId::from_trusted(flag("sub", "user-1"));
    if (flags.contains("org")) subject.org = OrgId::from_trusted(flag("org"));
    if (flags.contains("sid")) subject.session = SessionId::from_trusted(flag("sid"));
    auto token = codec->sign(subject);
    if (!token) return fail(token.error());
    std::cout << *token << "\n";
    return 0;
  }
  if (command == "verify") {
    if (positional.size() != 1) return usage();
    auto claims = codec->verify(positional[0]);
    if (!claims) return fail(claims.error());
    boost::json::object out{{"iss", claims->iss},
                            {"aud", claims->aud},
                            {"sub", claims->sub.str()},
                            {"org", claims->org.str()},
                            {"sid", claims->sid.str()},
                            {"iat", to_unix_seconds(claims->iat)},
                            {"exp", to_unix_seconds(claims->exp)},
                            {"jti", claims->jti}};
    std::cout << boost::json::serialize(out) << "\n";
    return 0;
  }
  return usage();
}
