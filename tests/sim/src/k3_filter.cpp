// FilterString parser: expr := and (OR and)* ; and := not (AND not)* ; not := NOT not | atom ;
// atom := '(' expr ')' | operand (cmp operand | [NOT] IN (...) | [NOT] LIKE 'p' |
//         IS [NOT] NULL | [NOT] BETWEEN v AND v).
#include <cctype>

#include "k3_query.h"

namespace qiao::sim::k3 {
namespace {

struct Token {
  enum Kind { kEnd, kIdent, kString, kNumber, kOp, kLParen, kRParen, kComma } kind = kEnd;
  std::string text;
};

class Parser {
 public:
  explicit Parser(const std::string& text) : s_(text) {}

  std::unique_ptr<FilterNode> parse(std::string* error) {
    if (!advance()) return fail(error);
    auto node = parseOr();
    if (!node) return fail(error);
    if (tok_.kind != Token::kEnd) {
      setError(tok_.text);
      return fail(error);
    }
    return node;
  }

 private:
  std::unique_ptr<FilterNode> fail(std::string* error) {
    *error = error_.empty() ? "FilterString无法解析。" : error_;
    return nullptr;
  }
  void setError(const std::string& near) {
    if (error_.empty())
      error_ = near.empty() ? "FilterString不完整，在末尾附近有语法错误。"
                            : "“" + near + "”附近有语法错误。";
  }
  bool keyword(const char* kw) const { return tok_.kind == Token::kIdent && iequals(tok_.text, kw); }

  bool advance() {
    while (pos_ < s_.size() && std::isspace(static_cast<unsigned char>(s_[pos_]))) ++pos_;
    tok_ = Token{};
    if (pos_ >= s_.size()) return true;
    char c = s_[pos_];
    size_t start = pos_;
    if ((c == 'N' || c == 'n') && pos_ + 1 < s_.size() && s_[pos_ + 1] == '\'') c = s_[++pos_];
    if (c == '\'') {
      std::string out;
      ++pos_;
      while (true) {
        if (pos_ >= s_.size()) {
          setError(s_.substr(start, 20));
          return false;
        }
        if (s_[pos_] == '\'') {
          if (pos_ + 1 < s_.size() && s_[pos_ + 1] == '\'') {
            out += '\'';
            pos_ += 2;
            continue;
          }
          ++pos_;
          break;
        }
        out += s_[pos_++];
      }
      tok_ = {Token::kString, out};
      return true;
    }
    if (std::isdigit(static_cast<unsigned char>(c)) ||
        (c == '-' && pos_ + 1 < s_.size() && std::isdigit(static_cast<unsigned char>(s_[pos_ + 1])))) {
      ++pos_;
      while (pos_ < s_.size() &&
             (std::isdigit(static_cast<unsigned char>(s_[pos_])) || s_[pos_] == '.'))
        ++pos_;
      tok_ = {Token::kNumber, s_.substr(start, pos_ - start)};
      return true;
    }
    if (std::isalpha(static_cast<unsigned char>(c)) || c == '_' || c == '[') {
      bool bracket = c == '[';
      if (bracket) ++pos_;
      size_t from = pos_;
      while (pos_ < s_.size() && (std::isalnum(static_cast<unsigned char>(s_[pos_])) ||
                                  s_[pos_] == '_' || s_[pos_] == '.'))
        ++pos_;
      std::string id = s_.substr(from, pos_ - from);
      if (bracket) {
        if (pos_ >= s_.size() || s_[pos_] != ']') {
          setError(s_.substr(start, 20));
          return false;
        }
        ++pos_;
      }
      tok_ = {Token::kIdent, id};
      return true;
    }
    switch (c) {
      case '(': ++pos_; tok_ = {Token::kLParen, "("}; return true;
      case ')': ++pos_; tok_ = {Token::kRParen, ")"}; return true;
      case ',': ++pos_; tok_ = {Token::kComma, ","}; return true;
      case '=': ++pos_; tok_ = {Token::kOp, "="}; return true;
      case '<': case '>': case '!': {
        ++pos_;
        std::string op(1, c);
        if (pos_ < s_.size() && (s_[pos_] == '=' || (c == '<' && s_[pos_] == '>'))) op += s_[pos_++];
        if (op == "!") {
          setError(op);
          return false;
        }
        tok_ = {Token::kOp, op};
        return true;
      }
      default:
        setError(s_.substr(start, 20));
        return false;
    }
  }

  std::unique_ptr<FilterNode> parseOr() {
    auto left = parseAnd();
    while (left && keyword("OR")) {
      if (!advance()) return nullptr;
      auto right = parseAnd();
      if (!right) return nullptr;
      auto n = std::make_unique<FilterNode>();
      n->kind = FilterNode::kOr;
      n->kids.push_back(std::move(left));
      n->kids.push_back(std::move(right));
      left = std::move(n);
    }
    return left;
  }

  std::unique_ptr<FilterNode> parseAnd() {
    auto left = parseNot();
    while (left && keyword("AND")) {
      if (!advance()) return nullptr;
      auto right = parseNot();
      if (!right) return nullptr;
      auto n = std::make_unique<FilterNode>();
      n->kind = FilterNode::kAnd;
      n->kids.push_back(std::move(left));
      n->kids.push_back(std::move(right));
      left = std::move(n);
    }
    return left;
  }

  std::unique_ptr<FilterNode> parseNot() {
    if (keyword("NOT")) {
      if (!advance()) return nullptr;
      auto inner = parseNot();
      if (!inner) return nullptr;
      auto n = std::make_unique<FilterNode>();
      n->kind = FilterNode::kNot;
      n->kids.push_back(std::move(inner));
      return n;
    }
    return parseAtom();
  }

  bool operand(FilterNode::Operand* out) {
    if (tok_.kind == Token::kIdent && !isReserved(tok_.text)) {
      out->is_field = true;
      out->field = tok_.text;
    } else if (tok_.kind == Token::kString) {
      out->literal = tok_.text;
    } else if (tok_.kind == Token::kNumber) {
      try {
        out->literal = tok_.text.find('.') == std::string::npos ? json(std::stoll(tok_.text))
                                                                : json(std::stod(tok_.text));
      } catch (const std::exception&) {
        setError(tok_.text);
        return false;
      }
    } else {
      setError(tok_.text);
      return false;
    }
    return advance();
  }

  static bool isReserved(const std::string& w) {
    for (const char* k : {"AND", "OR", "NOT", "IN", "LIKE", "IS", "NULL", "BETWEEN"})
      if (iequals(w, k)) return true;
    return false;
  }

  std::unique_ptr<FilterNode> parseAtom() {
    if (tok_.kind == Token::kLParen) {
      if (!advance()) return nullptr;
      auto inner = parseOr();
      if (!inner) return nullptr;
      if (tok_.kind != Token::kRParen) {
        setError(tok_.text);
        return nullptr;
      }
      if (!advance()) return nullptr;
      return inner;
    }
    auto n = std::make_unique<FilterNode>();
    FilterNode::Operand left;
    if (!operand(&left)) return nullptr;
    n->operands.push_back(std::move(left));
    if (tok_.kind == Token::kOp) {
      n->kind = FilterNode::kCompare;
      n->op = tok_.text == "!=" ? "<>" : tok_.text;
      if (!advance()) return nullptr;
      FilterNode::Operand right;
      if (!operand(&right)) return nullptr;
      n->operands.push_back(std::move(right));
      return n;
    }
    if (keyword("IS")) {
      if (!advance()) return nullptr;
      n->kind = FilterNode::kIsNull;
      if (keyword("NOT")) {
        n->negate = true;
        if (!advance()) return nullptr;
      }
      if (!keyword("NULL")) {
        setError(tok_.text);
        return nullptr;
      }
      if (!advance()) return nullptr;
      return n;
    }
    if (keyword("NOT")) {
      n->negate = true;
      if (!advance()) return nullptr;
    }
    if (keyword("LIKE")) {
      n->kind = FilterNode::kLike;
      if (!advance()) return nullptr;
      FilterNode::Operand pattern;
      if (tok_.kind != Token::kString || !operand(&pattern)) {
        setError(tok_.text);
        return nullptr;
      }
      n->operands.push_back(std::move(pattern));
      return n;
    }
    if (keyword("BETWEEN")) {
      n->kind = FilterNode::kBetween;
      if (!advance()) return nullptr;
      FilterNode::Operand low, high;
      if (!operand(&low)) return nullptr;
      if (!keyword("AND")) {
        setError(tok_.text);
        return nullptr;
      }
      if (!advance() || !operand(&high)) return nullptr;
      n->operands.push_back(std::move(low));
      n->operands.push_back(std::move(high));
      return n;
    }
    if (keyword("IN")) {
      n->kind = FilterNode::kIn;
      if (!advance()) return nullptr;
      if (tok_.kind != Token::kLParen) {
        setError(tok_.text);
        return nullptr;
      }
      if (!advance()) return nullptr;
      while (true) {
        FilterNode::Operand v;
        if (tok_.kind != Token::kString && tok_.kind != Token::kNumber) {
          setError(tok_.text);
          return nullptr;
        }
        if (!operand(&v)) return nullptr;
        n->operands.push_back(std::move(v));
        if (tok_.kind == Token::kComma) {
          if (!advance()) return nullptr;
          continue;
        }
        if (tok_.kind != Token::kRParen) {
          setError(tok_.text);
          return nullptr;
        }
        if (!advance()) return nullptr;
        return n;
      }
    }
    setError(tok_.text);
    return nullptr;
  }

  const std::string& s_;
  size_t pos_ = 0;
  Token tok_;
  std::string error_;
};

}  // namespace

std::unique_ptr<FilterNode> parseFilter(const std::string& text, std::string* error) {
  bool blank = true;
  for (char c : text) blank = blank && std::isspace(static_cast<unsigned char>(c));
  if (blank) return nullptr;
  return Parser(text).parse(error);
}

bool likeMatch(const std::string& text, const std::string& pattern) {
  std::string t = lower(text), p = lower(pattern);
  // Iterative wildcard match with backtracking on the last '%'.
  size_t ti = 0, pi = 0, star = std::string::npos, mark = 0;
  while (ti < t.size()) {
    if (pi < p.size() && (p[pi] == '_' || p[pi] == t[ti])) {
      ++ti;
      ++pi;
    } else if (pi < p.size() && p[pi] == '%') {
      star = pi++;
      mark = ti;
    } else if (star != std::string::npos) {
      pi = star + 1;
      ti = ++mark;
    } else {
      return false;
    }
  }
  while (pi < p.size() && p[pi] == '%') ++pi;
  return pi == p.size();
}

}  // namespace qiao::sim::k3
