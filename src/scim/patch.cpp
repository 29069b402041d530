// SPDX-License-Identifier: Apache-2.0
// PATCH is applied to the JSON attributes of the user (what attributes_object() yields), not to
// the struct, so that one code path serves modelled attributes, the enterprise extension and any
// other attribute a directory maps (phoneNumbers[type eq "work"].value, addresses, ...). The result
// is read back through user_from_object(), which validates types.
#include <algorithm>
#include <array>

#include <tenantkit/scim/error.hpp>
#include <tenantkit/scim/patch.hpp>

#include "json_model.hpp"

namespace tenantkit::scim {
namespace {
namespace json = boost::json;
using detail::erase_ci;
using detail::find_ci;
using detail::iequals;

Error invalid_value(std::string_view why) {
  return make_error(Errc::bad_request, scim_type::invalid_value, why);
}
Error invalid_syntax(std::string_view why) {
  return make_error(Errc::bad_request, scim_type::invalid_syntax, why);
}
Error no_target(std::string_view why) {
  return make_error(Errc::bad_request, scim_type::no_target, why);
}
Error invalid_path(std::string_view why) {
  return make_error(Errc::bad_request, scim_type::invalid_path, why);
}

// Sets obj[key] keeping the spelling of an existing member with the same name.
void set_ci(json::object& obj, std::string_view key, json::value v) {
  if (json::value* cur = find_ci(obj, key)) {
    *cur = std::move(v);
    return;
  }
  obj[key] = std::move(v);
}

// Sub-attributes in `src` replace or join those of `dst` (RFC 7644 §3.5.2.1/3: complex values).
void merge(json::object& dst, const json::object& src) {
  for (const auto& kv : src) set_ci(dst, kv.key(), kv.value());
}

// Whether `existing` already holds `v`: equal, or for objects every member of `v` is in
// `existing` with an equal value (stored emails carry "primary": false that a request omits).
bool holds(const json::value& existing, const json::value& v) {
  if (!existing.is_object() || !v.is_object()) return existing == v;
  for (const auto& kv : v.get_object()) {
    const json::value* e = find_ci(existing.get_object(), kv.key());
    if (!e || *e != kv.value()) return false;
  }
  return true;
}

json::value to_json(const Literal& l) {
  switch (l.kind) {
    case Literal::Kind::string:
      return json::string(l.string);
    case Literal::Kind::boolean:
      return l.boolean;
    case Literal::Kind::number:
      return l.number;
    case Literal::Kind::null:
      break;
  }
  return nullptr;
}

// For a filter made only of `attr eq literal` joined by `and`, the element it describes:
// {"type": "work"} for `type eq "work"`. nullopt for anything else (or, not, other operators).
bool collect_eqs(const Filter& f, int index, json::object& out) {
  const FilterNode& n = f.nodes.at(static_cast<std::size_t>(index));
  if (n.kind == FilterNode::Kind::and_)
    return collect_eqs(f, n.lhs, out) && collect_eqs(f, n.rhs, out);
  if (n.kind != FilterNode::Kind::compare || n.op != CompareOp::eq || !n.path.sub.empty() ||
      !n.path.schema.empty() || n.value.kind == Literal::Kind::null)
    return false;
  set_ci(out, n.path.attr, to_json(n.value));
  return true;
}

bool read_only(const AttrPath& p) {
  if (!p.schema.empty() && !iequals(p.schema, kUserSchema)) return false;
  return iequals(p.attr, "id") || iequals(p.attr, "meta") || iequals(p.attr, "schemas");
}

Result<void> apply_path(json::object& root, PatchOpKind kind, const PatchPath& p,
                        const json::value* value) {
  if (read_only(p.attr))
    return make_error(Errc::bad_request, scim_type::mutability,
                      "\"" + p.attr.attr + "\" is read-only");
  const bool remove = kind == PatchOpKind::remove;
  if (!remove && !value) return invalid_value("add and replace need a value");

  // An extension attribute (urn:...:enterprise:2.0:User:department) lives in its schema's object.
  json::object* scope = &root;
  if (!p.attr.schema.empty() && !iequals(p.attr.schema, kUserSchema)) {
    json::value* ext = find_ci(root, p.attr.schema);
    if (!ext || !ext->is_object()) {
      if (remove) return ok();
      set_ci(root, p.attr.schema, json::object{});
      ext = find_ci(root, p.attr.schema);
    }
    scope = &ext->get_object();
  }
  const std::string& key = p.attr.attr;
  json::value* target = find_ci(*scope, key);

  if (p.has_filter) {
    if (target && !target->is_array()) return invalid_path("\"" + key + "\" is not multi-valued");
    std::vector<std::size_t> hits;
    if (target) {
      const json::array& arr = target->get_array();
      for (std::size_t i = 0; i < arr.size(); ++i) {
        if (!arr[i].is_object()) continue;
        auto m = detail::evaluate(p.filter, p.filter.root, arr[i].get_object());
        if (!m) return make_error(Errc::bad_request, scim_type::invalid_path, "bad value filter");
        if (*m) hits.push_back(i);
      }
    }
    if (hits.empty()) {
      if (remove) return no_target("the value filter matches nothing");
      // Entra ID replaces emails[type eq "work"].value on users without a work email and expects
      // the element to be created; only a plain `eq` filter says what that element is.
      json::object element;
      if (!collect_eqs(p.filter, p.filter.root, element))
        return no_target("the value filter matches nothing");
      if (!p.sub.empty()) {
        set_ci(element, p.sub, *value);
      } else if (value->is_object()) {
        merge(element, value->get_object());
      } else {
        return invalid_value("a value-filter target takes an object");
      }
      if (!target) {
        set_ci(*scope, key, json::array{});
        target = find_ci(*scope, key);
      }
      target->get_array().push_back(std::move(element));
      return ok();
    }
    json::array& arr = target->get_array();
    if (remove) {
      if (!p.sub.empty()) {
        for (std::size_t i : hits) erase_ci(arr[i].get_object(), p.sub);
      } else {
        for (auto it = hits.rbegin(); it != hits.rend(); ++it)
          arr.erase(arr.begin() + static_cast<std::ptrdiff_t>(*it));
      }
      return ok();
    }
    for (std::size_t i : hits) {
      json::object& e = arr[i].get_object();
      if (!p.sub.empty()) {
        set_ci(e, p.sub, *value);
      } else if (value->is_object()) {
        merge(e, value->get_object());
      } else {
        return invalid_value("a value-filter target takes an object");
      }
    }
    return ok();
  }

  if (!p.attr.sub.empty()) {
    const std::string& sub = p.attr.sub;
    if (!target || target->is_null()) {
      if (remove) return ok();
      json::object o;
      o[sub] = *value;
      set_ci(*scope, key, std::move(o));
      return ok();
    }
    if (target->is_object()) {
      if (remove)
        erase_ci(target->get_object(), sub);
      else
        set_ci(target->get_object(), sub, *value);
      return ok();
    }
    if (target->is_array()) {
      // emails.type without a filter: every element (RFC 7644 §3.5.2.3).
      for (json::value& e : target->get_array()) {
        if (!e.is_object()) continue;
        if (remove)
          erase_ci(e.get_object(), sub);
        else
          set_ci(e.get_object(), sub, *value);
      }
      return ok();
    }
    return invalid_path("\"" + key + "\" has no sub-attributes");
  }

  if (remove) {
    if (value && target && target->is_array() && value->is_array()) {
      // Remove the listed values ({"value": x} entries) from a multi-valued attribute.
      json::array& arr = target->get_array();
      for (const json::value& gone : value->get_array()) {
        const json::value* gv = gone.is_object() ? find_ci(gone.get_object(), "value") : &gone;
        if (!gv) continue;
        for (auto it = arr.begin(); it != arr.end();) {
          const json::value* ev = it->is_object() ? find_ci(it->get_object(), "value") : &*it;
          if (ev && *ev == *gv)
            it = arr.erase(it);
          else
            ++it;
        }
      }
      return ok();
    }
    erase_ci(*scope, key);
    return ok();
  }
  if (target && target->is_array()) {
    json::array incoming = value->is_array() ? value->get_array() : json::array{*value};
    if (kind == PatchOpKind::add) {
      // RFC 7644 §3.5.2.1: adding a value the attribute already holds changes nothing.
      json::array& arr = target->get_array();
      for (auto& v : incoming)
        if (std::none_of(arr.begin(), arr.end(), [&](const json::value& e) { return holds(e, v); }))
          arr.push_back(std::move(v));
    } else {
      *target = std::move(incoming);
    }
    return ok();
  }
  if (target && target->is_object() && value->is_object()) {
    merge(target->get_object(), value->get_object());
    return ok();
  }
  set_ci(*scope, key, *value);
  return ok();
}

Result<void> apply_operation(json::object& root, const PatchOperation& op) {
  std::optional<json::value> value;
  if (!op.value_json.empty()) {
    value = detail::parse_json(op.value_json);
    if (!value) return invalid_syntax("value is not JSON");
  }
  if (iequals(op.path, kEnterpriseUserSchema)) {
    // The whole extension object as the target (its URN is not `schema:attr`).
    PatchPath whole;
    whole.attr.attr = op.path;
    return apply_path(root, op.op, whole, value ? &*value : nullptr);
  }
  if (!op.path.empty()) {
    auto path = parse_patch_path(op.path);
    if (!path) return path.error();
    return apply_path(root, op.op, *path, value ? &*value : nullptr);
  }
  if (op.op == PatchOpKind::remove) return no_target("remove needs a path");
  if (!value || !value->is_object())
    return invalid_value("an operation without path takes an object of attributes");
  for (const auto& kv : value->get_object()) {
    const std::string_view k = kv.key();
    // Okta and Entra may echo read-only attributes in a whole-resource value: ignore them.
    if (iequals(k, "id") || iequals(k, "meta") || iequals(k, "schemas")) continue;
    PatchPath p;
    if (k.size() > 4 && iequals(k.substr(0, 4), "urn:") && kv.value().is_object()) {
      // A whole extension object keyed by its schema URN.
      p.attr.attr = std::string(k);
    } else {
      // Keys may be paths themselves: Entra ID sends {"name.givenName": "Barbara"}.
      auto parsed = parse_patch_path(k);
      if (!parsed) return parsed.error();
      p = std::move(*parsed);
    }
    if (auto r = apply_path(root, op.op, p, &kv.value()); !r) return r;
  }
  return ok();
}

}  // namespace

Result<PatchRequest> parse_patch(std::string_view body) {
  auto v = detail::parse_json(body);
  if (!v || !v->is_object()) return invalid_syntax("body is not a JSON object");
  const json::object& o = v->get_object();
  if (const json::value* schemas = find_ci(o, "schemas")) {
    bool found = false;
    if (schemas->is_array())
      for (const json::value& s : schemas->get_array())
        if (s.is_string() && iequals(s.get_string(), kPatchOpSchema)) found = true;
    if (!found) return invalid_syntax("schemas must list " + std::string(kPatchOpSchema));
  }
  const json::value* ops = find_ci(o, "Operations");
  if (!ops || !ops->is_array() || ops->get_array().empty())
    return invalid_syntax("Operations must be a non-empty array");
  if (ops->get_array().size() > kMaxPatchOperations) return invalid_syntax("too many operations");
  PatchRequest out;
  for (const json::value& e : ops->get_array()) {
    if (!e.is_object()) return invalid_syntax("each operation must be an object");
    const json::object& eo = e.get_object();
    PatchOperation op;
    const json::value* name = find_ci(eo, "op");
    if (!name || !name->is_string()) return invalid_value("op is required");
    const std::string_view n = name->get_string();
    if (iequals(n, "add"))
      op.op = PatchOpKind::add;
    else if (iequals(n, "replace"))
      op.op = PatchOpKind::replace;
    else if (iequals(n, "remove"))
      op.op = PatchOpKind::remove;
    else
      return invalid_value("op must be add, replace or remove");
    if (const json::value* path = find_ci(eo, "path"); path && !path->is_null()) {
      if (!path->is_string()) return invalid_value("path must be a string");
      op.path = std::string(path->get_string());
      if (op.path.empty()) return invalid_path("empty path");
      if (auto p = parse_patch_path(op.path); !p) return p.error();
    }
    if (const json::value* value = find_ci(eo, "value")) op.value_json = json::serialize(*value);
    if (op.op != PatchOpKind::remove && op.value_json.empty())
      return invalid_value("add and replace need a value");
    out.operations.push_back(std::move(op));
  }
  return out;
}

Result<UserResource> apply_patch(const UserResource& user, const PatchRequest& patch) {
  json::object root = detail::attributes_object(user);
  for (const PatchOperation& op : patch.operations)
    if (auto r = apply_operation(root, op); !r) return r.error();
  auto next = detail::user_from_object(root);
  if (!next) return next.error();
  next->id = user.id;
  next->meta = user.meta;
  return next;
}

}  // namespace tenantkit::scim
