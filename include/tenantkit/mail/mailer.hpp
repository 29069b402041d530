// SPDX-License-Identifier: Apache-2.0
// Mailer: how tenantkit sends invitations, password resets and other messages. OutboxMailer (the
// embedded default, TK_OUTBOX_DIR) writes each message as one JSON file; MemoryMailer keeps them
// for tests. Implementations are safe for concurrent use; send() may block (file or network I/O).
#pragma once

#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <tenantkit/core/ids.hpp>
#include <tenantkit/core/result.hpp>
#include <tenantkit/core/secret.hpp>

namespace tenantkit::mail {

/// One message. `token` and `link` carry a secret (the link embeds the token): a Mailer delivers
/// them to the recipient and never logs them.
struct Message {
  std::string id;    ///< Unique; a UUIDv7 by default (see make_message_id()).
  std::string to;    ///< Recipient email.
  std::string kind;  ///< "invitation", "password_reset", ...
  std::string subject;
  std::string text;  ///< Plain-text body (must not contain the token; use `link`).
  Secret token;
  Secret link;
  std::optional<OrgId> org;
  Timestamp created_at;
};

/// A new message id.
std::string make_message_id(Random& random, const Clock& clock);

/// Delivers messages.
class Mailer {
 public:
  virtual ~Mailer();
  Mailer(const Mailer&) = delete;
  Mailer& operator=(const Mailer&) = delete;

  /// Delivers `message`. Errors: validation_failed (no recipient or kind), unavailable (could not
  /// deliver; nothing was half-written).
  virtual Result<void> send(const Message& message) = 0;

 protected:
  Mailer() = default;
};

/// Receives one log line per delivered message: JSON without `token` and `link`.
using MailLog = std::function<void(std::string_view json_line)>;

/// Writes every message as `<dir>/<created_at as YYYYMMDDTHHMMSS.ffffffZ>-<id>.json` (API.md
/// "Outbox messages": {"id","to","kind","subject","text","token","link","org_id","created_at"}),
/// atomically (temporary file + rename) and readable only by the owner (0600).
class OutboxMailer final : public Mailer {
 public:
  /// Creates `dir` if needed. Errors: unavailable (cannot create or write to it).
  static Result<std::unique_ptr<OutboxMailer>> open(std::filesystem::path dir, MailLog log = {});
  Result<void> send(const Message& message) override;
  const std::filesystem::path& dir() const noexcept { return dir_; }

 private:
  OutboxMailer(std::filesystem::path dir, MailLog log);
  std::filesystem::path dir_;
  MailLog log_;
};

/// Keeps messages in memory (tests and embedding applications that forward mail themselves).
class MemoryMailer final : public Mailer {
 public:
  MemoryMailer() = default;
  Result<void> send(const Message& message) override;
  /// A copy of everything sent so far, in order.
  std::vector<Message> sent() const;

 private:
  mutable std::mutex mutex_;
  std::vector<Message> sent_;
};

/// The outbox JSON of `message`; with `include_secrets` false, without `token` and `link`.
std::string to_json(const Message& message, bool include_secrets);

}  // namespace tenantkit::mail
