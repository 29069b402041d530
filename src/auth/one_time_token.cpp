// SPDX-License-Identifier: Apache-2.0
#include <algorithm>

#include <tenantkit/auth/one_time_token.hpp>
#include <tenantkit/auth/refresh.hpp>
#include <tenantkit/core/encoding.hpp>

namespace tenantkit::auth {
namespace {

constexpr std::string_view kPrefix = "ott_";
constexpr std::size_t kBytes = 32;
constexpr std::size_t kEncodedChars = 43;

bool shape_ok(std::string_view token) noexcept {
  if (!token.starts_with(kPrefix)) return false;
  const std::string_view body = token.substr(kPrefix.size());
  return body.size() == kEncodedChars && std::all_of(body.begin(), body.end(), [](char c) {
           return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                  c == '-' || c == '_';
         });
}

}  // namespace

OneTimeTokens::OneTimeTokens(storage::SessionStore& store, const apikey::KeyHasher& hasher,
                             Random& random, const Clock& clock)
    : store_(store), hasher_(hasher), random_(random), clock_(clock) {}

MintedToken OneTimeTokens::mint() {
  std::string raw(kBytes, '\0');
  random_.fill(std::as_writable_bytes(std::span(raw.data(), raw.size())));
  MintedToken out{Secret(std::string(kPrefix) + base64url_encode(raw)), {}};
  secure_wipe(raw);
  out.token_hash = token_hash(hasher_, out.token.reveal(), hasher_.current_version());
  return out;
}

std::vector<std::string> OneTimeTokens::candidate_hashes(std::string_view token) const {
  std::vector<std::string> out;
  for (std::uint32_t v : hasher_.versions()) out.push_back(token_hash(hasher_, token, v));
  return out;
}

Result<Secret> OneTimeTokens::issue(std::string_view purpose, const UserId& user,
                                    std::string payload, std::chrono::seconds ttl) {
  if (ttl.count() <= 0)
    return Error{Errc::validation_failed, "ttl must be positive", {{"ttl", "> 0"}}};
  MintedToken minted = mint();
  storage::OneTimeToken rec;
  rec.token_hash = minted.token_hash;
  rec.purpose = std::string(purpose);
  rec.user = user;
  rec.payload = std::move(payload);
  rec.created_at = clock_.now();
  rec.expires_at = rec.created_at + ttl;
  if (auto r = store_.create_one_time(rec); !r) return r.error();
  return std::move(minted.token);
}

Result<storage::OneTimeToken> OneTimeTokens::consume(std::string_view token,
                                                     std::string_view purpose) {
  if (!shape_ok(token)) return Error{Errc::not_found, "unknown token"};
  const Timestamp now = clock_.now();
  for (const std::string& h : candidate_hashes(token)) {
    auto r = store_.consume_one_time(h, purpose, now);
    if (r || r.error().code != Errc::not_found) return r;
  }
  return Error{Errc::not_found, "unknown token"};
}

Result<storage::Invitation> OneTimeTokens::find_invitation(storage::InvitationStore& invitations,
                                                           std::string_view token) {
  if (!shape_ok(token)) return Error{Errc::not_found, "unknown invitation"};
  const Timestamp now = clock_.now();
  for (const std::string& h : candidate_hashes(token)) {
    auto found = invitations.find_by_token_hash(h);
    if (!found) return found.error();
    if (!*found) continue;
    if (!(*found)->is_pending(now))
      return Error{Errc::gone, "invitation accepted, revoked or expired"};
    return std::move(**found);
  }
  return Error{Errc::not_found, "unknown invitation"};
}

}  // namespace tenantkit::auth
