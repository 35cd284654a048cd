#include "stub/session.h"

#include <algorithm>
#include <cstdio>
#include <vector>

#include "stub/protocol/packet.h"

namespace rw::stub {

namespace {

constexpr char kOk[] = "OK";
constexpr char kErrBadArgs[] = "E01";   // malformed packet
constexpr char kErrNoRegister[] = "E02";
constexpr char kErrFault[] = "E14";     // memory not accessible (EFAULT)
constexpr char kErrFailed[] = "E03";    // the target refused

bool starts_with(std::string_view s, std::string_view prefix) { return s.substr(0, prefix.size()) == prefix; }

std::string_view trim_blanks(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\n')) s.remove_suffix(1);
  return s;
}

// `monitor help` lists the target's commands, then this one, which the session answers
// itself for whatever target it serves (Session::web_follow).
constexpr char kWebFollowHelp[] =
    "  web-follow [on|off]       whether the web timeline (--web) may move the guest while\n"
    "                            gdb is stopped (stub/gdb/rewind.py turns it on); alone: did\n"
    "                            the page move it since last asked\n";

// "ADDR,LEN" (hex) followed by an optional terminator character and the rest.
struct AddrLen {
  uint64_t addr = 0;
  uint64_t len = 0;
  std::string_view rest;
};

// A range of `len` bytes at `addr` that does not wrap past 2^64 (an empty one never does).
bool range_fits(uint64_t addr, uint64_t len) { return len == 0 || addr + (len - 1) >= addr; }

std::optional<AddrLen> parse_addr_len(std::string_view args, char terminator) {
  const size_t comma = args.find(',');
  if (comma == std::string_view::npos) return std::nullopt;
  size_t end = terminator ? args.find(terminator, comma + 1) : args.size();
  if (end == std::string_view::npos) return std::nullopt;
  auto addr = parse_hex_number(args.substr(0, comma));
  auto len = parse_hex_number(args.substr(comma + 1, end - comma - 1));
  if (!addr || !len) return std::nullopt;
  AddrLen r{*addr, *len, terminator ? args.substr(end + 1) : std::string_view{}};
  return r;
}

// A vCont action's thread ("1", "0001", "-1", "p1.1", "p1.-1", "0" = any): is it ours?
bool names_our_thread(std::string_view thread) {
  if (thread.empty()) return true;
  if (thread[0] == 'p') {
    const size_t dot = thread.find('.');
    if (dot == std::string_view::npos) return true;  // a whole process: ours is the only one
    thread = thread.substr(dot + 1);
  }
  if (thread == "-1") return true;
  auto id = parse_hex_number(thread);
  return id && (*id == 0 || *id == 1);
}

std::string two_hex(int v) {
  static constexpr char kHex[] = "0123456789abcdef";
  return {kHex[(v >> 4) & 15], kHex[v & 15]};
}

}  // namespace

std::string Session::stop_reply(const StopEvent& e) {
  switch (e.kind) {
    case StopEvent::Kind::kExited: return "W" + two_hex(e.exit_status & 0xFF);
    case StopEvent::Kind::kTerminated: return "X" + two_hex(e.signal);
    case StopEvent::Kind::kSignal: break;
  }
  std::string r = "T" + two_hex(e.signal);
  auto hex_addr = [&] {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%llx", static_cast<unsigned long long>(e.address));
    return std::string(buf);
  };
  switch (e.why) {
    case StopEvent::Why::kNone: break;
    case StopEvent::Why::kSwBreak: r += "swbreak:;"; break;
    case StopEvent::Why::kHwBreak: r += "hwbreak:;"; break;
    case StopEvent::Why::kWatch: r += "watch:" + hex_addr() + ";"; break;
    case StopEvent::Why::kReadWatch: r += "rwatch:" + hex_addr() + ";"; break;
    case StopEvent::Why::kAccessWatch: r += "awatch:" + hex_addr() + ";"; break;
    case StopEvent::Why::kHistoryBegin: r += "replaylog:begin;"; break;
    case StopEvent::Why::kHistoryEnd: r += "replaylog:end;"; break;
  }
  r += "thread:1;";
  return r;
}

std::string Session::supported_reply() const {
  std::string r = "PacketSize=" + [] {
    char buf[16];
    std::snprintf(buf, sizeof buf, "%zx", kMaxPacketSize);
    return std::string(buf);
  }();
  r += ";QStartNoAckMode+;qXfer:features:read+;vContSupported+";
  if (target_.sw_breakpoints()) r += ";swbreak+";
  if (target_.hw_breakpoints()) r += ";hwbreak+";
  const bool refused = !target_.reverse_refusal().empty();
  if (target_.reverse_step() || refused) r += ";ReverseStep+";
  if (target_.reverse_continue() || refused) r += ";ReverseContinue+";
  return r;
}

std::string Session::read_all_registers() {
  std::vector<uint8_t> bytes;
  std::vector<uint8_t> reg;
  for (size_t i = 0; i < target_.register_count(); ++i) {
    reg.assign(target_.register_size(i), 0);
    target_.read_register(i, reg);
    bytes.insert(bytes.end(), reg.begin(), reg.end());
  }
  return to_hex(bytes);
}

std::string Session::write_all_registers(std::string_view hex) {
  auto bytes = from_hex(hex);
  if (!bytes) return kErrBadArgs;
  size_t offset = 0;
  // gdb may send fewer registers than there are; it never sends more.
  for (size_t i = 0; i < target_.register_count(); ++i) {
    const size_t n = target_.register_size(i);
    if (offset + n > bytes->size()) break;
    target_.write_register(i, std::span<const uint8_t>(bytes->data() + offset, n));
    offset += n;
  }
  return kOk;
}

std::string Session::read_register(std::string_view args) {
  auto regno = parse_hex_number(args);
  if (!regno || *regno >= target_.register_count()) return kErrNoRegister;
  std::vector<uint8_t> reg(target_.register_size(*regno));
  if (!target_.read_register(*regno, reg)) return kErrNoRegister;
  return to_hex(reg);
}

std::string Session::write_register(std::string_view args) {
  const size_t eq = args.find('=');
  if (eq == std::string_view::npos) return kErrBadArgs;
  auto regno = parse_hex_number(args.substr(0, eq));
  auto value = from_hex(args.substr(eq + 1));
  if (!regno || !value) return kErrBadArgs;
  if (*regno >= target_.register_count() || value->size() != target_.register_size(*regno)) return kErrNoRegister;
  return target_.write_register(*regno, *value) ? kOk : kErrNoRegister;
}

std::string Session::read_memory(std::string_view args) {
  auto al = parse_addr_len(args, 0);
  if (!al) return kErrBadArgs;
  if (al->len > kMaxPacketSize / 2) al->len = kMaxPacketSize / 2;  // gdb asks again for the rest
  if (!range_fits(al->addr, al->len)) return kErrFault;
  std::vector<uint8_t> data(al->len);
  if (!target_.read_memory(al->addr, data)) return kErrFault;
  return to_hex(data);
}

std::string Session::write_memory_hex(std::string_view args) {
  auto al = parse_addr_len(args, ':');
  if (!al) return kErrBadArgs;
  auto data = from_hex(al->rest);
  if (!data || data->size() != al->len) return kErrBadArgs;
  if (!range_fits(al->addr, al->len)) return kErrFault;
  return target_.write_memory(al->addr, *data) ? kOk : kErrFault;
}

std::string Session::write_memory_binary(std::string_view args) {
  auto al = parse_addr_len(args, ':');
  if (!al) return kErrBadArgs;
  auto data = unescape_binary(al->rest);
  if (!data || data->size() != al->len) return kErrBadArgs;
  if (data->empty()) return kOk;  // gdb probes for X support with a zero-length write
  if (!range_fits(al->addr, al->len)) return kErrFault;
  return target_.write_memory(al->addr, *data) ? kOk : kErrFault;
}

std::string Session::breakpoint(bool insert, std::string_view args) {
  // "TYPE,ADDR,KIND"
  if (args.size() < 2 || args[1] != ',') return kErrBadArgs;
  const char type = args[0];
  auto al = parse_addr_len(args.substr(2), 0);
  if (!al) {
    // KIND may be followed by ";cond..." which we do not support: drop it.
    const size_t semi = args.find(';');
    if (semi == std::string_view::npos) return kErrBadArgs;
    al = parse_addr_len(args.substr(2, semi - 2), 0);
    if (!al) return kErrBadArgs;
  }
  bool ok = false;
  switch (type) {
    case '0': {
      SwBreakpointOps* ops = target_.sw_breakpoints();
      if (!ops) return "";
      ok = insert ? ops->add_sw_breakpoint(al->addr) : ops->remove_sw_breakpoint(al->addr);
      break;
    }
    case '1': {
      HwBreakpointOps* ops = target_.hw_breakpoints();
      if (!ops) return "";
      ok = insert ? ops->add_hw_breakpoint(al->addr) : ops->remove_hw_breakpoint(al->addr);
      break;
    }
    case '2':
    case '3':
    case '4': {
      WatchpointOps* ops = target_.watchpoints();
      if (!ops) return "";
      if (al->len == 0 || !range_fits(al->addr, al->len)) return kErrBadArgs;
      const WatchType t = type == '2' ? WatchType::kWrite : type == '3' ? WatchType::kRead : WatchType::kAccess;
      ok = insert ? ops->add_watchpoint(al->addr, al->len, t) : ops->remove_watchpoint(al->addr, al->len, t);
      break;
    }
    default: return "";
  }
  return ok ? kOk : kErrFailed;
}

std::string Session::xfer_features(std::string_view args) {
  // "target.xml:OFFSET,LENGTH"
  const size_t colon = args.find(':');
  if (colon == std::string_view::npos) return kErrBadArgs;
  if (args.substr(0, colon) != "target.xml") return "E00";
  auto al = parse_addr_len(args.substr(colon + 1), 0);
  if (!al) return kErrBadArgs;
  const std::string& xml = target_.target_xml();
  if (al->addr >= xml.size()) return "l";
  const size_t n = std::min<uint64_t>({al->len, xml.size() - al->addr, kMaxPacketSize / 2});
  const bool last = al->addr + n >= xml.size();
  std::string_view chunk(xml.data() + al->addr, n);
  return (last ? "l" : "m") +
         escape_binary(std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(chunk.data()), chunk.size()));
}

Session::Outcome Session::query(std::string_view p) {
  if (starts_with(p, "qSupported")) return {Next::kReply, supported_reply()};
  if (p == "QStartNoAckMode") {
    no_ack_ = true;
    return {Next::kReply, kOk};
  }
  if (starts_with(p, "qXfer:features:read:")) return {Next::kReply, xfer_features(p.substr(20))};
  if (p == "qAttached" || starts_with(p, "qAttached:")) return {Next::kReply, "1"};
  if (p == "qC") return {Next::kReply, "QC1"};
  if (p == "qfThreadInfo") return {Next::kReply, "m1"};
  if (p == "qsThreadInfo") return {Next::kReply, "l"};
  if (starts_with(p, "qRcmd,")) {
    MonitorOps* ops = target_.monitor();
    if (!ops) return {Next::kReply, ""};
    auto command = from_hex(p.substr(6));
    if (!command) return {Next::kReply, kErrBadArgs};
    const std::string_view text_view(reinterpret_cast<const char*>(command->data()), command->size());
    if (text_view == "web-follow" || text_view.starts_with("web-follow "))
      return {Next::kReply, to_hex(web_follow(text_view.substr(10)))};
    std::string text = ops->monitor(text_view);
    if (const std::string_view c = trim_blanks(text_view); c == "help" || c.empty()) text += kWebFollowHelp;
    if (text.empty()) return {Next::kReply, kOk};
    return {Next::kReply, to_hex(text)};
  }
  return {Next::kReply, ""};
}

Session::Outcome Session::resume(const ResumeRequest& request) {
  target_.resume(request);
  return {Next::kResume, {}};
}

Session::Outcome Session::v_packet(std::string_view p) {
  if (p == "vCont?") return {Next::kReply, "vCont;c;C;s;S"};
  if (starts_with(p, "vCont;")) {
    // All-stop with one thread: the first action that applies to our thread (or to all) wins.
    std::string_view actions = p.substr(6);
    while (!actions.empty()) {
      const size_t semi = actions.find(';');
      std::string_view action = actions.substr(0, semi);
      actions = semi == std::string_view::npos ? std::string_view{} : actions.substr(semi + 1);
      const size_t colon = action.find(':');
      std::string_view thread = colon == std::string_view::npos ? std::string_view{} : action.substr(colon + 1);
      action = action.substr(0, colon);
      if (!names_our_thread(thread)) continue;
      if (action.empty()) break;
      ResumeRequest r;
      switch (action[0]) {
        case 'c': r.kind = ResumeKind::kContinue; break;
        case 's': r.kind = ResumeKind::kStep; break;
        case 'C':
        case 'S': {
          auto sig = parse_hex_number(action.substr(1));
          if (!sig) return {Next::kReply, kErrBadArgs};
          r.kind = action[0] == 'C' ? ResumeKind::kContinue : ResumeKind::kStep;
          r.signal = static_cast<int>(*sig);
          break;
        }
        default: return {Next::kReply, ""};  // t, r: not supported
      }
      return resume(r);
    }
    return {Next::kReply, kErrBadArgs};
  }
  if (starts_with(p, "vKill")) return {Next::kKill, kOk};
  return {Next::kReply, ""};  // vMustReplyEmpty, vFile, vRun, ...: not supported
}

Session::Outcome Session::handle(std::string_view p) {
  if (p.empty()) return {Next::kReply, ""};
  switch (p[0]) {
    case '?': return {Next::kReply, stop_reply(target_.last_stop())};
    case 'g': return {Next::kReply, read_all_registers()};
    case 'G': return {Next::kReply, write_all_registers(p.substr(1))};
    case 'p': return {Next::kReply, read_register(p.substr(1))};
    case 'P': return {Next::kReply, write_register(p.substr(1))};
    case 'm': return {Next::kReply, read_memory(p.substr(1))};
    case 'M': return {Next::kReply, write_memory_hex(p.substr(1))};
    case 'X': return {Next::kReply, write_memory_binary(p.substr(1))};
    case 'Z': return {Next::kReply, breakpoint(true, p.substr(1))};
    case 'z': return {Next::kReply, breakpoint(false, p.substr(1))};
    case 'H': return {Next::kReply, kOk};  // one thread: any selection is that thread
    case 'T': return {Next::kReply, p == "T1" || p == "Tp1.1" ? kOk : "E05"};
    case 'c':
    case 's': {
      if (p.size() > 1) return {Next::kReply, ""};  // resuming at another address: not supported
      ResumeRequest r;
      r.kind = p[0] == 'c' ? ResumeKind::kContinue : ResumeKind::kStep;
      return resume(r);
    }
    case 'C':
    case 'S': {
      auto sig = parse_hex_number(p.substr(1, p.find(';') == std::string_view::npos ? p.npos : p.find(';') - 1));
      if (!sig) return {Next::kReply, kErrBadArgs};
      ResumeRequest r;
      r.kind = p[0] == 'C' ? ResumeKind::kContinue : ResumeKind::kStep;
      r.signal = static_cast<int>(*sig);
      return resume(r);
    }
    case 'b':
      if (p == "bs" && target_.reverse_step()) {
        target_.reverse_step()->begin_reverse_step();
        return {Next::kResume, {}};
      }
      if (p == "bc" && target_.reverse_continue()) {
        target_.reverse_continue()->begin_reverse_continue();
        return {Next::kResume, {}};
      }
      // gdb waits for a stop reply here: it shows console output, and an error reply as a
      // "Remote failure reply" with the target stopped where it was.
      if ((p == "bs" || p == "bc") && !target_.reverse_refusal().empty())
        return {Next::kReply, "E01", target_.reverse_refusal()};
      return {Next::kReply, ""};
    case 'D': return {Next::kDetach, kOk};
    case 'k': return {Next::kKill, {}};
    case 'q':
    case 'Q': return query(p);
    case 'v': return v_packet(p);
    default: return {Next::kReply, ""};
  }
}

// `monitor web-follow on|off`: whether this debugger follows the web timeline's seeks;
// `monitor web-follow`: where the page moved the machine since last asked, if it did.
std::string Session::web_follow(std::string_view arg) {
  arg = trim_blanks(arg);
  if (arg == "on" || arg == "off") {
    follows_page_ = arg == "on";
    page_moved_to_.reset();
    return follows_page_ ? "web-follow: on (the web timeline may move the guest while gdb is stopped)\n"
                         : "web-follow: off (the web timeline may not move the guest while gdb is attached)\n";
  }
  if (!arg.empty()) return "usage: monitor web-follow [on|off]\n";
  if (!page_moved_to_) return std::string("web-follow: ") + (follows_page_ ? "on" : "off") + "; not moved\n";
  const uint64_t icount = *page_moved_to_;
  page_moved_to_.reset();
  return "web-follow: moved to icount " + std::to_string(icount) + "\n";
}

}  // namespace rw::stub
