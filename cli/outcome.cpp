#include "cli/outcome.h"

#include <fmt/format.h>

#include <stdexcept>

#include "block/output_file.h"

namespace rw::cli {

FILE* open_serial_output(const std::string& spec, OwnedFile& owned) {
  if (spec == "stdio") return stdout;
  std::string problem;
  owned.reset(block::open_output_file(spec, problem));
  if (!owned) fmt::print(stderr, "rewind: error: --serial {}: {}\n", spec, problem);
  return owned.get();
}

std::optional<stub::SessionServeResult> serve_gdb(session::Session& session, const std::string& address,
                                                  bool wait_for_client, bool end_stop) {
  stub::ServerOptions server;
  stub::parse_listen_address(address, server.host, server.port);
  server.wait_for_client = wait_for_client;
  server.log = [](const std::string& line) { fmt::print(stderr, "rewind: {}\n", line); };
  try {
    return stub::serve_session(session, server, end_stop);
  } catch (const std::runtime_error& e) {
    fmt::print(stderr, "rewind: error: --gdb: {}\n", e.what());
    return std::nullopt;
  }
}

}  // namespace rw::cli
