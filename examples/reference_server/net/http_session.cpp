// SPDX-License-Identifier: Apache-2.0
#include "net/http_session.hpp"

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <tuple>

#include <boost/beast/core/string.hpp>
#include <boost/beast/http/empty_body.hpp>

#include "http/pipeline.hpp"
#include "net/offload.hpp"
#include "steps/access_log.hpp"

namespace tenantkit::server {
namespace {

// Bytes of serialized-response buffer a connection keeps between requests.
constexpr std::size_t kKeptWriteBuffer = 64 * 1024;

struct Rejection {
  Error error;
  unsigned status;
};

// Parse failures we answer; timeouts, resets and EOF are closed silently (nobody to answer).
std::optional<Rejection> rejection_for(const beast::error_code& ec) {
  if (ec == http::error::body_limit)
    return Rejection{{Errc::payload_too_large, "request body exceeds the configured limit"}, 413};
  if (ec == http::error::header_limit)
    return Rejection{{Errc::bad_request, "request header fields too large"}, 431};
  if (ec == http::error::end_of_stream || ec == http::error::partial_message ||
      ec == http::error::need_more || ec == http::error::need_buffer)
    return std::nullopt;
  if (ec.category() == http::make_error_code(http::error::bad_target).category())
    return Rejection{{Errc::bad_request, "malformed HTTP request"}, 400};
  return std::nullopt;
}

// After answering an error with Connection: close, read and discard what the client is still
// sending for a moment, so closing with unread data does not reset the connection before the
// client has read our response (nginx's lingering close).
net::awaitable<void> lingering_close(beast::tcp_stream& stream) {
  beast::error_code ec;
  stream.socket().shutdown(tcp::socket::shutdown_send, ec);
  if (ec) co_return;
  char sink[8192];
  std::size_t total = 0;
  stream.expires_after(std::chrono::seconds(2));
  while (total < (std::size_t{16} << 20)) {
    auto [rec, n] = co_await stream.async_read_some(net::buffer(sink), kAwait);
    if (rec) break;
    total += n;
  }
}

// The bytes Beast's serializer would write for `res` (status line, fields in order, blank line,
// body), into one buffer reused across the connection's requests: one send per response instead
// of a gather over a dozen small buffers, and no serializer state. `res` has its Content-Length
// and Connection fields set already (prepare_payload, keep_alive).
void serialize(const Response& res, std::string& out) {
  out.clear();
  const unsigned version = res.version();
  out += "HTTP/";
  out += static_cast<char>('0' + version / 10);
  out += '.';
  out += static_cast<char>('0' + version % 10);
  out += ' ';
  const unsigned status = res.result_int();
  out += static_cast<char>('0' + status / 100 % 10);
  out += static_cast<char>('0' + status / 10 % 10);
  out += static_cast<char>('0' + status % 10);
  out += ' ';
  const auto reason = res.reason();
  out.append(reason.data(), reason.size());
  out += "\r\n";
  for (const auto& field : res) {
    const auto name = field.name_string();
    const auto value = field.value();
    out.append(name.data(), name.size());
    out += ": ";
    out.append(value.data(), value.size());
    out += "\r\n";
  }
  out += "\r\n";
  out += res.body();
}

void arm_wait_timer(const std::shared_ptr<Connection>& conn);

// Ends the wait for the next request (the socket's pending async_wait completes with
// operation_aborted) once conn->wait_deadline has passed; re-arms when the deadline moved on.
void on_wait_timer(const std::weak_ptr<Connection>& weak, std::uint64_t generation,
                   beast::error_code ec) {
  const auto conn = weak.lock();
  if (!conn || generation != conn->timer_generation) return;
  conn->timer_armed = false;
  if (ec || !conn->waiting) return;
  if (std::chrono::steady_clock::now() >= conn->wait_deadline) {
    beast::error_code ignored;
    conn->stream.socket().cancel(ignored);
    return;
  }
  arm_wait_timer(conn);
}

void arm_wait_timer(const std::shared_ptr<Connection>& conn) {
  conn->timer_armed = true;
  conn->timer_expiry = conn->wait_deadline;
  const std::uint64_t generation = ++conn->timer_generation;
  conn->wait_timer.expires_at(conn->wait_deadline);
  conn->wait_timer.async_wait([weak = std::weak_ptr<Connection>(conn), generation](
                                  beast::error_code ec) { on_wait_timer(weak, generation, ec); });
}

// Starts the wait for a request's first bytes, bounded by `timeout`. Per request this is a clock
// read: the timer is only re-armed when the deadline moves earlier than its expiry, or when it
// fires (at most once per timeout period while requests keep coming).
void watch_wait(const std::shared_ptr<Connection>& conn,
                std::chrono::steady_clock::duration timeout) {
  conn->wait_deadline = std::chrono::steady_clock::now() + timeout;
  conn->waiting = true;
  if (!conn->timer_armed || conn->wait_deadline < conn->timer_expiry) arm_wait_timer(conn);
}

// Feeds the bytes already buffered to `parser`, without I/O. need_more when they do not complete
// the header (or, with `whole`, the message); any other error is the parser's.
template <class Parser>
beast::error_code parse_buffered(Parser& parser, beast::flat_buffer& buffer, bool whole) {
  beast::error_code ec;
  while (buffer.size() > 0) {
    const std::size_t used = parser.put(buffer.data(), ec);
    buffer.consume(used);
    if (ec) return ec;
    if (whole ? parser.is_done() : parser.is_header_done()) return {};
    if (used == 0) break;
  }
  return http::error::need_more;
}

}  // namespace

net::awaitable<void> run_http_session(Listener& listener, std::shared_ptr<Connection> conn) {
  App& app = listener.app();
  const Config& cfg = app.config();
  beast::tcp_stream& stream = conn->stream;
  beast::flat_buffer buffer;
  tcp::socket& socket = stream.socket();
  std::string out;  // the serialized response, reused: no allocation once it has grown
  bool first = true;
  bool linger = false;
  {
    // Writes are first tried without waiting: a response the socket takes whole needs no async
    // operation and no timer (nor does a request that arrives whole, parse_buffered). Beast's
    // and Asio's async operations work the same on a non-blocking socket.
    beast::error_code ec;
    socket.non_blocking(true, ec);
    if (ec) {
      stream.close();
      co_return;
    }
  }

  while (!listener.stopping()) {
    conn->phase = Connection::Phase::idle;
    // Between requests the idle timeout applies; the read timeout starts with the first byte.
    if (buffer.size() == 0) {
      watch_wait(conn, first ? cfg.read_timeout : cfg.idle_timeout);
      // On the socket, not the stream: the stream would arm and cancel its timer per request.
      auto [ec, n] = co_await socket.async_read_some(buffer.prepare(4096), kAwait);
      conn->waiting = false;
      if (ec) break;
      buffer.commit(n);
    }
    first = false;

    http::request_parser<http::string_body> parser;
    parser.header_limit(static_cast<std::uint32_t>(cfg.max_header_bytes));
    parser.body_limit(cfg.max_body_bytes);
    std::size_t n = 0;
    // One deadline for the whole request, set when the first I/O for it is needed: a client
    // trickling bytes cannot extend it.
    bool deadline_set = false;
    const auto read_deadline = [&] {
      if (!deadline_set) stream.expires_after(cfg.read_timeout);
      deadline_set = true;
    };
    beast::error_code ec = parse_buffered(parser, buffer, false);
    if (ec == http::error::need_more) {
      read_deadline();
      std::tie(ec, n) = co_await http::async_read_header(stream, buffer, parser, kAwait);
    }
    // curl and others wait for "100 Continue" before sending a body; say it once the head passed
    // its limits (a too-large Content-Length already failed above with body_limit).
    if (!ec && !parser.is_done() &&
        beast::iequals(parser.get()[http::field::expect], "100-continue")) {
      read_deadline();
      http::response<http::empty_body> cont{http::status::continue_, parser.get().version()};
      std::tie(ec, n) = co_await http::async_write(stream, cont, kAwait);
    }
    if (!ec && !parser.is_done()) {
      ec = parse_buffered(parser, buffer, true);
      if (ec == http::error::need_more) {
        read_deadline();
        std::tie(ec, n) = co_await http::async_read(stream, buffer, parser, kAwait);
      }
    }
    if (listener.stopping() && ec) break;

    conn->phase = Connection::Phase::busy;
    app.metrics().request_started();
    RequestContext ctx;
    Response res;
    bool keep_alive = false;
    unsigned version = 11;
    if (ec) {
      const auto rejection = rejection_for(ec);
      if (!rejection) {
        app.metrics().request_finished();
        break;
      }
      // The head may be complete (413): keep method and target for the log and metrics.
      if (parser.is_header_done()) {
        version = parser.get().version();
        (void)init_context(ctx, parser.release(), conn->ip);
        ctx.request.body().clear();
      } else {
        ctx.client_ip = conn->ip;
      }
      res = co_await offload(app.pool(), [&app, &ctx, &rejection] {
        return reject(app, ctx, rejection->error, rejection->status);
      });
      linger = true;
    } else {
      HttpRequest req = parser.release();
      keep_alive = req.keep_alive();
      version = req.version();
      if (auto init = init_context(ctx, std::move(req), conn->ip); !init) {
        const Error error = init.error();
        res = co_await offload(app.pool(),
                               [&app, &ctx, &error] { return reject(app, ctx, error, 400); });
      } else {
        Router::Match m = route(app, ctx);
        const bool found = m.outcome == Router::Outcome::found;
        const std::size_t index = m.pattern_index;
        if (found && app.runs_inline(index)) {
          res = handle(app, ctx, std::move(m));
        } else if (found && app.tries_inline(index)) {
          // Answered from memory on this thread when it can; else finished on the pool.
          if (auto done = handle_inline(app, ctx, std::move(m))) {
            res = std::move(*done);
          } else {
            app.metrics().resumed_on_pool();
            res = co_await offload(app.pool(), [&app, &ctx] { return resume(app, ctx); });
          }
        } else {
          res = co_await offload(app.pool(),
                                 [&app, &ctx, &m] { return handle(app, ctx, std::move(m)); });
        }
      }
    }

    keep_alive = keep_alive && !listener.stopping();
    res.version(version);
    res.keep_alive(keep_alive);
    res.prepare_payload();
    const unsigned status = res.result_int();
    const std::size_t bytes = res.body().size();
    observe_request(app, ctx, status);
    serialize(res, out);
    beast::error_code wec;
    std::size_t written = socket.write_some(net::buffer(out), wec);
    if (wec == net::error::would_block || wec == net::error::try_again) {
      wec = {};
      written = 0;
    }
    if (!wec && written < out.size()) {
      stream.expires_after(kWriteTimeout);
      std::tie(wec, std::ignore) =
          co_await net::async_write(stream, net::buffer(out) + written, kAwait);
    }
    app.metrics().request_finished();
    // A large answer (/openapi.json, a big list) must not pin its buffer for the connection's life.
    if (out.capacity() > kKeptWriteBuffer) std::string().swap(out);
    log_access(app.logger(), ctx, status, bytes);
    if (wec || !keep_alive) break;
  }

  conn->waiting = false;
  conn->wait_timer.cancel();
  if (linger) {
    co_await lingering_close(stream);
  } else {
    beast::error_code ignored;
    stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
  }
  stream.close();
}

}  // namespace tenantkit::server
