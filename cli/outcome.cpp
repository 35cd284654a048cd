#include "cli/outcome.h"

#include <fmt/format.h>

#include "block/output_file.h"

namespace rw::cli {

FILE* open_serial_output(const std::string& spec, OwnedFile& owned) {
  if (spec == "stdio") return stdout;
  std::string problem;
  owned.reset(block::open_output_file(spec, problem));
  if (!owned) fmt::print(stderr, "rewind: error: --serial {}: {}\n", spec, problem);
  return owned.get();
}

}  // namespace rw::cli
