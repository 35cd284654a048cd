// The one exception the loader throws: a guest image it will not boot, with a one-line reason.
#pragma once

#include <stdexcept>
#include <string>

namespace rw {

class LoadError : public std::runtime_error {
 public:
  explicit LoadError(const std::string& what) : std::runtime_error(what) {}
};

}  // namespace rw
