// SPDX-License-Identifier: Apache-2.0
#include <algorithm>

#include <tenantkit/scim/error.hpp>
#include <tenantkit/scim/group_resource.hpp>

#include "json_model.hpp"

namespace tenantkit::scim {
namespace json = boost::json;
using detail::find_ci;
using detail::iequals;

namespace {

Error invalid_value(std::string_view why) {
  return make_error(Errc::bad_request, scim_type::invalid_value, why);
}
Error invalid_path(std::string_view why) {
  return make_error(Errc::bad_request, scim_type::invalid_path, why);
}

bool has_member(const GroupResource& g, std::string_view value) {
  return std::any_of(g.members.begin(), g.members.end(),
                     [&](const GroupMember& m) { return m.value == value; });
}

// `members` as sent: an array of {"value": "<user id>", "display": "..."}; Entra ID sometimes
// sends a single object, which is accepted too.
Result<std::vector<GroupMember>> members_from(const json::value& v) {
  std::vector<GroupMember> out;
  auto one = [&](const json::value& e) -> Result<void> {
    if (!e.is_object()) return invalid_value("a member must be an object");
    const json::value* value = find_ci(e.get_object(), "value");
    if (!value || !value->is_string() || value->get_string().empty())
      return invalid_value("a member needs a string value (the user's id)");
    GroupMember m{std::string(value->get_string()), {}};
    if (const json::value* d = find_ci(e.get_object(), "display"); d && d->is_string())
      m.display = std::string(d->get_string());
    const bool dup = std::any_of(out.begin(), out.end(),
                                 [&](const GroupMember& x) { return x.value == m.value; });
    if (!dup) out.push_back(std::move(m));
    return ok();
  };
  if (v.is_null()) return out;
  if (v.is_object()) {
    if (auto r = one(v); !r) return r.error();
    return out;
  }
  if (!v.is_array()) return invalid_value("members must be an array");
  if (v.get_array().size() > kMaxGroupMembers) return invalid_value("too many members");
  for (const json::value& e : v.get_array())
    if (auto r = one(e); !r) return r.error();
  return out;
}

Result<std::string> string_attr(const json::value& v, std::string_view name) {
  if (v.is_null()) return std::string();
  if (!v.is_string()) return invalid_value(std::string(name) + " must be a string");
  return std::string(v.get_string());
}

Result<void> check_display_name(const std::string& name) {
  if (name.empty()) return invalid_value("displayName is required");
  if (name.size() > kMaxGroupName) return invalid_value("displayName is too long");
  return ok();
}

// Sets one top-level attribute named `key` (a no-path replace/add, or a body).
Result<void> set_attr(GroupResource& g, std::string_view key, const json::value& v, bool append) {
  if (iequals(key, "displayName")) {
    auto s = string_attr(v, "displayName");
    if (!s) return s.error();
    g.display_name = std::move(*s);
    return ok();
  }
  if (iequals(key, "externalId")) {
    auto s = string_attr(v, "externalId");
    if (!s) return s.error();
    g.external_id = std::move(*s);
    return ok();
  }
  if (iequals(key, "members")) {
    auto m = members_from(v);
    if (!m) return m.error();
    if (!append) g.members.clear();
    for (GroupMember& x : *m)
      if (!has_member(g, x.value)) g.members.push_back(std::move(x));
    if (g.members.size() > kMaxGroupMembers) return invalid_value("too many members");
    return ok();
  }
  // id, meta and schemas are the service provider's; anything else a Group does not have.
  if (iequals(key, "id") || iequals(key, "meta") || iequals(key, "schemas")) return ok();
  return invalid_path("unknown Group attribute \"" + std::string(key) + "\"");
}

json::object member_object(const GroupMember& m) {
  json::object o;
  o["value"] = m.value;
  if (!m.display.empty()) o["display"] = m.display;
  return o;
}

json::object group_object(const GroupResource& g, std::string_view base_url) {
  json::object o;
  o["schemas"] = json::array{json::string(kGroupSchema)};
  o["id"] = g.id;
  if (!g.external_id.empty()) o["externalId"] = g.external_id;
  o["displayName"] = g.display_name;
  json::array members;
  for (const GroupMember& m : g.members) {
    json::object e = member_object(m);
    if (!base_url.empty()) e["$ref"] = std::string(base_url) + "/Users/" + m.value;
    members.push_back(std::move(e));
  }
  // An empty multi-valued attribute is unassigned (RFC 7643 §2.5): omitted.
  if (!members.empty()) o["members"] = std::move(members);
  json::object meta;
  meta["resourceType"] = "Group";
  meta["created"] = format_rfc3339(g.meta.created);
  meta["lastModified"] = format_rfc3339(g.meta.last_modified);
  if (!base_url.empty()) meta["location"] = std::string(base_url) + "/Groups/" + g.id;
  meta["version"] = etag(g);
  o["meta"] = std::move(meta);
  return o;
}

bool known_group_attr(const AttrPath& p, bool inside_members) {
  if (!p.schema.empty() && !iequals(p.schema, kGroupSchema)) return false;
  if (inside_members)
    return p.sub.empty() && (iequals(p.attr, "value") || iequals(p.attr, "display"));
  if (iequals(p.attr, "id") || iequals(p.attr, "externalId") || iequals(p.attr, "displayName"))
    return p.sub.empty();
  if (iequals(p.attr, "members"))
    return p.sub.empty() || iequals(p.sub, "value") || iequals(p.sub, "display");
  if (iequals(p.attr, "meta"))
    return iequals(p.sub, "created") || iequals(p.sub, "lastModified") ||
           iequals(p.sub, "resourceType");
  return false;
}

Result<void> check_group_node(const Filter& f, int index, bool inside_members) {
  const FilterNode& n = f.nodes.at(static_cast<std::size_t>(index));
  switch (n.kind) {
    case FilterNode::Kind::and_:
    case FilterNode::Kind::or_:
      if (auto r = check_group_node(f, n.lhs, inside_members); !r) return r;
      return check_group_node(f, n.rhs, inside_members);
    case FilterNode::Kind::not_:
      return check_group_node(f, n.lhs, inside_members);
    case FilterNode::Kind::compare:
      break;
    case FilterNode::Kind::value_path: {
      AttrPath head = n.path;
      head.sub.clear();
      if (inside_members || !iequals(head.attr, "members") || !known_group_attr(head, false)) break;
      if (n.has_tail && !(iequals(n.path.sub, "value") || iequals(n.path.sub, "display"))) break;
      return check_group_node(f, n.lhs, true);
    }
  }
  if (n.kind == FilterNode::Kind::compare && known_group_attr(n.path, inside_members)) return ok();
  std::string name = n.path.attr;
  if (!n.path.sub.empty()) name += "." + n.path.sub;
  return make_error(Errc::bad_request, scim_type::invalid_filter,
                    "unsupported filter attribute \"" + name + "\"");
}

}  // namespace

Result<GroupResource> group_from_json(std::string_view text) {
  auto v = detail::parse_json(text);
  if (!v || !v->is_object())
    return make_error(Errc::bad_request, scim_type::invalid_syntax,
                      "the body must be a JSON object");
  GroupResource g;
  for (const auto& kv : v->get_object()) {
    const std::string_view key = kv.key();
    if (iequals(key, "id") || iequals(key, "meta") || iequals(key, "schemas")) continue;
    if (!(iequals(key, "displayName") || iequals(key, "externalId") || iequals(key, "members")))
      continue;  // attributes a Group does not model are ignored (RFC 7644 §3.3)
    if (auto r = set_attr(g, key, kv.value(), true); !r) return r.error();
  }
  if (auto r = check_display_name(g.display_name); !r) return r.error();
  return g;
}

std::string to_json(const GroupResource& group, std::string_view base_url) {
  return json::serialize(group_object(group, base_url));
}

std::string etag(const GroupResource& group) {
  return "W/\"" + std::to_string(group.meta.version) + "\"";
}

Result<void> check_group_filter(const Filter& filter) {
  if (filter.root < 0 || filter.nodes.empty())
    return make_error(Errc::bad_request, scim_type::invalid_filter, "empty filter");
  return check_group_node(filter, filter.root, false);
}

Result<bool> matches(const Filter& filter, const GroupResource& group) {
  if (auto r = check_group_filter(filter); !r) return r.error();
  return detail::evaluate(filter, filter.root, group_object(group, ""));
}

Result<GroupResource> apply_group_patch(const GroupResource& group, const PatchRequest& patch) {
  GroupResource g = group;
  for (const PatchOperation& op : patch.operations) {
    std::optional<json::value> value;
    if (!op.value_json.empty()) {
      value = detail::parse_json(op.value_json);
      if (!value) return invalid_value("value is not JSON");
    }
    if (op.path.empty()) {
      if (op.op == PatchOpKind::remove)
        return make_error(Errc::bad_request, scim_type::no_target, "remove needs a path");
      if (!value || !value->is_object())
        return invalid_value("an operation without path needs an object value");
      for (const auto& kv : value->get_object())
        if (auto r = set_attr(g, kv.key(), kv.value(), op.op == PatchOpKind::add); !r)
          return r.error();
      continue;
    }
    auto path = parse_patch_path(op.path);
    if (!path) return path.error();
    const AttrPath& a = path->attr;
    if (!a.schema.empty() && !iequals(a.schema, kGroupSchema))
      return invalid_path("unknown schema in path");
    if (iequals(a.attr, "id") || iequals(a.attr, "meta") || iequals(a.attr, "schemas"))
      return make_error(Errc::bad_request, scim_type::mutability,
                        std::string(a.attr) + " cannot be changed");
    const bool members = iequals(a.attr, "members");
    if (!members && (path->has_filter || !a.sub.empty()))
      return invalid_path("unknown Group attribute path \"" + op.path + "\"");
    if (!members && !iequals(a.attr, "displayName") && !iequals(a.attr, "externalId"))
      return invalid_path("unknown Group attribute \"" + a.attr + "\"");

    if (!members) {
      if (op.op == PatchOpKind::remove) {
        if (iequals(a.attr, "displayName")) return invalid_value("displayName is required");
        g.external_id.clear();
        continue;
      }
      if (!value) return invalid_value("value is required");
      if (auto r = set_attr(g, a.attr, *value, false); !r) return r.error();
      continue;
    }

    // members, members[filter], members[filter].sub (only removal of whole elements is
    // meaningful for a filter; a sub-attribute path is refused).
    if (!path->sub.empty() || !a.sub.empty())
      return invalid_path("members sub-attributes cannot be patched");
    if (path->has_filter) {
      if (op.op != PatchOpKind::remove)
        return invalid_path("a member filter is only supported with remove");
      std::vector<GroupMember> kept;
      bool hit = false;
      for (const GroupMember& m : g.members) {
        auto r = detail::evaluate(path->filter, path->filter.root, member_object(m));
        if (!r) return r.error();
        if (*r)
          hit = true;
        else
          kept.push_back(m);
      }
      if (!hit)
        return make_error(Errc::bad_request, scim_type::no_target,
                          "the member filter matches no member");
      g.members = std::move(kept);
      continue;
    }
    if (op.op == PatchOpKind::remove) {
      if (!value || value->is_null()) {
        g.members.clear();
        continue;
      }
      // Entra ID: {"op":"Remove","path":"members","value":[{"value":"<id>"}]}.
      auto gone = members_from(*value);
      if (!gone) return gone.error();
      std::erase_if(g.members, [&](const GroupMember& m) {
        return std::any_of(gone->begin(), gone->end(),
                           [&](const GroupMember& x) { return x.value == m.value; });
      });
      continue;
    }
    if (!value) return invalid_value("value is required");
    if (auto r = set_attr(g, "members", *value, op.op == PatchOpKind::add); !r) return r.error();
  }
  if (auto r = check_display_name(g.display_name); !r) return r.error();
  g.id = group.id;
  g.meta = group.meta;
  return g;
}

}  // namespace tenantkit::scim
