#include "cli/outcome.h"

#include <fmt/format.h>

#include <new>

#include "block/output_file.h"
#include "session/exit_codes.h"

namespace rw::cli {

FILE* open_serial_output(const std::string& spec, OwnedFile& owned) {
  if (spec == "stdio") return stdout;
  std::string problem;
  owned.reset(block::open_output_file(spec, problem));
  if (!owned) fmt::print(stderr, "rewind: error: --serial {}: {}\n", spec, problem);
  return owned.get();
}

int run_guarded(const std::function<int()>& body, const std::string& memory_note) {
  try {
    return body();
  } catch (const std::bad_alloc&) {
    fmt::print(stderr, "rewind: error: out of host memory{}\n", memory_note.empty() ? "" : " (" + memory_note + ")");
    return session::kExitInternal;
  } catch (const std::exception& e) {
    fmt::print(stderr, "rewind: error: internal error: {}\n", e.what());
    return session::kExitInternal;
  }
}

}  // namespace rw::cli
