// SPDX-License-Identifier: Apache-2.0
// UserStore: people who log in. Users are global (not tenant-owned): an org reaches a user only
// through a Membership. Safe for concurrent use; calls may block.
#pragma once

#include <optional>
#include <string_view>

#include <tenantkit/core/result.hpp>
#include <tenantkit/storage/records.hpp>

namespace tenantkit::storage {

class UserStore {
 public:
  virtual ~UserStore();
  UserStore(const UserStore&) = delete;
  UserStore& operator=(const UserStore&) = delete;

  /// Errors: conflict (id or email taken), unavailable.
  virtual Result<User> create(const User& user) = 0;
  /// Errors: not_found, unavailable.
  virtual Result<User> get(const UserId& user) = 0;
  /// `email` must already be normalised. Absence is a value.
  virtual Result<std::optional<User>> find_by_email(std::string_view email) = 0;
  /// Replaces email, name, password_hash and active. Errors: not_found, conflict (email taken),
  /// unavailable.
  virtual Result<User> update(const User& user) = 0;

 protected:
  UserStore() = default;
};

}  // namespace tenantkit::storage
