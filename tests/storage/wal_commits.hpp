#pragma once
// Counts the transactions committed to a WAL file, to check group commit from outside the store.
#include <cstdint>
#include <fstream>
#include <iterator>
#include <string>

namespace desk::storage::testing {

/// Commit records in the WAL file at `wal_path` (https://sqlite.org/fileformat2.html#wal_file_format):
/// a frame header carries the database size in pages for the last frame of a transaction and 0
/// otherwise; frames left over from before a WAL reset have other salts and end the count.
inline int wal_commits(const std::string& wal_path) {
  std::ifstream in(wal_path, std::ios::binary);
  const std::string wal{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  auto big_endian = [&wal](std::size_t at) {
    std::uint32_t v = 0;
    for (std::size_t i = 0; i < 4; ++i) v = (v << 8) | static_cast<unsigned char>(wal[at + i]);
    return v;
  };
  if (wal.size() < 32) return 0;
  const std::uint32_t page_size = big_endian(8);
  int commits = 0;
  for (std::size_t frame = 32; frame + 24 + page_size <= wal.size(); frame += 24 + page_size) {
    if (wal.compare(frame + 8, 8, wal, 16, 8) != 0) break;
    if (big_endian(frame + 4) != 0) ++commits;
  }
  return commits;
}

}  // namespace desk::storage::testing
