#include "qiao/mapping/document.h"

#include <charconv>
#include <cstring>
#include <new>

namespace qiao::mapping {

using detail::Member;
using detail::Node;

Arena::Arena(size_t first_block) : first_block_(first_block) {}

void Arena::nextBlock(size_t at_least) {
  // Reuse a kept block when it is big enough; otherwise grow geometrically.
  while (current_ + 1 < blocks_.size()) {
    ++current_;
    if (blocks_[current_].size >= at_least) {
      ptr_ = start_ = blocks_[current_].data.get();
      end_ = ptr_ + blocks_[current_].size;
      return;
    }
  }
  size_t size = blocks_.empty() ? first_block_ : blocks_.back().size * 2;
  if (size < at_least) size = at_least;
  blocks_.push_back(Block{std::make_unique<char[]>(size), size});
  current_ = blocks_.size() - 1;
  ptr_ = start_ = blocks_[current_].data.get();
  end_ = ptr_ + size;
}

void* Arena::allocateSlow(size_t bytes, size_t align) {
  nextBlock(bytes + align);
  auto p = reinterpret_cast<uintptr_t>(ptr_);
  uintptr_t aligned = (p + align - 1) & ~(uintptr_t)(align - 1);
  ptr_ = reinterpret_cast<char*>(aligned + bytes);
  return reinterpret_cast<void*>(aligned);
}

void Arena::reset() {
  current_ = 0;
  if (blocks_.empty()) {
    ptr_ = end_ = start_ = nullptr;
  } else {
    ptr_ = start_ = blocks_[0].data.get();
    end_ = ptr_ + blocks_[0].size;
  }
}

void Arena::prefetch(size_t max_bytes) const {
  if (current_ == 0) {  // one block (a parsed record): no need to read blocks_
    if (!start_ || static_cast<size_t>(ptr_ - start_) > max_bytes) return;
    for (const char* p = start_; p < ptr_; p += 64) __builtin_prefetch(p);
    return;
  }
  size_t used = static_cast<size_t>(ptr_ - blocks_[current_].data.get());
  for (size_t b = 0; b < current_; ++b) used += blocks_[b].size;
  if (used > max_bytes) return;
  for (size_t b = 0; b <= current_; ++b) {
    const char* p = blocks_[b].data.get();
    const char* end = b == current_ ? ptr_ : p + blocks_[b].size;
    for (; p < end; p += 64) __builtin_prefetch(p);
  }
}

size_t Arena::bytesReserved() const {
  size_t n = 0;
  for (const auto& b : blocks_) n += b.size;
  return n;
}

std::string_view toString(Kind k) {
  switch (k) {
    case Kind::kNull: return "null";
    case Kind::kBool: return "bool";
    case Kind::kNumber: return "number";
    case Kind::kString: return "string";
    case Kind::kArray: return "array";
    case Kind::kObject: return "object";
  }
  return "?";
}

// ---- Value: reading ----

std::string_view Value::numberText() const {
  if (!isNumber()) return {};
  return {n_->u.text, n_->size};
}

std::optional<int64_t> Value::asInt64() const {
  if (!isNumber()) return std::nullopt;
  std::string_view t = numberText();
  int64_t v = 0;
  auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
  if (ec != std::errc() || end != t.data() + t.size()) return std::nullopt;
  return v;
}

std::string_view Value::asString() const {
  if (!isString()) return {};
  return {n_->u.text, n_->size};
}

size_t Value::size() const {
  return (isArray() || isObject()) ? n_->size : 0;
}

Value Value::at(size_t i) const {
  if (!isArray() || i >= n_->size) return {};
  return Value(&n_->u.items[i], doc_);
}

Value Value::find(std::string_view key) const {
  if (!isObject()) return {};
  // Linear: records have small objects and the key length check rejects most members.
  Member* m = n_->u.members;
  for (uint32_t i = 0; i < n_->size; ++i) {
    // key.empty(): an empty key is stored as a null pointer, and memcmp(nullptr, ..., 0) is UB.
    if (m[i].key_len == key.size() && (key.empty() || std::memcmp(m[i].key, key.data(), key.size()) == 0))
      return Value(&m[i].value, doc_);
  }
  return {};
}

std::string_view Value::keyAt(size_t i) const {
  if (!isObject() || i >= n_->size) return {};
  return {n_->u.members[i].key, n_->u.members[i].key_len};
}

Value Value::valueAt(size_t i) const {
  if (!isObject() || i >= n_->size) return {};
  return Value(&n_->u.members[i].value, doc_);
}

// ---- Value: mutation ----

void Value::setNull() { *n_ = Node{}; }

void Value::setBool(bool b) {
  *n_ = Node{};
  n_->kind = Kind::kBool;
  n_->flag = b;
}

void Value::setNumberText(std::string_view text) {
  std::string_view t = doc_->arena().copy(text);
  *n_ = Node{};
  n_->kind = Kind::kNumber;
  n_->size = static_cast<uint32_t>(t.size());
  n_->u.text = t.data();
}

void Value::setInt(int64_t v) {
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  setNumberText(std::string_view(buf, end - buf));
}

void Value::setString(std::string_view s) {
  std::string_view t = doc_->arena().copy(s);
  *n_ = Node{};
  n_->kind = Kind::kString;
  n_->size = static_cast<uint32_t>(t.size());
  n_->u.text = t.data();
}

void Value::setArray(size_t reserve) {
  *n_ = Node{};
  n_->kind = Kind::kArray;
  if (reserve) {
    n_->u.items = doc_->arena().allocateArray<Node>(reserve);
    n_->cap = static_cast<uint32_t>(reserve);
  }
}

void Value::setObject(size_t reserve) {
  *n_ = Node{};
  n_->kind = Kind::kObject;
  if (reserve) {
    n_->u.members = doc_->arena().allocateArray<Member>(reserve);
    n_->cap = static_cast<uint32_t>(reserve);
  }
}

Value Value::append() {
  if (!isArray()) return {};
  if (n_->size == n_->cap) {
    uint32_t cap = n_->cap ? n_->cap * 2 : 4;
    Node* items = doc_->arena().allocateArray<Node>(cap);
    if (n_->size) std::memcpy(static_cast<void*>(items), n_->u.items, sizeof(Node) * n_->size);
    n_->u.items = items;
    n_->cap = cap;
  }
  Node* slot = new (&n_->u.items[n_->size++]) Node{};
  return Value(slot, doc_);
}

void Value::growMembers() {
  uint32_t cap = n_->cap ? n_->cap * 2 : 8;
  Member* ms = doc_->arena().allocateArray<Member>(cap);
  if (n_->size) std::memcpy(static_cast<void*>(ms), n_->u.members, sizeof(Member) * n_->size);
  n_->u.members = ms;
  n_->cap = cap;
}

Value Value::addSlow(std::string_view key) {
  if (!isObject()) return {};
  if (n_->size == n_->cap) growMembers();
  std::string_view k = doc_->arena().copy(key);
  Member* m = &n_->u.members[n_->size++];
  m->key = k.data();
  m->key_len = static_cast<uint32_t>(k.size());
  new (&m->value) Node{};
  return Value(&m->value, doc_);
}

Value Value::set(std::string_view key) {
  Value existing = find(key);
  return existing ? existing : add(key);
}

void Value::copyFrom(Value src) {
  if (!src) {
    setNull();
    return;
  }
  switch (src.kind()) {
    case Kind::kNull: setNull(); break;
    case Kind::kBool: setBool(src.asBool()); break;
    case Kind::kNumber: setNumberText(src.numberText()); break;
    case Kind::kString: setString(src.asString()); break;
    case Kind::kArray: {
      size_t n = src.size();
      setArray(n);
      for (size_t i = 0; i < n; ++i) append().copyFrom(src.at(i));
      break;
    }
    case Kind::kObject: {
      size_t n = src.size();
      setObject(n);
      for (size_t i = 0; i < n; ++i) add(src.keyAt(i)).copyFrom(src.valueAt(i));
      break;
    }
  }
}

bool equal(Value a, Value b) {
  if (!a || !b) return !a && !b;
  if (a.kind() != b.kind()) return false;
  switch (a.kind()) {
    case Kind::kNull: return true;
    case Kind::kBool: return a.asBool() == b.asBool();
    case Kind::kNumber: return a.numberText() == b.numberText();
    case Kind::kString: return a.asString() == b.asString();
    case Kind::kArray:
      if (a.size() != b.size()) return false;
      for (size_t i = 0; i < a.size(); ++i)
        if (!equal(a.at(i), b.at(i))) return false;
      return true;
    case Kind::kObject:
      if (a.size() != b.size()) return false;
      for (size_t i = 0; i < a.size(); ++i)
        if (!equal(a.valueAt(i), b.find(a.keyAt(i)))) return false;
      return true;
  }
  return false;
}

// ---- Document ----

Document::Document() : root_(new (arena_.allocate(sizeof(Node), alignof(Node))) Node{}) {}

void Document::clear() {
  arena_.reset();
  root_ = new (arena_.allocate(sizeof(Node), alignof(Node))) Node{};
}

}  // namespace qiao::mapping
