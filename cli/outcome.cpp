#include "cli/outcome.h"

#include <fmt/format.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

#include "block/output_file.h"
#include "cli/exit_codes.h"

namespace rw::cli {

int exit_status_for(const RunResult& result) {
  switch (result.reason) {
    case cpu::StopReason::kExit: return result.exit_code & 0xFF;
    case cpu::StopReason::kShutdown: return kExitTripleFault;
    case cpu::StopReason::kHalted: return kExitHang;
    case cpu::StopReason::kTarget: return kExitInstructionLimit;
    case cpu::StopReason::kReset: return kExitReset;
    default: return kExitInternal;
  }
}

FILE* open_serial_output(const std::string& spec, OwnedFile& owned) {
  if (spec == "stdio") return stdout;
  std::string problem;
  owned.reset(block::open_output_file(spec, problem));
  if (!owned) fmt::print(stderr, "rewind: error: --serial {}: {}\n", spec, problem);
  return owned.get();
}

bool serve_gdb(stub::Target& target, const std::string& address, bool wait_for_client, stub::ServeResult& served) {
  stub::ServerOptions server;
  stub::parse_listen_address(address, server.host, server.port);
  server.wait_for_client = wait_for_client;
  server.log = [](const std::string& line) { fmt::print(stderr, "rewind: {}\n", line); };
  try {
    served = stub::serve(target, server);
  } catch (const std::runtime_error& e) {
    fmt::print(stderr, "rewind: error: --gdb: {}\n", e.what());
    return false;
  }
  return true;
}

}  // namespace rw::cli
