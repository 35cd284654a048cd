#pragma once

#include <stdexcept>
#include <string>

namespace rw::journal {

// A recording that cannot be used: one line saying why.
class RecordingError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace rw::journal
