// The mapping engine's JSON document model: an arena owns every node, string and number of a
// document, so parsing or building a record is a handful of bump allocations and clearing a
// document for the next record frees nothing but resets the arena.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string_view>
#include <vector>

namespace qiao::mapping {

// Bump allocator. Blocks are kept on reset(), so a document reused per record stops allocating
// once it has seen its largest record.
class Arena {
 public:
  explicit Arena(size_t first_block = 8 * 1024);
  Arena(Arena&&) noexcept = default;
  Arena& operator=(Arena&&) noexcept = default;

  // Inline bump allocation: it runs for every node and text of every record.
  void* allocate(size_t bytes, size_t align = alignof(std::max_align_t)) {
    auto p = reinterpret_cast<uintptr_t>(ptr_);
    uintptr_t aligned = (p + align - 1) & ~static_cast<uintptr_t>(align - 1);
    if (ptr_ == nullptr || aligned + bytes > reinterpret_cast<uintptr_t>(end_))
      return allocateSlow(bytes, align);
    ptr_ = reinterpret_cast<char*>(aligned + bytes);
    return reinterpret_cast<void*>(aligned);
  }
  template <typename T>
  T* allocateArray(size_t n) {
    return static_cast<T*>(allocate(sizeof(T) * n, alignof(T)));
  }
  std::string_view copy(std::string_view s) {
    if (s.empty()) return {};
    char* p = static_cast<char*>(allocate(s.size(), 1));
    __builtin_memcpy(p, s.data(), s.size());
    return {p, s.size()};
  }
  void reset();
  size_t bytesReserved() const;
  // Asks for everything allocated so far to be fetched into cache, when that is at most
  // max_bytes (a parsed record read field by field: one cache miss after another otherwise).
  void prefetch(size_t max_bytes) const;

 private:
  void nextBlock(size_t at_least);
  void* allocateSlow(size_t bytes, size_t align);
  struct Block {
    std::unique_ptr<char[]> data;
    size_t size;
  };
  std::vector<Block> blocks_;
  size_t current_ = 0;
  char* ptr_ = nullptr;
  char* end_ = nullptr;
  char* start_ = nullptr;  // of the current block (prefetch reads no Block when it is the first)
  size_t first_block_;
};

enum class Kind : uint8_t { kNull, kBool, kNumber, kString, kArray, kObject };
std::string_view toString(Kind k);

namespace detail {
struct Member;
struct Node {
  Kind kind = Kind::kNull;
  bool flag = false;   // the bool's value
  uint32_t size = 0;   // bytes of a string/number; elements of an array/object
  uint32_t cap = 0;    // allocated elements of an array/object
  union {
    const char* text;
    Node* items;
    Member* members;
  } u{nullptr};
};
struct Member {
  const char* key;
  uint32_t key_len;
  Node value;
};
}  // namespace detail

class Document;

// A cheap handle (two pointers) to a node of a Document. A default Value is "missing".
// Handles to children stay valid until their parent array/object grows (append/add may move
// the elements): keep a handle to the container and re-fetch children after adding.
class Value {
 public:
  Value() = default;
  Value(detail::Node* n, Document* doc) : n_(n), doc_(doc) {}

  bool valid() const { return n_ != nullptr; }
  explicit operator bool() const { return valid(); }
  Kind kind() const { return n_ ? n_->kind : Kind::kNull; }
  bool isNull() const { return n_ && n_->kind == Kind::kNull; }
  bool isBool() const { return n_ && n_->kind == Kind::kBool; }
  bool isNumber() const { return n_ && n_->kind == Kind::kNumber; }
  bool isString() const { return n_ && n_->kind == Kind::kString; }
  bool isArray() const { return n_ && n_->kind == Kind::kArray; }
  bool isObject() const { return n_ && n_->kind == Kind::kObject; }

  bool asBool() const { return isBool() && n_->flag; }
  // The number exactly as written in the source ("12.30", "-0", "1E400"); never via double.
  std::string_view numberText() const;
  // The number as int64 if it is an integer literal in range (no fraction, no exponent).
  std::optional<int64_t> asInt64() const;
  std::string_view asString() const;  // unescaped UTF-8; empty unless a string

  size_t size() const;                // elements of an array or members of an object
  Value at(size_t i) const;           // array element (missing if out of range)
  Value operator[](size_t i) const { return at(i); }
  Value find(std::string_view key) const;  // object member (missing if absent)
  Value operator[](std::string_view key) const { return find(key); }
  std::string_view keyAt(size_t i) const;  // i-th member's key, in input order
  Value valueAt(size_t i) const;           // i-th member's value

  // Mutation: the value's document owns any copied text.
  void setNull();
  void setBool(bool b);
  void setNumberText(std::string_view exact_text);  // caller guarantees JSON number grammar
  void setInt(int64_t v);
  void setString(std::string_view utf8);
  void setArray(size_t reserve = 0);
  void setObject(size_t reserve = 0);
  Value append();                       // array: a new null element
  Value add(std::string_view key);      // object: a new null member (no duplicate check)
  Value set(std::string_view key);      // object: the member named key, added if absent
  void copyFrom(Value src);             // deep copy of src (any document) into this value

  Document* document() const { return doc_; }
  detail::Node* node() const { return n_; }
  bool operator==(const Value& o) const { return n_ == o.n_; }

 private:
  Value addSlow(std::string_view key);  // add() when the members are full (or not an object)
  void growMembers();
  detail::Node* n_ = nullptr;
  Document* doc_ = nullptr;
};

// Structural equality; numbers compare by exact text.
bool equal(Value a, Value b);

class Path;

class Document {
 public:
  Document();
  Document(Document&&) noexcept = default;
  Document& operator=(Document&&) noexcept = default;

  Value root() { return Value(root_, this); }
  // Forget the content and reuse the arena's memory.
  void clear();
  Arena& arena() { return arena_; }
  // Texts the document points at instead of copying them (the mapping engine's compiled keys
  // and literals) live in owner: it is kept as long as the document, clear() included.
  template <class T>
  void keepAlive(const std::shared_ptr<T>& owner) {
    if (keep_alive_.get() != owner.get()) keep_alive_ = owner;
  }

 private:
  Arena arena_;
  detail::Node* root_;
  std::shared_ptr<const void> keep_alive_;
};

// Inline: the mapping engine adds one member per target field of every record.
inline Value Value::add(std::string_view key) {
  if (!n_ || n_->kind != Kind::kObject || n_->size == n_->cap) return addSlow(key);
  std::string_view k = doc_->arena().copy(key);
  detail::Member* m = &n_->u.members[n_->size++];
  m->key = k.data();
  m->key_len = static_cast<uint32_t>(k.size());
  m->value = detail::Node{};
  return Value(&m->value, doc_);
}

}  // namespace qiao::mapping
