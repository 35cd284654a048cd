// Reading a cereal binary archive (what cereal::BinaryOutputArchive writes: arithmetic
// values as their bytes, container sizes as 64-bit counts, binary data as is, names
// dropped) from bytes that may be damaged: every read stays within them, and a container
// count larger than the bytes left is refused (cereal::Exception) before anything is
// allocated. cereal's own BinaryInputArchive would size a vector from a damaged count
// first (gigabytes, zeroed). For machine states from files (Machine::check_state).
#pragma once

#include <cereal/archives/binary.hpp>
#include <cereal/cereal.hpp>

#include <cstdint>
#include <cstring>
#include <string_view>
#include <type_traits>

namespace rw {

class BoundedBinaryInputArchive : public cereal::InputArchive<BoundedBinaryInputArchive, cereal::AllowEmptyClassElision> {
 public:
  explicit BoundedBinaryInputArchive(std::string_view bytes) : InputArchive(this), bytes_(bytes) {}
  void read(void* out, size_t n) {
    if (n > left()) throw cereal::Exception("the state ends before its fields do");
    if (n) std::memcpy(out, bytes_.data() + pos_, n);
    pos_ += n;
  }
  size_t left() const { return bytes_.size() - pos_; }

 private:
  std::string_view bytes_;
  size_t pos_ = 0;
};

template <class T>
std::enable_if_t<std::is_arithmetic_v<T>> CEREAL_LOAD_FUNCTION_NAME(BoundedBinaryInputArchive& ar, T& t) {
  if constexpr (std::is_same_v<T, bool>) {
    uint8_t byte = 0;  // a bool's byte that is neither 0 nor 1 is no bool: refused, not loaded
    ar.read(&byte, 1);
    if (byte > 1) throw cereal::Exception("a boolean that is neither 0 nor 1");
    t = byte != 0;
  } else {
    ar.read(&t, sizeof t);
  }
}

template <class T>
void CEREAL_LOAD_FUNCTION_NAME(BoundedBinaryInputArchive& ar, cereal::NameValuePair<T>& t) {
  ar(t.value);
}

template <class T>
void CEREAL_LOAD_FUNCTION_NAME(BoundedBinaryInputArchive& ar, cereal::SizeTag<T>& t) {
  cereal::size_type n = 0;
  ar.read(&n, sizeof n);
  // Every element takes at least a byte of what is left.
  if (n > ar.left()) throw cereal::Exception("a container size beyond the state");
  t.size = static_cast<std::remove_reference_t<T>>(n);
}

template <class T>
void CEREAL_LOAD_FUNCTION_NAME(BoundedBinaryInputArchive& ar, cereal::BinaryData<T>& bd) {
  ar.read(bd.data, static_cast<size_t>(bd.size));
}

}  // namespace rw

CEREAL_REGISTER_ARCHIVE(rw::BoundedBinaryInputArchive)
// It reads what BinaryOutputArchive writes (cereal asks, for enums saved as minimal values).
namespace cereal::traits::detail {
template <>
struct get_output_from_input<rw::BoundedBinaryInputArchive> {
  using type = cereal::BinaryOutputArchive;
};
}  // namespace cereal::traits::detail
