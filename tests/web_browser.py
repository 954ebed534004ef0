#!/usr/bin/env python3
# web_browser.py GBAC WEB_JACK_CC — the browser surface of `gbac live --http` in a real headless
# Chromium driven by chromedriver (WebDriver), against gbac on a named dummy jackd, checked
# through OSC queries (the same path table the page uses). Standard library only.
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Checks, each with numbers: a click on a slider sets the parameter (OSC query); an OSC change
# moves the slider (DOM); JACK MIDI notes and the melody GAN's answer in the piano roll, each
# in its `gbac plot` colour; like/dislike reach the melody unit (its `ratings`); screenshots at
# 1280x800 and 768x1024 are not blank and the meters move between two; malformed WebSocket
# messages get a reason; Host/Origin/address/token rules (a network namespace when root);
# 100 WebSocket clients that connect and drop leave http_clients and gbac's memory as they were
# and do not disturb the audio thread (gbac's callback time, a window before, during, after);
# with 4 pages open, changes from OSC, JACK MIDI, a page and a preset load reach every page in
# time (in gbac and end to end, bounds below) and the callback time is as with one page;
# a preset load (timbre-vae) rebuilds the page: the XY pad drag sets morph_x/morph_y, a latent
# knob sets z0, MIDI learn maps a CC sent over OSC (the page shows it).
import json
import os
import re
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import zlib

GBAC = os.path.abspath(sys.argv[1])
CC_TOOL = os.path.abspath(sys.argv[2])  # tests/web_jack_cc.c: a JACK MIDI controller
PROCS = []
CLEANUP = []
BEFORE = []  # before the processes stop (the browser session)


def fail(msg):
    print('FAIL: ' + msg, flush=True)
    raise SystemExit(1)


T0 = time.monotonic()


def check(cond, msg):
    if not cond:
        fail(msg)
    print('ok [%5.1f s]: %s' % (time.monotonic() - T0, msg), flush=True)


def spawn(args, env=None, **kw):
    p = subprocess.Popen(args, env=env, **kw)
    PROCS.append(p)
    return p


def stop_all():
    for fn in BEFORE:
        try:
            fn()
        except BaseException:
            pass
    for p in reversed(PROCS):
        if p.poll() is None:
            p.terminate()
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
    for fn in reversed(CLEANUP):
        fn()


def free_port(kind):
    s = socket.socket(socket.AF_INET, kind)
    s.bind(('127.0.0.1', 0))
    port = s.getsockname()[1]
    s.close()
    return port


def wait_for(fn, timeout, what):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        v = fn()
        if v:
            return v
        time.sleep(0.05)
    fail('timed out after %g s waiting for %s' % (timeout, what))


# ---- OSC over UDP (a query gets its reply back on the same socket) ----

def osc_pad(b):
    return b + b'\0' * (4 - len(b) % 4)


def osc_msg(path, types='', args=()):
    out = osc_pad(path.encode()) + osc_pad((',' + types).encode())
    for t, a in zip(types, args):
        out += struct.pack('>f', a) if t == 'f' else struct.pack('>i', a) if t == 'i' \
            else osc_pad(a.encode())
    return out


def osc_parse(data):
    path, rest = data.split(b'\0', 1)
    i = (len(path) + 4) // 4 * 4
    types = data[i + 1:data.index(b'\0', i)].decode()
    i = (data.index(b'\0', i) + 4) // 4 * 4
    args = []
    for t in types:
        if t == 'f':
            args.append(struct.unpack('>f', data[i:i + 4])[0])
            i += 4
        elif t == 'i':
            args.append(struct.unpack('>i', data[i:i + 4])[0])
            i += 4
        elif t == 's':
            end = data.index(b'\0', i)
            args.append(data[i:end].decode())
            i = (end + 4) // 4 * 4
    return path.decode(), args


class Osc:
    def __init__(self, port):
        self.addr = ('127.0.0.1', port)
        self.s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.s.bind(('127.0.0.1', 0))
        self.s.settimeout(5)

    def send(self, path, types='', args=()):
        self.s.sendto(osc_msg(path, types, args), self.addr)

    def query(self, path):
        self.send(path)
        while True:
            p, args = osc_parse(self.s.recv(65536))
            if p == path:
                return args[0]


# ---- WebDriver ----

class Browser:
    def __init__(self, port):
        self.base = 'http://127.0.0.1:%d' % port
        caps = {'capabilities': {'alwaysMatch': {'browserName': 'chrome', 'goog:chromeOptions': {
            'args': ['--headless=new', '--no-sandbox', '--disable-gpu', '--window-size=1280,800',
                     '--disable-dev-shm-usage']}}}}
        self.sid = self.call('POST', '/session', caps)['sessionId']

    def call(self, method, path, body=None):
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.base + path, data=data, method=method,
                                     headers={'Content-Type': 'application/json'})
        try:
            with urllib.request.urlopen(req, timeout=60) as r:
                return json.loads(r.read())['value']
        except urllib.error.HTTPError as e:
            fail('WebDriver %s %s: %s' % (method, path, e.read()[:400]))

    def s(self, method, path, body=None):
        return self.call(method, '/session/%s%s' % (self.sid, path), body)

    def js(self, script, *args):
        return self.s('POST', '/execute/sync', {'script': script, 'args': list(args)})

    def element(self, css):
        v = self.s('POST', '/element', {'using': 'css selector', 'value': css})
        return next(iter(v.values()))

    def click_at(self, css, fx):
        """Press and release at fraction fx of the element's width, mid-height."""
        el = self.element(css)
        rect = self.s('GET', '/element/%s/rect' % el)
        x = int(rect['width'] * (fx - 0.5))
        self.s('POST', '/actions', {'actions': [{'type': 'pointer', 'id': 'mouse',
            'parameters': {'pointerType': 'mouse'}, 'actions': [
                {'type': 'pointerMove', 'origin': {'element-6066-11e4-a52e-4f735466cecf': el},
                 'x': x, 'y': 0},
                {'type': 'pointerDown', 'button': 0}, {'type': 'pause', 'duration': 50},
                {'type': 'pointerUp', 'button': 0}]}]})
        self.s('DELETE', '/actions')

    def screenshot(self):
        import base64
        return base64.b64decode(self.s('GET', '/screenshot'))

    def close(self):
        self.call('DELETE', '/session/' + self.sid)


# ---- PNG (RGB/RGBA, 8 bit) to rows of pixels, enough for chromium's screenshots ----

PNG_CACHE = {}


def png_pixels(data):
    if data not in PNG_CACHE:
        PNG_CACHE[data] = png_decode(data)
    return PNG_CACHE[data]


def png_decode(data):
    i, idat, w, h, bpp = 8, b'', 0, 0, 0
    while i < len(data):
        n, kind = struct.unpack('>I4s', data[i:i + 8])
        body = data[i + 8:i + 8 + n]
        if kind == b'IHDR':
            w, h, depth, ctype = struct.unpack('>IIBB', body[:10])
            bpp = {2: 3, 6: 4}[ctype]
        elif kind == b'IDAT':
            idat += body
        i += 12 + n
    raw, rows, prev, stride = zlib.decompress(idat), [], bytearray(w * bpp), w * bpp
    for y in range(h):
        f, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for x in range(stride):
            a = line[x - bpp] if x >= bpp else 0
            b, c = prev[x], prev[x - bpp] if x >= bpp else 0
            if f == 1:
                line[x] = (line[x] + a) & 255
            elif f == 2:
                line[x] = (line[x] + b) & 255
            elif f == 3:
                line[x] = (line[x] + (a + b) // 2) & 255
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[x] = (line[x] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append(bytes(line))
        prev = line
    return w, h, bpp, rows


def distinct_colours(png):
    w, h, bpp, rows = png_pixels(png)
    return w, h, len({r[x:x + 3] for r in rows[::4] for x in range(0, w * bpp, 4 * bpp)})


def region(png, rect):
    w, h, bpp, rows = png_pixels(png)
    x0, y0, x1, y1 = (int(v) for v in rect)
    return b''.join(rows[y][x0 * bpp:x1 * bpp] for y in range(y0, min(y1, h)))


# ---- the WebSocket handshake, for the access and connect/drop checks ----

def ws_handshake(host, port, origin=None, host_hdr=None, src=None, path='/'):
    """The HTTP status line of a WebSocket upgrade (b'' when the server closed at once)."""
    s = socket.create_connection((host, port), timeout=5, source_address=src)
    hdr = ('GET %s HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n'
           'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n'
           'Sec-WebSocket-Protocol: gbac\r\n' % (path, host_hdr or '127.0.0.1:%d' % port))
    if origin:
        hdr += 'Origin: %s\r\n' % origin
    try:
        s.sendall((hdr + '\r\n').encode())
        line = s.recv(4096).split(b'\r\n')[0]
    except (ConnectionResetError, socket.timeout):
        line = b''
    s.close()
    return line


def ws_open(port):
    """A WebSocket page of our own on 127.0.0.1: the socket, once the server said 101."""
    s = socket.create_connection(('127.0.0.1', port), timeout=5)
    s.sendall(('GET / HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nUpgrade: websocket\r\n'
               'Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n'
               'Sec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: gbac\r\n\r\n'
               % port).encode())
    head = b''
    while b'\r\n\r\n' not in head:
        more = s.recv(4096)
        if not more:
            fail('a WebSocket handshake: the server closed')
        head += more
    if not head.startswith(b'HTTP/1.1 101'):
        fail('a WebSocket handshake got %r' % head.split(b'\r\n')[0])
    return s


def http_status(url, host_hdr=None):
    req = urllib.request.Request(url, headers={'Host': host_hdr} if host_hdr else {})
    try:
        with urllib.request.urlopen(req, timeout=5) as r:
            return r.status
    except urllib.error.HTTPError as e:
        return e.code
    except (urllib.error.URLError, ConnectionError):
        return 0


def rss_kb(pid):
    with open('/proc/%d/status' % pid) as f:
        return int(re.search(r'VmRSS:\s+(\d+)', f.read()).group(1))


# ---- the run ----

def start(tmp, netns_ip):
    server = 'gbweb%d' % os.getpid()
    env = dict(os.environ, JACK_DEFAULT_SERVER=server, JACK_NO_START_SERVER='1')
    spawn(['jackd', '-n', server, '-S', '--no-realtime', '-d', 'dummy', '-r', '48000', '-p',
           '256'], env=env, stdout=subprocess.DEVNULL, stderr=open(tmp + '/jackd.log', 'w'))
    subprocess.run(['jack_wait', '-w', '-t', '10'], env=env, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    osc_port = free_port(socket.SOCK_DGRAM)
    args = [GBAC, 'live', '--preset', 'melody-answer', '--no-ui', '--http', '0', '--osc-port',
            str(osc_port), '--session-dir', tmp]
    if netns_ip:
        args += ['--http-allow', netns_ip + '/32']
    err = open(tmp + '/gbac.err', 'w+')
    gbac = spawn(args, env=env, stdout=subprocess.DEVNULL, stderr=err)
    text = wait_for(lambda: (err.seek(0), err.read())[1] if 'token=' in
                    (err.seek(0), err.read())[1] and 'OSC on' in (err.seek(0), err.read())[1]
                    else None, 20, 'gbac to print its web address and token')
    port = int(re.search(r'web page at http://127\.0\.0\.1:(\d+)/', text).group(1))
    token = re.search(r'^token=([0-9a-f]{32})$', text, re.M).group(1)
    return env, gbac, port, token, Osc(osc_port)


def netns_setup():
    """A namespace with 10.213.X.2 over a veth pair to the host's 10.213.X.1 (root only)."""
    if os.geteuid() != 0:
        return None, None
    x = os.getpid() % 250 + 1
    ns, host_if = 'gbweb%d' % os.getpid(), 'gbw%d' % os.getpid()
    cmds = [['ip', 'netns', 'add', ns],
            ['ip', 'link', 'add', host_if, 'type', 'veth', 'peer', 'name', 'p' + host_if],
            ['ip', 'link', 'set', 'p' + host_if, 'netns', ns],
            ['ip', 'addr', 'add', '10.213.%d.1/30' % x, 'dev', host_if],
            ['ip', 'link', 'set', host_if, 'up'],
            ['ip', '-n', ns, 'addr', 'add', '10.213.%d.2/30' % x, 'dev', 'p' + host_if],
            ['ip', '-n', ns, 'link', 'set', 'p' + host_if, 'up'],
            ['ip', '-n', ns, 'link', 'set', 'lo', 'up']]
    CLEANUP.append(lambda: subprocess.run(['ip', 'link', 'del', host_if],
                                          stderr=subprocess.DEVNULL))
    CLEANUP.append(lambda: subprocess.run(['ip', 'netns', 'del', ns], stderr=subprocess.DEVNULL))
    for c in cmds:
        if subprocess.run(c, stderr=subprocess.DEVNULL).returncode != 0:
            print('note: no network namespace (%s); address checks on loopback only' % c)
            return None, None
    return ns, x


def slider_and_osc(b, osc):
    sel = '[id="p:/gbac/param/synth/gain_db"]'
    wait_for(lambda: b.js('return document.querySelector(arguments[0]) !== null && '
                          'document.getElementById("conn").dataset.state === "open"', sel),
             15, 'the page to connect and list the parameters')
    before = osc.query('/gbac/param/synth/gain_db')
    b.click_at(sel, 0.75)
    shown = float(b.js('return document.querySelector(arguments[0]).value', sel))
    lo, hi = (float(b.js('return document.querySelector(arguments[0]).' + k, sel))
              for k in ('min', 'max'))
    check(abs(shown - (lo + 0.75 * (hi - lo))) < 0.05 * (hi - lo) and abs(shown - before) > 1,
          'a click at 75%% of the gain slider (%g..%g) shows %.3f (was %.3f)' %
          (lo, hi, shown, before))
    got = wait_for(lambda: (lambda v: v if abs(v - shown) < 1e-3 else None)(
        osc.query('/gbac/param/synth/gain_db')), 5, 'the engine to take the clicked value')
    check(abs(got - shown) < 1e-3, 'OSC query reads %.4f, the value the slider shows' % got)
    sel = '[id="p:/gbac/param/synth/brightness"]'
    t = time.time() * 1000
    osc.send('/gbac/param/synth/brightness', 'f', [0.73])
    wait_for(lambda: abs(float(b.js('return document.querySelector(arguments[0]).value', sel))
                         - 0.73) < 1e-3, 5, 'the slider to follow an OSC change')
    at = float(b.js('return document.querySelector(arguments[0]).dataset.at', sel))
    check(True, 'an OSC change moved the brightness slider to 0.73, %.0f ms after it was sent'
          % (at - t))


def roll_and_rating(b, env, osc):
    # Middle C for 0.42 s every 2 s: phrases with a beat of silence after them.
    spawn(['jack_midiseq', 'Seq', '96000', '0', '60', '20000'], env=env,
          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_for(lambda: subprocess.run(['jack_connect', 'Seq:out', 'gbac:midi_in'], env=env,
                                    stderr=subprocess.DEVNULL).returncode == 0, 10,
             'jack_midiseq to appear')
    count = 'return document.querySelectorAll(arguments[0]).length'
    gen = '#roll-notes .note:not([data-source=performer]):not([data-source=score])'
    wait_for(lambda: b.js(count, '#roll-notes .note[data-source=performer]') > 0, 20,
             "the performer's notes in the piano roll")
    wait_for(lambda: b.js(count, gen) > 0, 40, "the melody GAN's answer in the piano roll")
    n_perf = b.js(count, '#roll-notes .note[data-source=performer]')
    colours = b.js('return [arguments[0], arguments[1]].map(s => '
                   'getComputedStyle(document.querySelector(s)).backgroundColor)',
                   '#roll-notes .note[data-source=performer]', gen)
    keys = b.js('return [...document.querySelectorAll(arguments[0])].map(n => +n.dataset.key)',
                '#roll-notes .note[data-source=performer]')
    check(n_perf >= 1 and set(keys) == {60}, 'the performer\'s JACK MIDI notes in the roll: '
          '%d, keys %s' % (n_perf, sorted(set(keys))))
    check(colours == ['rgb(31, 120, 181)', 'rgb(255, 128, 13)'],
          'performer blue and the melody GAN orange, as gbac plot draws them: %s' % colours)
    r0 = osc.query('/gbac/param/melody/ratings')
    b.s('POST', '/element/%s/click' % b.element('button[data-rate=like]'), {})
    wait_for(lambda: osc.query('/gbac/param/melody/ratings') == r0 + 1, 5,
             'like from the page to reach the melody unit')
    check(True, 'like from the page: the melody unit\'s ratings %g -> %g' % (r0, r0 + 1))
    # The unit takes one rating per phrase, and a phrase starts with the first bar generated
    # after a rating: wait for a bar scored after the like (its critic score mark in the roll),
    # not just for more notes (they may be the rated phrase's, planned ahead).
    marks = '#roll-notes .note[data-source=score]'
    n = b.js(count, marks)
    wait_for(lambda: b.js(count, marks) > n, 60, 'a bar generated after the like')
    b.s('POST', '/element/%s/click' % b.element('button[data-rate=dislike]'), {})
    wait_for(lambda: osc.query('/gbac/param/melody/ratings') == r0 + 2, 5,
             'dislike from the page to reach the melody unit')
    check(True, 'dislike from the page: ratings %g -> %g' % (r0 + 1, r0 + 2))


def record(b, tmp):
    b.s('POST', '/element/%s/click' % b.element('#rec'), {})
    wait_for(lambda: b.js('return +document.getElementById("rec-time").dataset.seconds') >= 1,
             10, 'the page to show a take recording for a second')
    b.s('POST', '/element/%s/click' % b.element('#rec'), {})
    wait_for(lambda: b.js('return document.getElementById("rec").dataset.recording') == '0',
             10, 'the page to show the recording stopped')
    files = sorted(os.listdir(os.path.join(tmp, 'take1')))
    check('notes.mid' in files and 'provenance.json' in files,
          'record start/stop from the page wrote the take: %s' % files)


def screenshots(b):
    rect = b.js('const r = document.getElementById("meter-l").parentElement'
                '.getBoundingClientRect();'
                'const d = devicePixelRatio; return [r.left*d, r.top*d, r.right*d, r.bottom*d]')
    shots, dbs = [], []
    for _ in range(60):  # shots while the music sounds (the meter shows -60..0 dB)
        db = float(b.js('return document.getElementById("meter-l").dataset.db'))
        if db > -50:
            shots.append(b.screenshot())
            dbs.append(db)
            if len(shots) >= 2 and region(shots[-2], rect) != region(shots[-1], rect):
                break
        time.sleep(0.1)
    check(len(shots) >= 2, 'screenshots while the meter shows sound: %d' % len(shots))
    w, h, n = distinct_colours(shots[0])
    check(n >= 20, 'screenshot %dx%d at a 1280x800 window: %d colours' % (w, h, n))
    check(len(shots) >= 2 and region(shots[-2], rect) != region(shots[-1], rect),
          'the left meter moved between two shots (%d shots, %s dB)' % (len(shots), dbs[-2:]))
    b.s('POST', '/window/rect', {'width': 768, 'height': 1024})
    time.sleep(0.3)
    png = b.screenshot()
    w, h, n = distinct_colours(png)
    fits = b.js('return document.documentElement.scrollWidth <= innerWidth')
    check(n >= 20 and fits, 'screenshot %dx%d at a 768x1024 window: %d colours, no sideways '
          'scrolling' % (w, h, n))
    return shots[0], png


def feed_rate(b, osc):
    def meters():
        return int(b.js('return document.body.dataset.meters'))
    s0 = json.loads(osc.query('/gbac/status'))['max_cycle_pct']
    f0, t0 = meters(), time.monotonic()
    time.sleep(3)
    f1, t1 = meters(), time.monotonic()
    rate = (f1 - f0) / (t1 - t0)
    check(0 < rate <= 31, 'meter updates to the page while music plays: %.1f per second (<= 30 '
          'allowed, 1 of slack for the window)' % rate)
    return s0


def timbre_and_learn(b, osc):
    """A preset load reaches the page; the XY pad, a latent knob and MIDI learn on the VAE."""
    osc.send('/gbac/preset/load', 's', ['timbre-vae'])
    z0 = '#zknobs [id="p:/gbac/param/vae/z0"]'
    wait_for(lambda: b.js('return !document.getElementById("xy").hidden && '
                          'document.querySelector(arguments[0]) !== null', z0), 20,
             'the page to show the timbre VAE after the preset load')
    check(b.js('return document.querySelectorAll("#zknobs input").length') == 8,
          'a preset load over OSC rebuilt the page: the XY pad and 8 latent knobs')
    pad = b.element('#xy')
    r = b.s('GET', '/element/%s/rect' % pad)
    org = {'element-6066-11e4-a52e-4f735466cecf': pad}
    def at(fx, fy):  # fy from the bottom, as the pad's y
        return {'type': 'pointerMove', 'origin': org, 'x': int(r['width'] * (fx - 0.5)),
                'y': int(r['height'] * (0.5 - fy))}
    b.s('POST', '/actions', {'actions': [{'type': 'pointer', 'id': 'mouse', 'parameters': {
        'pointerType': 'mouse'}, 'actions': [at(0.25, 0.25), {'type': 'pointerDown', 'button': 0},
        at(0.5, 0.5), at(0.8, 0.7), {'type': 'pointerUp', 'button': 0}]}]})
    b.s('DELETE', '/actions')
    xy = wait_for(lambda: (lambda v: v if abs(v[0] - 0.8) < 0.03 and abs(v[1] - 0.7) < 0.03
                           else None)([osc.query('/gbac/param/vae/morph_x'),
                                       osc.query('/gbac/param/vae/morph_y')]), 5,
                  'the engine to take the dragged morph position')
    check(True, 'a drag on the XY pad to (0.8, 0.7): the engine\'s morph_x %.3f, morph_y %.3f'
          % tuple(xy))
    b.click_at(z0, 0.75)
    shown = float(b.js('return document.querySelector(arguments[0]).value', z0))
    got = wait_for(lambda: (lambda v: v if abs(v - shown) < 1e-3 else None)(
        osc.query('/gbac/param/vae/z0')), 5, 'the engine to take the latent knob')
    check(abs(shown - 2.0) < 0.4, 'a click at 75%% of latent knob z0 (-4..4): the page shows '
          '%.3f, the engine\'s z0 is %.3f' % (shown, got))
    path = '/gbac/param/vae/gain_db'
    learn = '#params button[data-learn="%s"]' % path
    b.js('document.querySelector(arguments[0]).scrollIntoView({block: "center"})', learn)
    b.s('POST', '/element/%s/click' % b.element(learn), {})
    def mapped():  # the CC again until the learn (page -> engine) has been taken
        osc.send('/gbac/cc', 'ii', [30, 100])
        return b.js('return document.querySelector(arguments[0]).dataset.cc || null', learn)
    cc = wait_for(mapped, 10, 'MIDI learn to map CC 30 and the page to show it')
    label = b.js('return document.querySelector(arguments[0]).textContent', learn)
    sel = '#params [id="p:%s"]' % path
    lo, hi = (float(b.js('return document.querySelector(arguments[0]).' + k, sel))
              for k in ('min', 'max'))
    want = lo + 100 / 127 * (hi - lo)
    got = wait_for(lambda: (lambda v: v if abs(v - want) < 0.01 * (hi - lo) else None)(
        osc.query(path)), 5, 'CC 30 = 100 to set gain_db through the learned mapping')
    check(cc == '30' and label == 'CC 30', 'MIDI learn: click "L" of vae/gain_db, CC 30 over '
          'OSC\'s MIDI path: the page shows %r, the engine\'s gain_db %.2f (100/127 of '
          '%g..%g)' % (label, got, lo, hi))


# ---- how fast a change reaches every open page ----
#
# Four pages are open (the test's window and three more). A change is made from OSC, from JACK
# MIDI (CC 1, which the preset maps to melody/temperature), from one of the pages, and by a
# preset load; each must reach every page. Three figures per kind of change:
#
# - gbac's own share: http_feed_own_us of /gbac/status over a window opened (/gbac/window)
#   just before each change and read once every page showed it: from the moment gbac handled
#   the change on its main thread (an OSC or page message served, a MIDI change taken from the
#   audio thread, the preset swapped in) to the WebSocket message carrying it written to a
#   page's socket, the most of any page, less the time the web server's thread spent waiting
#   for a core meanwhile (the kernel's run_delay, which gbac does not control). No timer, rate
#   limit or reply queue stands in that path any more (only the meters are held to 30 a second;
#   replies and changes go in one message; a preset load sends the new schema with its
#   values): what is left is work, 0.1-3 ms on this 2-core VM at loads of 10-29. The median of
#   each kind is held to OWN_MEDIAN_MS: the old path (frames at most 30 a second, a 10 ms tick,
#   one reply per write) made a change wait 0-43 ms, ~20 ms in the median. The worst is held to
#   the 100 ms: at a load of 30 (ten busy loops and a sanitizer build beside the test)
#   a preset load's once reached 38 ms — waits the run_delay of the web thread does not show,
#   likely the main thread, preempted while it held a lock the web thread needed (malloc's).
# - the same in wall time (http_feed_window_us), printed: 0.1-20 ms at loads of 10-20, up to
#   110 ms at 29 — the scheduler's doing.
# - end to end: from the time the change was sent (the test's time.time(), the JACK sender's
#   CLOCK_REALTIME when its process callback wrote the CC, the sending page's Date.now(); for a
#   preset load the time gbac's reply said it was loaded) to the time each page's DOM showed the
#   value (Date.now() in paramValue, data-at): the same machine clock on both sides. This adds
#   what gbac does not control: the kernel's loopback, JACK's period (5.3 ms), and a headless
#   Chromium whose four renderers share the two cores with the load. Measured medians 1-35 ms
#   (worst 130 ms) at loads of 10-20; at 27-30 (ten busy loops beside the test) medians up to
#   89 ms, worst 364 ms, and once 1021 ms while a sanitizer build ran too. The median is held
#   to E2E_MEDIAN_MS, the worst to E2E_MS, room for an overloaded machine: a change lost
#   altogether fails the wait (10 s) before either.
OWN_MEDIAN_MS = 10
OWN_MS = 100
E2E_MEDIAN_MS = 250
E2E_MS = 2000
PAGES = 4


def open_pages(b, url, n):
    """n - 1 more windows on the page; all handles, the test's own first."""
    handles = [b.s('GET', '/window')]
    for _ in range(n - 1):
        h = b.s('POST', '/window/new', {'type': 'window'})['handle']
        b.s('POST', '/window', {'handle': h})
        b.s('POST', '/url', {'url': url})
        handles.append(h)
    for h in handles:
        b.s('POST', '/window', {'handle': h})
        wait_for(lambda: b.js('return document.getElementById("conn").dataset.state === "open" '
                              '&& document.querySelector("#params input") !== null'), 15,
                 'page %s to connect' % h)
    return handles


def shown_at(b, handles, sel, want, tol, what):
    """For each page: the Date.now() (ms) at which the control sel showed want (+- tol)."""
    out = []
    for h in handles:
        b.s('POST', '/window', {'handle': h})
        at = wait_for(lambda: b.js('const e = document.querySelector(arguments[0]);'
                                   'return e && Math.abs(+e.dataset.value - arguments[1]) <= '
                                   'arguments[2] ? +e.dataset.at : null', sel, want, tol), 10,
                      '%s to reach page %s' % (what, h))
        out.append(float(at))
    return out


def window_open(osc):
    """A new measurement window in gbac (its reply says it is open)."""
    osc.send('/gbac/window')
    while osc_parse(osc.s.recv(65536))[0] != '/gbac/window':
        pass


def cost_window(osc, periods, during=None):
    """/gbac/status once a new window has counted `periods` periods of the audio thread,
    calling during() meanwhile (or waiting)."""
    window_open(osc)
    end = time.monotonic() + 60
    while time.monotonic() < end:
        st = status(osc)
        if st['window_periods'] >= periods:
            return st
        if during:
            during()
        else:
            time.sleep(0.1)
    fail('the window did not count %d periods in 60 s' % periods)


# The audio thread's health is gbac's own callback time: the thread CPU time of each process
# callback, % of the period (window_process_p99_pct of /gbac/status, over a window of
# WINDOW_PERIODS periods, 3.2 s). CPU time, not wall-clock: the time other programs take the
# core from gbac does not count, so a loaded machine moves it little. What it still moves is
# cache and memory: idle windows of the same run measured 1.6-2.6 % at a load of 9-10. A window
# "during" is compared with the worse of one before and one after (drift of the load between
# them counts as noise) and may be 1.5 times that plus 0.5 points of a period: a web server that
# did work in the audio thread per page or per connection would show as a multiple of it.
WINDOW_PERIODS = 600


def p99(st):
    return st['window_process_p99_pct']


def callback_unchanged(what, during, before, after):
    base = max(p99(before), p99(after))
    bound = 1.5 * base + 0.5
    check(p99(during) <= bound, 'gbac\'s callback time %s: p99 %.1f %% of the period (worst '
          '%.1f %%), without %.1f %% before and %.1f %% after (worst %.1f, %.1f), <= 1.5 x %.1f '
          '+ 0.5 = %.1f' % (what, p99(during), during['window_process_max_pct'], p99(before),
                            p99(after), before['window_process_max_pct'],
                            after['window_process_max_pct'], base, bound))


def status(osc):
    return json.loads(osc.query('/gbac/status'))


def control_range(b, sel):
    return [float(b.js('return document.querySelector(arguments[0]).' + k, sel))
            for k in ('min', 'max')]


def in_gbac(osc, samples):
    """The window's figures once a change has reached every page: (own, wall) ms."""
    st = status(osc)
    samples.append((st['http_feed_own_us'] / 1000, st['http_feed_window_us'] / 1000))


def latency_osc(b, handles, osc, samples):
    sel = '[id="p:/gbac/param/synth/brightness"]'
    out = []
    for i in range(5):
        v = 0.2 + 0.1 * i
        window_open(osc)
        t = time.time() * 1000
        osc.send('/gbac/param/synth/brightness', 'f', [v])
        out += [a - t for a in shown_at(b, handles, sel, v, 1e-3, 'an OSC change')]
        in_gbac(osc, samples)
    return out


def latency_midi(b, handles, env, cc_tool, osc, samples):
    sel = '[id="p:/gbac/param/melody/temperature"]'
    lo, hi = control_range(b, sel)
    cc = spawn([cc_tool, 'WebCC'], env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
               text=True)
    check(cc.stdout.readline().strip() == 'ready', 'the JACK MIDI controller is up')
    wait_for(lambda: subprocess.run(['jack_connect', 'WebCC:out', 'gbac:midi_in'], env=env,
                                    stderr=subprocess.DEVNULL).returncode == 0, 10,
             'the JACK MIDI controller to connect to gbac')
    out = []
    for i in range(5):
        v = 30 + 20 * i
        window_open(osc)
        cc.stdin.write('1 %d\n' % v)
        cc.stdin.flush()
        line = cc.stdout.readline().split()
        t = int(line[1]) / 1000.0
        want = 0.3 + v / 127 * 1.7
        out += [a - t for a in shown_at(b, handles, sel, want, 2e-3 * (hi - lo), 'a MIDI CC')]
        in_gbac(osc, samples)
    cc.stdin.close()
    return out


def latency_page(b, handles, osc, samples):
    sel = '[id="p:/gbac/param/reverb/mix"]'
    out = []
    for i in range(5):
        v = 0.1 + 0.15 * i
        b.s('POST', '/window', {'handle': handles[i % len(handles)]})
        window_open(osc)
        t = b.js('const e = document.querySelector(arguments[0]); e.value = arguments[1];'
                 'const t = Date.now(); e.dispatchEvent(new Event("input")); return t;', sel, v)
        out += [a - t for a in shown_at(b, handles, sel, v, 1e-3, 'a change from a page')]
        in_gbac(osc, samples)
    return out


def preset_shown(b, handles, preset):
    """For each page: the Date.now() at which it learnt the rack was replaced (the feed's
    /web/engine, data-engine-at) and at which it showed every value of the new preset's
    controls (their data-at; a parameter the z knobs show twice counts once)."""
    out = []
    probe = '#zknobs [id="p:/gbac/param/vae/z0"]' if preset == 'timbre-vae' else \
        '[id="p:/gbac/param/melody/temperature"]'
    for h in handles:
        b.s('POST', '/window', {'handle': h})
        at = wait_for(lambda: b.js(
            'if (!document.querySelector(arguments[0])) return null;'
            'const a = [...document.querySelectorAll("#params input:not(:disabled), #zknobs '
            'input")].filter((e) => !(e.closest("#params") && document.querySelector('
            '"#zknobs [id=\'" + e.id + "\']"))).map((e) => e.dataset.at);'
            'return a.length && a.every((x) => x) ? [+document.body.dataset.engineAt, '
            'Math.max(...a.map(Number))] : null;', probe),
            20, 'page %s to show %s' % (h, preset))
        out.append((float(at[0]), float(at[1])))
    return out


def latency_preset(b, handles, osc, samples):
    out, load_ms, frame_ms = [], [], []
    for preset in ('timbre-vae', 'melody-answer', 'timbre-vae', 'melody-answer'):
        window_open(osc)
        t0 = time.time() * 1000
        osc.send('/gbac/preset/load', 's', [preset])
        while True:
            p, args = osc_parse(osc.s.recv(65536))
            if p in ('/gbac/preset/loaded', '/gbac/error'):
                break
        check(p == '/gbac/preset/loaded', 'preset %s loaded over OSC' % preset)
        t = time.time() * 1000
        load_ms.append(t - t0)
        for engine_at, shown in preset_shown(b, handles, preset):
            frame_ms.append(engine_at - t)
            out.append(shown - t)
        in_gbac(osc, samples)
    frame_ms.sort()
    print('note: gbac took %s ms to load the presets (before the change exists); the pages '
          'learnt of each %.0f ms median, %.0f ms worst after gbac\'s reply (its feed comes '
          'before the reply; the rest is the page rebuilding its controls)'
          % (['%.0f' % x for x in load_ms], frame_ms[len(frame_ms) // 2], frame_ms[-1]))
    return out


def change_latency(b, port, env, osc, cc_tool):
    one = cost_window(osc, WINDOW_PERIODS)
    handles = open_pages(b, 'http://127.0.0.1:%d/' % port, PAGES)
    check(status(osc)['http_clients'] == PAGES, '%d pages open' % PAGES)
    four = cost_window(osc, WINDOW_PERIODS)
    runs = (('OSC', lambda gb: latency_osc(b, handles, osc, gb)),
            ('JACK MIDI CC', lambda gb: latency_midi(b, handles, env, cc_tool, osc, gb)),
            ('a page', lambda gb: latency_page(b, handles, osc, gb)),
            ('a preset load', lambda gb: latency_preset(b, handles, osc, gb)))
    for what, run in runs:
        gb = []
        ms = sorted(run(gb))
        own, wall = sorted(o for o, w in gb), sorted(w for o, w in gb)
        med, own_med, wall_med = ms[len(ms) // 2], own[len(own) // 2], wall[len(wall) // 2]
        check(own_med <= OWN_MEDIAN_MS and own[-1] <= OWN_MS, 'changes from %s: gbac\'s own '
              'share of their way to every page %.2f ms median (<= %d), %.2f ms worst (<= %d) '
              'of %d; in wall time %.1f ms median, %.1f ms worst (the rest the web thread '
              'waiting for a core)' % (what, own_med, OWN_MEDIAN_MS, own[-1], OWN_MS, len(own),
                                       wall_med, wall[-1]))
        check(med <= E2E_MEDIAN_MS and ms[-1] <= E2E_MS, 'changes from %s reached %d pages '
              'end to end in %.0f ms median (<= %d), %.0f ms worst (<= %d), %d figures'
              % (what, PAGES, med, E2E_MEDIAN_MS, ms[-1], E2E_MS, len(ms)))
    for h in handles[1:]:
        b.s('POST', '/window', {'handle': h})
        b.s('DELETE', '/window')
    b.s('POST', '/window', {'handle': handles[0]})
    wait_for(lambda: status(osc)['http_clients'] == 1, 10, 'the extra pages to close')
    callback_unchanged('with %d pages open (music playing)' % PAGES, four, one,
                       cost_window(osc, WINDOW_PERIODS))


def bad_messages(b):
    replies = b.s('POST', '/execute/async', {'args': [], 'script': '''
        const done = arguments[arguments.length - 1], got = [];
        const ws = new WebSocket('ws://' + location.host + '/', 'gbac');
        const bad = ['not json', '[1]', '{"path": 5}', '{"path": "/gbac/ping", "x": 1}',
                     '{"path": "/gbac/param/synth/gain_db", "types": "i", "args": [2.5]}',
                     '{"path": "/gbac/nope", "id": 9}', new Uint8Array([1, 2, 3])];
        ws.onopen = () => bad.forEach((m) => ws.send(m));
        ws.onmessage = (e) => { const d = JSON.parse(e.data);
          (Array.isArray(d) ? d : [d]).forEach((m) => { if (m.id !== undefined ||
            m.path === '/gbac/error') got.push(m); });
          if (got.length === bad.length) { ws.close(); done(got); } };
        setTimeout(() => done(got), 5000);'''})
    reasons = [r['args'][1] for r in replies if r['path'] == '/gbac/error']
    check(len(reasons) == 7, '7 malformed messages, 7 error replies')
    for want in ('not JSON', 'expected a JSON object', '"path" is a whole number',
                 'unknown key "x"', '2.5 is not a whole number', 'unknown OSC path',
                 'binary messages are not accepted'):
        check(any(want in r for r in reasons), 'a reason says: ' + want)
    check([r.get('id') for r in replies if 'unknown OSC path' in r['args'][1]] == [9],
          'the error reply carries the message\'s id')


def access(port, token, ns, x):
    check(http_status('http://127.0.0.1:%d/' % port, 'evil.example:%d' % port) == 403,
          'a foreign Host header (DNS rebinding) gets 403')
    line = ws_handshake('127.0.0.1', port, origin='http://evil.example')
    check(not line.startswith(b'HTTP/1.1 101'), 'a WebSocket from a foreign Origin is refused '
          '(%r)' % line)
    line = ws_handshake('127.0.0.1', port, origin='http://127.0.0.1:%d' % port)
    check(line.startswith(b'HTTP/1.1 101'), 'one from the page\'s own origin is served')
    check(http_status('http://127.0.0.1:%d/../gbac.err' % port) == 404,
          'a path outside the page folder gets 404')
    if not ns:
        return
    me, peer = '10.213.%d.1' % x, '10.213.%d.2' % x
    check(ws_handshake(me, port, host_hdr='%s:%d' % (me, port), src=(me, 0)) == b'',
          'a host outside --http-allow (%s) is closed at once: nothing served' % me)
    def curl(q):
        return subprocess.run(['ip', 'netns', 'exec', ns, 'curl', '-s', '-o', '/dev/null', '-w',
                               '%{http_code}', 'http://%s:%d/%s' % (me, port, q)],
                              capture_output=True, text=True).stdout
    check(curl('') == '403', 'an allowed host (%s) without the token gets 403' % peer)
    check(curl('?token=0123456789abcdef0123456789abcdef') == '403', '... with a wrong one 403')
    check(curl('?token=' + token) == '200', '... with the token printed on stderr 200')


def connect_drop(port, gbac, osc):
    def clients():
        return json.loads(osc.query('/gbac/status'))['http_clients']
    base = clients()
    for r in range(4):
        for _ in range(100):
            line = ws_handshake('127.0.0.1', port)
            if not line.startswith(b'HTTP/1.1 101'):
                fail('a WebSocket handshake got %r' % line)
        if r == 0:
            wait_for(lambda: clients() == base, 5, 'the 100 dropped pages to be closed')
            rss0 = rss_kb(gbac.pid)
    wait_for(lambda: clients() == base, 5, 'the dropped pages to be closed')
    grow = rss_kb(gbac.pid) - rss0
    check(grow < 256, '300 more clients that connected and dropped: http_clients back to %d, '
          'gbac grew %d kB (< 256)' % (base, grow))
    rounds = [0]

    def churn():  # 100 pages at once, then all gone
        socks = [ws_open(port) for _ in range(100)]
        for x in socks:
            x.close()
        rounds[0] += 1
    before = cost_window(osc, WINDOW_PERIODS)
    during = cost_window(osc, WINDOW_PERIODS, churn)
    wait_for(lambda: clients() == base, 5, 'the dropped pages to be closed')
    callback_unchanged('while 100 clients connected and dropped, %d times' % rounds[0], during,
                       before, cost_window(osc, WINDOW_PERIODS))


def main():
    tmp = tempfile.mkdtemp(prefix='gbweb')
    try:
        ns, x = netns_setup()
        env, gbac, port, token, osc = start(tmp, '10.213.%d.2' % x if ns else None)
        st = status(osc)
        check('http_clients' in st, '/gbac/status has http_clients (%s)' % st['http_clients'])
        size = sum(os.path.getsize(os.path.join(d, f)) for d in [os.path.dirname(GBAC) +
                   '/share/gbac/web'] for f in os.listdir(d))
        check(size < 200 * 1024, 'the page weighs %d bytes in total (< 200 KB)' % size)
        cd_port = free_port(socket.SOCK_STREAM)
        spawn(['chromedriver', '--port=%d' % cd_port], stdout=subprocess.DEVNULL,
              stderr=subprocess.DEVNULL)
        wait_for(lambda: http_status('http://127.0.0.1:%d/status' % cd_port) == 200, 15,
                 'chromedriver')
        b = Browser(cd_port)
        BEFORE.append(b.close)
        b.s('POST', '/url', {'url': 'http://127.0.0.1:%d/' % port})
        slider_and_osc(b, osc)
        roll_and_rating(b, env, osc)
        screenshots(b)
        feed_rate(b, osc)
        record(b, tmp)
        change_latency(b, port, env, osc, CC_TOOL)
        timbre_and_learn(b, osc)
        bad_messages(b)
        access(port, token, ns, x)
        refused = json.loads(osc.query('/gbac/status'))['http_refused']
        check(refused == (5 if ns else 2), 'http_refused counted each refusal: %d' % refused)
        connect_drop(port, gbac, osc)
        check(gbac.poll() is None, 'gbac still running')
    finally:
        stop_all()
        shutil.rmtree(tmp, ignore_errors=True)
    print('PASS')


if __name__ == '__main__':
    main()
