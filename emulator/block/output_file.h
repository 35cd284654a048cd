// Opening a host file that rewind writes as it goes (serial output, a recording). fopen(path,
// "w") of a FIFO waits until somebody reads it, so a FIFO nobody reads would stop rewind
// before the guest starts: the file is opened non-blocking first, which fails at once there
// (ENXIO); a FIFO that is being read, a terminal or a regular file then works as usual.
#pragma once

#include <cstdio>
#include <string>

namespace rw::block {

// Creates or truncates `path` for writing ("wb"). nullptr with `problem` set to one line
// without the path ("cannot open: Permission denied", "is a FIFO (named pipe) that nobody
// reads") when it cannot be opened.
FILE* open_output_file(const std::string& path, std::string& problem);

}  // namespace rw::block
