// The web timeline's page: fetches the summary and the events from the JSON API
// (docs/web.md), draws them on a canvas over instruction counts (zoom and pan), and
// follows the position live through the WebSocket /api/live. Plain JavaScript, no library.
"use strict";

const LANE_HEIGHT = 28, AXIS_HEIGHT = 24, LABEL_WIDTH = 130;
const MAX_PAGES = 20;  // /api/events answers fetched per refresh (each at most 10,000 events)

const state = {
  summary: null,
  events: [],
  serial: [],          // lines of serial output, placed
  serialKnown: -1,
  exceptions: [],      // exceptions and software interrupts taken (the "exceptions" lane)
  interrupts: [],      // external interrupts taken (the "interrupts" lane)
  interruptsKnown: -1, // both together, as the API numbers them
  live: null,          // the latest WebSocket status
  view: { from: 0, to: 1 },
  selected: null,
  shapes: [],          // what was drawn, for clicks: {x0, x1, y0, y1, event}
  eventsKnown: -1,
  byLane: null,
  longestLatency: 0,
  drawTimes: [],       // milliseconds per draw, the latest 1000
  loaded: false,
};

const $ = (id) => document.getElementById(id);
const canvas = $("timeline");
const ctx = canvas.getContext("2d");

function showError(message) { $("error").textContent = message || ""; }

async function api(path, options) {
  const response = await fetch(path, options);
  const body = await response.json();
  if (!response.ok) throw new Error(body.error || response.statusText);
  return body;
}

async function loadSummary() {
  state.summary = await api("/api/summary");
  const s = state.summary;
  $("guest").textContent = `${s.mode} of ${s.guest.path} (${s.guest.bits}-bit)`;
  // Until the WebSocket's first message, the summary says where things are.
  if (!state.live)
    state.live = { icount: s.position, end: s.history.end, running: s.running, debugger: s.debugger, events: -1 };
  if (state.view.to <= 1) fit();
}

// New events only: numbers never change, a live run's history only grows.
async function loadEvents() {
  const events = state.events;
  let cursor = events.length ? events[events.length - 1].number + 1 : null;
  for (let page = 0; page < MAX_PAGES; ++page) {
    const answer = await api("/api/events" + (cursor ? `?cursor=${cursor}` : ""));
    for (const e of answer.events) events.push(e);
    if (answer.next === null) break;
    cursor = answer.next;
  }
  state.eventsKnown = events.length;
  indexEvents();
}

// Events by lane, in delivery order (numbers follow instruction counts), for drawing only
// what is in view and aggregating when there are more events than pixels.
function indexEvents() {
  const byLane = new Map();
  let longest = 0;
  for (const e of state.events) {
    const lane = laneOf(e);
    if (!byLane.has(lane)) byLane.set(lane, []);
    byLane.get(lane).push(e);
    if (e.latency !== undefined) longest = Math.max(longest, e.latency);
  }
  state.byLane = byLane;
  state.longestLatency = longest;
  drawHistogram();
}

function laneOf(e) {
  if (e.kind === "disk_completion") return e.drive;
  return e.kind === "serial_input" ? "serial input" : "debugger writes";
}

// The first index in `list` (sorted by icount) whose icount is >= `icount`.
function lowerBound(list, icount) {
  let lo = 0, hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (list[mid].icount < icount) lo = mid + 1; else hi = mid;
  }
  return lo;
}

async function loadSerial() {
  const lines = state.serial;
  let cursor = lines.length ? lines[lines.length - 1].number + 1 : null;
  for (let page = 0; page < MAX_PAGES; ++page) {
    const answer = await api("/api/serial" + (cursor ? `?cursor=${cursor}` : ""));
    for (const l of answer.lines) lines.push(Object.assign({ kind: "serial_output" }, l));
    if (answer.next === null) break;
    cursor = answer.next;
  }
  state.serialKnown = lines.length;
}

// Exceptions and interrupts taken (/api/interrupts): new ones only, as for events.
async function loadInterrupts() {
  let cursor = state.interruptsKnown > 0 ? state.interruptsKnown + 1 : null;
  let known = Math.max(state.interruptsKnown, 0);
  for (let page = 0; page < MAX_PAGES; ++page) {
    const answer = await api("/api/interrupts" + (cursor ? `?cursor=${cursor}` : ""));
    for (const x of answer.interrupts) {
      (x.kind === "external" ? state.interrupts : state.exceptions).push(x);
      known = x.number;
    }
    if (answer.next === null) break;
    cursor = answer.next;
  }
  state.interruptsKnown = known;
}

// What hovering a drawn event shows: a serial line's text, what an interrupt was.
function describe(e) {
  if (e.text !== undefined) return e.text;
  if (e.vector === undefined) return null;
  return `${e.name}${e.error !== undefined ? ` (error ${e.error})` : ""}, returns to ${e.return_rip}`;
}

function historyEnd() {
  const end = state.live ? state.live.end : (state.summary ? state.summary.history.end : 1);
  return Math.max(end, 1);
}

function fit() {
  state.view = { from: 0, to: historyEnd() * 1.02 };
  draw();
}

function lanes() {
  const names = [];
  for (const d of (state.summary ? state.summary.disks : [])) names.push(d.position);
  for (const lane of (state.byLane ? state.byLane.keys() : []))
    if (!names.includes(lane) && lane !== "serial input" && lane !== "debugger writes") names.push(lane);
  names.push("serial output", "serial input", "debugger writes", "exceptions", "interrupts", "snapshots", "end");
  return names;
}

function xOf(icount) {
  const w = canvas.width - LABEL_WIDTH;
  return LABEL_WIDTH + (icount - state.view.from) / (state.view.to - state.view.from) * w;
}

function icountAt(x) {
  const w = canvas.width - LABEL_WIDTH;
  return state.view.from + (x - LABEL_WIDTH) / w * (state.view.to - state.view.from);
}

function draw() {
  const began = performance.now();
  drawTimeline();
  state.drawTimes.push(performance.now() - began);
  if (state.drawTimes.length > 1000) state.drawTimes.shift();
}

function drawTimeline() {
  const names = lanes();
  canvas.height = AXIS_HEIGHT + names.length * LANE_HEIGHT + 8;
  canvas.style.height = canvas.height + "px";
  canvas.width = canvas.clientWidth || 1200;
  ctx.clearRect(0, 0, canvas.width, canvas.height);
  state.shapes = [];
  drawAxis();
  const laneY = (name) => AXIS_HEIGHT + names.indexOf(name) * LANE_HEIGHT;
  names.forEach((name, i) => {
    const y = AXIS_HEIGHT + i * LANE_HEIGHT;
    ctx.fillStyle = i % 2 ? "#f6f6f6" : "#fff";
    ctx.fillRect(0, y, canvas.width, LANE_HEIGHT);
    ctx.fillStyle = "#333";
    ctx.font = "12px sans-serif";
    ctx.fillText(name, 4, y + 18);
  });
  const columns = canvas.width - LABEL_WIDTH;
  const byLane = new Map(state.byLane || []);
  byLane.set("serial output", state.serial);
  byLane.set("exceptions", state.exceptions);
  byLane.set("interrupts", state.interrupts);
  for (const [lane, list] of byLane) {
    // Bars end at their delivery: those in view were delivered after from (or started before to).
    const first = lowerBound(list, state.view.from - (lane.endsWith("master") || lane.endsWith("slave") ? state.longestLatency : 0));
    const last = lowerBound(list, state.view.to + 1);
    const y = laneY(lane);
    if (last - first > columns) aggregate(list, first, last, y);
    else for (let k = first; k < last; ++k) drawEvent(list[k], y);
  }
  if (state.summary)
    for (const icount of state.summary.snapshots) mark(xOf(icount), laneY("snapshots"), "#8a8", { kind: "snapshot", icount });
  const end = state.summary && state.summary.end;
  if (end) {
    const x = xOf(end.icount);
    mark(x, laneY("end"), "#000", Object.assign({ kind: "end" }, end));
    // Its status beside it, on whichever side there is room.
    const text = `exit status ${end.exit_status}`;
    ctx.font = "11px sans-serif";
    ctx.fillStyle = "#000";
    const w = ctx.measureText(text).width;
    if (x >= LABEL_WIDTH && x <= canvas.width)
      ctx.fillText(text, x + 6 + w < canvas.width ? x + 6 : x - 6 - w, laneY("end") + 18);
  }
  const position = state.live ? state.live.icount : (state.summary ? state.summary.position : 0);
  const x = xOf(position);
  if (x >= LABEL_WIDTH && x <= canvas.width) {
    ctx.strokeStyle = "#d00";
    ctx.lineWidth = 2;
    ctx.beginPath();
    ctx.moveTo(x, AXIS_HEIGHT - 6);
    ctx.lineTo(x, canvas.height);
    ctx.stroke();
  }
}

function drawEvent(e, laneTop) {
  if (e.kind === "serial_output") return mark(xOf(e.icount), laneTop, "#07a", e);
  if (e.kind === "exception" || e.kind === "software") return mark(xOf(e.icount), laneTop, "#b0306a", e);
  if (e.kind === "external") return mark(xOf(e.icount), laneTop, "#3a8a3a", e);
  if (e.kind !== "disk_completion") return mark(xOf(e.icount), laneTop, "#555", e);
  const start = e.started !== undefined ? e.started : e.icount;
  const x0 = Math.max(xOf(start), LABEL_WIDTH), x1 = Math.max(xOf(e.icount), x0 + 2);
  if (x1 < LABEL_WIDTH || x0 > canvas.width) return;
  const y = laneTop + 6, h = LANE_HEIGHT - 12;
  ctx.fillStyle = e.operation === "WRITE" ? "#e08a1e" : "#2f74c0";
  ctx.fillRect(x0, y, x1 - x0, h);
  if (x1 - x0 > 4) {  // its delivery, so that back-to-back requests stay apart
    ctx.fillStyle = "#0b2f5a";
    ctx.fillRect(x1 - 2, y, 2, h);
  }
  if (e.status !== "ok") {
    ctx.strokeStyle = "#c00";
    ctx.lineWidth = 2;
    ctx.strokeRect(x0, y, x1 - x0, h);
  }
  if (e.same_boundary_as !== undefined) {  // delivered at one boundary with another completion
    ctx.fillStyle = "#a0c";
    ctx.fillRect(x1 - 2, y - 5, 4, 4);
  }
  state.shapes.push({ x0, x1, y0: y, y1: y + h, event: e });
}

// More events than pixels: one column per pixel, its height the share of the busiest
// column, red on top where some failed. A click on a column shows what it holds.
function aggregate(list, first, last, laneTop) {
  const columns = canvas.width - LABEL_WIDTH;
  const counts = new Uint32Array(columns), failed = new Uint32Array(columns), firstOf = new Int32Array(columns).fill(-1);
  for (let k = first; k < last; ++k) {
    const c = Math.floor(xOf(list[k].icount)) - LABEL_WIDTH;
    if (c < 0 || c >= columns) continue;
    ++counts[c];
    if (list[k].status !== undefined && list[k].status !== "ok") ++failed[c];
    if (firstOf[c] < 0) firstOf[c] = k;
  }
  let most = 1;
  for (let c = 0; c < columns; ++c) most = Math.max(most, counts[c]);
  const h = LANE_HEIGHT - 8, bottom = laneTop + LANE_HEIGHT - 4;
  for (let c = 0; c < columns; ++c) {
    if (!counts[c]) continue;
    const bar = Math.max(2, h * Math.sqrt(counts[c] / most));
    ctx.fillStyle = "#557";
    ctx.fillRect(LABEL_WIDTH + c, bottom - bar, 1, bar);
    if (failed[c]) {
      ctx.fillStyle = "#c00";
      ctx.fillRect(LABEL_WIDTH + c, bottom - bar, 1, 2);
    }
    const e = list[firstOf[c]];
    state.shapes.push({ x0: LABEL_WIDTH + c - 1, x1: LABEL_WIDTH + c + 1, y0: laneTop + 4, y1: bottom,
                        event: { kind: "aggregate", events: counts[c], failed: failed[c], first: e.number, icount: e.icount } });
  }
}

function mark(x, y, color, event) {
  if (x < LABEL_WIDTH - 3 || x > canvas.width + 3) return;
  ctx.fillStyle = color;
  ctx.fillRect(x - 1.5, y + 5, 3, LANE_HEIGHT - 10);
  state.shapes.push({ x0: x - 3, x1: x + 3, y0: y + 5, y1: y + LANE_HEIGHT - 5, event });
}

// 1, 2 or 5 times a power of ten, so that labels are about 100 pixels apart.
function tickStep(span, pixels) {
  const raw = span / Math.max(pixels / 100, 1);
  const power = Math.pow(10, Math.floor(Math.log10(Math.max(raw, 1))));
  for (const m of [1, 2, 5, 10]) if (m * power >= raw) return m * power;
  return 10 * power;
}

function label(n) {
  const short = (v) => String(Number(v.toPrecision(3)));
  if (n >= 1e9) return short(n / 1e9) + "G";
  if (n >= 1e6) return short(n / 1e6) + "M";
  if (n >= 1e3) return short(n / 1e3) + "k";
  return String(n);
}

function drawAxis() {
  const span = state.view.to - state.view.from;
  const step = tickStep(span, canvas.width - LABEL_WIDTH);
  ctx.fillStyle = "#444";
  ctx.font = "11px sans-serif";
  ctx.strokeStyle = "#ddd";
  ctx.lineWidth = 1;
  for (let t = Math.max(0, Math.ceil(state.view.from / step) * step); t <= state.view.to; t += step) {
    const x = xOf(t);
    if (x < LABEL_WIDTH) continue;
    ctx.beginPath();
    ctx.moveTo(x, AXIS_HEIGHT - 4);
    ctx.lineTo(x, canvas.height);
    ctx.stroke();
    ctx.fillText(label(Math.round(t)), x + 2, 12);
  }
}

function updateHeader() {
  const live = state.live, s = state.summary;
  if (!live || !s) return;
  $("where").textContent = `icount ${live.icount} of ${live.end}; ${live.events} events`;
  $("state").textContent = live.running ? "running" : "stopped";
  const gdb = live.debugger;
  $("pause").disabled = gdb || !live.running;
  $("resume").disabled = gdb || live.running;
  const why = (live.can_seek !== undefined ? live.seek_refusal : s.seek_refusal) || "";
  $("refusal").textContent = why ? `Go here is off: ${why}` : "";
  $("go").disabled = !!why;
  $("go-why").textContent = why;
  refreshRegistersSoon();
}

function select(event) {
  state.selected = event;
  $("details").hidden = !event;
  if (!event) return;
  $("details-text").textContent = JSON.stringify(event, null, 2);
}

async function refresh() {
  try {
    await loadSummary();
    if (state.eventsKnown < 0 || state.live.events !== state.eventsKnown) await loadEvents();
    if (state.serialKnown < 0 || state.live.serial !== state.serialKnown) await loadSerial();
    if (state.interruptsKnown < 0 || state.live.interrupts !== state.interruptsKnown) await loadInterrupts();
    updateHeader();
    draw();
    showError("");
    state.loaded = true;
  } catch (e) {
    showError(String(e.message || e));
  }
}

let refreshing = null;
function refreshSoon() {
  if (refreshing) return;
  refreshing = setTimeout(async () => { await refresh(); refreshing = null; }, 200);
}

function connect() {
  const ws = new WebSocket(`ws://${location.host}/api/live`);
  ws.onmessage = (m) => {
    const status = JSON.parse(m.data);
    const before = state.live;
    state.live = status;
    const changed = !before || before.events !== status.events || before.serial !== status.serial ||
                    before.interrupts !== status.interrupts ||
                    before.running !== status.running ||
                    before.debugger !== status.debugger || before.end !== status.end ||
                    before.can_seek !== status.can_seek;
    if (changed) refreshSoon();
    updateHeader();
    draw();
  };
  ws.onclose = () => setTimeout(connect, 1000);
}

// Zoom around the pointer, pan by dragging, click for details.
canvas.addEventListener("wheel", (e) => {
  e.preventDefault();
  const at = icountAt(e.offsetX * canvas.width / canvas.clientWidth);
  const factor = e.deltaY > 0 ? 1.25 : 0.8;
  const from = at - (at - state.view.from) * factor, to = at + (state.view.to - at) * factor;
  if (to - from >= 10) state.view = { from, to };
  draw();
}, { passive: false });

let drag = null;
canvas.addEventListener("mousedown", (e) => { drag = { x: e.offsetX, view: { ...state.view }, moved: false }; });
window.addEventListener("mouseup", (e) => {
  if (drag && !drag.moved) {
    const hit = hitAt(e.offsetX * canvas.width / canvas.clientWidth, e.offsetY);
    select(hit ? hit.event : null);
  }
  drag = null;
  canvas.classList.remove("dragging");
});
// What is at a point of the canvas: of the shapes there, the one delivered nearest to it
// (bars of overlapping requests cover each other; their delivery ends do not).
function hitAt(x, y) {
  let best = null;
  for (const s of state.shapes)
    if (x >= s.x0 && x <= s.x1 && y >= s.y0 && y <= s.y1 && (!best || Math.abs(s.x1 - x) < Math.abs(best.x1 - x))) best = s;
  return best;
}

// Hovering a serial line shows its text; an exception or interrupt, what it was.
function hover(e) {
  const tip = $("tip");
  const x = e.offsetX * canvas.width / canvas.clientWidth, y = e.offsetY;
  // Everything under the pointer (zoomed out, several share a pixel), in order.
  const lines = state.shapes.filter((s) => describe(s.event) !== null && x >= s.x0 && x <= s.x1 &&
                                           y >= s.y0 && y <= s.y1).map((s) => s.event);
  if (!lines.length) {
    tip.hidden = true;
    return;
  }
  const shown = lines.slice(0, 12).map((l) => `${l.icount}: ${describe(l)}`);
  if (lines.length > 12) shown.push(`(${lines.length - 12} more: zoom in)`);
  tip.textContent = shown.join("\n");
  tip.style.left = (e.pageX + 12) + "px";
  tip.style.top = (e.pageY + 12) + "px";
  tip.hidden = false;
}

canvas.addEventListener("mouseleave", () => { $("tip").hidden = true; });
canvas.addEventListener("mousemove", (e) => {
  if (!drag) return hover(e);
  const dx = (e.offsetX - drag.x) * canvas.width / canvas.clientWidth;
  if (Math.abs(dx) > 2) drag.moved = true;
  canvas.classList.add("dragging");
  const per = (drag.view.to - drag.view.from) / (canvas.width - LABEL_WIDTH);
  state.view = { from: drag.view.from - dx * per, to: drag.view.to - dx * per };
  draw();
});

$("fit").onclick = fit;
$("pause").onclick = () => api("/api/pause", { method: "POST" }).then(refresh, (e) => showError(e.message));
$("resume").onclick = () => api("/api/resume", { method: "POST" }).then(refresh, (e) => showError(e.message));
$("go").onclick = () => {
  if (!state.selected) return;
  const icount = state.selected.icount;
  api("/api/seek", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ icount }) })
    .then(refresh, (e) => showError(e.message));
};
window.addEventListener("resize", draw);

// A read-only view for tests (web/tests/browser_test.py): what is drawn, where, and the
// draw times. Nothing here changes the page.
window.rewindTimeline = {
  state() {
    const count = {};
    for (const sh of state.shapes) count[sh.event.kind] = (count[sh.event.kind] || 0) + 1;
    return {
      loaded: state.loaded, lanes: lanes(), events: state.events.length,
      completions: state.events.filter((e) => e.kind === "disk_completion").length,
      drawn: count, cursor: state.live ? state.live.icount : null, live: state.live,
      view: { ...state.view }, selected: state.selected,
      goDisabled: $("go").disabled, goWhy: $("go-why").textContent, serial: state.serial.length,
      exceptions: state.exceptions.length, interrupts: state.interrupts.length,
      registers: $("registers").textContent,
    };
  },
  // Where a drawn event is on the screen (CSS pixels in the viewport), or null.
  whereIs(number, kind = "disk_completion") {
    const sh = state.shapes.find((s) => s.event.kind === kind && s.event.number === number);
    if (!sh) return null;
    // Its delivery end, kept inside the canvas.
    const x = Math.max(sh.x0, Math.min(sh.x1 - 1, canvas.width - 2));
    const r = canvas.getBoundingClientRect(), scale = canvas.clientWidth / canvas.width;
    const hit = hitAt(x, (sh.y0 + sh.y1) / 2);
    return { x: r.left + x * scale, y: r.top + (sh.y0 + sh.y1) / 2, icount: sh.event.icount,
             hit: hit ? hit.event.number : null };
  },
  drawTimes() { return state.drawTimes.slice(); },
};

refresh().then(connect);
