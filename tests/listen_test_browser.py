#!/usr/bin/env python3
# listen_test_browser.py GBAC — `gbac listen-test` driven through 10 pairs by chromedriver in a
# real headless Chromium (768x1024, a tablet), with web_browser.py's helpers (WebDriver,
# processes, PNG). Standard library only.
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Checks, each with numbers: the page weighs < 200 KB; every clip is served and is a real WAV
# (48 kHz, stereo, 16 bit) exactly as long as its bars at the tempo plus the 1 s tail, the
# same for both clips of a pair, not silent, and the browser's <audio> reports that length;
# the choice buttons wait until both clips were played; the page tells nothing of which clip
# is which (only /clips/pNNa.wav, /clips/pNNb.wav); a screenshot at 768x1024 is not blank
# and needs no sideways scrolling; after 10 choices gbac exits 0 and its JSON holds the 10
# choices as clicked (pair, side, source as the design put it, play counts, times in order)
# and a summary whose counts match them, whose Clopper-Pearson interval and p-value match an
# independent computation here, and which `gbac eval melody --listen-test` cites.
# GB_LISTEN_SHOT=PREFIX keeps the screenshots (PREFIX-pair.png, PREFIX-done.png) to look at.
import json
import math
import os
import re
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import time
import urllib.request
import wave

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import web_browser as wb  # noqa: E402  (GBAC from argv[1]; check, wait_for, Browser, ...)

PAIRS, BARS, TEMPO, RATE, TAIL_S = 10, 2, 120.0, 48000, 1.0
PICKS = [0, 1, 1, 0, 1, 0, 0, 0, 1, 1]  # the side clicked on each pair shown (0 a, 1 b)
check = wb.check


def clip_frames(meter):
    """Frames of BARS bars of 16th-note steps in meter "N/D" at TEMPO, and the tail."""
    num, den = (int(x) for x in meter.split('/'))
    return round(BARS * num * 16 // den * 60.0 / TEMPO / 4.0 * RATE + TAIL_S * RATE)


def wav_facts(data):
    """(channels, rate, sample bits, frames, RMS in dBFS) of a PCM WAV file's bytes."""
    path = os.path.join(TMP, 'clip.wav')
    with open(path, 'wb') as f:
        f.write(data)
    with wave.open(path) as w:
        ch, bits, rate, n = w.getnchannels(), 8 * w.getsampwidth(), w.getframerate(), \
            w.getnframes()
        raw = w.readframes(n)
    s = struct.unpack('<%dh' % (len(raw) // 2), raw)
    rms = math.sqrt(sum(x * x for x in s[::7]) / max(1, len(s[::7]))) / 32768.0
    return ch, rate, bits, n, 20 * math.log10(rms) if rms > 0 else -999.0


def clopper_pearson(k, n, conf=0.95):
    """Independently of gbac: bisection on the exact binomial tails (math.comb)."""
    def cdf(k, p):
        return sum(math.comb(n, i) * p ** i * (1 - p) ** (n - i) for i in range(k + 1))
    def root(f):
        a, b = 0.0, 1.0
        for _ in range(100):
            m = (a + b) / 2
            a, b = (m, b) if f(m) < 0 else (a, m)
        return (a + b) / 2
    t = (1 - conf) / 2
    lo = 0.0 if k == 0 else root(lambda p: (1 - cdf(k - 1, p)) - t)
    hi = 1.0 if k == n else root(lambda p: t - cdf(k, p))
    return lo, hi


def start():
    out = os.path.join(TMP, 'results.json')
    err = open(os.path.join(TMP, 'gbac.err'), 'w+')
    gbac = wb.spawn([wb.GBAC, 'listen-test', '--http', '0', '--pairs', str(PAIRS), '--bars',
                     str(BARS), '--tempo', str(TEMPO), '--seed', '7', '--out', out],
                    stdout=subprocess.DEVNULL, stderr=err)
    def printed():
        err.seek(0)
        text = err.read()
        if gbac.poll() is not None:
            wb.fail('gbac listen-test exited %s: %s' % (gbac.returncode, text))
        return text if 'token=' in text else None
    text = wb.wait_for(printed, 120, 'gbac to make the clips and print its address')
    port = int(re.search(r'listening test at http://127\.0\.0\.1:(\d+)/', text).group(1))
    with open(out) as f:
        design = json.load(f)
    return gbac, port, out, design


def clips_served(port, design):
    """Every clip over HTTP: a real WAV of the right length, both of a pair alike."""
    lengths = []
    for p in design['pairs']:
        want = clip_frames(p['meter'])
        facts = []
        for side in 'ab':
            with urllib.request.urlopen('http://127.0.0.1:%d/clips/%s' %
                                        (port, p['clip_' + side]), timeout=10) as r:
                facts.append(wav_facts(r.read()))
        for ch, rate, bits, n, db in facts:
            if (ch, rate, bits) != (2, RATE, 16) or n != p['frames'] or n != want or db < -45:
                wb.fail('pair %d clip: %d ch, %d Hz, %d bit, %d frames (design %d, %s wants '
                        '%d), %.1f dBFS' % (p['pair'], ch, rate, bits, n, p['frames'],
                                            p['meter'], want, db))
        lengths.append(facts[0][3] / RATE)
    check(True, '%d clips served as 48 kHz stereo 16-bit WAV, each exactly its %d bars in its '
          'tune\'s meter (%s) at %g bpm + %g s (%s s), both clips of a pair alike, RMS above '
          '-45 dBFS' % (2 * len(lengths), BARS, ' '.join(sorted(set(
              p['meter'] for p in design['pairs']))), TEMPO, TAIL_S, sorted(set(lengths))))


def page_weight():
    d = os.path.join(os.path.dirname(wb.GBAC), 'share', 'gbac', 'web', 'listen')
    size = sum(os.path.getsize(os.path.join(d, f)) for f in os.listdir(d))
    check(size < 200 * 1024, 'the page (%s) weighs %d bytes in total (< 200 KB)' %
          (', '.join(sorted(os.listdir(d))), size))


def audio_duration(b, side):
    return wb.wait_for(lambda: b.js('const a = document.getElementById(arguments[0]); '
                                    'return a.readyState >= 1 ? a.duration : null;',
                                    'clip-' + side), 10, 'clip %s to load' % side)


def answer_pair(b, design, n):
    """Play both clips of the pair shown, click PICKS[n]; returns (pair, side)."""
    shown = ('const p = document.getElementById("progress").dataset; '
             'return document.body.dataset.state === "pair" && +p.answered === arguments[0] '
             '? [+p.pair] : null')
    i = wb.wait_for(lambda: b.js(shown, n), 10, 'pair %d on the page' % (n + 1))[0]
    p = design['pairs'][i]
    srcs = b.js('return ["a", "b"].map(s => new URL(document.getElementById("clip-" + s).src)'
                '.pathname)')
    if srcs != ['/clips/' + p['clip_a'], '/clips/' + p['clip_b']]:
        wb.fail('pair %d: the page plays %s, the design says %s, %s' %
                (i, srcs, p['clip_a'], p['clip_b']))
    for side in 'ab':
        d = audio_duration(b, side)
        if abs(d - p['frames'] / RATE) > 0.002:
            wb.fail('pair %d clip %s: the browser says %.4f s, the file has %.4f s' %
                    (i, side, d, p['frames'] / RATE))
    enabled = 'return ["a", "b"].map(s => !document.getElementById("pick-" + s).disabled)'
    if n == 0:
        check(b.js(enabled) == [False, False], 'the choice buttons wait until both clips '
              'were played')
    for side in 'ab':
        b.s('POST', '/element/%s/click' % b.element('#play-' + side), {})
    if b.js(enabled) != [True, True]:
        wb.fail('pair %d: the choice buttons stay disabled after both clips were played' % i)
    if n == 0:
        check(True, 'pair 1: both <audio> elements load the design\'s clips and report their '
              'length to 2 ms (%.3f s)' % (p['frames'] / RATE))
        first_shot(b)
    side = PICKS[n]
    b.s('POST', '/element/%s/click' % b.element('#pick-' + 'ab'[side]), {})
    return i, side


def keep_shot(b, what):
    png = b.screenshot()
    if os.environ.get('GB_LISTEN_SHOT'):
        with open('%s-%s.png' % (os.environ['GB_LISTEN_SHOT'], what), 'wb') as f:
            f.write(png)
    return png


def first_shot(b):
    png = keep_shot(b, 'pair')
    w, h, n = wb.distinct_colours(png)
    fits = b.js('return document.documentElement.scrollWidth <= innerWidth')
    text = b.js('return document.getElementById("question").textContent')
    check(n >= 10 and fits and text == "Which is the human's?",
          'screenshot %dx%d at a 768x1024 window: %d colours, no sideways scrolling, the '
          'question "%s"' % (w, h, n, text))
    html = b.js('return document.documentElement.outerHTML')
    check('real' not in html and 'generated' not in html,
          'nothing on the page says which clip is real or generated')


def results_match(out, design, clicked, page_summary):
    with open(out) as f:
        r = json.load(f)
    ch = r['choices']
    check(len(ch) == PAIRS and sorted(c['pair'] for c in ch) == list(range(PAIRS)),
          'the JSON holds %d choices, one for each pair' % len(ch))
    for c, (i, side) in zip(ch, clicked):
        src = design['pairs'][i]['ab'[side]]
        if (c['pair'], c['picked'], c['source'], c['correct'], c['plays_a'], c['plays_b']) != \
                (i, 'ab'[side], src, src == 'real', 1, 1):
            wb.fail('choice %s, clicked pair %d side %s (%s)' % (c, i, 'ab'[side], src))
    ts = [c['t_s'] for c in ch]
    check(all(a < b for a, b in zip(ts, ts[1:])) and all(
        re.match(r'^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$', c['time']) for c in ch),
        'each choice as clicked: pair, side, the source the design put there, 1 play of '
        'each clip, times in order (%.1f .. %.1f s)' % (ts[0], ts[-1]))
    real = sum(design['pairs'][i]['ab'[side]] == 'real' for i, side in clicked)
    s = r['summary']
    lo, hi = clopper_pearson(real, PAIRS)
    m = min(real, PAIRS - real)
    pv = min(1.0, 2 * sum(math.comb(PAIRS, i) for i in range(m + 1)) / 2 ** PAIRS)
    check(s['choices'] == PAIRS and s['complete'] and s['counts'] == {
        'real': real, 'generated': PAIRS - real} and s['correct'] == real and
        abs(s['accuracy'] - real / PAIRS) < 1e-12 and s['rate_of'] == 'real',
        'the summary\'s counts match the clicks: %d real picked (correct), %d generated, '
        'accuracy %.2f' % (real, PAIRS - real, s['accuracy']))
    check(s['ci_method'] == 'clopper-pearson' and s['ci_level'] == 0.95 and
          abs(s['ci_low'] - lo) < 1e-7 and abs(s['ci_high'] - hi) < 1e-7 and
          abs(s['p_value'] - pv) < 1e-9,
          'its 95%% Clopper-Pearson interval [%.4f, %.4f] and p = %.4f as computed here' %
          (s['ci_low'], s['ci_high'], s['p_value']))
    check(page_summary.get('correct') == real and page_summary.get('choices') == PAIRS,
          'the page\'s last message carried the same summary')
    return r


def eval_cites(out, real):
    ds = os.path.join(TMP, 'ds')
    subprocess.run([wb.GBAC, 'dataset', 'melody', '-q', '-o', ds, '--transpose', '0..0'],
                   check=True)
    p = subprocess.run([wb.GBAC, 'eval', 'melody', '--data', ds, '--bars', '1', '--json',
                        '--listen-test', out], capture_output=True, text=True)
    lt = json.loads(p.stdout).get('listen_test', {}) if p.returncode == 0 else {}
    check(lt.get('correct') == real and lt.get('choices') == PAIRS and lt.get('file') == out,
          'gbac eval melody --listen-test cites it: %s' % {k: lt.get(k) for k in (
              'choices', 'correct', 'accuracy', 'ci_low', 'ci_high', 'p_value')})


def main():
    global TMP
    TMP = tempfile.mkdtemp(prefix='gblisten')
    try:
        page_weight()
        gbac, port, out, design = start()
        check(len(design['pairs']) == PAIRS and not design['choices'],
              'gbac wrote the design of %d pairs before serving (%s)' %
              (PAIRS, ''.join(p['a'][0] for p in design['pairs'])))
        clips_served(port, design)
        cd_port = wb.free_port(socket.SOCK_STREAM)
        wb.spawn(['chromedriver', '--port=%d' % cd_port], stdout=subprocess.DEVNULL,
                 stderr=subprocess.DEVNULL)
        wb.wait_for(lambda: wb.http_status('http://127.0.0.1:%d/status' % cd_port) == 200, 15,
                    'chromedriver')
        b = wb.Browser(cd_port)
        wb.BEFORE.append(b.close)
        b.s('POST', '/window/rect', {'width': 768, 'height': 1024})
        b.s('POST', '/url', {'url': 'http://127.0.0.1:%d/' % port})
        clicked = [answer_pair(b, design, n) for n in range(PAIRS)]
        wb.wait_for(lambda: b.js('return document.body.dataset.state') == 'done', 10,
                    'the page to show the end')
        summary = json.loads(b.js('return document.getElementById("done").dataset.summary'))
        keep_shot(b, 'done')
        check(True, '10 pairs answered through the page: %s' % ' '.join(
            '%d%s' % (i, 'ab'[s]) for i, s in clicked))
        rc = wb.wait_for(lambda: gbac.poll() is not None and [gbac.returncode], 10,
                         'gbac to exit once the page closed')[0]
        check(rc == 0, 'gbac listen-test exited %d after the last choice' % rc)
        r = results_match(out, design, clicked, summary)
        eval_cites(out, r['summary']['correct'])
    finally:
        wb.stop_all()
        shutil.rmtree(TMP, ignore_errors=True)
    print('PASS')


if __name__ == '__main__':
    main()
