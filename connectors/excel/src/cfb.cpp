#include "cfb.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <cstring>

#include "internal.h"

namespace qiao::excel::detail {

namespace {

constexpr uint32_t kEndOfChain = 0xFFFFFFFE;
constexpr uint32_t kMaxRegSect = 0xFFFFFFFA;
constexpr size_t kHeaderSize = 512;

uint16_t le16(const std::string& s, size_t at) {
  return static_cast<uint16_t>(static_cast<unsigned char>(s[at]) | (static_cast<unsigned char>(s[at + 1]) << 8));
}
uint32_t le32(const std::string& s, size_t at) {
  return static_cast<uint32_t>(le16(s, at)) | (static_cast<uint32_t>(le16(s, at + 2)) << 16);
}

Error cfbError(std::string why) { return readError(std::move(why)); }

bool sameName(const std::string& a, const std::string& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i]))) return false;
  }
  return true;
}

void appendTable(std::vector<uint32_t>& table, const std::string& sector) {
  for (size_t i = 0; i + 4 <= sector.size(); i += 4) table.push_back(le32(sector, i));
}

}  // namespace

CompoundFile::~CompoundFile() {
  if (fd_ >= 0) ::close(fd_);
}

Result<std::string> CompoundFile::readSector(uint32_t sid) const {
  if (sid > kMaxRegSect || sid >= sector_count_) return cfbError("sector " + std::to_string(sid) + " is outside the file");
  std::string buf(sector_size_, '\0');
  const off_t at = static_cast<off_t>((static_cast<uint64_t>(sid) + 1) * sector_size_);
  ssize_t n = ::pread(fd_, buf.data(), buf.size(), at);
  if (n != static_cast<ssize_t>(buf.size())) return cfbError("sector " + std::to_string(sid) + " is truncated");
  return buf;
}

Result<std::vector<uint32_t>> CompoundFile::chain(const std::vector<uint32_t>& table, uint32_t start,
                                                  uint64_t limit) const {
  std::vector<uint32_t> out;
  for (uint32_t sid = start; sid != kEndOfChain;) {
    if (sid >= table.size()) return cfbError("a sector chain leaves the allocation table");
    if (out.size() >= limit) return cfbError("a sector chain loops or is longer than its stream");
    out.push_back(sid);
    sid = table[sid];
  }
  return out;
}

Result<std::unique_ptr<CompoundFile>> CompoundFile::open(const std::string& path) {
  std::unique_ptr<CompoundFile> f(new CompoundFile());
  f->fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (f->fd_ < 0) return cfbError("cannot open the file");
  struct stat st{};
  if (::fstat(f->fd_, &st) != 0) return cfbError("cannot read the file");
  std::string h(kHeaderSize, '\0');
  if (::pread(f->fd_, h.data(), h.size(), 0) != static_cast<ssize_t>(h.size()) ||
      h.compare(0, 8, "\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1", 8) != 0) {
    return cfbError("no OLE compound file header");
  }
  const uint16_t shift = le16(h, 0x1E);
  if (shift != 9 && shift != 12) return cfbError("unsupported sector size");
  f->sector_size_ = 1u << shift;
  f->mini_cutoff_ = le32(h, 0x38);
  f->sector_count_ = static_cast<uint64_t>(st.st_size) / f->sector_size_;
  if (f->sector_count_ > 0) f->sector_count_ -= 1;  // the header occupies the first sector's room
  // The FAT's sectors: 109 in the header, the rest in the DIFAT chain.
  std::vector<uint32_t> fat_sectors;
  for (size_t i = 0; i < 109; ++i) {
    uint32_t sid = le32(h, 0x4C + i * 4);
    if (sid <= kMaxRegSect) fat_sectors.push_back(sid);
  }
  uint32_t difat = le32(h, 0x44);
  for (uint64_t guard = 0; difat <= kMaxRegSect; ++guard) {
    if (guard > f->sector_count_) return cfbError("the DIFAT chain loops");
    QIAO_ASSIGN_OR_RETURN(std::string s, f->readSector(difat));
    const size_t per = f->sector_size_ / 4 - 1;
    for (size_t i = 0; i < per; ++i) {
      uint32_t sid = le32(s, i * 4);
      if (sid <= kMaxRegSect) fat_sectors.push_back(sid);
    }
    difat = le32(s, per * 4);
  }
  if (fat_sectors.size() > f->sector_count_) return cfbError("more FAT sectors than the file holds");
  for (uint32_t sid : fat_sectors) {
    QIAO_ASSIGN_OR_RETURN(std::string s, f->readSector(sid));
    appendTable(f->fat_, s);
  }
  // The directory: 128-byte entries.
  QIAO_ASSIGN_OR_RETURN(auto dir, f->chain(f->fat_, le32(h, 0x30), f->sector_count_ + 1));
  for (uint32_t sid : dir) {
    QIAO_ASSIGN_OR_RETURN(std::string s, f->readSector(sid));
    for (size_t at = 0; at + 128 <= s.size(); at += 128) {
      Entry e;
      const size_t name_bytes = std::min<size_t>(le16(s, at + 64), 64);
      for (size_t i = 0; i + 1 < name_bytes; i += 2) {
        const uint16_t ch = le16(s, at + i);
        if (ch == 0) break;
        e.name += static_cast<char>(ch < 0x80 ? ch : '?');
      }
      e.type = static_cast<uint8_t>(s[at + 66]);
      e.start = le32(s, at + 116);
      e.size = le32(s, at + 120);
      if (f->sector_size_ == 4096) e.size |= static_cast<uint64_t>(le32(s, at + 124)) << 32;
      if (e.type == 1 || e.type == 2 || e.type == 5) f->entries_.push_back(std::move(e));
    }
  }
  if (f->entries_.empty() || f->entries_[0].type != 5) return cfbError("the directory has no root entry");
  // The mini FAT, for streams below the cutoff.
  QIAO_ASSIGN_OR_RETURN(auto mini, f->chain(f->fat_, le32(h, 0x3C), f->sector_count_ + 1));
  for (uint32_t sid : mini) {
    QIAO_ASSIGN_OR_RETURN(std::string s, f->readSector(sid));
    appendTable(f->mini_fat_, s);
  }
  return f;
}

const CompoundFile::Entry* CompoundFile::find(const std::string& name) const {
  for (const auto& e : entries_) {
    if (e.type == 2 && sameName(e.name, name)) return &e;
  }
  return nullptr;
}

bool CompoundFile::hasStream(const std::string& name) const { return find(name) != nullptr; }

Result<std::string> CompoundFile::readChain(uint32_t start, uint64_t size) const {
  const uint64_t sectors = (size + sector_size_ - 1) / sector_size_;
  if (sectors > sector_count_) return cfbError("a stream is larger than the file");
  QIAO_ASSIGN_OR_RETURN(auto sids, chain(fat_, start, sectors));
  if (sids.size() < sectors) return cfbError("a stream's sector chain is shorter than its size");
  std::string out;
  out.reserve(static_cast<size_t>(size));
  for (uint32_t sid : sids) {
    QIAO_ASSIGN_OR_RETURN(std::string s, readSector(sid));
    out += s;
  }
  out.resize(static_cast<size_t>(size));
  return out;
}

Result<std::string> CompoundFile::readStream(const std::string& name, uint64_t max_bytes) const {
  const Entry* e = find(name);
  if (e == nullptr) return cfbError("no " + name + " stream");
  if (e->size > max_bytes) return cfbError("the " + name + " stream is over the size limit");
  if (e->size >= mini_cutoff_) return readChain(e->start, e->size);
  if (!mini_loaded_) {
    const Entry& root = entries_[0];
    if (root.size > max_bytes) return cfbError("the mini stream is over the size limit");
    QIAO_ASSIGN_OR_RETURN(mini_stream_, readChain(root.start, root.size));
    mini_loaded_ = true;
  }
  const uint64_t sectors = (e->size + 63) / 64;
  QIAO_ASSIGN_OR_RETURN(auto sids, chain(mini_fat_, e->start, sectors));
  if (sids.size() < sectors) return cfbError("a small stream's chain is shorter than its size");
  std::string out;
  for (uint32_t sid : sids) {
    const uint64_t at = static_cast<uint64_t>(sid) * 64;
    if (at + 64 > mini_stream_.size()) return cfbError("a small stream lies outside the mini stream");
    out.append(mini_stream_, static_cast<size_t>(at), 64);
  }
  out.resize(static_cast<size_t>(e->size));
  return out;
}

}  // namespace qiao::excel::detail
