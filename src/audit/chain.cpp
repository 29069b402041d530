// SPDX-License-Identifier: Apache-2.0
#include <sodium.h>

#include <tenantkit/audit/chain.hpp>
#include <tenantkit/core/encoding.hpp>

namespace tenantkit::audit {
namespace {

void field(std::string& out, std::string_view value) {
  out += std::to_string(value.size());
  out += ':';
  out += value;
  out += '\n';
}

}  // namespace

std::string canonical(const storage::AuditEvent& e) {
  std::string out;
  out.reserve(256 + e.metadata_json.size());
  field(out, "tenantkit.audit.v1");
  field(out, e.id.str());
  field(out, e.org.str());
  field(out, std::to_string(e.seq));
  field(out, e.actor_type);
  field(out, e.actor_id);
  field(out, e.action);
  field(out, e.target_type);
  field(out, e.target_id);
  field(out, e.ip);
  field(out, e.user_agent);
  field(out, e.request_id);
  field(out, e.metadata_json);
  field(out, std::to_string(e.at.time_since_epoch().count()));
  return out;
}

std::string chain_hash(std::string_view prev_hash, const storage::AuditEvent& event) {
  crypto_hash_sha256_state state;
  crypto_hash_sha256_init(&state);
  crypto_hash_sha256_update(&state, reinterpret_cast<const unsigned char*>(prev_hash.data()),
                            prev_hash.size());
  const std::string body = canonical(event);
  crypto_hash_sha256_update(&state, reinterpret_cast<const unsigned char*>(body.data()),
                            body.size());
  unsigned char digest[crypto_hash_sha256_BYTES];
  crypto_hash_sha256_final(&state, digest);
  return hex_encode(std::string_view(reinterpret_cast<const char*>(digest), sizeof digest));
}

ChainReport verify_chain(const std::vector<storage::AuditEvent>& entries,
                         std::string_view expected_prev, bool check_first_link) {
  ChainReport report;
  std::string prev(expected_prev);
  bool first = true;
  for (const auto& e : entries) {
    ++report.checked;
    const bool link_ok = (first && !check_first_link) || e.prev_hash == prev;
    if (!link_ok || chain_hash(e.prev_hash, e) != e.hash) {
      report.ok = false;
      report.first_broken_id = e.id.str();
      return report;
    }
    prev = e.hash;
    first = false;
  }
  return report;
}

}  // namespace tenantkit::audit
