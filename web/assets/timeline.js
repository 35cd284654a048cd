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
  live: null,          // the latest WebSocket status
  view: { from: 0, to: 1 },
  selected: null,
  shapes: [],          // what was drawn, for clicks: {x0, x1, y0, y1, event}
  eventsKnown: -1,
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
  for (const e of state.events)
    if (e.kind === "disk_completion" && !names.includes(e.drive)) names.push(e.drive);
  names.push("serial output", "serial input", "debugger writes", "snapshots", "end");
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
  for (const e of state.events) {
    if (e.kind === "disk_completion") {
      const start = e.started !== undefined ? e.started : e.icount;
      const x0 = Math.max(xOf(start), LABEL_WIDTH), x1 = Math.max(xOf(e.icount), x0 + 2);
      if (x1 < LABEL_WIDTH || x0 > canvas.width) continue;
      const y = laneY(e.drive) + 6, h = LANE_HEIGHT - 12;
      ctx.fillStyle = e.operation === "WRITE" ? "#e08a1e" : "#2f74c0";
      ctx.fillRect(x0, y, x1 - x0, h);
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
    } else {
      const lane = e.kind === "serial_input" ? "serial input" : "debugger writes";
      mark(xOf(e.icount), laneY(lane), "#555", e);
    }
  }
  for (const line of state.serial) mark(xOf(line.icount), laneY("serial output"), "#07a", line);
  if (state.summary)
    for (const icount of state.summary.snapshots) mark(xOf(icount), laneY("snapshots"), "#8a8", { kind: "snapshot", icount });
  const end = state.summary && state.summary.end;
  if (end) mark(xOf(end.icount), laneY("end"), "#000", Object.assign({ kind: "end" }, end));
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
  if (n >= 1e9) return (n / 1e9) + "G";
  if (n >= 1e6) return (n / 1e6) + "M";
  if (n >= 1e3) return (n / 1e3) + "k";
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
  const why = s.seek_refusal || "";
  $("refusal").textContent = why ? `Go here is off: ${why}` : "";
  $("go").disabled = !!why;
  $("go-why").textContent = why;
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
    updateHeader();
    draw();
    showError("");
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
                    before.running !== status.running ||
                    before.debugger !== status.debugger || before.end !== status.end;
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
    const x = e.offsetX * canvas.width / canvas.clientWidth, y = e.offsetY;
    const hit = state.shapes.find((s) => x >= s.x0 && x <= s.x1 && y >= s.y0 && y <= s.y1);
    select(hit ? hit.event : null);
  }
  drag = null;
  canvas.classList.remove("dragging");
});
// Hovering a serial line shows its text.
function hover(e) {
  const tip = $("tip");
  const x = e.offsetX * canvas.width / canvas.clientWidth, y = e.offsetY;
  const hit = state.shapes.find((s) => x >= s.x0 && x <= s.x1 && y >= s.y0 && y <= s.y1);
  if (!hit || hit.event.text === undefined) {
    tip.hidden = true;
    return;
  }
  tip.textContent = `${hit.event.icount}: ${hit.event.text}`;
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

refresh().then(connect);
