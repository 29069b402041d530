// SPDX-License-Identifier: Apache-2.0
#include <cerrno>
#include <cstring>
#include <system_error>

#include <boost/json.hpp>

#include <tenantkit/mail/mailer.hpp>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace tenantkit::mail {
namespace {

Result<void> validate(const Message& m) {
  std::vector<FieldError> errors;
  if (m.to.empty() || m.to.find('@') == std::string::npos)
    errors.push_back({"to", "must be an email address"});
  if (m.kind.empty()) errors.push_back({"kind", "must not be empty"});
  if (m.id.empty()) errors.push_back({"id", "must not be empty"});
  if (!errors.empty()) return Error{Errc::validation_failed, "invalid message", std::move(errors)};
  return ok();
}

// "2026-12-02T03:25:09.123456Z" -> "20261202T032509.123456Z": sortable and safe in file names.
std::string file_stamp(Timestamp t) {
  const std::string iso = format_rfc3339(std::chrono::floor<std::chrono::seconds>(t));
  std::string out;
  for (char c : iso)
    if (c != '-' && c != ':' && c != 'Z') out.push_back(c);
  char frac[32];
  std::snprintf(frac, sizeof frac, ".%06lldZ",
                static_cast<long long>((t.time_since_epoch() % std::chrono::seconds{1}).count()));
  return out + frac;
}

bool safe_file_part(std::string_view s) {
  if (s.empty() || s.size() > 64) return false;
  for (char c : s)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_') return false;
  return true;
}

}  // namespace

Mailer::~Mailer() = default;

std::string make_message_id(Random& random, const Clock& clock) {
  return uuid_v7(random, clock.now());
}

std::string to_json(const Message& m, bool include_secrets) {
  boost::json::object o;
  o["id"] = m.id;
  o["to"] = m.to;
  o["kind"] = m.kind;
  o["subject"] = m.subject;
  o["text"] = m.text;
  if (include_secrets) {
    o["token"] = m.token.reveal();
    o["link"] = m.link.reveal();
  }
  o["org_id"] = m.org ? boost::json::value(m.org->str()) : boost::json::value(nullptr);
  o["created_at"] = format_rfc3339(m.created_at);
  return boost::json::serialize(o);
}

OutboxMailer::OutboxMailer(std::filesystem::path dir, MailLog log)
    : dir_(std::move(dir)), log_(std::move(log)) {}

Result<std::unique_ptr<OutboxMailer>> OutboxMailer::open(std::filesystem::path dir, MailLog log) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return Error{Errc::unavailable, "cannot create outbox folder: " + ec.message()};
  if (::access(dir.c_str(), W_OK) != 0)
    return Error{Errc::unavailable, "outbox folder is not writable"};
  return std::unique_ptr<OutboxMailer>(new OutboxMailer(std::move(dir), std::move(log)));
}

Result<void> OutboxMailer::send(const Message& m) {
  if (auto v = validate(m); !v) return v;
  if (!safe_file_part(m.id)) return Error{Errc::validation_failed, "message id is not file-safe"};
  const std::string name = file_stamp(m.created_at) + "-" + m.id + ".json";
  const std::filesystem::path final_path = dir_ / name;
  const std::filesystem::path tmp_path = dir_ / ("." + name + ".tmp");
  const std::string body = to_json(m, true) + "\n";

  // Owner-only from the first byte: the file holds a live token.
  const int fd = ::open(tmp_path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0)
    return Error{Errc::unavailable, std::string("cannot write outbox: ") + std::strerror(errno)};
  std::size_t written = 0;
  while (written < body.size()) {
    const ssize_t n = ::write(fd, body.data() + written, body.size() - written);
    if (n < 0) {
      if (errno == EINTR) continue;
      ::close(fd);
      ::unlink(tmp_path.c_str());
      return Error{Errc::unavailable, std::string("cannot write outbox: ") + std::strerror(errno)};
    }
    written += static_cast<std::size_t>(n);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0) {
    ::unlink(tmp_path.c_str());
    return Error{Errc::unavailable, "cannot flush outbox file"};
  }
  if (::rename(tmp_path.c_str(), final_path.c_str()) != 0) {
    ::unlink(tmp_path.c_str());
    return Error{Errc::unavailable,
                 std::string("cannot publish outbox file: ") + std::strerror(errno)};
  }
  if (log_) log_(to_json(m, false));
  return ok();
}

Result<void> MemoryMailer::send(const Message& m) {
  if (auto v = validate(m); !v) return v;
  std::lock_guard lock(mutex_);
  sent_.push_back(m);
  return ok();
}

std::vector<Message> MemoryMailer::sent() const {
  std::lock_guard lock(mutex_);
  return sent_;
}

}  // namespace tenantkit::mail
