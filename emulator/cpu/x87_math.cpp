// The x87 transcendental and partial-remainder instructions in software (docs/cpu.md,
// "x87 transcendentals"). Written from the Intel SDM (vol. 1 ch. 4 and 8, vol. 2's pages of
// each instruction) and the mathematics below; the constant tables were computed with MPFR
// by bench/x87_math_constants.cpp, and x87_math_test.cpp checks them against MPFR.
//
// How a result is computed: the operand is unpacked into XF, a software float with a
// 128-bit significand and a 32-bit exponent (no overflow or underflow inside), the argument
// is reduced (FSIN's by a 384-bit 2/pi, exactly enough for every |x| < 2^63), a Taylor
// series is summed by Horner's rule in XF arithmetic (every operation rounded to nearest at
// 128 bits), and the result is rounded once to the 64-bit significand under FCW.RC, with the
// x87's masked responses to overflow and underflow. The error before that last rounding is
// a few units of 2^-127 relative, so the 64-bit result is correctly rounded unless the exact
// value lies within about 2^-120 (relative) of a rounding boundary: a random argument does
// that with probability about 2^-55. Values that do lie at a boundary by construction (sin x,
// tan x, cos x and arctan x for tiny x, just beside x or 1) take exact paths.
#include "cpu/x87_math.h"

#include <bit>
#include <cstdint>
#include <utility>

namespace rw::cpu::x87 {
namespace {

using u128 = unsigned __int128;
using detail::XConst;

// floor(2/pi * 2^384), most significant word first.
constexpr uint64_t kTwoOverPi[6] = {
    0xa2f9836e4e441529ull,
    0xfc2757d1f534ddc0ull,
    0xdb6295993c439041ull,
    0xfe5163abdebbc561ull,
    0xb7246e3a424dd2e0ull,
    0x06492eea09d1921cull,
};

// 128-bit values, rounded to nearest: {significand high, low, exponent, negative}.
constexpr XConst kPiOver2 =
    {0xc90fdaa22168c234ull, 0xc4c6628b80dc1cd1ull, 0, false};  // pi/2
constexpr XConst kLn2 =
    {0xb17217f7d1cf79abull, 0xc9e3b39803f2f6afull, -1, false};  // ln 2
constexpr XConst kLog2E =
    {0xb8aa3b295c17f0bbull, 0xbe87fed0691d3e89ull, 0, false};  // log2(e)

// arctan(j/16), j = 0..16.
constexpr XConst kAtanTable[17] = {
    {0, 0, 0, false},  // arctan(0/16)
    {0xffaaddb967ef4e36ull, 0xcb2792dc0e2e0d51ull, -5, false},  // arctan(1/16)
    {0xfeadd4d5617b6e32ull, 0xc897989f3e888ef8ull, -4, false},  // arctan(2/16)
    {0xbdcbda5e72d81134ull, 0x7b0b4f881c9c7488ull, -3, false},  // arctan(3/16)
    {0xfadbafc96406eb15ull, 0x6dc79ef5f7a217e6ull, -3, false},  // arctan(4/16)
    {0x9b13b9b83f5e5e69ull, 0xc5abb498d27af328ull, -2, false},  // arctan(5/16)
    {0xb7b0ca0f26f78473ull, 0x8aa32122dcfe4483ull, -2, false},  // arctan(6/16)
    {0xd327761e611fe5b6ull, 0x427c95e9001e7136ull, -2, false},  // arctan(7/16)
    {0xed63382b0dda7b45ull, 0x6fe445ecbc3a8d03ull, -2, false},  // arctan(8/16)
    {0x832bf4a6d9867e2aull, 0x4b6a09cb61a515c1ull, -1, false},  // arctan(9/16)
    {0x8f005d5ef7f59f9bull, 0x5c835e1665c43748ull, -1, false},  // arctan(10/16)
    {0x9a2f80e671bdda20ull, 0x4226f8e2204ff3bdull, -1, false},  // arctan(11/16)
    {0xa4bc7d1934f70924ull, 0x19a87f2a457dac9full, -1, false},  // arctan(12/16)
    {0xaeac4c38b4d8c080ull, 0x14725e2f3e52070aull, -1, false},  // arctan(13/16)
    {0xb8053e2bc2319e73ull, 0xcb2da55210a4443dull, -1, false},  // arctan(14/16)
    {0xc0ce85b8ac526640ull, 0x89dd62c46e92fa25ull, -1, false},  // arctan(15/16)
    {0xc90fdaa22168c234ull, 0xc4c6628b80dc1cd1ull, -1, false},  // arctan(16/16)
};

// 2^(j/16) - 1, j = -16..16.
constexpr XConst kExp2Table[33] = {
    {0x8000000000000000ull, 0x0000000000000000ull, -1, true},  // 2^(-16/16) - 1
    {0xf4aa7930676f09d6ull, 0x746d48e7bd567c9cull, -2, true},  // 2^(-15/16) - 1
    {0xe8d47c382ae85232ull, 0x08373af14eb586e0ull, -2, true},  // 2^(-14/16) - 1
    {0xdc785918a9dc7993ull, 0xe0524e3ea34a6c50ull, -2, true},  // 2^(-13/16) - 1
    {0xcf901f5ce48ead21ull, 0x72a5b9cfa37a1213ull, -2, true},  // 2^(-12/16) - 1
    {0xc2159b3edcbddca4ull, 0xbeddc1ec288c045dull, -2, true},  // 2^(-11/16) - 1
    {0xb40252ac9d5d8e2bull, 0xc685013bd1df1fcaull, -2, true},  // 2^(-10/16) - 1
    {0xa54f822b7abd6a73ull, 0x6cfeae6e14cba277ull, -2, true},  // 2^(-9/16) - 1
    {0x95f619980c4336f7ull, 0x4d04ec99156a82c2ull, -2, true},  // 2^(-8/16) - 1
    {0x85eeb8c14fe79282ull, 0xaefdc09325e0a10cull, -2, true},  // 2^(-7/16) - 1
    {0xea6357baabe4948bull, 0x0754bcda6c898322ull, -3, true},  // 2^(-6/16) - 1
    {0xc76dcfab81edfc70ull, 0x7729f1c1a834e44aull, -3, true},  // 2^(-5/16) - 1
    {0xa2ec0cd4a58a542full, 0x1965d119bf4b0088ull, -3, true},  // 2^(-4/16) - 1
    {0xf999089eab58f777ull, 0xcd3b57db916661afull, -4, true},  // 2^(-3/16) - 1
    {0xa9f9c8c116de3689ull, 0x7e9452647c8d582aull, -4, true},  // 2^(-2/16) - 1
    {0xada82eadb7933d38ull, 0x462f3851267f03c9ull, -5, true},  // 2^(-1/16) - 1
    {0, 0, 0, false},  // 2^(0/16) - 1
    {0xb5586cf9890f6298ull, 0xb92b71842a983643ull, -5, false},  // 2^(1/16) - 1
    {0xb95c1e3ea8bd6e6full, 0xbe4628758a53c902ull, -4, false},  // 2^(2/16) - 1
    {0x8e1e9b9d588e19b0ull, 0x7eb6c70572d64ec1ull, -3, false},  // 2^(3/16) - 1
    {0xc1bf828c6dc54b7aull, 0x356918c17217b7b3ull, -3, false},  // 2^(4/16) - 1
    {0xf7a993048d088d6dull, 0x0488f84f5dcfee8bull, -3, false},  // 2^(5/16) - 1
    {0x97fb5aa6c544e3a8ull, 0x72f5fd885c41c06cull, -2, false},  // 2^(6/16) - 1
    {0xb560fba90a852b19ull, 0x2602a323d668bb12ull, -2, false},  // 2^(7/16) - 1
    {0xd413cccfe7799211ull, 0x65f626cdd52afa7cull, -2, false},  // 2^(8/16) - 1
    {0xf4228e7d6030dafaull, 0xa2047ed9b43ebde8ull, -2, false},  // 2^(9/16) - 1
    {0x8ace5422aa0db5baull, 0x7c55a192c9bb3e6full, -1, false},  // 2^(10/16) - 1
    {0x9c49182a3f0901c7ull, 0xc46b071f2be58ddbull, -1, false},  // 2^(11/16) - 1
    {0xae89f995ad3ad5e8ull, 0x734d1773205a7fbcull, -1, false},  // 2^(12/16) - 1
    {0xc199bdd85529c222ull, 0x0cb12a091ba66794ull, -1, false},  // 2^(13/16) - 1
    {0xd5818dcfba48725dull, 0xa05aeb66e0dca9f6ull, -1, false},  // 2^(14/16) - 1
    {0xea4afa2a490d9858ull, 0xf73a18f5db301f87ull, -1, false},  // 2^(15/16) - 1
    {0x8000000000000000ull, 0x0000000000000000ull, 0, false},  // 2^(16/16) - 1
};

// 1/n!, n = 0..40.
constexpr XConst kInvFactorial[41] = {
    {0x8000000000000000ull, 0x0000000000000000ull, 0, false},  // 1/0!
    {0x8000000000000000ull, 0x0000000000000000ull, 0, false},  // 1/1!
    {0x8000000000000000ull, 0x0000000000000000ull, -1, false},  // 1/2!
    {0xaaaaaaaaaaaaaaaaull, 0xaaaaaaaaaaaaaaabull, -3, false},  // 1/3!
    {0xaaaaaaaaaaaaaaaaull, 0xaaaaaaaaaaaaaaabull, -5, false},  // 1/4!
    {0x8888888888888888ull, 0x8888888888888889ull, -7, false},  // 1/5!
    {0xb60b60b60b60b60bull, 0x60b60b60b60b60b6ull, -10, false},  // 1/6!
    {0xd00d00d00d00d00dull, 0x00d00d00d00d00d0ull, -13, false},  // 1/7!
    {0xd00d00d00d00d00dull, 0x00d00d00d00d00d0ull, -16, false},  // 1/8!
    {0xb8ef1d2ab6399c7dull, 0x560e4472800b8ef2ull, -19, false},  // 1/9!
    {0x93f27dbbc4fae397ull, 0x780b69f5333c725bull, -22, false},  // 1/10!
    {0xd7322b3faa271c7full, 0x3a3f25c1bee38f10ull, -26, false},  // 1/11!
    {0x8f76c77fc6c4bdaaull, 0x26d4c3d67f425f60ull, -29, false},  // 1/12!
    {0xb092309d43684be5ull, 0x1c198e91d7b4269eull, -33, false},  // 1/13!
    {0xc9cba54603e4e905ull, 0xd6f8a2efd1f27546ull, -37, false},  // 1/14!
    {0xd73f9f399dc0f88eull, 0xc32b58774657f48full, -41, false},  // 1/15!
    {0xd73f9f399dc0f88eull, 0xc32b58774657f48full, -45, false},  // 1/16!
    {0xca963b81856a5359ull, 0x3028cbbb8d7ff53cull, -49, false},  // 1/17!
    {0xb413c31dcbecbbddull, 0x8024435161554bc3ull, -53, false},  // 1/18!
    {0x97a4da340a0ab926ull, 0x50f61dbdcb3a5abfull, -57, false},  // 1/19!
    {0xf2a15d201011283dull, 0x4e5695fc785d5dffull, -62, false},  // 1/20!
    {0xb8dc77b6e7ab8c5full, 0x78a37e77372290c2ull, -66, false},  // 1/21!
    {0x8671cb6dbfc294a2ull, 0x86485bf99c763abcull, -70, false},  // 1/22!
    {0xbb0da098b1c0cecbull, 0xdc3826ebfb13cc27ull, -75, false},  // 1/23!
    {0xf96780cb97abbe65ull, 0x25a033e54ec51034ull, -80, false},  // 1/24!
    {0x9f9e66e8b2fd46a7ull, 0x22520cbbb7885c4aull, -84, false},  // 1/25!
    {0xc4742fe35272cd1cull, 0x790285d3580a4a34ull, -89, false},  // 1/26!
    {0xe8d58e16e6751905ull, 0x4d0c78aea13b9a50ull, -94, false},  // 1/27!
    {0x850c5131a842e9b9ull, 0xe2e28e1aa546a152ull, -98, false},  // 1/28!
    {0x92cfcc5a1ac56bd5ull, 0xf1873bb378948eb3ull, -103, false},  // 1/29!
    {0x9c9962823eb07306ull, 0x56f6a614c4e2ba59ull, -108, false},  // 1/30!
    {0xa1a6973c1fade217ull, 0x0f7237d35fe1c89eull, -113, false},  // 1/31!
    {0xa1a6973c1fade217ull, 0x0f7237d35fe1c89eull, -118, false},  // 1/32!
    {0x9cc092a6e86a8da9ull, 0xc166ffd4ba113ea8ull, -123, false},  // 1/33!
    {0x9388118e07ebd09full, 0xc515a57ceb5b8644ull, -128, false},  // 1/34!
    {0x86e2ce38b6c8f941ull, 0x9e3fad3f0311d9d8ull, -133, false},  // 1/35!
    {0xefcc194861654958ull, 0x35c6895393adf50eull, -139, false},  // 1/36!
    {0xcf6468e4a742d7a6ull, 0x3c58ae1ec4e979feull, -144, false},  // 1/37!
    {0xaea565ce061d5748ull, 0x9e9b85276273c50cull, -149, false},  // 1/38!
    {0x8f4ca24d25d66f00ull, 0x8223b575a61d597aull, -154, false},  // 1/39!
    {0xe5476a1509571800ull, 0xd0392255d6955bf6ull, -160, false},  // 1/40!
};

// 1/(2k + 1), k = 0..40.
constexpr XConst kInvOdd[41] = {
    {0x8000000000000000ull, 0x0000000000000000ull, 0, false},  // 1/1
    {0xaaaaaaaaaaaaaaaaull, 0xaaaaaaaaaaaaaaabull, -2, false},  // 1/3
    {0xccccccccccccccccull, 0xcccccccccccccccdull, -3, false},  // 1/5
    {0x9249249249249249ull, 0x2492492492492492ull, -3, false},  // 1/7
    {0xe38e38e38e38e38eull, 0x38e38e38e38e38e4ull, -4, false},  // 1/9
    {0xba2e8ba2e8ba2e8bull, 0xa2e8ba2e8ba2e8baull, -4, false},  // 1/11
    {0x9d89d89d89d89d89ull, 0xd89d89d89d89d89eull, -4, false},  // 1/13
    {0x8888888888888888ull, 0x8888888888888889ull, -4, false},  // 1/15
    {0xf0f0f0f0f0f0f0f0ull, 0xf0f0f0f0f0f0f0f1ull, -5, false},  // 1/17
    {0xd79435e50d79435eull, 0x50d79435e50d7943ull, -5, false},  // 1/19
    {0xc30c30c30c30c30cull, 0x30c30c30c30c30c3ull, -5, false},  // 1/21
    {0xb21642c8590b2164ull, 0x2c8590b21642c859ull, -5, false},  // 1/23
    {0xa3d70a3d70a3d70aull, 0x3d70a3d70a3d70a4ull, -5, false},  // 1/25
    {0x97b425ed097b425eull, 0xd097b425ed097b42ull, -5, false},  // 1/27
    {0x8d3dcb08d3dcb08dull, 0x3dcb08d3dcb08d3eull, -5, false},  // 1/29
    {0x8421084210842108ull, 0x4210842108421084ull, -5, false},  // 1/31
    {0xf83e0f83e0f83e0full, 0x83e0f83e0f83e0f8ull, -6, false},  // 1/33
    {0xea0ea0ea0ea0ea0eull, 0xa0ea0ea0ea0ea0eaull, -6, false},  // 1/35
    {0xdd67c8a60dd67c8aull, 0x60dd67c8a60dd67dull, -6, false},  // 1/37
    {0xd20d20d20d20d20dull, 0x20d20d20d20d20d2ull, -6, false},  // 1/39
    {0xc7ce0c7ce0c7ce0cull, 0x7ce0c7ce0c7ce0c8ull, -6, false},  // 1/41
    {0xbe82fa0be82fa0beull, 0x82fa0be82fa0be83ull, -6, false},  // 1/43
    {0xb60b60b60b60b60bull, 0x60b60b60b60b60b6ull, -6, false},  // 1/45
    {0xae4c415c9882b931ull, 0x0572620ae4c415caull, -6, false},  // 1/47
    {0xa72f05397829cbc1ull, 0x4e5e0a72f0539783ull, -6, false},  // 1/49
    {0xa0a0a0a0a0a0a0a0ull, 0xa0a0a0a0a0a0a0a1ull, -6, false},  // 1/51
    {0x9a90e7d95bc609a9ull, 0x0e7d95bc609a90e8ull, -6, false},  // 1/53
    {0x94f2094f2094f209ull, 0x4f2094f2094f2095ull, -6, false},  // 1/55
    {0x8fb823ee08fb823eull, 0xe08fb823ee08fb82ull, -6, false},  // 1/57
    {0x8ad8f2fba9386822ull, 0xb63cbeea4e1a08aeull, -6, false},  // 1/59
    {0x864b8a7de6d1d608ull, 0x64b8a7de6d1d6086ull, -6, false},  // 1/61
    {0x8208208208208208ull, 0x2082082082082082ull, -6, false},  // 1/63
    {0xfc0fc0fc0fc0fc0full, 0xc0fc0fc0fc0fc0fcull, -7, false},  // 1/65
    {0xf4898d5f85bb3950ull, 0x3d226357e16ece54ull, -7, false},  // 1/67
    {0xed7303b5cc0ed730ull, 0x3b5cc0ed7303b5ccull, -7, false},  // 1/69
    {0xe6c2b4481cd85689ull, 0x039b0ad12073615aull, -7, false},  // 1/71
    {0xe070381c0e070381ull, 0xc0e070381c0e0704ull, -7, false},  // 1/73
    {0xda740da740da740dull, 0xa740da740da740daull, -7, false},  // 1/75
    {0xd4c77b03531dec0dull, 0x4c77b03531dec0d5ull, -7, false},  // 1/77
    {0xcf6474a8819ec8e9ull, 0x51033d91d2a2067bull, -7, false},  // 1/79
    {0xca4587e6b74f0329ull, 0x161f9add3c0ca458ull, -7, false},  // 1/81
};

constexpr u128 make128(uint64_t hi, uint64_t lo) { return (u128(hi) << 64) | lo; }
constexpr uint64_t hi64(u128 v) { return uint64_t(v >> 64); }
constexpr uint64_t lo64(u128 v) { return uint64_t(v); }
constexpr u128 kTop = u128(1) << 127;

constexpr int clz128(u128 v) {  // v != 0
  return hi64(v) ? std::countl_zero(hi64(v)) : 64 + std::countl_zero(lo64(v));
}

// ---------------------------------------------------------------------------------------
// XF: (-1)^neg * m * 2^(e - 127), m == 0 (zero) or bit 127 of m set.

struct XF {
  u128 m = 0;
  int32_t e = 0;
  bool neg = false;
  constexpr bool zero() const { return m == 0; }
};

constexpr XF xc(const XConst& c) { return XF{make128(c.hi, c.lo), c.exp, c.negative}; }
constexpr XF negate(XF a) {
  a.neg = !a.neg;
  return a;
}
constexpr XF scale2(XF a, int32_t n) {  // a * 2^n
  if (!a.zero()) a.e += n;
  return a;
}

// v * 2^exp0, exactly.
constexpr XF from_u128(u128 v, int32_t exp0, bool neg = false) {
  if (v == 0) return XF{0, 0, neg};
  int s = clz128(v);
  return XF{v << s, exp0 + 127 - s, neg};
}
constexpr XF from_int(int64_t k) {
  return from_u128(k < 0 ? u128(-(k + 1)) + 1 : u128(k), 0, k < 0);
}

// Rounds a 128-bit significand with the bits below it (round bit, sticky) to nearest even;
// a carry out renormalizes.
constexpr void round_nearest128(u128& m, int32_t& e, bool round, bool sticky) {
  if (round && (sticky || (m & 1))) {
    if (++m == 0) {
      m = kTop;
      ++e;
    }
  }
}

// a * b, rounded to nearest.
constexpr XF mul(const XF& a, const XF& b) {
  if (a.zero() || b.zero()) return XF{0, 0, a.neg != b.neg};
  uint64_t a1 = hi64(a.m), a0 = lo64(a.m), b1 = hi64(b.m), b0 = lo64(b.m);
  u128 p11 = u128(a1) * b1, p10 = u128(a1) * b0, p01 = u128(a0) * b1, p00 = u128(a0) * b0;
  u128 mid = (p00 >> 64) + lo64(p10) + lo64(p01);
  u128 lo = (mid << 64) | lo64(p00);
  u128 hi = p11 + (p10 >> 64) + (p01 >> 64) + (mid >> 64);
  int32_t e = a.e + b.e;
  u128 m;
  bool round, sticky;
  if (hi >> 127) {  // the product of two significands in [2^127, 2^128) is in [2^254, 2^256)
    m = hi;
    round = lo >> 127;
    sticky = (lo << 1) != 0;
    e += 1;
  } else {
    m = (hi << 1) | (lo >> 127);
    round = (lo >> 126) & 1;
    sticky = (lo << 2) != 0;
  }
  round_nearest128(m, e, round, sticky);
  return XF{m, e, a.neg != b.neg};
}

// a + b formed exactly in 256 bits when the exponents are less than 256 apart (so a
// cancellation loses nothing): hi:lo normalized, and sticky when b had bits further down
// (then the exact sum lies strictly between hi:lo and the next unit of lo).
struct Sum {
  u128 hi = 0, lo = 0;
  int32_t e = 0;
  bool neg = false, sticky = false;
};
constexpr Sum add_exact(XF a, XF b) {
  if (b.zero()) return Sum{a.m, 0, a.e, a.zero() ? a.neg && b.neg : a.neg, false};
  if (a.zero()) return Sum{b.m, 0, b.e, b.neg, false};
  if (a.e < b.e || (a.e == b.e && a.m < b.m)) std::swap(a, b);  // |a| >= |b|
  int64_t d = int64_t(a.e) - b.e;
  u128 bh = 0, bl = 0;  // b aligned to a: bh:bl, 256 bits
  bool sticky = false;  // b has bits below bl
  if (d == 0) {
    bh = b.m;
  } else if (d < 128) {
    bh = b.m >> d;
    bl = b.m << (128 - d);
  } else if (d == 128) {
    bl = b.m;
  } else if (d < 256) {
    bl = b.m >> (d - 128);
    sticky = (b.m << (256 - d)) != 0;
  } else {
    sticky = true;
  }
  u128 rh, rl;
  int32_t e = a.e;
  if (a.neg == b.neg) {
    rl = bl;
    rh = a.m + bh;
    if (rh < a.m) {  // carry out: shift right one
      sticky |= (rl & 1) != 0;
      rl = (rl >> 1) | (rh << 127);
      rh = (rh >> 1) | kTop;
      ++e;
    }
  } else {
    rl = u128(0) - bl;
    rh = a.m - bh - (bl != 0 ? 1 : 0);
    if (sticky) {  // b is a little larger than bh:bl: take one unit off, the sticky says "and a bit"
      if (rl == 0) --rh;
      --rl;
    }
    if (rh == 0 && rl == 0) return Sum{};
    int s = rh ? clz128(rh) : 128 + clz128(rl);
    if (s >= 128) {
      rh = rl << (s - 128);
      rl = 0;
    } else if (s > 0) {
      rh = (rh << s) | (rl >> (128 - s));
      rl <<= s;
    }
    e -= s;
  }
  return Sum{rh, rl, e, a.neg, sticky};
}

// a + b, rounded to nearest.
constexpr XF add(const XF& a, const XF& b) {
  Sum s = add_exact(a, b);
  if (s.hi == 0) return XF{0, 0, s.neg};
  round_nearest128(s.hi, s.e, (s.lo >> 127) != 0, s.sticky || (s.lo << 1) != 0);
  return XF{s.hi, s.e, s.neg};
}
constexpr XF sub(const XF& a, const XF& b) { return add(a, negate(b)); }

// One 64-bit digit of the long division r * 2^64 / d (r < d, bit 127 of d set): returns
// floor(r * 2^64 / d) and leaves the remainder in r. The estimate from the top digits is at
// most 2 too large (Knuth, TAOCP 4.3.1, algorithm D).
constexpr uint64_t div_digit(u128& r, u128 d) {
  uint64_t d1 = hi64(d), d0 = lo64(d);
  uint64_t q = hi64(r) >= d1 ? ~0ull : uint64_t(r / d1);
  u128 lo = u128(q) * d0;
  u128 ph = u128(q) * d1 + (lo >> 64);  // q * d = ph:pl (192 bits)
  uint64_t pl = lo64(lo);
  while (ph > r || (ph == r && pl != 0)) {  // q * d > r * 2^64
    --q;
    ph -= u128(d1) + (pl < d0 ? 1 : 0);
    pl -= d0;
  }
  r = ((r - ph) << 64) - pl;  // r * 2^64 - q * d, below d
  return q;
}

// a / b (b nonzero). nearest: rounded to nearest, else truncated; *inexact (if given): the
// quotient was not exact.
constexpr XF div(const XF& a, const XF& b, bool nearest = true, bool* inexact = nullptr) {
  if (a.zero()) {
    if (inexact) *inexact = false;
    return XF{0, 0, a.neg != b.neg};
  }
  u128 r = a.m, d = b.m;
  int32_t e = a.e - b.e;
  bool ge = r >= d;  // quotient in [1, 2): its first bit now, 127 more below
  if (ge) r -= d;
  uint64_t q1 = div_digit(r, d), q2 = div_digit(r, d), q3 = div_digit(r, d);
  u128 q = make128(q1, q2);
  bool round, sticky;
  if (ge) {
    round = q & 1;
    sticky = q3 != 0 || r != 0;
    q = (q >> 1) | kTop;
  } else {  // a/b in [1/2, 1): q has its top bit set
    --e;
    round = (q3 >> 63) != 0;
    sticky = (q3 << 1) != 0 || r != 0;
  }
  if (inexact) *inexact = round || sticky;
  if (nearest) round_nearest128(q, e, round, sticky);
  return XF{q, e, a.neg != b.neg};
}

// c[0] + c[1] z + ... + c[n-1] z^(n-1), by Horner's rule.
constexpr XF horner(const XF& z, const XF* c, int n) {
  XF p = c[n - 1];
  for (int i = n - 2; i >= 0; --i) p = add(mul(p, z), c[i]);
  return p;
}

// Coefficient arrays of the series, made from the tables at compile time.
template <int N>
struct Coefs {
  XF c[N];
};
// sin r = r * sum (-1)^k r^2k / (2k+1)!: 17 terms (|r| <= pi/4: the first left out is below 2^-144).
constexpr Coefs<17> kSinCoefs = [] {
  Coefs<17> s{};
  for (int k = 0; k < 17; ++k) s.c[k] = XF{make128(kInvFactorial[2 * k + 1].hi, kInvFactorial[2 * k + 1].lo),
                                          kInvFactorial[2 * k + 1].exp, (k & 1) != 0};
  return s;
}();
// cos r = sum (-1)^k r^2k / (2k)!: 18 terms.
constexpr Coefs<18> kCosCoefs = [] {
  Coefs<18> s{};
  for (int k = 0; k < 18; ++k)
    s.c[k] = XF{make128(kInvFactorial[2 * k].hi, kInvFactorial[2 * k].lo), kInvFactorial[2 * k].exp, (k & 1) != 0};
  return s;
}();
// expm1(u) = u * sum u^k / (k+1)!: 16 terms (|u| <= ln2/32: the first left out is below 2^-137).
constexpr Coefs<16> kExpm1Coefs = [] {
  Coefs<16> s{};
  for (int k = 0; k < 16; ++k) s.c[k] = xc(kInvFactorial[k + 1]);
  return s;
}();
// arctan d = d * sum (-1)^k d^2k / (2k+1): 14 terms (|d| <= 1/32: below 2^-144).
constexpr Coefs<14> kAtanCoefs = [] {
  Coefs<14> s{};
  for (int k = 0; k < 14; ++k) s.c[k] = XF{make128(kInvOdd[k].hi, kInvOdd[k].lo), kInvOdd[k].exp, (k & 1) != 0};
  return s;
}();
// artanh t = t * sum t^2k / (2k+1): 27 terms (|t| <= 3 - 2 sqrt(2): below 2^-137).
constexpr Coefs<27> kAtanhCoefs = [] {
  Coefs<27> s{};
  for (int k = 0; k < 27; ++k) s.c[k] = xc(kInvOdd[k]);
  return s;
}();

// ---------------------------------------------------------------------------------------
// The final rounding to the 80-bit format.

// An approximation to a result: v, and whether the exact value lies strictly between
// |v| and |v| + one unit of v's 128th bit (sticky) or is v exactly. The general paths only
// know their result to a few units of the 128th bit: they set sticky (the result is
// inexact), which rounds correctly unless the exact value is that close to a boundary.
struct Approx {
  XF v;
  bool sticky = true;
};

// A value just below |v| in magnitude, and one just above: for results that differ from a
// representable v by less than half an ulp of the 64-bit significand.
Approx just_below(XF v) {
  if (--v.m < kTop) {
    v.m = (v.m << 1) | 1;
    --v.e;
  }
  return Approx{v, true};
}
Approx just_above(XF v) { return Approx{v, true}; }

// a + b for exact a and b: the exact sum truncated to 128 bits, and whether anything was cut.
Approx add_truncated(const XF& a, const XF& b) {
  Sum s = add_exact(a, b);
  return Approx{XF{s.hi, s.hi ? s.e : 0, s.neg}, s.lo != 0 || s.sticky};
}

struct Rounded {
  F80 v;
  uint16_t status = 0;  // kPE kUE kOE, kC1 (rounded up in magnitude)
};

constexpr int kBias = 16383;
constexpr F80 make_f80(bool neg, uint32_t biased, uint64_t sig) {
  return F80{sig, uint16_t((neg ? 0x8000 : 0) | biased)};
}

bool round_up(bool neg, bool lsb, bool round, bool sticky, unsigned rc) {
  switch (rc & 3) {
    case 0: return round && (sticky || lsb);
    case 1: return neg && (round || sticky);
    case 2: return !neg && (round || sticky);
    default: return false;
  }
}

// Rounds to the 80-bit format under rc, with the masked responses: overflow gives infinity or
// the largest finite value by the rounding mode (OE, PE); a result that is tiny after
// rounding (with unbounded exponent, as the SDM's 4.9.1.5 says) is denormalized and rounded,
// UE set when it is also inexact.
Rounded round_f80(const Approx& a, unsigned rc) {
  const XF& x = a.v;
  bool neg = x.neg;
  if (x.zero()) return Rounded{make_f80(neg, 0, 0), uint16_t(a.sticky ? kPE : 0)};
  int64_t b = int64_t(x.e) + kBias;  // the biased exponent if the result is normal
  uint64_t sig = hi64(x.m), low = lo64(x.m);
  Rounded r;
  if (b >= 1) {
    bool round = (low >> 63) != 0, sticky = (low << 1) != 0 || a.sticky;
    bool up = round_up(neg, sig & 1, round, sticky, rc);
    if (up && ++sig == 0) {
      sig = 1ull << 63;
      ++b;
    }
    if (b >= 0x7FFF) {  // overflow
      bool to_inf = (rc & 3) == 0 || ((rc & 3) == 1 && neg) || ((rc & 3) == 2 && !neg);
      r.status = kOE | kPE | (to_inf ? kC1 : 0);
      r.v = to_inf ? make_f80(neg, 0x7FFF, 1ull << 63) : make_f80(neg, 0x7FFE, ~0ull);
      return r;
    }
    r.v = make_f80(neg, uint32_t(b), sig);
    if (round || sticky) r.status |= kPE;
    if (up) r.status |= kC1;
    return r;
  }
  // Tiny before rounding. Tiny after rounding too, unless rounding the 64-bit significand
  // with unbounded exponent carries up to 2^-16382.
  bool tiny = true;
  if (b == 0 && sig == ~0ull &&
      round_up(neg, true, (low >> 63) != 0, (low << 1) != 0 || a.sticky, rc))
    tiny = false;
  // Denormal significand: value / 2^-16445 = m * 2^(b - 65).
  int64_t n = 65 - b;  // >= 65
  uint64_t dsig = n >= 128 ? 0 : uint64_t(x.m >> n);
  bool round = n <= 128 && ((x.m >> (n - 1)) & 1) != 0;
  bool sticky = a.sticky || (n < 129 ? (x.m << (129 - n)) != 0 : x.m != 0);
  bool up = round_up(neg, dsig & 1, round, sticky, rc);
  if (up) ++dsig;  // may become 2^63: the smallest normal
  r.v = make_f80(neg, (dsig >> 63) ? 1 : 0, dsig);
  if (round || sticky) r.status |= kPE | (tiny ? kUE : 0);
  if (up) r.status |= kC1;
  return r;
}

// ---------------------------------------------------------------------------------------
// Operands.

enum class Kind { kZero, kDenormal, kNormal, kInf, kQNaN, kSNaN, kUnsupported };

struct Op {
  F80 raw;
  Kind kind;
  bool neg;
  XF x;  // finite nonzero: the value, normalized (x.e is the unbiased exponent)
  bool finite_nonzero() const { return kind == Kind::kNormal || kind == Kind::kDenormal; }
  bool nan() const { return kind == Kind::kQNaN || kind == Kind::kSNaN; }
  bool zero() const { return kind == Kind::kZero; }
  bool inf() const { return kind == Kind::kInf; }
  uint64_t sig() const { return hi64(x.m); }  // the normalized 64-bit significand
};

Op classify(F80 v) {
  Op o{v, Kind::kNormal, (v.sign_exponent >> 15) != 0, {}};
  uint32_t be = v.sign_exponent & 0x7FFF;
  uint64_t s = v.significand;
  bool j = (s >> 63) != 0;
  if (be == 0x7FFF) {
    if (!j) o.kind = Kind::kUnsupported;  // pseudo-infinity, pseudo-NaN
    else if ((s << 1) == 0) o.kind = Kind::kInf;
    else o.kind = ((s >> 62) & 1) ? Kind::kQNaN : Kind::kSNaN;
    return o;
  }
  if (be == 0) {
    if (s == 0) {
      o.kind = Kind::kZero;
      return o;
    }
    o.kind = Kind::kDenormal;  // pseudo-denormals (J = 1) too: valid, with DE
    be = 1;
  } else if (!j) {
    o.kind = Kind::kUnsupported;  // unnormal
    return o;
  }
  o.x = from_u128(s, int32_t(be) - kBias - 63, o.neg);
  return o;
}

F80 quiet(F80 v) {
  v.significand |= 1ull << 62;
  return v;
}

// The NaN result of an operation with a NaN operand (SDM vol. 1 table 4-7): an SNaN is
// quieted (IE); of two NaNs, a QNaN wins over an SNaN, else the larger significand, and of
// two with the same significand the positive one (as SoftFloat).
F80 nan_result(const Op& a, const Op& b, uint16_t& status) {
  if (a.kind == Kind::kSNaN || b.kind == Kind::kSNaN) status |= kIE;
  if (a.nan() && b.nan()) {
    if (a.kind != b.kind) return quiet(a.kind == Kind::kQNaN ? a.raw : b.raw);
    if (a.raw.significand != b.raw.significand)
      return quiet(a.raw.significand > b.raw.significand ? a.raw : b.raw);
    return quiet(a.raw.sign_exponent < b.raw.sign_exponent ? a.raw : b.raw);
  }
  return quiet(a.nan() ? a.raw : b.raw);
}

Result invalid(uint16_t cc_mask) {
  Result r{kIndefinite, kIndefinite, kIE};
  r.cc_mask = cc_mask;
  return r;
}
Result exact(F80 v, uint16_t status, uint16_t cc_mask) {
  Result r{v, v, status};
  r.cc_mask = cc_mask;
  return r;
}
Result rounded(const Approx& a, unsigned rc, uint16_t status, uint16_t cc_mask) {
  Rounded rr = round_f80(a, rc);
  Result r{rr.v, rr.v, uint16_t(status | rr.status)};
  r.cc_mask = cc_mask;
  return r;
}

constexpr F80 kOne{1ull << 63, 0x3FFF};
constexpr XF kXOne{kTop, 0, false};

// ---------------------------------------------------------------------------------------
// FSIN FCOS FSINCOS FPTAN

// |x| = k * pi/2 + r, |r| <= pi/4 (a hair more at the rounding of k), for pi/4 <= |x| < 2^63:
// |x| * 2/pi with 2/pi to 384 bits (sig * C is exact; the bits of 2/pi left out weigh less
// than 2^-320 in the product), then the fraction, which keeps more than 240 significant bits
// even for the closest approach of an 80-bit value to a multiple of pi/2, times pi/2.
struct Reduced {
  XF r;
  unsigned k;  // quadrant, mod 4
};

uint64_t bits64(const uint64_t* w, int n, int pos) {  // bits pos..pos+63 of a little-endian n-word number
  auto word = [&](int i) -> uint64_t { return i >= 0 && i < n ? w[i] : 0; };
  int q = pos >= 0 ? pos / 64 : -((-pos + 63) / 64);
  int o = pos - q * 64;
  if (o == 0) return word(q);
  return (word(q) >> o) | (word(q + 1) << (64 - o));
}

Reduced reduce(const XF& ax) {
  uint64_t sig = hi64(ax.m);
  int ex = ax.e;  // -1 <= ex <= 62
  uint64_t w[7];
  uint64_t carry = 0;
  for (int i = 0; i < 6; ++i) {
    u128 p = u128(sig) * kTwoOverPi[5 - i] + carry;
    w[i] = lo64(p);
    carry = hi64(p);
  }
  w[6] = carry;
  // |x| * 2/pi = P * 2^(ex - 447): the integer part is P >> s, s = 447 - ex in 385..448.
  int s = 447 - ex;
  uint64_t k = s - 384 >= 64 ? 0 : w[6] >> (s - 384);
  if (s - 384 < 64) w[6] &= (1ull << (s - 384)) - 1;  // keep the fraction: bits below s
  bool negative = ((w[6] >> (s - 385)) & 1) != 0;    // fraction >= 1/2: round k up
  if (negative) {
    ++k;
    // fraction - 1 = -(2^s - F): two's complement of the low s bits.
    uint64_t c = 1;
    for (int i = 0; i < 7; ++i) {
      uint64_t v = ~w[i] + c;
      c = (c && v == 0) ? 1 : 0;
      w[i] = v;
    }
    if (s - 384 < 64) w[6] &= (1ull << (s - 384)) - 1;
  }
  int t = -1;  // the fraction's top set bit
  for (int i = 6; i >= 0 && t < 0; --i)
    if (w[i]) t = i * 64 + 63 - std::countl_zero(w[i]);
  if (t < 0) return Reduced{XF{}, unsigned(k & 3)};  // cannot happen: pi/2 is irrational
  u128 m = make128(bits64(w, 7, t - 63), bits64(w, 7, t - 127));
  XF f{m, t - s, negative};  // the fraction, in quarter turns
  return Reduced{mul(f, xc(kPiOver2)), unsigned(k & 3)};
}

XF sin_kernel(const XF& r) { return mul(r, horner(mul(r, r), kSinCoefs.c, 17)); }
XF cos_kernel(const XF& r) { return horner(mul(r, r), kCosCoefs.c, 18); }

constexpr uint16_t kTrigCc = kC1 | kC2;
constexpr int kTinyTrig = -33;  // |x| < 2^-32: sin x, tan x and cos x are within half an ulp of x, x, 1

enum class Trig { kSin, kCos, kSinCos, kTan };

Result trig(F80 xv, unsigned rc, Trig which) {
  Op x = classify(xv);
  if (x.kind == Kind::kUnsupported || x.inf()) return invalid(kTrigCc);
  if (x.nan()) {
    uint16_t st = 0;
    F80 n = nan_result(x, x, st);
    return exact(n, st, kTrigCc);  // FSINCOS, FPTAN: the NaN twice
  }
  if (x.zero()) {
    Result r = exact(xv, 0, kTrigCc);  // sin, tan: the zero itself
    if (which == Trig::kCos) r.value = kOne;
    if (which == Trig::kSinCos || which == Trig::kTan) r.value2 = kOne;
    return r;
  }
  if (x.x.e >= 63) {  // out of range: nothing changes
    Result r = exact(xv, kC2, kTrigCc);
    r.changed = false;
    return r;
  }
  uint16_t st = x.kind == Kind::kDenormal ? kDE : 0;
  XF ax = x.x;
  ax.neg = false;
  Approx s, c;  // of |x|
  if (ax.e <= kTinyTrig) {
    s = just_below(ax);
    c = just_below(kXOne);
    if (which == Trig::kTan) s = just_above(ax);
  } else {
    Reduced red = ax.e >= 0 || (ax.e == -1 && hi64(ax.m) >= 0xC90FDAA22168C234ull)
                      ? reduce(ax) : Reduced{ax, 0};
    // Only the kernels the result needs: FSIN wants sin r in the even quadrants and cos r in
    // the odd ones, FCOS the reverse.
    bool odd = (red.k & 1) != 0;
    bool need_sin = which != Trig::kSin && which != Trig::kCos ? true : (which == Trig::kSin) != odd;
    bool need_cos = which != Trig::kSin && which != Trig::kCos ? true : (which == Trig::kSin) == odd;
    Approx sr{need_sin ? sin_kernel(red.r) : XF{}}, cr{need_cos ? cos_kernel(red.r) : XF{}};
    if (which == Trig::kTan) {  // tan r, or -cot r in the odd quadrants
      s = Approx{odd ? negate(div(cr.v, sr.v)) : div(sr.v, cr.v)};
    } else {
      // Near a multiple of pi/2 (|r| < 2^-32), cos r lies within half an ulp below 1.
      if (red.r.e <= kTinyTrig) cr = just_below(kXOne);
      auto minus = [](Approx a) {
        a.v = negate(a.v);
        return a;
      };
      switch (red.k) {
        case 0: s = sr; c = cr; break;
        case 1: s = cr; c = minus(sr); break;
        case 2: s = minus(sr); c = minus(cr); break;
        default: s = minus(cr); c = sr; break;
      }
    }
  }
  if (x.neg) s.v = negate(s.v);  // sin and tan are odd, cos even
  switch (which) {
    case Trig::kSin:
    case Trig::kTan: {
      Result r = rounded(s, rc, st, kTrigCc);
      if (which == Trig::kTan) r.value2 = kOne;
      return r;
    }
    case Trig::kCos: return rounded(c, rc, st, kTrigCc);
    default: {
      // ST(0) gets the sine, then the cosine is pushed: C1 tells the cosine's rounding (the
      // last value written), the exceptions are both values'.
      Rounded rs = round_f80(s, rc), rcos = round_f80(c, rc);
      Result r{rs.v, rcos.v, uint16_t(st | ((rs.status | rcos.status) & kExceptions) | (rcos.status & kC1))};
      r.cc_mask = kTrigCc;
      return r;
    }
  }
}

}  // namespace

Result fsin(F80 x, unsigned rc) { return trig(x, rc, Trig::kSin); }
Result fcos(F80 x, unsigned rc) { return trig(x, rc, Trig::kCos); }
Result fsincos(F80 x, unsigned rc) { return trig(x, rc, Trig::kSinCos); }
Result fptan(F80 x, unsigned rc) { return trig(x, rc, Trig::kTan); }

// ---------------------------------------------------------------------------------------
// FPATAN

namespace {

// arctan(a / b) for 0 < a <= b (a, b positive): arctan(j/16) + arctan(d), j/16 the nearest
// sixteenth to a/b and d = (a - b j/16) / (b + a j/16), |d| <= 1/32, formed from the exact
// numerator and denominator with a single rounding.
XF atan_ratio(const XF& a, const XF& b) {
  XF t = div(a, b);
  int j = 0;  // round(16 t), t <= 1
  if (t.e >= -5) j = int((hi64(t.m) >> (58 - t.e)) + 1) >> 1;
  if (j == 0) return mul(t, horner(mul(t, t), kAtanCoefs.c, 14));
  XF c = from_int(j);
  XF num = sub(scale2(a, 4), mul(b, c));   // 16a - j b
  XF den = add(scale2(b, 4), mul(a, c));   // 16b + j a
  XF d = div(num, den);
  XF ad = mul(d, horner(mul(d, d), kAtanCoefs.c, 14));
  return add(xc(kAtanTable[j]), ad);
}

}  // namespace

Result fpatan(F80 yv, F80 xv, unsigned rc) {
  const uint16_t cc = kC1;
  Op y = classify(yv), x = classify(xv);
  if (y.kind == Kind::kUnsupported || x.kind == Kind::kUnsupported) return invalid(cc);
  if (y.nan() || x.nan()) {
    uint16_t st = 0;
    F80 n = nan_result(x, y, st);
    return exact(n, st, cc);
  }
  uint16_t st = (x.kind == Kind::kDenormal || y.kind == Kind::kDenormal) ? kDE : 0;
  bool yneg = y.neg;
  XF pi2 = xc(kPiOver2);
  XF pi = scale2(pi2, 1), pi4 = scale2(pi2, -1);
  auto constant = [&](XF v) {  // a multiple of pi with y's sign
    v.neg = yneg;
    return rounded(Approx{v, true}, rc, st, cc);
  };
  if (y.zero()) {
    if (!x.neg) return exact(yv, st, cc);  // +0, +F, +inf: the zero
    return constant(pi);
  }
  if (y.inf()) {
    if (x.inf()) return constant(x.neg ? add(pi2, pi4) : pi4);
    return constant(pi2);
  }
  if (x.zero()) return constant(pi2);
  if (x.inf()) {
    if (!x.neg) return exact(make_f80(yneg, 0, 0), st, cc);
    return constant(pi);
  }
  XF a = y.x, b = x.x;
  a.neg = b.neg = false;
  bool swapped = a.e > b.e || (a.e == b.e && a.m > b.m);
  if (swapped) std::swap(a, b);
  Approx res;
  bool inexact = true;
  XF q = div(a, b, false, &inexact);  // truncated
  if (!swapped && !x.neg && q.e <= -6) {
    // A small ratio, q < 1/32: arctan q = q + q^3 h(q^2), h = -1/3 + q^2/5 - ..., lies just
    // below q, closer to it than the 128-bit arithmetic sees when q < 2^-63. When q is
    // exact, the exact sum q + q^3 h says on which side of q's neighbours it lies. When it
    // is not, q (a ratio of 64-bit significands) is more than 2^-129 q away from any point
    // where the rounding changes, so for q < 2^-64 (q^3/3 < 2^-129.5 q) the quotient's own
    // truncation and sticky round as arctan q does; above, the correction is large enough
    // for the 128-bit sum.
    XF q2 = mul(q, q);
    XF corr = mul(mul(q, q2), horner(q2, kAtanCoefs.c + 1, 13));
    if (!inexact) res = add_truncated(q, corr);
    else if (q.e <= -65) res = Approx{q, true};
    else res = Approx{add(q, corr), true};
  } else {
    XF base = q.e <= -66 ? q : atan_ratio(a, b);
    if (swapped) base = sub(pi2, base);
    if (x.neg) base = sub(pi, base);
    res = Approx{base, true};
  }
  res.v.neg = yneg;
  return rounded(res, rc, st, cc);
}

// ---------------------------------------------------------------------------------------
// F2XM1

Result f2xm1(F80 xv, unsigned rc) {
  const uint16_t cc = kC1;
  Op x = classify(xv);
  if (x.kind == Kind::kUnsupported) return invalid(cc);
  if (x.nan()) {
    uint16_t st = 0;
    F80 n = nan_result(x, x, st);
    return exact(n, st, cc);
  }
  if (x.zero()) return exact(xv, 0, cc);
  // Outside -1..1 (infinities too) the SDM leaves the result undefined: invalid, as QEMU.
  if (x.inf() || x.x.e > 0 || (x.x.e == 0 && x.x.m != kTop)) return invalid(cc);
  if (x.x.e == 0) return exact(x.neg ? F80{1ull << 63, 0xBFFE} : kOne, 0, cc);  // -0.5, 1
  uint16_t st = x.kind == Kind::kDenormal ? kDE : 0;
  // 2^x - 1 = (2^(j/16) - 1) + 2^(j/16) (2^f - 1), j/16 the nearest sixteenth, |f| <= 1/32,
  // 2^f - 1 = expm1(f ln 2) by its series.
  int j = 0;
  if (x.x.e >= -5) j = int((hi64(x.x.m) >> (58 - x.x.e)) + 1) >> 1;
  if (x.neg) j = -j;
  XF f = sub(x.x, scale2(from_int(j), -4));
  XF u = mul(f, xc(kLn2));
  XF em = mul(u, horner(u, kExpm1Coefs.c, 16));
  XF res = em;
  if (j != 0) {
    XF ej = xc(kExp2Table[j + 16]);
    res = add(ej, mul(add(kXOne, ej), em));
  }
  return rounded(Approx{res, true}, rc, st, cc);
}

// ---------------------------------------------------------------------------------------
// FYL2X FYL2XP1

namespace {

// log2((1 + t) / (1 - t)) = 2 log2(e) artanh t, |t| <= 3 - 2 sqrt(2).
XF log2_ratio(const XF& t) {
  XF s = mul(t, horner(mul(t, t), kAtanhCoefs.c, 27));
  return mul(s, scale2(xc(kLog2E), 1));
}

// floor(sqrt(2) * 2^63): significands above it are halved, the logarithm's argument then
// lies in [sqrt(2)/2, sqrt(2)].
constexpr uint64_t kSqrt2Sig = 0xB504F333F9DE6484ull;

}  // namespace

Result fyl2x(F80 xv, F80 yv, unsigned rc) {
  const uint16_t cc = kC1;
  Op x = classify(xv), y = classify(yv);
  if (x.kind == Kind::kUnsupported || y.kind == Kind::kUnsupported) return invalid(cc);
  if (x.nan() || y.nan()) {
    uint16_t st = 0;
    F80 n = nan_result(x, y, st);
    return exact(n, st, cc);
  }
  if (x.neg && !x.zero()) return invalid(cc);  // log of a negative number (-0 is a zero)
  // x compared with 1: -1, 0, +1.
  int cmp1 = x.zero() ? -1 : x.inf() ? 1 : x.x.e < 0 ? -1 : x.x.e > 0 ? 1 : (x.x.m == kTop ? 0 : 1);
  uint16_t st = (x.kind == Kind::kDenormal || y.kind == Kind::kDenormal) ? kDE : 0;
  if (y.inf()) {  // y * (negative, 0 or positive)
    if (cmp1 == 0) return invalid(cc);
    return exact(make_f80(y.neg != (cmp1 < 0), 0x7FFF, 1ull << 63), x.zero() ? 0 : st, cc);
  }
  if (x.inf()) {
    if (y.zero()) return invalid(cc);
    return exact(make_f80(y.neg, 0x7FFF, 1ull << 63), st, cc);
  }
  if (x.zero()) {
    if (y.zero()) return invalid(cc);
    return exact(make_f80(!y.neg, 0x7FFF, 1ull << 63), kZE, cc);  // log2(0) = -inf: divide by zero
  }
  if (y.zero() || cmp1 == 0) return exact(make_f80(y.neg != (cmp1 < 0), 0, 0), st, cc);
  // x = m 2^k.
  int32_t k = x.x.e;
  uint64_t sig = hi64(x.x.m);
  if (sig == 1ull << 63) {  // a power of two: log2 x = k exactly
    return rounded(Approx{mul(y.x, from_int(k)), false}, rc, st, cc);
  }
  XF m{x.x.m, 0, false};
  if (sig > kSqrt2Sig) {
    m.e = -1;
    ++k;
  }
  // log2 m = log2((1 + t) / (1 - t)), t = (m - 1) / (m + 1); m - 1 and m + 1 are exact.
  XF t = div(sub(m, kXOne), add(m, kXOne));
  XF l = add(from_int(k), log2_ratio(t));
  return rounded(Approx{mul(y.x, l), true}, rc, st, cc);
}

Result fyl2xp1(F80 xv, F80 yv, unsigned rc) {
  const uint16_t cc = kC1;
  Op x = classify(xv), y = classify(yv);
  if (x.kind == Kind::kUnsupported || y.kind == Kind::kUnsupported) return invalid(cc);
  if (x.nan() || y.nan()) {
    uint16_t st = 0;
    F80 n = nan_result(x, y, st);
    return exact(n, st, cc);
  }
  // The range: -(1 - sqrt(2)/2) <= x <= sqrt(2) - 1, the bounds rounded toward zero (Intel's
  // manual says |x| < 1 - sqrt(2)/2, AMD's allows up to sqrt(2) - 1 above: QEMU's choice).
  // Outside (infinities too): invalid, as QEMU.
  if (x.inf() || (x.finite_nonzero() &&
                  (x.x.e > -2 || (x.x.e == -2 && hi64(x.x.m) > (x.neg ? 0x95F619980C4336F7ull
                                                                         : 0xD413CCCFE7799211ull)))))
    return invalid(cc);
  uint16_t st = (x.kind == Kind::kDenormal || y.kind == Kind::kDenormal) ? kDE : 0;
  bool neg = x.neg != y.neg;  // log2(1 + x) has x's sign
  if (x.zero()) {
    if (y.inf()) return invalid(cc);
    return exact(make_f80(neg, 0, 0), st, cc);
  }
  if (y.zero()) return exact(make_f80(neg, 0, 0), st, cc);
  if (y.inf()) return exact(make_f80(neg, 0x7FFF, 1ull << 63), st, cc);
  // log2(1 + x) = log2((1 + t) / (1 - t)), t = x / (2 + x).
  XF t = div(x.x, add(from_int(2), x.x));
  return rounded(Approx{mul(y.x, log2_ratio(t)), true}, rc, st, cc);
}

// ---------------------------------------------------------------------------------------
// FSCALE

Result fscale(F80 xv, F80 yv, unsigned rc) {
  const uint16_t cc = kC1;
  Op x = classify(xv), y = classify(yv);
  if (x.kind == Kind::kUnsupported || y.kind == Kind::kUnsupported) return invalid(cc);
  if (x.nan() || y.nan()) {
    uint16_t st = 0;
    F80 n = nan_result(x, y, st);
    return exact(n, st, cc);
  }
  uint16_t st = (x.kind == Kind::kDenormal || y.kind == Kind::kDenormal) ? kDE : 0;
  if (y.inf()) {
    if (y.neg) {  // x * 2^-inf
      if (x.inf()) return invalid(cc);
      return exact(make_f80(x.neg, 0, 0), st, cc);
    }
    if (x.zero()) return invalid(cc);  // 0 * 2^inf
    return exact(make_f80(x.neg, 0x7FFF, 1ull << 63), st, cc);
  }
  if (x.zero() || x.inf()) return exact(xv, st, cc);
  // trunc(y), clamped: beyond +-2^20 every result overflows or underflows all the same.
  int32_t n = 0;
  if (!y.zero() && y.x.e >= 0) {
    n = y.x.e >= 20 ? (1 << 20) : int32_t(hi64(y.x.m) >> (63 - y.x.e));
    if (y.neg) n = -n;
  }
  return rounded(Approx{scale2(x.x, n), false}, rc, st, cc);
}

// ---------------------------------------------------------------------------------------
// FPREM FPREM1

namespace {

Result remainder(F80 xv, F80 yv, bool nearest) {
  const uint16_t cc = kConditionCodes;
  Op x = classify(xv), y = classify(yv);
  if (x.kind == Kind::kUnsupported || y.kind == Kind::kUnsupported) return invalid(cc);
  if (x.nan() || y.nan()) {
    uint16_t st = 0;
    F80 n = nan_result(x, y, st);
    return exact(n, st, cc);
  }
  if (x.inf() || y.zero()) return invalid(cc);
  uint16_t st = (x.kind == Kind::kDenormal || y.kind == Kind::kDenormal) ? kDE : 0;
  if (x.zero() || y.inf()) return exact(xv, st, cc);  // the dividend, quotient 0
  // x = mx 2^(ex - 63), y = my 2^(ey - 63), mx and my 64-bit significands.
  uint64_t mx = hi64(x.x.m), my = hi64(y.x.m);
  int32_t ex = x.x.e, ey = y.x.e;
  int32_t d = ex - ey;
  bool neg = x.neg;
  u128 r;             // the remainder's magnitude: r * 2^(rexp - 63)
  int32_t rexp = ey;
  uint64_t q = 0;
  uint16_t codes = 0;
  if (d >= 64) {
    // Partial remainder: reduce by y 2^(d - n), n = 32 + d mod 32 (AMD's rule, which Intel's
    // processors follow too, as QEMU), with a truncating quotient; C2 = 1, C0 C1 C3 = 0.
    int32_t n = 32 + d % 32;
    r = (u128(mx) << n) % my;
    rexp = ey + (d - n);
    codes = kC2;
  } else if (d >= 0) {
    u128 num = u128(mx) << d;
    q = uint64_t(num / my);
    r = num % my;
    if (nearest && (2 * r > my || (2 * r == my && (q & 1)))) {
      ++q;
      r = my - r;
      neg = !neg;
    }
  } else {
    r = mx;
    rexp = ex;
    if (nearest && d == -1 && mx > my) {  // |x| > |y|/2: quotient 1
      q = 1;
      r = 2 * u128(my) - mx;
      neg = !neg;
    }
  }
  if (d < 64) codes = uint16_t(((q & 4) ? kC0 : 0) | ((q & 2) ? kC3 : 0) | ((q & 1) ? kC1 : 0));
  XF v = from_u128(r, rexp - 63, neg);
  if (v.zero()) return exact(make_f80(x.neg, 0, 0), uint16_t(st | codes), cc);
  return rounded(Approx{v, false}, 0, uint16_t(st | codes), cc);
}

}  // namespace

Result fprem(F80 x, F80 y) { return remainder(x, y, false); }
Result fprem1(F80 x, F80 y) { return remainder(x, y, true); }

namespace detail {
Tables tables() {
  return Tables{kTwoOverPi, kPiOver2, kLn2, kLog2E, kAtanTable, kExp2Table, kInvFactorial, kInvOdd};
}
}  // namespace detail

}  // namespace rw::cpu::x87
