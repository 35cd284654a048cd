// Port 0x80, where firmware and kernels write POST codes (and use as an I/O delay): ignored.
#pragma once

namespace rw {

class IoBus;

void attach_post_port(IoBus& io);

}  // namespace rw
