// The exit status of every rewind command (run, record, replay, info). A guest that writes v
// to port 0xF4 ends with (v << 1) | 1, as under QEMU's isa-debug-exit: always odd. rewind's own
// outcomes are even, so the two never meet.
#pragma once

namespace rw::session {

inline constexpr int kExitUsage = 2;             // bad command line (unknown option, bad --memory, ...)
inline constexpr int kExitTripleFault = 12;      // the guest triple-faulted (the CPU shut down)
inline constexpr int kExitHang = 4;              // HLT with interrupts disabled: nothing can wake it
inline constexpr int kExitInstructionLimit = 14;  // --max-instructions reached
inline constexpr int kExitReset = 6;             // the guest asked for a reset (0x64 / 0xCF9)
inline constexpr int kExitBadImage = 8;          // a guest or disk image (replay: one the recording names) is unusable
inline constexpr int kExitInternal = 10;         // rewind itself failed (host out of memory, bug)
inline constexpr int kExitGdbListen = 16;        // --gdb or --web: cannot listen on the address
inline constexpr int kExitKilled = 18;           // the debugger killed the guest (gdb `kill`)
inline constexpr int kExitBadRecording = 22;     // replay/info: the recording cannot be read (or is no regular file)
inline constexpr int kExitReplayMismatch = 24;   // replay: the guest or a disk image is not the recorded one
inline constexpr int kExitDivergence = 26;       // replay: the run differs from the recording
inline constexpr int kExitRecordingCutShort = 28;  // replay: the recording ends before the run did
inline constexpr int kExitDiskSave = 20;         // --disk-writeback / --disk-save failed at the end
inline constexpr int kExitWindowEnd = 30;        // replay: a trimmed recording's window ended (rewind trim)
inline constexpr int kExitNoFirmware = 32;       // booted from a disk, the guest called the BIOS (there is none)

}  // namespace rw::session
