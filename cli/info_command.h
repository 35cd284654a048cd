#pragma once

#include <string>

namespace rw::cli {

// `rewind info RECORDING`: what a recording holds. Returns the exit status.
int info_command(const std::string& recording_path);

}  // namespace rw::cli
