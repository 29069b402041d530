// SPDX-License-Identifier: Apache-2.0
#include <boost/json.hpp>

#include <tenantkit/scim/discovery.hpp>
#include <tenantkit/scim/group_resource.hpp>
#include <tenantkit/scim/user_resource.hpp>

namespace tenantkit::scim {
namespace {
namespace json = boost::json;

constexpr std::string_view kSpcSchema =
    "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig";
constexpr std::string_view kSchemaSchema = "urn:ietf:params:scim:schemas:core:2.0:Schema";
constexpr std::string_view kResourceTypeSchema =
    "urn:ietf:params:scim:schemas:core:2.0:ResourceType";

json::object meta(std::string_view type, std::string_view base_url, std::string_view path) {
  json::object m;
  m["resourceType"] = type;
  if (!base_url.empty()) m["location"] = std::string(base_url) + std::string(path);
  return m;
}

json::object supported(bool yes) {
  json::object o;
  o["supported"] = yes;
  return o;
}

// One attribute definition (RFC 7643 §7).
json::object attr(std::string_view name, std::string_view type, bool multi, bool required,
                  bool case_exact, std::string_view mutability, std::string_view uniqueness,
                  std::string_view description) {
  json::object a;
  a["name"] = name;
  a["type"] = type;
  a["multiValued"] = multi;
  a["description"] = description;
  a["required"] = required;
  if (type == "string" || type == "reference") a["caseExact"] = case_exact;
  a["mutability"] = mutability;
  a["returned"] = "default";
  a["uniqueness"] = uniqueness;
  return a;
}

json::object str(std::string_view name, std::string_view description) {
  return attr(name, "string", false, false, false, "readWrite", "none", description);
}

json::object list(json::array resources) {
  json::object o;
  o["schemas"] = json::array{json::string(kListResponseSchema)};
  o["totalResults"] = static_cast<std::int64_t>(resources.size());
  o["itemsPerPage"] = static_cast<std::int64_t>(resources.size());
  o["startIndex"] = 1;
  o["Resources"] = std::move(resources);
  return o;
}

}  // namespace

std::string service_provider_config_json(std::string_view base_url, std::int64_t max_results) {
  json::object o;
  o["schemas"] = json::array{json::string(kSpcSchema)};
  o["patch"] = supported(true);
  json::object bulk = supported(false);
  bulk["maxOperations"] = 0;
  bulk["maxPayloadSize"] = 0;
  o["bulk"] = std::move(bulk);
  json::object filter = supported(true);
  filter["maxResults"] = max_results;
  o["filter"] = std::move(filter);
  o["changePassword"] = supported(false);
  o["sort"] = supported(false);
  o["etag"] = supported(true);
  json::object scheme;
  scheme["type"] = "oauthbearertoken";
  scheme["name"] = "OAuth Bearer Token";
  scheme["description"] = "The organization's SCIM token: Authorization: Bearer scim_...";
  scheme["specUri"] = "https://www.rfc-editor.org/info/rfc6750";
  scheme["primary"] = true;
  o["authenticationSchemes"] = json::array{std::move(scheme)};
  o["meta"] = meta("ServiceProviderConfig", base_url, "/ServiceProviderConfig");
  return json::serialize(o);
}

std::string schemas_json(std::string_view base_url) {
  json::array attrs;
  attrs.push_back(attr("userName", "string", false, true, false, "readWrite", "server",
                       "The user's login email address; unique within the organization."));
  attrs.push_back(attr("externalId", "string", false, false, true, "readWrite", "none",
                       "The directory's identifier; unique within the organization."));
  json::object name = attr("name", "complex", false, false, false, "readWrite", "none",
                           "The components of the user's name.");
  json::array name_subs;
  name_subs.push_back(str("formatted", "The full name."));
  name_subs.push_back(str("familyName", "The family name."));
  name_subs.push_back(str("givenName", "The given name."));
  name_subs.push_back(str("middleName", "The middle name."));
  name_subs.push_back(str("honorificPrefix", "Honorific prefix."));
  name_subs.push_back(str("honorificSuffix", "Honorific suffix."));
  name["subAttributes"] = std::move(name_subs);
  attrs.push_back(std::move(name));
  attrs.push_back(str("displayName", "The name shown in tenantkit."));
  attrs.push_back(str("nickName", "Casual name."));
  attrs.push_back(
      attr("profileUrl", "reference", false, false, false, "readWrite", "none", "Profile page."));
  attrs.push_back(str("title", "Job title."));
  attrs.push_back(str("userType", "Relationship to the organization."));
  attrs.push_back(str("preferredLanguage", "Preferred language."));
  attrs.push_back(str("locale", "Locale."));
  attrs.push_back(str("timezone", "Time zone (IANA)."));
  attrs.push_back(attr("active", "boolean", false, false, false, "readWrite", "none",
                       "false suspends the membership and revokes the user's sessions."));
  json::object emails =
      attr("emails", "complex", true, false, false, "readWrite", "none", "Email addresses.");
  json::array email_subs;
  email_subs.push_back(str("value", "The address."));
  email_subs.push_back(str("display", "Display form."));
  email_subs.push_back(str("type", "work, home or other."));
  email_subs.push_back(
      attr("primary", "boolean", false, false, false, "readWrite", "none", "The primary one."));
  emails["subAttributes"] = std::move(email_subs);
  attrs.push_back(std::move(emails));

  json::object user;
  user["schemas"] = json::array{json::string(kSchemaSchema)};
  user["id"] = kUserSchema;
  user["name"] = "User";
  user["description"] = "User Account";
  user["attributes"] = std::move(attrs);
  user["meta"] = meta("Schema", base_url, "/Schemas/" + std::string(kUserSchema));

  json::array gattrs;
  gattrs.push_back(attr("displayName", "string", false, true, false, "readWrite", "server",
                        "The group's name; unique within the organization. A group named like "
                        "a role (or mapped to one) grants it to its members."));
  gattrs.push_back(attr("externalId", "string", false, false, true, "readWrite", "none",
                        "The directory's identifier."));
  json::object members =
      attr("members", "complex", true, false, false, "readWrite", "none", "The group's users.");
  json::array member_subs;
  member_subs.push_back(
      attr("value", "string", false, true, true, "immutable", "none", "The member User's id."));
  json::object ref =
      attr("$ref", "reference", false, false, false, "immutable", "none", "The member's URI.");
  ref["referenceTypes"] = json::array{"User"};
  member_subs.push_back(std::move(ref));
  member_subs.push_back(attr("display", "string", false, false, false, "readOnly", "none",
                             "The member's display name."));
  members["subAttributes"] = std::move(member_subs);
  gattrs.push_back(std::move(members));
  json::object group;
  group["schemas"] = json::array{json::string(kSchemaSchema)};
  group["id"] = kGroupSchema;
  group["name"] = "Group";
  group["description"] = "Group";
  group["attributes"] = std::move(gattrs);
  group["meta"] = meta("Schema", base_url, "/Schemas/" + std::string(kGroupSchema));
  return json::serialize(list(json::array{std::move(user), std::move(group)}));
}

std::string resource_types_json(std::string_view base_url) {
  json::object t;
  t["schemas"] = json::array{json::string(kResourceTypeSchema)};
  t["id"] = "User";
  t["name"] = "User";
  t["endpoint"] = "/Users";
  t["description"] = "User Account";
  t["schema"] = kUserSchema;
  json::object ext;
  ext["schema"] = kEnterpriseUserSchema;
  ext["required"] = false;
  t["schemaExtensions"] = json::array{std::move(ext)};
  t["meta"] = meta("ResourceType", base_url, "/ResourceTypes/User");
  json::object g;
  g["schemas"] = json::array{json::string(kResourceTypeSchema)};
  g["id"] = "Group";
  g["name"] = "Group";
  g["endpoint"] = "/Groups";
  g["description"] = "Group";
  g["schema"] = kGroupSchema;
  g["meta"] = meta("ResourceType", base_url, "/ResourceTypes/Group");
  return json::serialize(list(json::array{std::move(t), std::move(g)}));
}

}  // namespace tenantkit::scim
