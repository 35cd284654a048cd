// The protocol commands against a fake target: replies derived from capabilities,
// registers, memory, breakpoints, resuming, and the empty reply for the unknown.
#include <gtest/gtest.h>

#include "fake_target.h"
#include "stub/protocol/packet.h"
#include "stub/session.h"

namespace rw::stub {
namespace {

using testing::FakeTarget;
using Next = Session::Next;

class SessionTest : public ::testing::Test {
 protected:
  std::string reply(std::string_view packet) {
    Session::Outcome o = session.handle(packet);
    EXPECT_EQ(o.next, Next::kReply) << packet;
    return o.reply;
  }
  FakeTarget target;
  Session session{target};
};

TEST_F(SessionTest, SupportedFollowsCapabilities) {
  std::string r = reply("qSupported:multiprocess+;swbreak+;hwbreak+;xmlRegisters=i386");
  EXPECT_NE(r.find("PacketSize=4000"), std::string::npos);
  EXPECT_NE(r.find("QStartNoAckMode+"), std::string::npos);
  EXPECT_NE(r.find("qXfer:features:read+"), std::string::npos);
  EXPECT_NE(r.find("vContSupported+"), std::string::npos);
  EXPECT_NE(r.find("swbreak+"), std::string::npos);
  EXPECT_EQ(r.find("hwbreak+"), std::string::npos);  // the fake has no hardware breakpoints
  EXPECT_EQ(r.find("Reverse"), std::string::npos);
  target.offer_breakpoints = false;
  EXPECT_EQ(reply("qSupported").find("swbreak"), std::string::npos);
}

// gdb refuses reverse commands itself, without saying why, unless they are advertised:
// a target that knows why it cannot go back advertises them and answers each with its
// reason on the console and an error.
TEST_F(SessionTest, ReverseRefusalIsAdvertisedAndAnsweredWithTheReason) {
  EXPECT_EQ(reply("bs"), "");
  target.refusal = "no history here\n";
  const std::string r = reply("qSupported");
  EXPECT_NE(r.find("ReverseStep+"), std::string::npos);
  EXPECT_NE(r.find("ReverseContinue+"), std::string::npos);
  for (const char* packet : {"bs", "bc"}) {
    const Session::Outcome o = session.handle(packet);
    EXPECT_EQ(o.next, Next::kReply);
    EXPECT_EQ(o.reply, "E01");
    EXPECT_EQ(o.console, "no history here\n");
  }
  EXPECT_TRUE(target.resumes.empty());
}

TEST_F(SessionTest, MissingCapabilityAnswersEmpty) {
  target.offer_breakpoints = false;
  target.offer_monitor = false;
  EXPECT_EQ(reply("Z0,1000,1"), "");
  EXPECT_EQ(reply("Z1,1000,1"), "");
  EXPECT_EQ(reply("Z2,1000,4"), "");
  EXPECT_EQ(reply("qRcmd,68656c70"), "");
  EXPECT_EQ(reply("bs"), "");
  EXPECT_EQ(reply("bc"), "");
}

TEST_F(SessionTest, UnknownPacketsGetTheEmptyReply) {
  EXPECT_EQ(reply("vMustReplyEmpty"), "");
  EXPECT_EQ(reply("qTStatus"), "");
  EXPECT_EQ(reply("!"), "");
  EXPECT_EQ(reply("y"), "");
  EXPECT_EQ(reply(""), "");
}

TEST_F(SessionTest, NoAckMode) {
  EXPECT_FALSE(session.no_ack());
  EXPECT_EQ(reply("QStartNoAckMode"), "OK");
  EXPECT_TRUE(session.no_ack());
}

TEST_F(SessionTest, Registers) {
  EXPECT_EQ(reply("g"), "8877665544332211" "0200000000000000" "0010000000000000");
  EXPECT_EQ(reply("p2"), "0010000000000000");
  EXPECT_EQ(reply("p3"), "E02");
  EXPECT_EQ(reply("P1=0300000000000000"), "OK");
  EXPECT_EQ(target.regs[1], 3u);
  EXPECT_EQ(reply("P1=03"), "E02");  // wrong size
  EXPECT_EQ(reply("Pzz"), "E01");
  EXPECT_EQ(reply("G" "0100000000000000" "0200000000000000" "0300000000000000"), "OK");
  EXPECT_EQ(target.regs[0], 1u);
  EXPECT_EQ(target.regs[2], 3u);
}

TEST_F(SessionTest, MemoryReadsWritesAndFaults) {
  EXPECT_EQ(reply("M1000,4:deadbeef"), "OK");
  EXPECT_EQ(reply("m1000,4"), "deadbeef");
  EXPECT_EQ(reply("m2000,4"), "E14");  // unmapped: an error, never made-up bytes
  EXPECT_EQ(reply("m10fe,4"), "E14");  // partly unmapped
  EXPECT_EQ(reply("M2000,1:00"), "E14");
  EXPECT_EQ(reply("X1000,0:"), "OK");
  const std::vector<uint8_t> bin = {'$', '#', '}', '*'};
  EXPECT_EQ(reply("X1004,4:" + escape_binary(bin)), "OK");
  EXPECT_EQ(reply("m1004,4"), "24237d2a");
  EXPECT_EQ(reply("X1004,5:ab"), "E01");  // length mismatch
  EXPECT_EQ(reply("mxyz"), "E01");
  EXPECT_EQ(reply("m1000"), "E01");
}

TEST_F(SessionTest, RangesThatWrapPast2To64NeverReachTheTarget) {
  const std::string a256(512, 'a');
  EXPECT_EQ(reply("Mffffffffffffff01,100:" + a256), "E14");
  EXPECT_EQ(reply("Mffffffffffffffff,2:4141"), "E14");
  EXPECT_EQ(reply("Xfffffffffffff000,3:AB"), "E01");  // length mismatch is caught first
  EXPECT_EQ(reply("Xffffffffffffffff,2:AB"), "E14");
  EXPECT_EQ(target.memory_writes, 0);
  // Up to 2^64 exactly does not wrap: the target decides (the fake has nothing there).
  EXPECT_EQ(reply("Mffffffffffffff00,100:" + a256), "E14");
  EXPECT_EQ(reply("Mffffffffffffffff,1:41"), "E14");
  EXPECT_EQ(target.memory_writes, 2);
  EXPECT_EQ(reply("mffffffffffffff00,200"), "E14");
  EXPECT_EQ(reply("mffffffffffffffff,1"), "E14");
  EXPECT_EQ(reply("m1,ffffffffffffffff"), "E14");  // clipped to a packet, still unmapped
  EXPECT_EQ(reply("m10ff,ffffffffffffffff"), "E14");
}

TEST_F(SessionTest, BreakpointsAndStrangeBreakpointPackets) {
  EXPECT_EQ(reply("Z0,1234,1"), "OK");
  EXPECT_TRUE(target.breakpoints.count(0x1234));
  EXPECT_EQ(reply("z0,1234,1"), "OK");
  EXPECT_FALSE(target.breakpoints.count(0x1234));
  EXPECT_EQ(reply("z0,1234,1"), "E03");
  EXPECT_EQ(reply("Z0,1234,1;X1,0"), "OK");  // a condition list is ignored
  EXPECT_EQ(reply("Z0"), "E01");
  EXPECT_EQ(reply("Z9,1,1"), "");
}

TEST_F(SessionTest, ThreadsAndQueries) {
  EXPECT_EQ(reply("Hg0"), "OK");
  EXPECT_EQ(reply("Hc-1"), "OK");
  EXPECT_EQ(reply("T1"), "OK");
  EXPECT_EQ(reply("T2"), "E05");
  EXPECT_EQ(reply("qfThreadInfo"), "m1");
  EXPECT_EQ(reply("qsThreadInfo"), "l");
  EXPECT_EQ(reply("qC"), "QC1");
  EXPECT_EQ(reply("qAttached"), "1");
  EXPECT_EQ(reply("?"), "T05thread:1;");
  EXPECT_EQ(reply("vCont?"), "vCont;c;C;s;S");
}

TEST_F(SessionTest, TargetXmlInChunks) {
  target.xml = std::string(100, 'x') + "$#";
  EXPECT_EQ(reply("qXfer:features:read:target.xml:0,a"), "m" + std::string(10, 'x'));
  EXPECT_EQ(reply("qXfer:features:read:target.xml:64,ff"), "l}\x04}\x03");
  EXPECT_EQ(reply("qXfer:features:read:target.xml:200,10"), "l");
  EXPECT_EQ(reply("qXfer:features:read:other.xml:0,10"), "E00");
}

TEST_F(SessionTest, MonitorCommandsAreHexEncoded) {
  EXPECT_EQ(reply("qRcmd," + to_hex(std::string_view("icount"))), to_hex(std::string_view("you said icount\n")));
  EXPECT_EQ(reply("qRcmd,zz"), "E01");
}

// stub/gdb/rewind.py's handshake with the web timeline: the connection's own flag, and a
// page move reported once.
TEST_F(SessionTest, WebFollow) {
  auto monitor = [&](std::string_view command) {
    auto bytes = from_hex(reply("qRcmd," + to_hex(command)));
    return bytes ? std::string(bytes->begin(), bytes->end()) : std::string("?");
  };
  EXPECT_FALSE(session.follows_page());
  EXPECT_EQ(monitor("web-follow"), "web-follow: off; not moved\n");
  EXPECT_EQ(monitor("web-follow on").rfind("web-follow: on", 0), 0u);
  EXPECT_TRUE(session.follows_page());
  EXPECT_EQ(monitor("web-follow"), "web-follow: on; not moved\n");
  session.page_moved(1234);
  EXPECT_EQ(monitor("web-follow"), "web-follow: moved to icount 1234\n");
  EXPECT_EQ(monitor("web-follow"), "web-follow: on; not moved\n");
  EXPECT_EQ(monitor("web-follow sideways"), "usage: monitor web-follow [on|off]\n");
  EXPECT_EQ(monitor("web-follow off").rfind("web-follow: off", 0), 0u);
  EXPECT_FALSE(session.follows_page());
  EXPECT_EQ(monitor("web-followers"), "you said web-followers\n");  // the target's, not ours
  // `monitor help`: the target's list, then web-follow.
  const std::string help = monitor("help");
  EXPECT_EQ(help.rfind("you said help\n  web-follow [on|off] ", 0), 0u) << help;
  EXPECT_NE(monitor(" help\n").find("\n  web-follow [on|off] "), std::string::npos);
  EXPECT_EQ(monitor("helper"), "you said helper\n");
}

TEST_F(SessionTest, ResumeActions) {
  EXPECT_EQ(session.handle("vCont;s:1;c").next, Next::kResume);
  ASSERT_EQ(target.resumes.size(), 1u);
  EXPECT_EQ(target.resumes[0].kind, ResumeKind::kStep);
  EXPECT_EQ(session.handle("vCont;c").next, Next::kResume);
  EXPECT_EQ(target.resumes[1].kind, ResumeKind::kContinue);
  EXPECT_EQ(session.handle("vCont;C0b:1").next, Next::kResume);
  EXPECT_EQ(target.resumes[2].signal, 11);
  EXPECT_EQ(session.handle("vCont;s:2;c:1").next, Next::kResume);  // thread 2 does not exist
  EXPECT_EQ(target.resumes[3].kind, ResumeKind::kContinue);
  EXPECT_EQ(session.handle("c").next, Next::kResume);
  EXPECT_EQ(session.handle("s").next, Next::kResume);
  EXPECT_EQ(target.resumes[5].kind, ResumeKind::kStep);
  EXPECT_EQ(session.handle("C05").next, Next::kResume);
  EXPECT_EQ(target.resumes[6].signal, 5);
  EXPECT_EQ(session.handle("vCont;s:0001").next, Next::kResume);  // lldb pads thread ids
  EXPECT_EQ(target.resumes[7].kind, ResumeKind::kStep);
  EXPECT_EQ(session.handle("vCont;s:p1.1").next, Next::kResume);
  EXPECT_EQ(reply("vCont;t"), "");
  EXPECT_EQ(reply("vCont;"), "E01");
  EXPECT_EQ(reply("vCont;s:2"), "E01");  // no action for our thread
  EXPECT_EQ(target.resumes.size(), 9u);
  EXPECT_EQ(session.handle("D").next, Next::kDetach);
  EXPECT_EQ(session.handle("k").next, Next::kKill);
  EXPECT_EQ(session.handle("vKill;1").next, Next::kKill);
}

TEST(StopReply, Formats) {
  EXPECT_EQ(Session::stop_reply(StopEvent::signalled(5, StopEvent::Why::kSwBreak)), "T05swbreak:;thread:1;");
  EXPECT_EQ(Session::stop_reply(StopEvent::signalled(5, StopEvent::Why::kHwBreak)), "T05hwbreak:;thread:1;");
  EXPECT_EQ(Session::stop_reply(StopEvent::signalled(5, StopEvent::Why::kWatch, 0x1234)), "T05watch:1234;thread:1;");
  EXPECT_EQ(Session::stop_reply(StopEvent::signalled(5, StopEvent::Why::kReadWatch, 0x10)), "T05rwatch:10;thread:1;");
  EXPECT_EQ(Session::stop_reply(StopEvent::signalled(5, StopEvent::Why::kAccessWatch, 0x10)), "T05awatch:10;thread:1;");
  EXPECT_EQ(Session::stop_reply(StopEvent::signalled(11)), "T0bthread:1;");
  EXPECT_EQ(Session::stop_reply(StopEvent::signalled(5, StopEvent::Why::kHistoryBegin)),
            "T05replaylog:begin;thread:1;");
  EXPECT_EQ(Session::stop_reply(StopEvent::signalled(5, StopEvent::Why::kHistoryEnd)), "T05replaylog:end;thread:1;");
  EXPECT_EQ(Session::stop_reply(StopEvent::exited(0x109)), "W09");
  EXPECT_EQ(Session::stop_reply(StopEvent::terminated(11)), "X0b");
}

}  // namespace
}  // namespace rw::stub
