// SPDX-License-Identifier: Apache-2.0
// A recursive-descent parser for RFC 7644 §3.4.2.2 filters (the ABNF of Figure 1), plus the PATCH
// path grammar of §3.5.2, which reuses its attribute paths and value filters. Recursion is bounded
// by FilterLimits::max_depth (only parentheses, `not` and brackets recurse; and/or chains are
// loops), so hostile input cannot exhaust the stack.
#include <array>
#include <cctype>
#include <cstdlib>

#include <tenantkit/scim/error.hpp>
#include <tenantkit/scim/filter.hpp>
#include <tenantkit/scim/patch.hpp>

#include "json_model.hpp"

namespace tenantkit::scim {
namespace {

using detail::iequals;

bool is_alpha(char c) {
  return std::isalpha(static_cast<unsigned char>(c)) != 0;
}
bool is_digit(char c) {
  return c >= '0' && c <= '9';
}
bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}
// Characters of an attribute path token: ATTRNAME chars, '.', ':' and '$' (for "$ref"), which
// also covers URN prefixes such as urn:ietf:params:scim:schemas:core:2.0:User.
bool is_path_char(char c) {
  return is_alpha(c) || is_digit(c) || c == '-' || c == '_' || c == '.' || c == ':' || c == '$';
}

// ATTRNAME = ALPHA *(nameChar), or "$ref".
bool valid_attr_name(std::string_view s) {
  if (s == "$ref") return true;
  if (s.empty() || !is_alpha(s[0])) return false;
  for (char c : s)
    if (!(is_alpha(c) || is_digit(c) || c == '-' || c == '_')) return false;
  return true;
}

struct OpName {
  std::string_view name;
  CompareOp op;
};
constexpr std::array<OpName, 10> kOps = {{{"eq", CompareOp::eq},
                                          {"ne", CompareOp::ne},
                                          {"co", CompareOp::co},
                                          {"sw", CompareOp::sw},
                                          {"ew", CompareOp::ew},
                                          {"gt", CompareOp::gt},
                                          {"ge", CompareOp::ge},
                                          {"lt", CompareOp::lt},
                                          {"le", CompareOp::le},
                                          {"pr", CompareOp::pr}}};

void append_utf8(std::string& out, std::uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

class Parser {
 public:
  Parser(std::string_view text, const FilterLimits& limits, std::string_view error_type)
      : s_(text), limits_(limits), error_type_(error_type) {}

  Result<Filter> filter() {
    if (s_.size() > limits_.max_length) return fail_now("filter longer than the limit");
    skip_ws();
    if (at_end()) return fail_now("empty filter");
    const int root = parse_or(false);
    if (root < 0) return error();
    skip_ws();
    if (!at_end()) return fail_now("unexpected text");
    out_.root = root;
    return std::move(out_);
  }

  Result<PatchPath> patch_path() {
    if (s_.size() > limits_.max_length) return fail_now("path longer than the limit");
    PatchPath p;
    if (!parse_attr_path(p.attr)) return error();
    if (peek() == '[') {
      if (!p.attr.sub.empty()) return fail_now("a value filter follows a sub-attribute");
      ++i_;
      const int inner = parse_or(true);
      if (inner < 0) return error();
      skip_ws();
      if (!eat(']')) return fail_now("expected ']'");
      p.has_filter = true;
      out_.root = inner;
      p.filter = std::move(out_);
      if (peek() == '.') {
        ++i_;
        p.sub = read_name();
        if (!valid_attr_name(p.sub)) return fail_now("bad sub-attribute name");
      }
    }
    if (!at_end()) return fail_now("unexpected text");
    return p;
  }

 private:
  bool at_end() const { return i_ >= s_.size(); }
  char peek() const { return at_end() ? '\0' : s_[i_]; }
  bool eat(char c) {
    if (peek() != c) return false;
    ++i_;
    return true;
  }
  // Returns whether any whitespace was skipped.
  bool skip_ws() {
    const std::size_t start = i_;
    while (!at_end() && is_space(s_[i_])) ++i_;
    return i_ != start;
  }
  std::string_view read_name() {
    const std::size_t start = i_;
    while (!at_end() && (is_alpha(s_[i_]) || is_digit(s_[i_]) || s_[i_] == '-' || s_[i_] == '_' ||
                         s_[i_] == '$'))
      ++i_;
    return s_.substr(start, i_ - start);
  }
  // The next path-like word, without consuming it.
  std::string_view peek_word() const {
    std::size_t j = i_;
    while (j < s_.size() && is_path_char(s_[j])) ++j;
    return s_.substr(i_, j - i_);
  }

  int fail(std::string_view why) {
    if (error_.empty()) {
      error_ = std::string(why) + " at offset " + std::to_string(i_);
    }
    return -1;
  }
  Error fail_now(std::string_view why) {
    fail(why);
    return error();
  }
  Error error() const { return make_error(Errc::bad_request, error_type_, error_); }

  int add(FilterNode n) {
    if (static_cast<int>(out_.nodes.size()) >= limits_.max_nodes)
      return fail("filter has too many terms");
    out_.nodes.push_back(std::move(n));
    return static_cast<int>(out_.nodes.size()) - 1;
  }

  int binary(FilterNode::Kind kind, int lhs, int rhs) {
    FilterNode n;
    n.kind = kind;
    n.lhs = lhs;
    n.rhs = rhs;
    return add(std::move(n));
  }

  // Whether the keyword `kw` starts at the cursor as a whole word.
  bool at_keyword(std::string_view kw) const {
    if (s_.size() - i_ < kw.size() || !iequals(s_.substr(i_, kw.size()), kw)) return false;
    const std::size_t j = i_ + kw.size();
    return j == s_.size() || is_space(s_[j]) || s_[j] == '(';
  }

  int parse_or(bool in_bracket) {
    int lhs = parse_and(in_bracket);
    if (lhs < 0) return -1;
    for (;;) {
      const std::size_t save = i_;
      if (!skip_ws() || !at_keyword("or")) {
        i_ = save;
        return lhs;
      }
      i_ += 2;
      const int rhs = parse_and(in_bracket);
      if (rhs < 0) return -1;
      lhs = binary(FilterNode::Kind::or_, lhs, rhs);
      if (lhs < 0) return -1;
    }
  }

  int parse_and(bool in_bracket) {
    int lhs = parse_unary(in_bracket);
    if (lhs < 0) return -1;
    for (;;) {
      const std::size_t save = i_;
      if (!skip_ws() || !at_keyword("and")) {
        i_ = save;
        return lhs;
      }
      i_ += 3;
      const int rhs = parse_unary(in_bracket);
      if (rhs < 0) return -1;
      lhs = binary(FilterNode::Kind::and_, lhs, rhs);
      if (lhs < 0) return -1;
    }
  }

  int enter() {
    if (++depth_ > limits_.max_depth) return fail("filter nested too deeply");
    return 0;
  }

  int parse_unary(bool in_bracket) {
    skip_ws();
    if (at_end()) return fail("expected an expression");
    if (peek() == '(') {
      ++i_;
      if (enter() < 0) return -1;
      const int inner = parse_or(in_bracket);
      if (inner < 0) return -1;
      skip_ws();
      if (!eat(')')) return fail("expected ')'");
      --depth_;
      return inner;
    }
    if (at_keyword("not")) {
      const std::size_t save = i_;
      i_ += 3;
      skip_ws();
      if (peek() != '(') {
        i_ = save;
        return fail("expected '(' after not");
      }
      ++i_;
      if (enter() < 0) return -1;
      const int inner = parse_or(in_bracket);
      if (inner < 0) return -1;
      skip_ws();
      if (!eat(')')) return fail("expected ')'");
      --depth_;
      FilterNode n;
      n.kind = FilterNode::Kind::not_;
      n.lhs = inner;
      return add(std::move(n));
    }
    FilterNode n;
    if (!parse_attr_path(n.path)) return -1;
    if (peek() == '[') {
      if (in_bracket) return fail("value filters cannot nest");
      if (!n.path.sub.empty()) return fail("a value filter follows a sub-attribute");
      ++i_;
      if (enter() < 0) return -1;
      const int inner = parse_or(true);
      if (inner < 0) return -1;
      skip_ws();
      if (!eat(']')) return fail("expected ']'");
      --depth_;
      n.kind = FilterNode::Kind::value_path;
      n.lhs = inner;
      if (peek() == '.') {
        // emails[type eq "work"].value eq "x": a comparison on the matched elements.
        ++i_;
        const std::string_view sub = read_name();
        if (!valid_attr_name(sub)) return fail("bad sub-attribute name");
        n.path.sub = std::string(sub);
        n.has_tail = true;
        if (parse_operator(n) < 0) return -1;
      }
      return add(std::move(n));
    }
    n.kind = FilterNode::Kind::compare;
    if (parse_operator(n) < 0) return -1;
    return add(std::move(n));
  }

  // SP compareOp [SP compValue]
  int parse_operator(FilterNode& n) {
    if (!skip_ws()) return fail("expected an operator");
    const std::size_t start = i_;
    while (!at_end() && is_alpha(s_[i_])) ++i_;
    const std::string_view word = s_.substr(start, i_ - start);
    bool found = false;
    for (const OpName& o : kOps)
      if (iequals(word, o.name)) {
        n.op = o.op;
        found = true;
      }
    if (!found) {
      i_ = start;
      return fail("unknown operator");
    }
    if (n.op == CompareOp::pr) return 0;
    if (!skip_ws()) return fail("expected a value");
    return parse_literal(n.value);
  }

  bool parse_attr_path(AttrPath& out) {
    skip_ws();
    const std::string_view word = peek_word();
    if (word.empty()) return fail("expected an attribute path") == 0;
    std::string_view rest = word;
    if (word.size() > 4 && iequals(word.substr(0, 4), "urn:")) {
      const auto colon = word.rfind(':');
      out.schema = std::string(word.substr(0, colon));
      rest = word.substr(colon + 1);
    }
    const auto dot = rest.find('.');
    const std::string_view attr = rest.substr(0, dot);
    const std::string_view sub =
        dot == std::string_view::npos ? std::string_view{} : rest.substr(dot + 1);
    if (!valid_attr_name(attr) || (dot != std::string_view::npos && !valid_attr_name(sub)))
      return fail("bad attribute path") == 0;
    out.attr = std::string(attr);
    out.sub = std::string(sub);
    i_ += word.size();
    return true;
  }

  int parse_literal(Literal& v) {
    const char c = peek();
    if (c == '"') return parse_string(v);
    if (c == '-' || is_digit(c)) return parse_number(v);
    const std::size_t start = i_;
    while (!at_end() && is_alpha(s_[i_])) ++i_;
    const std::string_view word = s_.substr(start, i_ - start);
    if (iequals(word, "true") || iequals(word, "false")) {
      v.kind = Literal::Kind::boolean;
      v.boolean = iequals(word, "true");
      return 0;
    }
    if (iequals(word, "null")) {
      v.kind = Literal::Kind::null;
      return 0;
    }
    i_ = start;
    return fail("expected a value");
  }

  // JSON number: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
  int parse_number(Literal& v) {
    const std::size_t start = i_;
    eat('-');
    if (eat('0')) {
    } else if (is_digit(peek())) {
      while (is_digit(peek())) ++i_;
    } else {
      return fail("bad number");
    }
    if (eat('.')) {
      if (!is_digit(peek())) return fail("bad number");
      while (is_digit(peek())) ++i_;
    }
    if (peek() == 'e' || peek() == 'E') {
      ++i_;
      if (peek() == '+' || peek() == '-') ++i_;
      if (!is_digit(peek())) return fail("bad number");
      while (is_digit(peek())) ++i_;
    }
    const std::string text(s_.substr(start, i_ - start));
    v.kind = Literal::Kind::number;
    v.number = std::strtod(text.c_str(), nullptr);
    return 0;
  }

  int hex4(std::uint32_t& out) {
    out = 0;
    for (int k = 0; k < 4; ++k) {
      if (at_end()) return fail("bad \\u escape");
      const char h = s_[i_++];
      out <<= 4;
      if (is_digit(h))
        out |= static_cast<std::uint32_t>(h - '0');
      else if (h >= 'a' && h <= 'f')
        out |= static_cast<std::uint32_t>(h - 'a' + 10);
      else if (h >= 'A' && h <= 'F')
        out |= static_cast<std::uint32_t>(h - 'A' + 10);
      else
        return fail("bad \\u escape");
    }
    return 0;
  }

  // A JSON string (RFC 8259 §7): the escapes \" \\ \/ \b \f \n \r \t \uXXXX (with surrogate
  // pairs); raw control characters are refused.
  int parse_string(Literal& v) {
    ++i_;  // opening quote
    v.kind = Literal::Kind::string;
    std::string& out = v.string;
    for (;;) {
      if (at_end()) return fail("unterminated string");
      const char c = s_[i_++];
      if (c == '"') return 0;
      if (static_cast<unsigned char>(c) < 0x20) return fail("control character in string");
      if (c != '\\') {
        out += c;
        continue;
      }
      if (at_end()) return fail("unterminated string");
      const char e = s_[i_++];
      switch (e) {
        case '"':
        case '\\':
        case '/':
          out += e;
          break;
        case 'b':
          out += '\b';
          break;
        case 'f':
          out += '\f';
          break;
        case 'n':
          out += '\n';
          break;
        case 'r':
          out += '\r';
          break;
        case 't':
          out += '\t';
          break;
        case 'u': {
          std::uint32_t cp = 0;
          if (hex4(cp) < 0) return -1;
          if (cp >= 0xD800 && cp <= 0xDBFF) {
            std::uint32_t lo = 0;
            if (!eat('\\') || !eat('u') || hex4(lo) < 0 || lo < 0xDC00 || lo > 0xDFFF)
              return fail("unpaired surrogate");
            cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
          } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
            return fail("unpaired surrogate");
          }
          append_utf8(out, cp);
          break;
        }
        default:
          return fail("bad escape");
      }
    }
  }

  std::string_view s_;
  const FilterLimits& limits_;
  std::string_view error_type_;
  std::size_t i_ = 0;
  int depth_ = 0;
  Filter out_;
  std::string error_;
};

// ---------------------------------------------------------------------------------------------
// What a filter on Users may name. Sub-attributes of complex attributes; "" = the attribute
// itself.
struct Known {
  std::string_view attr;
  std::array<std::string_view, 6> subs;
  bool multi = false;
  bool boolean = false;
};
constexpr std::array<Known, 11> kKnown = {{
    {"id", {}, false, false},
    {"externalId", {}, false, false},
    {"userName", {}, false, false},
    {"displayName", {}, false, false},
    {"nickName", {}, false, false},
    {"title", {}, false, false},
    {"userType", {}, false, false},
    {"active", {}, false, true},
    {"name",
     {"formatted", "givenName", "familyName", "middleName", "honorificPrefix", "honorificSuffix"},
     false,
     false},
    {"emails", {"value", "type", "primary", "display"}, true, false},
    {"meta", {"created", "lastModified", "resourceType"}, false, false},
}};

const Known* known(std::string_view attr) {
  for (const Known& k : kKnown)
    if (iequals(k.attr, attr)) return &k;
  return nullptr;
}

bool known_sub(const Known& k, std::string_view sub) {
  for (std::string_view s : k.subs)
    if (!s.empty() && iequals(s, sub)) return true;
  return false;
}

bool ordering(CompareOp op) {
  return op == CompareOp::gt || op == CompareOp::ge || op == CompareOp::lt || op == CompareOp::le;
}

Error unknown(const AttrPath& p) {
  std::string name = p.attr;
  if (!p.sub.empty()) name += "." + p.sub;
  return make_error(Errc::bad_request, scim_type::invalid_filter,
                    "unsupported attribute \"" + name + "\"");
}

Result<void> check_node(const Filter& f, int index, const Known* parent) {
  const FilterNode& n = f.nodes.at(static_cast<std::size_t>(index));
  switch (n.kind) {
    case FilterNode::Kind::and_:
    case FilterNode::Kind::or_:
      if (auto r = check_node(f, n.lhs, parent); !r) return r;
      return check_node(f, n.rhs, parent);
    case FilterNode::Kind::not_:
      return check_node(f, n.lhs, parent);
    case FilterNode::Kind::compare:
    case FilterNode::Kind::value_path:
      break;
  }
  if (!n.path.schema.empty() && !iequals(n.path.schema, kUserSchema)) return unknown(n.path);
  if (parent) {
    // Inside emails[...]: the names are the element's sub-attributes.
    if (!n.path.sub.empty() || !known_sub(*parent, n.path.attr)) return unknown(n.path);
    if (ordering(n.op) && iequals(n.path.attr, "primary"))
      return make_error(Errc::bad_request, scim_type::invalid_filter,
                        "gt, ge, lt and le do not apply to a boolean");
    return ok();
  }
  const Known* k = known(n.path.attr);
  if (!k) return unknown(n.path);
  if (n.kind == FilterNode::Kind::value_path) {
    if (!k->multi) return unknown(n.path);
    if (auto r = check_node(f, n.lhs, k); !r) return r;
    if (n.has_tail && !known_sub(*k, n.path.sub)) return unknown(n.path);
    if (n.has_tail && ordering(n.op) && iequals(n.path.sub, "primary"))
      return make_error(Errc::bad_request, scim_type::invalid_filter,
                        "gt, ge, lt and le do not apply to a boolean");
    return ok();
  }
  if (!n.path.sub.empty() && !known_sub(*k, n.path.sub)) return unknown(n.path);
  if (n.path.sub.empty() && iequals(k->attr, "meta")) return unknown(n.path);
  const bool boolean = k->boolean || (k->multi && iequals(n.path.sub, "primary"));
  if (boolean && ordering(n.op))
    return make_error(Errc::bad_request, scim_type::invalid_filter,
                      "gt, ge, lt and le do not apply to a boolean");
  return ok();
}

}  // namespace

Result<Filter> parse_filter(std::string_view text, const FilterLimits& limits) {
  return Parser(text, limits, scim_type::invalid_filter).filter();
}

Result<PatchPath> parse_patch_path(std::string_view text) {
  const FilterLimits limits;
  return Parser(text, limits, scim_type::invalid_path).patch_path();
}

Result<void> check_user_filter(const Filter& filter) {
  if (filter.root < 0 || filter.nodes.empty())
    return make_error(Errc::bad_request, scim_type::invalid_filter, "empty filter");
  return check_node(filter, filter.root, nullptr);
}

Result<bool> matches(const Filter& filter, const UserResource& user) {
  if (auto r = check_user_filter(filter); !r) return r.error();
  return detail::evaluate(filter, filter.root, detail::resource_object(user, ""));
}

}  // namespace tenantkit::scim
