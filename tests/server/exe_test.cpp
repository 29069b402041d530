// SPDX-License-Identifier: Apache-2.0
// The real tenantkit-server binary: starts on port 0, prints its listening line, serves /health,
// exits 0 on SIGTERM; --help exits 0; a bad configuration names every bad setting and exits 2.
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "client.hpp"
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

namespace tenantkit::server::testing {
namespace {

using ::testing::HasSubstr;

struct Child {
  pid_t pid = -1;
  int out = -1;  // stdout
  int err = -1;  // stderr
};

Child spawn(std::vector<std::string> args) {
  int out[2], err[2];
  if (pipe(out) != 0 || pipe(err) != 0) return {};
  const pid_t pid = fork();
  if (pid == 0) {
    dup2(out[1], 1);
    dup2(err[1], 2);
    close(out[0]);
    close(err[0]);
    std::vector<char*> argv;
    std::string exe = TENANTKIT_SERVER_EXE;
    argv.push_back(exe.data());
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    // Run against a throwaway working directory so nothing lands in the build tree.
    if (chdir("/tmp") != 0) _exit(126);
    execv(exe.c_str(), argv.data());
    _exit(127);
  }
  close(out[1]);
  close(err[1]);
  return {pid, out[0], err[0]};
}

// Reads from `fd` until `stop_at` appears, EOF, or the deadline.
std::string read_until(int fd, std::string_view stop_at, std::chrono::milliseconds limit) {
  std::string text;
  const auto end = std::chrono::steady_clock::now() + limit;
  while (text.find(stop_at) == std::string::npos) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        end - std::chrono::steady_clock::now());
    if (left.count() <= 0) break;
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, static_cast<int>(left.count())) <= 0) break;
    char buf[4096];
    const ssize_t n = read(fd, buf, sizeof buf);
    if (n <= 0) break;
    text.append(buf, static_cast<std::size_t>(n));
  }
  return text;
}

int wait_exit(pid_t pid, std::chrono::milliseconds limit) {
  const auto end = std::chrono::steady_clock::now() + limit;
  int status = 0;
  while (std::chrono::steady_clock::now() < end) {
    if (waitpid(pid, &status, WNOHANG) == pid)
      return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    usleep(10000);
  }
  kill(pid, SIGKILL);
  waitpid(pid, &status, 0);
  return -1;
}

TEST(ServerExecutableTest, ListensServesAndExitsZeroOnSigterm) {
  const auto db_dir = std::filesystem::temp_directory_path() /
                      ("tk-exe-" + std::to_string(::getpid()) + "-" + std::to_string(std::rand()));
  const std::string db_flag = "--database-url=sqlite:" + (db_dir / "tenantkit.db").string();
  Child c = spawn({"--listen=127.0.0.1:0", "--log-level=warn", db_flag});
  ASSERT_GT(c.pid, 0);
  const std::string line = read_until(c.out, "\n", std::chrono::seconds(10));
  const std::string prefix = "tenantkit-server listening on http://127.0.0.1:";
  ASSERT_EQ(line.rfind(prefix, 0), 0u) << line;
  const int port = std::atoi(line.c_str() + prefix.size());
  ASSERT_GT(port, 0);
  ASSERT_LT(port, 65536);

  auto res = get(static_cast<std::uint16_t>(port), "/health");
  EXPECT_EQ(res.result_int(), 200u);
  EXPECT_EQ(res.body(), "{\"status\":\"ok\"}");
  // The embedded default storage is opened (folder created, migrated) and checked by /ready.
  auto ready = get(static_cast<std::uint16_t>(port), "/ready");
  EXPECT_EQ(ready.result_int(), 200u) << ready.body();
  EXPECT_THAT(std::string(ready.body()), HasSubstr("\"database\":\"ok\""));
  EXPECT_TRUE(std::filesystem::exists(db_dir / "tenantkit.db"));

  ASSERT_EQ(kill(c.pid, SIGTERM), 0);
  EXPECT_EQ(wait_exit(c.pid, std::chrono::seconds(10)), 0);
  close(c.out);
  close(c.err);
  std::filesystem::remove_all(db_dir);
}

TEST(ServerExecutableTest, HelpListsSettings) {
  Child c = spawn({"--help"});
  ASSERT_GT(c.pid, 0);
  const std::string text = read_until(c.out, "TK_OUTBOX_DIR", std::chrono::seconds(10));
  EXPECT_THAT(text, HasSubstr("--listen / TK_LISTEN"));
  EXPECT_EQ(wait_exit(c.pid, std::chrono::seconds(10)), 0);
  close(c.out);
  close(c.err);
}

TEST(ServerExecutableTest, BadConfigNamesEverySettingAndExits2) {
  Child c = spawn({"--io-threads=0", "--listen=nonsense", "--no-such-flag=1"});
  ASSERT_GT(c.pid, 0);
  EXPECT_EQ(wait_exit(c.pid, std::chrono::seconds(10)), 2);
  const std::string err = read_until(c.err, "\x01", std::chrono::seconds(1));
  EXPECT_THAT(err, HasSubstr("--io-threads"));
  EXPECT_THAT(err, HasSubstr("--listen"));
  EXPECT_THAT(err, HasSubstr("--no-such-flag"));
  close(c.out);
  close(c.err);
}

}  // namespace
}  // namespace tenantkit::server::testing
