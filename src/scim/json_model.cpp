// SPDX-License-Identifier: Apache-2.0
#include "json_model.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>

#include <tenantkit/scim/error.hpp>

namespace tenantkit::scim::detail {
namespace json = boost::json;

bool iequals(std::string_view a, std::string_view b) noexcept {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

const json::value* find_ci(const json::object& obj, std::string_view key) {
  for (const auto& kv : obj)
    if (iequals(kv.key(), key)) return &kv.value();
  return nullptr;
}

json::value* find_ci(json::object& obj, std::string_view key) {
  for (auto& kv : obj)
    if (iequals(kv.key(), key)) return &kv.value();
  return nullptr;
}

bool erase_ci(json::object& obj, std::string_view key) {
  bool erased = false;
  for (auto it = obj.begin(); it != obj.end();) {
    if (iequals(it->key(), key)) {
      it = obj.erase(it);
      erased = true;
    } else {
      ++it;
    }
  }
  return erased;
}

std::optional<json::value> parse_json(std::string_view text) {
  boost::system::error_code ec;
  json::value v = json::parse(text, ec);
  if (ec) return std::nullopt;
  return v;
}

namespace {

Error invalid(std::string_view attr, std::string_view what) {
  return make_error(Errc::bad_request, scim_type::invalid_value,
                    std::string(attr) + ": " + std::string(what));
}

// A string attribute; null and absent are unassigned.
Result<void> read_string(const json::value& v, std::string_view attr, std::string& out) {
  if (v.is_null()) {
    out.clear();
    return ok();
  }
  if (!v.is_string()) return invalid(attr, "must be a string");
  out = std::string(v.get_string());
  return ok();
}

// Booleans, also as the strings "true"/"false" in any case: Entra ID sends "True"/"False".
Result<void> read_bool(const json::value& v, std::string_view attr, bool& out) {
  if (v.is_bool()) {
    out = v.get_bool();
    return ok();
  }
  if (v.is_string()) {
    const std::string_view s = v.get_string();
    if (iequals(s, "true")) {
      out = true;
      return ok();
    }
    if (iequals(s, "false")) {
      out = false;
      return ok();
    }
  }
  return invalid(attr, "must be a boolean");
}

struct StringField {
  std::string_view key;
  std::string UserResource::*member;
};
constexpr StringField kStrings[] = {
    {"externalId", &UserResource::external_id},
    {"userName", &UserResource::user_name},
    {"displayName", &UserResource::display_name},
    {"nickName", &UserResource::nick_name},
    {"profileUrl", &UserResource::profile_url},
    {"title", &UserResource::title},
    {"userType", &UserResource::user_type},
    {"preferredLanguage", &UserResource::preferred_language},
    {"locale", &UserResource::locale},
    {"timezone", &UserResource::timezone},
};

struct NameField {
  std::string_view key;
  std::string Name::*member;
};
constexpr NameField kNameFields[] = {
    {"formatted", &Name::formatted},
    {"familyName", &Name::family_name},
    {"givenName", &Name::given_name},
    {"middleName", &Name::middle_name},
    {"honorificPrefix", &Name::honorific_prefix},
    {"honorificSuffix", &Name::honorific_suffix},
};

// Attributes never kept: assigned by tenantkit (id, meta, schemas), write-only (password: SCIM
// does not set tenantkit passwords, and a clear-text secret must not land in the profile), or
// read-only (groups).
constexpr std::string_view kDropped[] = {"id", "meta", "schemas", "password", "groups"};

bool is_modelled(std::string_view key) {
  for (const auto& f : kStrings)
    if (iequals(f.key, key)) return true;
  return iequals(key, "name") || iequals(key, "emails") || iequals(key, "active");
}

Result<void> read_email(const json::value& v, Email& e) {
  if (!v.is_object()) return invalid("emails", "each entry must be an object");
  for (const auto& kv : v.get_object()) {
    const std::string_view k = kv.key();
    if (iequals(k, "value")) {
      if (auto r = read_string(kv.value(), "emails.value", e.value); !r) return r;
    } else if (iequals(k, "type")) {
      if (auto r = read_string(kv.value(), "emails.type", e.type); !r) return r;
    } else if (iequals(k, "display")) {
      if (auto r = read_string(kv.value(), "emails.display", e.display); !r) return r;
    } else if (iequals(k, "primary")) {
      if (kv.value().is_null()) continue;
      if (auto r = read_bool(kv.value(), "emails.primary", e.primary); !r) return r;
    }
  }
  return ok();
}

}  // namespace

Result<UserResource> user_from_object(const json::object& obj) {
  UserResource u;
  json::object extra;
  for (const auto& kv : obj) {
    const std::string_view key = kv.key();
    const json::value& v = kv.value();
    if (std::any_of(std::begin(kDropped), std::end(kDropped),
                    [&](std::string_view d) { return iequals(d, key); }))
      continue;
    bool handled = false;
    for (const auto& f : kStrings)
      if (iequals(f.key, key)) {
        if (auto r = read_string(v, f.key, u.*f.member); !r) return r.error();
        handled = true;
      }
    if (handled) continue;
    if (iequals(key, "active")) {
      if (!v.is_null())
        if (auto r = read_bool(v, "active", u.active); !r) return r.error();
    } else if (iequals(key, "name")) {
      if (v.is_null()) continue;
      if (!v.is_object()) return invalid("name", "must be an object");
      for (const auto& nk : v.get_object())
        for (const auto& f : kNameFields)
          if (iequals(f.key, nk.key()))
            if (auto r = read_string(nk.value(), "name." + std::string(f.key), u.name.*f.member);
                !r)
              return r.error();
    } else if (iequals(key, "emails")) {
      if (v.is_null()) continue;
      if (!v.is_array()) return invalid("emails", "must be an array");
      if (v.get_array().size() > kMaxEmails) return invalid("emails", "too many entries");
      for (const auto& e : v.get_array()) {
        Email email;
        if (auto r = read_email(e, email); !r) return r.error();
        u.emails.push_back(std::move(email));
      }
    } else if (!v.is_null()) {
      extra[key] = v;
    }
  }
  if (u.user_name.empty()) return invalid("userName", "is required");
  u.extensions_json = json::serialize(extra);
  if (u.extensions_json.size() > kMaxUserJson) return invalid("resource", "too large");
  return u;
}

json::object attributes_object(const UserResource& u) {
  json::object o;
  if (auto extra = parse_json(u.extensions_json); extra && extra->is_object())
    for (const auto& kv : extra->get_object())
      if (!is_modelled(kv.key())) o[kv.key()] = kv.value();
  for (const auto& f : kStrings)
    if (!(u.*f.member).empty()) o[f.key] = u.*f.member;
  if (!u.name.empty()) {
    json::object n;
    for (const auto& f : kNameFields)
      if (!(u.name.*f.member).empty()) n[f.key] = u.name.*f.member;
    o["name"] = std::move(n);
  }
  o["active"] = u.active;
  if (!u.emails.empty()) {
    json::array a;
    for (const Email& e : u.emails) {
      json::object eo;
      if (!e.value.empty()) eo["value"] = e.value;
      if (!e.type.empty()) eo["type"] = e.type;
      if (!e.display.empty()) eo["display"] = e.display;
      eo["primary"] = e.primary;
      a.push_back(std::move(eo));
    }
    o["emails"] = std::move(a);
  }
  return o;
}

json::object resource_object(const UserResource& u, std::string_view base_url) {
  json::object o;
  json::array schemas{json::string(kUserSchema)};
  json::object attrs = attributes_object(u);
  for (const auto& kv : attrs)
    if (kv.key().size() > 4 && iequals(kv.key().substr(0, 4), "urn:") && kv.value().is_object())
      schemas.push_back(json::string(kv.key()));
  o["schemas"] = std::move(schemas);
  o["id"] = u.id;
  for (auto& kv : attrs) o[kv.key()] = std::move(kv.value());
  json::object meta;
  meta["resourceType"] = "User";
  meta["created"] = format_rfc3339(u.meta.created);
  meta["lastModified"] = format_rfc3339(u.meta.last_modified);
  if (!base_url.empty()) meta["location"] = std::string(base_url) + "/Users/" + u.id;
  meta["version"] = etag(u);
  o["meta"] = std::move(meta);
  return o;
}

// ---------------------------------------------------------------------------------------------
// Filter evaluation over JSON.
namespace {

enum class Fold : std::uint8_t { ci, exact, instant };

struct Eval {
  const Filter& f;
  std::optional<Error> error;

  static Fold fold_of(const AttrPath& p) {
    if (p.sub.empty() && (iequals(p.attr, "id") || iequals(p.attr, "externalId")))
      return Fold::exact;  // RFC 7643: caseExact true
    if (iequals(p.attr, "meta") && (iequals(p.sub, "created") || iequals(p.sub, "lastModified")))
      return Fold::instant;
    return Fold::ci;
  }

  // The values `path` names in `ctx`: a multi-valued attribute contributes each element (its
  // `sub`, or its "value" when no sub is given, RFC 7644 §3.4.2.2).
  static void resolve(const json::object& ctx, const AttrPath& p,
                      std::vector<const json::value*>& out) {
    const json::object* scope = &ctx;
    if (!p.schema.empty() && !iequals(p.schema, kUserSchema)) {
      const json::value* ext = find_ci(ctx, p.schema);
      if (!ext || !ext->is_object()) return;
      scope = &ext->get_object();
    }
    const json::value* v = find_ci(*scope, p.attr);
    if (!v || v->is_null()) return;
    auto pick = [&](const json::value& x) {
      if (!p.sub.empty()) {
        if (x.is_object())
          if (const json::value* s = find_ci(x.get_object(), p.sub); s && !s->is_null())
            out.push_back(s);
        return;
      }
      if (x.is_object()) {
        if (const json::value* s = find_ci(x.get_object(), "value"); s && !s->is_null())
          out.push_back(s);
        else
          out.push_back(&x);
        return;
      }
      out.push_back(&x);
    };
    if (v->is_array()) {
      for (const json::value& x : v->get_array()) pick(x);
    } else {
      pick(*v);
    }
  }

  static bool present(const json::value& v) {
    if (v.is_null()) return false;
    if (v.is_string()) return !v.get_string().empty();
    if (v.is_array()) return !v.get_array().empty();
    if (v.is_object()) return !v.get_object().empty();
    return true;
  }

  bool fail(std::string_view why) {
    if (!error) error = make_error(Errc::bad_request, scim_type::invalid_filter, why);
    return false;
  }

  bool compare_one(const json::value& v, CompareOp op, const Literal& lit, Fold fold) {
    if (lit.kind == Literal::Kind::null) return false;  // a present value never equals null
    if (v.is_bool()) {
      bool b = false;
      if (lit.kind == Literal::Kind::boolean) {
        b = lit.boolean;
      } else if (lit.kind == Literal::Kind::string &&
                 (iequals(lit.string, "true") || iequals(lit.string, "false"))) {
        b = iequals(lit.string, "true");
      } else {
        return false;
      }
      if (op == CompareOp::eq) return v.get_bool() == b;
      return fail("only eq and ne apply to a boolean");
    }
    if (v.is_number()) {
      if (lit.kind != Literal::Kind::number) return false;
      const double x = v.to_number<double>();
      switch (op) {
        case CompareOp::eq:
          return x == lit.number;
        case CompareOp::gt:
          return x > lit.number;
        case CompareOp::ge:
          return x >= lit.number;
        case CompareOp::lt:
          return x < lit.number;
        case CompareOp::le:
          return x <= lit.number;
        default:
          return fail("co, sw and ew apply to strings only");
      }
    }
    if (!v.is_string() || lit.kind != Literal::Kind::string) return false;
    const std::string_view s = v.get_string();
    if (fold == Fold::instant) {
      auto a = parse_rfc3339(s);
      auto b = parse_rfc3339(lit.string);
      if (!b) return fail("a date attribute compares with an RFC 3339 date-time");
      if (!a) return false;
      switch (op) {
        case CompareOp::eq:
          return *a == *b;
        case CompareOp::gt:
          return *a > *b;
        case CompareOp::ge:
          return *a >= *b;
        case CompareOp::lt:
          return *a < *b;
        case CompareOp::le:
          return *a <= *b;
        default:
          return fail("co, sw and ew do not apply to dates");
      }
    }
    const bool ci = fold == Fold::ci;
    const std::string a = ci ? lower(s) : std::string(s);
    const std::string b = ci ? lower(lit.string) : lit.string;
    switch (op) {
      case CompareOp::eq:
        return a == b;
      case CompareOp::co:
        return a.find(b) != std::string::npos;
      case CompareOp::sw:
        return a.size() >= b.size() && a.compare(0, b.size(), b) == 0;
      case CompareOp::ew:
        return a.size() >= b.size() && a.compare(a.size() - b.size(), b.size(), b) == 0;
      case CompareOp::gt:
        return a > b;
      case CompareOp::ge:
        return a >= b;
      case CompareOp::lt:
        return a < b;
      case CompareOp::le:
        return a <= b;
      default:
        return false;
    }
  }

  bool compare(const json::object& ctx, const AttrPath& path, CompareOp op, const Literal& lit) {
    std::vector<const json::value*> values;
    resolve(ctx, path, values);
    if (op == CompareOp::pr)
      return std::any_of(values.begin(), values.end(), [](auto* v) { return present(*v); });
    const Fold fold = fold_of(path);
    if (op == CompareOp::ne) {
      // ne is "not eq": absent attributes are not equal to anything but null.
      if (lit.kind == Literal::Kind::null) return !values.empty();
      for (const json::value* v : values)
        if (compare_one(*v, CompareOp::eq, lit, fold)) return false;
      return !error;
    }
    if (lit.kind == Literal::Kind::null && op == CompareOp::eq) return values.empty();
    for (const json::value* v : values)
      if (compare_one(*v, op, lit, fold)) return true;
    return false;
  }

  bool run(int index, const json::object& ctx) {
    if (error) return false;
    const FilterNode& n = f.nodes.at(static_cast<std::size_t>(index));
    switch (n.kind) {
      case FilterNode::Kind::and_:
        return run(n.lhs, ctx) && run(n.rhs, ctx);
      case FilterNode::Kind::or_:
        return run(n.lhs, ctx) || run(n.rhs, ctx);
      case FilterNode::Kind::not_:
        return !run(n.lhs, ctx) && !error;
      case FilterNode::Kind::compare:
        return compare(ctx, n.path, n.op, n.value);
      case FilterNode::Kind::value_path: {
        const json::object* scope = &ctx;
        if (!n.path.schema.empty() && !iequals(n.path.schema, kUserSchema)) {
          const json::value* ext = find_ci(ctx, n.path.schema);
          if (!ext || !ext->is_object()) return false;
          scope = &ext->get_object();
        }
        const json::value* v = find_ci(*scope, n.path.attr);
        if (!v) return false;
        auto element_matches = [&](const json::value& e) {
          if (!e.is_object() || !run(n.lhs, e.get_object())) return false;
          if (!n.has_tail) return true;
          AttrPath tail;
          tail.attr = n.path.sub;
          return compare(e.get_object(), tail, n.op, n.value);
        };
        if (v->is_array()) {
          for (const json::value& e : v->get_array())
            if (element_matches(e)) return true;
          return false;
        }
        return element_matches(*v);
      }
    }
    return false;
  }
};

}  // namespace

Result<bool> evaluate(const Filter& filter, int index, const json::object& ctx) {
  if (index < 0 || static_cast<std::size_t>(index) >= filter.nodes.size())
    return make_error(Errc::bad_request, scim_type::invalid_filter, "empty filter");
  Eval e{filter, std::nullopt};
  const bool r = e.run(index, ctx);
  if (e.error) return *e.error;
  return r;
}

}  // namespace tenantkit::scim::detail
