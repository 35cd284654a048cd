#include "undefined_table.h"

namespace rw::cputest::table {
namespace {

constexpr uint64_t CF = 0x1, PF = 0x4, AF = 0x10, ZF = 0x40, SF = 0x80, OF = 0x800;
constexpr uint64_t kArith = CF | PF | AF | ZF | SF | OF;

unsigned bits_of(unsigned size) { return 8 * size; }
uint64_t mask_of(unsigned size) { return size == 8 ? ~uint64_t{0} : (uint64_t{1} << bits_of(size)) - 1; }
uint64_t bit(uint64_t v, unsigned n) { return n < 64 ? (v >> n) & 1 : 0; }
uint64_t msb(uint64_t v, unsigned size) { return bit(v, bits_of(size) - 1); }

// Replaces the arithmetic flags of `in`.
uint64_t with(uint64_t in, uint64_t arith) { return (in & ~kArith) | arith; }

uint64_t even_parity(uint64_t v) {
  unsigned ones = 0;
  for (unsigned k = 0; k < 8; ++k) ones += bit(v, k);
  return ones % 2 == 0;
}

uint64_t cf_of(bool cf, bool of) { return (cf ? CF : 0) | (of ? OF : 0); }

}  // namespace

uint64_t logic_flags(uint64_t v, unsigned size) {
  v &= mask_of(size);
  return (even_parity(v) ? PF : 0) | (v == 0 ? ZF : 0) | (msb(v, size) ? SF : 0);
}

uint64_t multiply_flags(bool sign, unsigned size, uint64_t a, uint64_t b, uint64_t flags_in) {
  const unsigned n = bits_of(size);
  const uint64_t m = mask_of(size);
  bool overflow;
  uint64_t low;
  if (sign) {
    const __int128 sa = static_cast<int64_t>(a << (64 - n)) >> (64 - n);
    const __int128 sb = static_cast<int64_t>(b << (64 - n)) >> (64 - n);
    const __int128 p = sa * sb;
    low = static_cast<uint64_t>(p) & m;
    const __int128 back = static_cast<int64_t>(low << (64 - n)) >> (64 - n);
    overflow = back != p;
  } else {
    const unsigned __int128 p = static_cast<unsigned __int128>(a & m) * (b & m);
    low = static_cast<uint64_t>(p) & m;
    overflow = (p >> n) != 0;
  }
  return with(flags_in, logic_flags(low, size) | cf_of(overflow, overflow));
}

uint64_t shift_flags(unsigned op, unsigned size, uint64_t v, unsigned count, uint64_t flags_in) {
  const unsigned n = bits_of(size);
  const uint64_t m = mask_of(size);
  const unsigned masked = count & (size == 8 ? 63 : 31);
  v &= m;
  if (masked == 0) return flags_in;
  const uint64_t keep = flags_in & kArith & ~(CF | OF);  // what rotates leave alone
  switch (op) {
    case 0:
    case 1: {  // ROL, ROR: a rotation by masked % n, one bit at a time
      uint64_t r = v;
      for (unsigned k = 0; k < masked % n; ++k)
        r = op == 0 ? ((r << 1) | msb(r, size)) & m : (r >> 1) | (bit(r, 0) << (n - 1));
      const bool cf = op == 0 ? bit(r, 0) : msb(r, size);
      const bool of = op == 0 ? msb(r, size) ^ cf : msb(r, size) ^ bit(r, n - 2);
      return with(flags_in, keep | cf_of(cf, of));
    }
    case 2:
    case 3: {  // RCL, RCR: through CF, an (n + 1)-bit rotation
      const unsigned steps = n <= 16 ? masked % (n + 1) : masked;
      if (steps == 0) return flags_in;
      uint64_t r = v;
      bool carry = flags_in & CF;
      for (unsigned k = 0; k < steps; ++k) {
        const bool out = op == 2 ? msb(r, size) : bit(r, 0);
        r = op == 2 ? ((r << 1) | carry) & m : (r >> 1) | (uint64_t{carry} << (n - 1));
        carry = out;
      }
      return with(flags_in, keep | cf_of(carry, msb(v, size) ^ msb(r, size)));
    }
    case 5: {  // SHR
      const uint64_t r = masked < n ? v >> masked : 0;
      const bool cf = masked <= n && bit(v, masked - 1);
      return with(flags_in, logic_flags(r, size) | cf_of(cf, masked == 1 && msb(v, size)));
    }
    case 7: {  // SAR
      const int64_t s = static_cast<int64_t>(v << (64 - n)) >> (64 - n);
      const uint64_t r = static_cast<uint64_t>(s >> (masked < n ? masked : n - 1)) & m;
      const bool cf = (s >> (masked - 1 < n ? masked - 1 : n - 1)) & 1;
      return with(flags_in, logic_flags(r, size) | cf_of(cf, false));
    }
    default: {  // SHL, SAL
      const uint64_t r = masked < n ? (v << masked) & m : 0;
      const bool cf = masked <= n && bit(v, n - masked);
      return with(flags_in, logic_flags(r, size) | cf_of(cf, msb(r, size) ^ cf));
    }
  }
}

Outcome shift_double(bool right, unsigned size, uint64_t dst, uint64_t src, unsigned count, uint64_t flags_in) {
  const unsigned n = bits_of(size);
  const uint64_t m = mask_of(size);
  const unsigned c = count & (size == 8 ? 63 : 31);
  dst &= m;
  src &= m;
  if (c == 0) return {dst, flags_in};
  using U = unsigned __int128;
  uint64_t r;
  bool cf, of;
  if (right) {
    // The pattern (dst:)src:dst, shifted right; the result is its low n bits.
    U w = U{dst} | U{src} << n;
    if (size == 2) w |= U{dst} << 32;
    r = static_cast<uint64_t>(w >> c) & m;
    cf = static_cast<uint64_t>(w >> (c - 1)) & 1;
    // QEMU 7.2 takes OF from the pattern shifted by c - 1, which for 64-bit operands
    // holds no source bits: there only the result's MSB remains for c > 1.
    of = size == 8 ? msb(r, size) ^ (c == 1 && msb(dst, size)) : msb(r, size) ^ bit(r, n - 2);
  } else {
    // The pattern dst:src(:dst), shifted left; the result is the n bits below its top.
    const unsigned span = size == 2 ? 48 : 2 * n;
    U w = U{dst} << (span - n) | U{src} << (span - 2 * n);
    if (size == 2) w |= U{dst};
    r = static_cast<uint64_t>((w << c) >> (span - n)) & m;
    cf = static_cast<uint64_t>(w >> (span - c)) & 1;
    of = msb(r, size) ^ cf;
  }
  return {r, with(flags_in, logic_flags(r, size) | cf_of(cf, of))};
}

Outcome bit_scan(bool reverse, unsigned size, uint64_t src, uint64_t dst_in, uint64_t flags_in) {
  const unsigned n = bits_of(size);
  src &= mask_of(size);
  const uint64_t flags = with(flags_in, logic_flags(src, size));
  if (src == 0) return {size == 4 ? dst_in & 0xFFFFFFFF : dst_in, flags};
  unsigned index = reverse ? n - 1 : 0;
  while (!bit(src, index)) index = reverse ? index - 1 : index + 1;
  uint64_t value;
  if (size == 2)
    value = (dst_in & ~uint64_t{0xFFFF}) | index;
  else
    value = index;
  return {value, flags};
}

uint64_t lzcnt_flags(unsigned size, uint64_t src, uint64_t flags_in) {
  const unsigned n = bits_of(size);
  src &= mask_of(size);
  unsigned zeros = 0;
  while (zeros < n && !bit(src, n - 1 - zeros)) ++zeros;
  return with(flags_in, (src == 0 ? CF : 0) | (zeros == 0 ? ZF : 0));
}

}  // namespace rw::cputest::table
