// A cereal output archive that flattens whatever it is given into 64-bit words: state
// digests run the same serialize() functions that snapshots do (machine_state.cpp), so
// what a digest covers and what a snapshot restores are one description.
//
//   arithmetic value   one word (zero- or sign-extended; floating point as its bits)
//   size tag           one word (the element count cereal writes before a container)
//   binary data        its byte count, then the bytes packed little-endian, 8 to a word
//   name-value pair    its value; the name is kept only when words are described
//
// cereal's default prologue and epilogue (no-ops) serve it; it needs no more traits than
// the binary archive, being output-only.
//
// With `described`, every word also gets a description: its name (the names of the
// name-value pairs around it, joined with '.') and how it is laid out in a cereal binary
// archive. Divergence reports use the names; tests use the layout to find each field of a
// snapshot.
#pragma once

#include <cereal/cereal.hpp>

#include <cstdint>
#include <cstring>
#include <string>
#include <type_traits>
#include <vector>

namespace rw {

struct WordDescription {
  enum class Kind : uint8_t {
    kValue,      // an arithmetic value
    kSizeTag,    // a container's element count
    kDataSize,   // the byte count before binary data (not in a binary archive)
    kData,       // up to 8 bytes of binary data
  };
  std::string name;
  Kind kind = Kind::kValue;
  uint8_t binary_bytes = 0;  // the bytes this word stands for in a cereal binary archive
};

class WordArchive : public cereal::OutputArchive<WordArchive, cereal::AllowEmptyClassElision> {
 public:
  explicit WordArchive(std::vector<uint64_t>& out, std::vector<WordDescription>* described = nullptr)
      : OutputArchive(this), out_(out), described_(described) {}

  void word(uint64_t w, WordDescription::Kind kind, size_t binary_bytes) {
    out_.push_back(w);
    if (!described_) return;
    std::string name;
    for (const char* part : path_) {
      if (!name.empty()) name += '.';
      name += part;
    }
    described_->push_back({std::move(name), kind, static_cast<uint8_t>(binary_bytes)});
  }

  void data(const void* bytes, size_t size) {
    word(size, WordDescription::Kind::kDataSize, 0);
    const auto* p = static_cast<const uint8_t*>(bytes);
    for (size_t at = 0; at < size; at += 8) {
      const size_t n = size - at < 8 ? size - at : 8;
      uint64_t w = 0;
      std::memcpy(&w, p + at, n);  // little-endian host: byte i of the data is byte i of the word
      word(w, WordDescription::Kind::kData, n);
    }
  }

  // Name-value pairs nest: a Segment named "cs" with a field "base" gives "cs.base".
  void enter(const char* name) {
    if (described_) path_.push_back(name);
  }
  void leave() {
    if (described_) path_.pop_back();
  }

 private:
  std::vector<uint64_t>& out_;
  std::vector<WordDescription>* described_;
  std::vector<const char*> path_;
};

template <class T>
std::enable_if_t<std::is_arithmetic_v<T>> CEREAL_SAVE_FUNCTION_NAME(WordArchive& ar, const T& t) {
  uint64_t w;
  if constexpr (std::is_floating_point_v<T>) {
    w = 0;
    std::memcpy(&w, &t, sizeof t);
  } else {
    w = static_cast<uint64_t>(t);
  }
  ar.word(w, WordDescription::Kind::kValue, sizeof t);
}

template <class T>
void CEREAL_SAVE_FUNCTION_NAME(WordArchive& ar, const cereal::NameValuePair<T>& t) {
  ar.enter(t.name);
  ar(t.value);
  ar.leave();
}

template <class T>
void CEREAL_SAVE_FUNCTION_NAME(WordArchive& ar, const cereal::SizeTag<T>& t) {
  ar.word(static_cast<uint64_t>(t.size), WordDescription::Kind::kSizeTag, sizeof(cereal::size_type));
}

template <class T>
void CEREAL_SAVE_FUNCTION_NAME(WordArchive& ar, const cereal::BinaryData<T>& bd) {
  ar.data(bd.data, static_cast<size_t>(bd.size));
}

}  // namespace rw

CEREAL_REGISTER_ARCHIVE(rw::WordArchive)
