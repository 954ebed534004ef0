// gbac.js — the browser surface of `gbac live --http PORT` (docs/web.md). Everything it does
// is an OSC message written as JSON ({"path", "args", "types", "id"}) and served by the same
// handlers as OSC; what it shows comes from the feed (arrays of the same objects).
// SPDX-License-Identifier: GPL-3.0-or-later
'use strict';

const $ = (id) => document.getElementById(id);
// The colours of `gbac plot`: the performer blue, then the note sources in order.
const PERFORMER_RGB = 'rgb(31, 120, 181)';
const MODEL_RGB = ['rgb(255, 128, 13)', 'rgb(43, 161, 43)', 'rgb(214, 38, 41)',
  'rgb(148, 102, 189)', 'rgb(140, 87, 74)', 'rgb(227, 120, 194)'];
const ROLL_SECONDS = 12; // the roll shows the last 12 s
const ROLL_MAX_NOTES = 400;

let ws = null;
let nextId = 1;
const pending = new Map(); // id → callback for its reply
let schema = null;
const params = new Map();  // path → {info, input, output, dragging}
const values = new Map();  // path → the latest value the feed sent (also before the schema)
const sources = new Map(); // source id → {name, colour, count}
let noteSlots = [];        // note-source slots (have a "like" parameter), in schema order
const open = new Map();    // "src:key" → note element still sounding
let armed = null;          // the parameter path armed for MIDI learn
let recording = '';
let frames = 0;
let meters = 0;
const t0 = performance.now();

function log(text) {
  const l = $('log');
  l.textContent = (text + '\n' + l.textContent).slice(0, 4000);
}

function send(path, args, types, onReply) {
  if (!ws || ws.readyState !== 1) return;
  const m = { path: path, args: args || [] };
  if (types) m.types = types;
  if (onReply) { m.id = nextId++; pending.set(m.id, onReply); }
  ws.send(JSON.stringify(m));
}

function connect() {
  const q = new URLSearchParams(location.search).get('token');
  const url = 'ws://' + location.host + '/' + (q ? '?token=' + encodeURIComponent(q) : '');
  ws = new WebSocket(url, 'gbac');
  ws.onopen = () => {
    $('conn').dataset.state = 'open';
    $('conn').textContent = 'connected';
    values.clear(); // the first message carries every value and the schema
  };
  ws.onclose = () => {
    $('conn').dataset.state = 'closed';
    $('conn').textContent = 'offline — retrying';
    setTimeout(connect, 1000);
  };
  ws.onmessage = (ev) => {
    // One reply, or an array: replies first, then what the feed has new (docs/web.md).
    const data = JSON.parse(ev.data);
    document.body.dataset.frames = ++frames;
    (Array.isArray(data) ? data : [data]).forEach(handle);
  };
}

// ---- what gbac sends ----

function handle(m) {
  if (m.id !== undefined && pending.has(m.id) && m.path !== '/gbac/error') {
    const cb = pending.get(m.id);
    pending.delete(m.id);
    cb(m);
    return;
  }
  if (m.path === '/gbac/error') { pending.delete(m.id); log(m.args[0] + ': ' + m.args[1]); return; }
  if (m.path === '/gbac/meter') return meter(m.args);
  if (m.path === '/gbac/note/played') return note(0, m.args, 'performer');
  if (m.path === '/gbac/note/generated') return note(m.args[3], m.args, null);
  if (m.path === '/gbac/learned') return learned(m.args);
  if (m.path === '/gbac/record') return record(m.args);
  if (m.path === '/web/engine') { // the new rack's values, then its schema, follow
    document.body.dataset.engineAt = Date.now();
    values.clear();
    return;
  }
  if (m.path === '/gbac/schema') return buildSchema(JSON.parse(m.args[0]));
  if (m.path === '/gbac/report') { if (m.args[0].endsWith('/score')) scoreMark(m.args[1]); return; }
  if (m.path === '/web/lost') return;
  if (m.path.startsWith('/gbac/param/')) return paramValue(m.path, m.args[0]);
}

function meter(a) {
  document.body.dataset.meters = ++meters; // at most 30 a second (tests read the rate)
  [['meter-l', a[0]], ['meter-r', a[1]]].forEach(([id, db]) => {
    const e = $(id);
    e.dataset.db = db.toFixed(1);
    e.style.width = Math.max(0, Math.min(100, (db + 60) / 60 * 100)) + '%';
  });
  $('dsp').dataset.value = a[2];
  $('dsp').textContent = a[2].toFixed(1);
  $('voices').textContent = a[3];
  $('xruns').dataset.value = a[4];
  $('xruns').textContent = a[4];
}

function paramValue(path, v) {
  if (typeof v === 'number') values.set(path, v);
  const p = params.get(path);
  if (!p || typeof v !== 'number') return;
  p.input.dataset.value = v;
  p.input.dataset.at = Date.now(); // when the page learnt it (tests measure the delay)
  if (!p.dragging) p.input.value = v;
  p.output.textContent = fmt(v);
  if (p.info.name === 'morph_x' || p.info.name === 'morph_y') placeDot();
}

function fmt(v) {
  return Math.abs(v) >= 100 ? v.toFixed(0) : v.toFixed(2);
}

// ---- the piano roll ----

function sourceOf(id, fixed) {
  if (!sources.has(id)) {
    const k = [...sources.keys()].filter((s) => s !== 0).length;
    const name = fixed || (noteSlots.length === 1 ? noteSlots[0] : 'source ' + id);
    sources.set(id, { name: name, key: id === 0 ? 'performer' : name,
      colour: id === 0 ? PERFORMER_RGB : MODEL_RGB[k % MODEL_RGB.length], count: 0 });
    legend();
  }
  return sources.get(id);
}

function legend() {
  const l = $('legend');
  l.textContent = '';
  sources.forEach((s) => {
    const span = document.createElement('span');
    span.dataset.source = s.key;
    span.dataset.count = s.count;
    const sw = document.createElement('i');
    sw.style.background = s.colour;
    span.append(sw, s.name + ' (' + s.count + ')');
    l.append(span);
  });
}

function now() { return (performance.now() - t0) / 1000; }

function rollX(t) { return t / ROLL_SECONDS * $('roll').clientWidth; }

function note(src, a, fixed) {
  const s = sourceOf(src, fixed);
  const key = a[0], vel = a[1], id = src + ':' + key;
  const ended = open.get(id);
  if (ended) { ended.dataset.t1 = now(); open.delete(id); }
  if (vel === 0) return;
  const n = document.createElement('div');
  n.className = 'note';
  n.dataset.source = s.key;
  n.dataset.key = key;
  n.dataset.t0 = now();
  n.style.background = s.colour;
  n.style.top = ((127 - key) / 128 * 100) + '%';
  $('roll-notes').append(n);
  open.set(id, n);
  s.count++;
  const roll = $('roll');
  const attr = src === 0 ? 'performer' : 'generated';
  roll.dataset[attr] = Number(roll.dataset[attr]) + 1;
  const notes = $('roll-notes').children;
  while (notes.length > ROLL_MAX_NOTES) notes[0].remove();
  legend();
}

function scoreMark(v) {
  const m = document.createElement('div');
  m.className = 'score note';
  m.dataset.source = 'score';
  m.dataset.t0 = now();
  m.dataset.score = v;
  m.textContent = v.toFixed(1);
  $('roll-notes').append(m);
}

function drawRoll() {
  const t = now(), w = $('roll').clientWidth;
  for (const n of $('roll-notes').children) {
    const a = Number(n.dataset.t0), b = n.dataset.t1 ? Number(n.dataset.t1) : t;
    const x = w - rollX(t - a);
    n.style.left = x + 'px';
    if (!n.classList.contains('score')) n.style.width = Math.max(3, rollX(b - a)) + 'px';
  }
  requestAnimationFrame(drawRoll);
}

// ---- controls ----

function control(parent, info, label) {
  const row = document.createElement('div');
  row.className = 'ctl';
  const lab = document.createElement('label');
  lab.textContent = label;
  lab.title = info.doc || info.path;
  const input = document.createElement('input');
  input.type = 'range';
  input.min = info.min;
  input.max = info.max;
  input.step = info.stepped ? 1 : (info.max - info.min) / 1000;
  input.value = info.default;
  input.dataset.path = info.path;
  input.id = 'p:' + info.path;
  input.disabled = info.access === 'r';
  const output = document.createElement('output');
  output.textContent = fmt(info.default);
  const p = { info: info, input: input, output: output, dragging: false };
  input.addEventListener('pointerdown', () => { p.dragging = true; });
  input.addEventListener('pointerup', () => { p.dragging = false; });
  input.addEventListener('input', () => {
    output.textContent = fmt(Number(input.value));
    send(info.path, [Number(input.value)], 'f');
  });
  row.append(lab, input, output);
  if (info.access !== 'r') {
    const learn = document.createElement('button');
    learn.textContent = 'L';
    learn.title = 'MIDI learn: then move a knob';
    learn.dataset.learn = info.path;
    learn.addEventListener('click', () => {
      document.querySelectorAll('[data-armed="1"]').forEach((b) => { b.dataset.armed = '0'; });
      armed = info.path;
      learn.dataset.armed = '1';
      send('/gbac/learn', [info.path], 's');
    });
    row.append(learn);
  }
  parent.append(row);
  if (!params.has(info.path) || params.get(info.path).input !== input) params.set(info.path, p);
  return p;
}

function learned(a) {
  document.querySelectorAll('[data-armed="1"]').forEach((b) => { b.dataset.armed = '0'; });
  armed = null;
  // The mapping shows on the control's learn button: "CC 30" (every button of that path).
  document.querySelectorAll('[data-learn]').forEach((b) => {
    if (b.dataset.learn !== a[0]) return;
    b.dataset.cc = a[1];
    b.textContent = 'CC ' + a[1];
  });
  log('learned: CC ' + a[1] + ' → ' + a[0]);
}

function buildSchema(s) {
  schema = s;
  params.clear();
  $('params').textContent = '';
  $('rate').textContent = '';
  $('zknobs').textContent = '';
  const slots = new Map();
  s.params.forEach((p) => {
    if (!slots.has(p.slot)) slots.set(p.slot, []);
    slots.get(p.slot).push(p);
  });
  noteSlots = [...slots.keys()].filter((k) => slots.get(k).some((p) => p.name === 'like'));
  slots.forEach((list, slot) => {
    const h = document.createElement('h2');
    h.textContent = slot;
    $('params').append(h);
    list.forEach((p) => control($('params'), p, p.name));
  });
  noteSlots.forEach((slot) => {
    ['like', 'dislike'].forEach((what) => {
      const b = document.createElement('button');
      b.textContent = (what === 'like' ? '+ ' : '\u2212 ') + what + ' ' + slot;
      b.dataset.rate = what;
      b.dataset.slot = slot;
      b.addEventListener('click', () => send('/gbac/rate', [slot, what], 'ss'));
      $('rate').append(b);
    });
  });
  timbre(slots);
  // The values now: the feed sent every one (with the rack, or when the page connected) and
  // keeps them current; a parameter it has not sent answers a query.
  s.params.forEach((p) => {
    if (values.has(p.path)) paramValue(p.path, values.get(p.path));
    else send(p.path, [], '', (m) => paramValue(p.path, m.args[0]));
  });
}

// The timbre VAE: an XY pad on morph_x/morph_y, a knob per latent dimension (z0..z7).
function timbre(slots) {
  let slot = null;
  slots.forEach((list, k) => { if (list.some((p) => p.name === 'morph_x')) slot = k; });
  $('timbre').hidden = !slot;
  if (!slot) return;
  $('xy').dataset.slot = slot;
  slots.get(slot).filter((p) => /^z\d$/.test(p.name)).forEach((p) => {
    const c = control($('zknobs'), p, p.name);
    params.set(p.path, c); // the knob here is the one the feed moves
  });
}

function placeDot() {
  const slot = $('xy').dataset.slot;
  const x = params.get('/gbac/param/' + slot + '/morph_x');
  const y = params.get('/gbac/param/' + slot + '/morph_y');
  if (!x || !y) return;
  $('xy-dot').style.left = (Number(x.input.value) * 100) + '%';
  $('xy-dot').style.top = ((1 - Number(y.input.value)) * 100) + '%';
}

function xyPad() {
  const pad = $('xy');
  let down = false;
  const move = (ev) => {
    if (!down) return;
    const r = pad.getBoundingClientRect();
    const x = Math.min(1, Math.max(0, (ev.clientX - r.left) / r.width));
    const y = Math.min(1, Math.max(0, 1 - (ev.clientY - r.top) / r.height));
    $('xy-dot').style.left = (x * 100) + '%';
    $('xy-dot').style.top = ((1 - y) * 100) + '%';
    send('/gbac/timbre/morph', [x, y], 'ff');
  };
  pad.addEventListener('pointerdown', (ev) => { down = true; pad.setPointerCapture(ev.pointerId); move(ev); });
  pad.addEventListener('pointermove', move);
  pad.addEventListener('pointerup', () => { down = false; });
}

function record(a) {
  recording = a[0];
  const b = $('rec');
  b.dataset.recording = recording ? '1' : '0';
  b.textContent = recording ? '■ Stop' : '● Rec';
  $('rec-time').dataset.seconds = a[1];
  $('rec-time').textContent = recording ? recording.split('/').pop() + ' ' + a[1].toFixed(0) + ' s' : '';
}

$('rec').addEventListener('click', () => {
  if (recording) send('/gbac/record/stop', [], '');
  else send('/gbac/record/start', [$('take').value], 's');
});
$('learn-cancel').addEventListener('click', () => {
  document.querySelectorAll('[data-armed="1"]').forEach((b) => { b.dataset.armed = '0'; });
  send('/gbac/learn/cancel', [], '');
});
xyPad();
requestAnimationFrame(drawRoll);
connect();
