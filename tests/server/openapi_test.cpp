// SPDX-License-Identifier: Apache-2.0
// The OpenAPI document (handlers/openapi.hpp) against the router: every route the server serves
// is documented, with the same method and path shape. Routes documented but not served yet
// (groups still being built) are listed in the test output, not failed: the document is the
// source of truth for API.md's whole endpoint set.
#include "handlers/openapi.hpp"

#include <iostream>
#include <set>
#include <string>
#include <utility>

#include <boost/json/parse.hpp>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "client.hpp"

namespace tenantkit::server::testing {
namespace {

namespace json = boost::json;
using Endpoint = std::pair<std::string, std::string>;  // ("GET", "/v1/orgs/{}")

// Parameter names may differ between the document and a pattern ({id} vs {org_id}); only the
// shape has to agree.
std::string shape(std::string_view path) {
  std::string out;
  bool in_param = false;
  for (const char c : path) {
    if (c == '{') {
      in_param = true;
      out += "{}";
    } else if (c == '}') {
      in_param = false;
    } else if (!in_param) {
      out += c;
    }
  }
  return out;
}

std::string upper(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  return out;
}

json::object document() {
  boost::system::error_code ec;
  auto v = json::parse(handlers::openapi_document(), ec);
  EXPECT_FALSE(ec) << ec.message();
  return v.is_object() ? v.as_object() : json::object{};
}

std::set<Endpoint> documented(const json::object& doc) {
  static const std::set<std::string> kMethods = {"get",   "put",  "post",    "delete",
                                                 "patch", "head", "options", "trace"};
  std::set<Endpoint> out;
  for (const auto& [path, item] : doc.at("paths").as_object())
    for (const auto& [method, op] : item.as_object())
      if (kMethods.contains(std::string(method))) out.emplace(upper(method), shape(path));
  return out;
}

// Every "$ref": "#/components/<kind>/<name>" names an existing component.
void check_refs(const json::value& v, const json::object& components, std::string& broken) {
  if (v.is_object()) {
    for (const auto& [k, child] : v.as_object()) {
      if (k == "$ref" && child.is_string()) {
        const std::string_view ref = child.as_string();
        constexpr std::string_view kPrefix = "#/components/";
        bool ok = ref.starts_with(kPrefix);
        if (ok) {
          const auto rest = ref.substr(kPrefix.size());
          const auto slash = rest.find('/');
          ok = slash != std::string_view::npos;
          if (ok) {
            const auto* kind = components.if_contains(rest.substr(0, slash));
            ok = kind != nullptr && kind->is_object() &&
                 kind->as_object().contains(rest.substr(slash + 1));
          }
        }
        if (!ok) broken += std::string(ref) + " ";
      } else {
        check_refs(child, components, broken);
      }
    }
  } else if (v.is_array()) {
    for (const auto& child : v.as_array()) check_refs(child, components, broken);
  }
}

TEST(OpenApiTest, DocumentIsOpenApi31WithResolvableRefs) {
  const auto doc = document();
  ASSERT_TRUE(doc.contains("openapi"));
  EXPECT_EQ(doc.at("openapi").as_string(), "3.1.0");
  const auto& components = doc.at("components").as_object();
  for (const char* kind : {"schemas", "responses", "parameters", "headers", "securitySchemes"})
    EXPECT_TRUE(components.contains(kind)) << kind;
  EXPECT_TRUE(components.at("schemas").as_object().contains("Problem"));
  std::string broken;
  check_refs(doc, components, broken);
  EXPECT_EQ(broken, "") << "unresolvable $ref";
}

TEST(OpenApiTest, EveryOperationHasAnIdAndResponses) {
  const auto doc = document();
  std::set<std::string> ids;
  for (const auto& [path, item] : doc.at("paths").as_object()) {
    for (const auto& [method, op] : item.as_object()) {
      const auto& o = op.as_object();
      ASSERT_TRUE(o.contains("operationId")) << method << " " << path;
      EXPECT_TRUE(ids.insert(std::string(o.at("operationId").as_string())).second)
          << "duplicate operationId " << o.at("operationId");
      ASSERT_TRUE(o.contains("responses")) << method << " " << path;
      EXPECT_FALSE(o.at("responses").as_object().empty()) << method << " " << path;
    }
  }
}

TEST(OpenApiTest, EveryServedRouteIsDocumentedAndListsTheOthers) {
  TestServer srv;
  const auto doc = documented(document());
  std::set<Endpoint> served;
  for (const auto& [verb, pattern] : srv.app().router().endpoints())
    served.emplace(std::string(boost::beast::http::to_string(verb)), shape(pattern));
  ASSERT_FALSE(served.empty());

  for (const auto& e : served)
    EXPECT_TRUE(doc.contains(e)) << e.first << " " << e.second
                                 << " is served but missing from openapi/openapi.json";
  std::string pending;
  for (const auto& e : doc)
    if (!served.contains(e)) pending += "  " + e.first + " " + e.second + "\n";
  if (!pending.empty()) std::cout << "documented, not served yet:\n" << pending;
  ::testing::Test::RecordProperty("documented_not_served", pending);
}

TEST(OpenApiTest, ServedDocumentIsTheEmbeddedOne) {
  TestServer srv;
  auto res = get(srv.port(), "/openapi.json");
  EXPECT_EQ(res.result_int(), 200u);
  EXPECT_EQ(std::string(res[http::field::content_type]), "application/json");
  EXPECT_EQ(res.body(), handlers::openapi_document());
}

}  // namespace
}  // namespace tenantkit::server::testing
