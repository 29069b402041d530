// SPDX-License-Identifier: Apache-2.0
#include <charconv>
#include <cstdio>

#include <tenantkit/core/time.hpp>

namespace tenantkit {
namespace {

using namespace std::chrono;

bool read_int(std::string_view s, std::size_t pos, std::size_t len, int& out) {
  if (pos + len > s.size()) return false;
  for (std::size_t i = pos; i < pos + len; ++i)
    if (s[i] < '0' || s[i] > '9') return false;
  std::from_chars(s.data() + pos, s.data() + pos + len, out);
  return true;
}

Result<Timestamp> make_date(int y, int m, int d) {
  const year_month_day ymd{year{y}, month{static_cast<unsigned>(m)}, day{static_cast<unsigned>(d)}};
  if (!ymd.ok()) return Error{Errc::bad_request, "not a calendar date"};
  return Timestamp{sys_days{ymd}.time_since_epoch()};
}

// Digits written directly (printf only outside four-digit years): cheap enough for a response
// body built per request.
void append_rfc3339(std::string& out, Timestamp t) {
  const auto day = floor<days>(t);
  const year_month_day ymd{day};
  const hh_mm_ss hms{t - day};
  const int y = int(ymd.year());
  const auto us = hms.subseconds().count();
  if (y < 0 || y > 9999) {  // outside RFC 3339's four-digit years: printf's spelling
    char buf[48];
    const int n =
        std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02d:%02d:%02lld", y, unsigned(ymd.month()),
                      unsigned(ymd.day()), int(hms.hours().count()), int(hms.minutes().count()),
                      static_cast<long long>(hms.seconds().count()));
    out.append(buf, static_cast<std::size_t>(n));
  } else {
    // "YYYY-MM-DDTHH:MM:SS", each field written as fixed-width digits.
    char buf[19] = {'0', '0', '0', '0', '-', '0', '0', '-', '0', '0',
                    'T', '0', '0', ':', '0', '0', ':', '0', '0'};
    const auto put = [&buf](std::size_t end, long long v, int width) {
      for (int i = 1; i <= width; ++i, v /= 10)
        buf[end - static_cast<std::size_t>(i)] = static_cast<char>('0' + v % 10);
    };
    put(4, y, 4);
    put(7, unsigned(ymd.month()), 2);
    put(10, unsigned(ymd.day()), 2);
    put(13, hms.hours().count(), 2);
    put(16, hms.minutes().count(), 2);
    put(19, hms.seconds().count(), 2);
    out.append(buf, sizeof buf);
  }
  if (us != 0) {
    char frac[7] = {'.', '0', '0', '0', '0', '0', '0'};
    auto v = static_cast<long long>(us);
    for (std::size_t i = 6; i >= 1; --i, v /= 10) frac[i] = static_cast<char>('0' + v % 10);
    out.append(frac, sizeof frac);
  }
  out.push_back('Z');
}

}  // namespace

std::string format_rfc3339(Timestamp t) {
  std::string out;
  out.reserve(27);
  append_rfc3339(out, t);
  return out;
}

std::string format_date(Timestamp t) {
  return format_rfc3339(floor<days>(t)).substr(0, 10);
}

Result<Timestamp> parse_date(std::string_view s) {
  int y = 0, m = 0, d = 0;
  if (s.size() != 10 || s[4] != '-' || s[7] != '-' || !read_int(s, 0, 4, y) ||
      !read_int(s, 5, 2, m) || !read_int(s, 8, 2, d))
    return Error{Errc::bad_request, "expected a date as YYYY-MM-DD"};
  return make_date(y, m, d);
}

Result<Timestamp> parse_rfc3339(std::string_view s) {
  const Error bad{Errc::bad_request, "expected an RFC 3339 timestamp"};
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, sec = 0;
  if (s.size() < 20 || s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != 't') ||
      s[13] != ':' || s[16] != ':' || !read_int(s, 0, 4, y) || !read_int(s, 5, 2, mo) ||
      !read_int(s, 8, 2, d) || !read_int(s, 11, 2, h) || !read_int(s, 14, 2, mi) ||
      !read_int(s, 17, 2, sec))
    return bad;
  if (h > 23 || mi > 59 || sec > 60) return bad;
  auto date = make_date(y, mo, d);
  if (!date) return bad;
  std::size_t pos = 19;
  long long micros = 0;
  if (pos < s.size() && s[pos] == '.') {
    ++pos;
    int digits = 0;
    while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
      if (digits < 6) micros = micros * 10 + (s[pos] - '0');
      ++digits;
      ++pos;
    }
    if (digits == 0) return bad;
    for (int i = digits; i < 6; ++i) micros *= 10;
  }
  if (pos >= s.size()) return bad;
  seconds offset{0};
  if (s[pos] == 'Z' || s[pos] == 'z') {
    ++pos;
  } else if (s[pos] == '+' || s[pos] == '-') {
    int oh = 0, om = 0;
    if (s.size() != pos + 6 || s[pos + 3] != ':' || !read_int(s, pos + 1, 2, oh) ||
        !read_int(s, pos + 4, 2, om) || oh > 23 || om > 59)
      return bad;
    offset = hours{oh} + minutes{om};
    if (s[pos] == '-') offset = -offset;
    pos += 6;
  } else {
    return bad;
  }
  if (pos != s.size()) return bad;
  return *date + hours{h} + minutes{mi} + seconds{sec} + microseconds{micros} - offset;
}

}  // namespace tenantkit
