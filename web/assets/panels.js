// The page's panels beside the timeline (timeline.js, loaded after this file, owns `state`,
// `$`, `api` and `label`): the I/O latency histogram, and the registers and instructions at
// the cursor.
"use strict";

// I/O latency (request to delivery, in instructions), in power-of-two buckets.
function drawHistogram() {
  const hist = $("histogram");
  if (!hist) return;
  const g = hist.getContext("2d");
  const buckets = new Array(64).fill(0);
  let top = 0, bottom = 64, reads = 0, writes = 0;
  for (const e of state.events) {
    if (e.latency === undefined) continue;
    const b = e.latency > 0 ? Math.floor(Math.log2(e.latency)) : 0;
    ++buckets[b];
    if (e.operation === "WRITE") ++writes; else ++reads;
  }
  for (let b = 0; b < 64; ++b) if (buckets[b]) { top = Math.max(top, b + 1); bottom = Math.min(bottom, b); }
  g.clearRect(0, 0, hist.width, hist.height);
  g.font = "11px sans-serif";
  g.fillStyle = "#333";
  if (top === 0) { g.fillText("no disk completions", 8, 20); return; }
  const most = Math.max(...buckets), n = top - bottom, w = (hist.width - 20) / n, h = hist.height - 30;
  for (let b = bottom; b < top; ++b) {
    const x = 10 + (b - bottom) * w, bar = h * buckets[b] / most;
    g.fillStyle = "#2f74c0";
    g.fillRect(x + 1, 8 + h - bar, w - 2, bar);
    g.fillStyle = "#333";
    // Labels where they fit: every bucket's count, every other bucket's bound when narrow.
    if (buckets[b] && w >= 7 * String(buckets[b]).length) g.fillText(String(buckets[b]), x + 2, 6 + h - bar);
    if (w >= 40 || (b - bottom) % Math.ceil(40 / w) === 0) g.fillText(label(Math.pow(2, b)), x + 2, hist.height - 8);
  }
  $("histogram-note").textContent = `${reads} reads, ${writes} writes; instructions from request to delivery, ` +
                                    `power-of-two buckets (the label is the bucket's lower bound)`;
}

// The instructions from rip on, under the registers: the current one first, marked "=>" as
// gdb's `x/i $pc` marks it; where memory cannot be read, the listing ends with why.
function showDisassembly(s) {
  const listing = s.disassembly || [];
  const width = Math.max(0, ...listing.map((i) => i.address.length));
  const lines = listing.map((insn, k) => {
    const line = document.createElement("span");
    line.className = k === 0 ? "insn current" : "insn";
    line.textContent = `${k === 0 ? "=>" : "  "} ${insn.address.padEnd(width)}  ${insn.bytes.padEnd(20)}  ${insn.text}\n`;
    return line;
  });
  if (s.disassembly_note) {
    const note = document.createElement("span");
    note.className = "note";
    note.textContent = s.disassembly_note;
    lines.push(note);
  }
  $("disassembly").replaceChildren(...lines);
}

// The registers where the machine is, fetched when the position changes (at most 5 a second).
let registersFor = -1, registersTimer = null;
function refreshRegistersSoon() {
  if (registersTimer || !state.live || state.live.running || state.live.icount === registersFor) return;
  registersTimer = setTimeout(async () => {
    registersTimer = null;
    try {
      const s = await api("/api/state");
      registersFor = s.icount;
      const r = s.registers;
      const first = ["rip", "rsp", "rbp", "rflags", "rax", "rbx", "rcx", "rdx", "rsi", "rdi"];
      const names = first.filter((n) => n in r).concat(Object.keys(r).filter((n) => !first.includes(n)));
      const rows = [];
      for (let i = 0; i < names.length; i += 4)
        rows.push(names.slice(i, i + 4).map((n) => `${n.padStart(6)} ${r[n].padEnd(18)}`).join(""));
      $("registers").textContent = `icount ${s.icount}, ${s.mode}, CPL ${s.cpl}\n` + rows.join("\n");
      showDisassembly(s);
    } catch (e) {
      $("registers").textContent = String(e.message || e);
      $("disassembly").replaceChildren();
    }
  }, 200);
}
