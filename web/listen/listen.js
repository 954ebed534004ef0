// listen.js — the blind listening test of `gbac listen-test --http PORT` (docs/listen-test.md).
// It asks gbac for the test (/listen/info: the question and the clips, nothing about which
// clip is which), plays the two clips of a pair, and sends each choice (/listen/choose); gbac
// saves it and answers /listen/chosen, and /listen/done after the last pair.
// SPDX-License-Identifier: GPL-3.0-or-later
'use strict';

const $ = (id) => document.getElementById(id);
const SIDES = ['a', 'b'];
let ws = null;
let nextId = 1;
const pending = new Map(); // id → callback for its reply
let test = null;           // the /listen/info object
let current = -1;          // the pair shown
let finished = false;

function send(path, args, onReply) {
  if (!ws || ws.readyState !== 1) return;
  const m = { path: path, args: args || [] };
  if (onReply) { m.id = nextId++; pending.set(m.id, onReply); }
  ws.send(JSON.stringify(m));
}

function message(text) { $('msg').textContent = text; }

function connect() {
  const q = new URLSearchParams(location.search).get('token');
  ws = new WebSocket('ws://' + location.host + '/' + (q ? '?token=' + encodeURIComponent(q) : ''),
    'gbac');
  ws.onopen = () => {
    $('conn').dataset.state = 'open';
    $('conn').textContent = 'connected';
    send('/listen/info', [], (m) => start(JSON.parse(m.args[0])));
  };
  ws.onclose = () => {
    $('conn').dataset.state = finished ? 'saved' : 'closed';
    $('conn').textContent = finished ? 'saved' : 'offline — retrying';
    if (!finished) setTimeout(connect, 1000);
  };
  ws.onmessage = (ev) => handle(JSON.parse(ev.data));
}

function handle(m) {
  if (m.path === '/gbac/error') {
    pending.delete(m.id);
    message(m.args[1]);
    SIDES.forEach((s) => { $('pick-' + s).disabled = false; });
    return;
  }
  if (m.id !== undefined && pending.has(m.id)) {
    const cb = pending.get(m.id);
    pending.delete(m.id);
    cb(m);
    return;
  }
  if (m.path === '/listen/done') done(JSON.parse(m.args[0]));
}

function start(info) {
  test = info;
  test.answered = new Set(info.answered);
  $('question').textContent = info.question;
  document.title = info.question + ' — gbac';
  if (info.done) return done(null);
  show(nextPair());
}

function nextPair() {
  for (let i = 0; i < test.pairs.length; i++) if (!test.answered.has(i)) return i;
  return -1;
}

function show(i) {
  if (i < 0) return;
  current = i;
  stopAll();
  SIDES.forEach((s) => {
    const a = $('clip-' + s);
    a.src = test.pairs[i][s];
    a.load();
    $('play-' + s).dataset.plays = '0';
    $('pos-' + s).style.width = '0';
    $('pick-' + s).disabled = true;
  });
  const p = $('progress');
  p.dataset.pair = i;
  p.dataset.answered = test.answered.size;
  p.textContent = 'Pair ' + (test.answered.size + 1) + ' of ' + test.pairs.length +
    ' · ' + test.pairs[i].seconds.toFixed(1) + ' s each';
  document.body.dataset.state = 'pair';
  message('');
}

function playing(side, on) {
  const btn = $('play-' + side);
  btn.dataset.playing = on ? '1' : '0';
  btn.textContent = (on ? '■ Stop ' : '▶ Play ') + side.toUpperCase();
}

function stopAll() {
  SIDES.forEach((s) => {
    $('clip-' + s).pause();
    playing(s, false);
  });
}

function play(side) {
  const a = $('clip-' + side), btn = $('play-' + side);
  if (btn.dataset.playing === '1') { stopAll(); return; }
  stopAll();
  a.currentTime = 0;
  btn.dataset.plays = +btn.dataset.plays + 1;
  playing(side, true);
  const p = a.play();
  if (p) p.catch((e) => message('cannot play ' + side.toUpperCase() + ': ' + e.message));
  // Both clips started at least once: a choice may be made.
  if (SIDES.every((s) => +$('play-' + s).dataset.plays > 0))
    SIDES.forEach((s) => { $('pick-' + s).disabled = false; });
}

function pick(side) {
  if (current < 0) return;
  const i = current;
  SIDES.forEach((s) => { $('pick-' + s).disabled = true; });
  stopAll();
  send('/listen/choose', [i, SIDES.indexOf(side), +$('play-a').dataset.plays,
    +$('play-b').dataset.plays], () => {
    test.answered.add(i);
    show(nextPair());
  });
}

function done(summary) {
  finished = true;
  stopAll();
  current = -1;
  document.body.dataset.state = 'done';
  $('done').hidden = false;
  const p = $('progress');
  p.dataset.answered = test.pairs.length;
  p.textContent = test.pairs.length + ' of ' + test.pairs.length + ' answered';
  let text = 'Your ' + test.pairs.length + ' answers are saved.';
  if (summary && test.question_key === 'human')
    text += ' You found the human\'s in ' + summary.correct + ' of ' + summary.choices + '.';
  $('done-text').textContent = text;
  if (summary) $('done').dataset.summary = JSON.stringify(summary);
  if (ws) ws.close();
}

SIDES.forEach((s) => {
  const a = $('clip-' + s);
  $('play-' + s).addEventListener('click', () => play(s));
  $('pick-' + s).addEventListener('click', () => pick(s));
  a.addEventListener('timeupdate', () => {
    $('pos-' + s).style.width = (a.duration ? 100 * a.currentTime / a.duration : 0) + '%';
  });
  a.addEventListener('ended', () => {
    playing(s, false);
    $('pos-' + s).style.width = '100%';
  });
});
connect();
