#pragma once
/// Single-frame WebSocket text messages (RFC 6455 section 5.2) written straight into a buffer, for
/// the hot path where many tiny messages go out together (acks from the desk, envelopes from the
/// emulator). Beast spends one asynchronous operation per message, which costs more than the
/// message itself; these frames are appended to a CoalescingStream's held bytes between Beast's
/// own frames instead (see CoalescingStream::can_append) and leave with the next Beast write.
#include <openssl/rand.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

namespace desk::bot::slack {

using MaskingKey = std::array<unsigned char, 4>;

/// Bytes on the wire for a text message of `payload_size` bytes in one frame.
constexpr std::size_t text_frame_size(std::size_t payload_size, bool masked) {
  const std::size_t length_bytes = payload_size < 126 ? 0 : payload_size <= 0xffff ? 2 : 8;
  return 2 + length_bytes + (masked ? 4 : 0) + payload_size;
}

/// Writes a final text frame carrying `payload` to `out`, which has room for
/// text_frame_size(payload.size(), mask != nullptr) bytes. Clients must mask every frame (pass a
/// fresh key); servers must not (pass nullptr).
inline void write_text_frame(std::string_view payload, const MaskingKey* mask, unsigned char* out) {
  *out++ = 0x81;  // FIN, opcode 1 (text)
  const unsigned char mask_bit = mask != nullptr ? 0x80 : 0x00;
  const std::uint64_t size = payload.size();
  if (size < 126) {
    *out++ = static_cast<unsigned char>(mask_bit | size);
  } else if (size <= 0xffff) {
    *out++ = mask_bit | 126;
    *out++ = static_cast<unsigned char>(size >> 8);
    *out++ = static_cast<unsigned char>(size);
  } else {
    *out++ = mask_bit | 127;
    for (int shift = 56; shift >= 0; shift -= 8) *out++ = static_cast<unsigned char>(size >> shift);
  }
  if (mask == nullptr) {
    std::memcpy(out, payload.data(), payload.size());
    return;
  }
  std::memcpy(out, mask->data(), mask->size());
  out += mask->size();
  // Eight bytes per step: the key repeats every four bytes, so two copies of it mask a word. Byte by
  // byte, masking a /rota answer cost about a twentieth of the desk's CPU.
  std::uint32_t key4;
  std::memcpy(&key4, mask->data(), sizeof key4);
  const std::uint64_t key8 = (std::uint64_t{key4} << 32) | key4;
  const auto* in = reinterpret_cast<const unsigned char*>(payload.data());
  std::size_t i = 0;
  for (; i + 8 <= payload.size(); i += 8) {
    std::uint64_t word;
    std::memcpy(&word, in + i, sizeof word);
    word ^= key8;
    std::memcpy(out + i, &word, sizeof word);
  }
  for (; i < payload.size(); ++i) out[i] = in[i] ^ (*mask)[i % 4];
}

/// Masking keys must be unpredictable (RFC 6455 section 10.3): they come from OpenSSL's CSPRNG,
/// drawn 64 keys at a time to keep the per-frame cost negligible.
class MaskingKeys {
 public:
  /// False when the CSPRNG fails; the caller then lets Beast write the frame.
  bool next(MaskingKey& key) {
    if (used_ == pool_.size()) {
      if (RAND_bytes(pool_.data(), static_cast<int>(pool_.size())) != 1) return false;
      used_ = 0;
    }
    std::memcpy(key.data(), pool_.data() + used_, key.size());
    used_ += key.size();
    return true;
  }

 private:
  std::array<unsigned char, 256> pool_{};
  std::size_t used_ = pool_.size();
};

}  // namespace desk::bot::slack
