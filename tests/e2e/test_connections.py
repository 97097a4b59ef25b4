"""Connections: slow clients (one header byte a second, "slowloris") never lock the cash desks
out, and are disconnected when a request's head is overdue; the per-address limit, the idle
timeout of kept-alive connections, the open-file limit.

The server's settings come through the KARTOTEKA_* environment, so these tests also run (and fail)
against a binary from before the settings existed.
"""
import http.client
import math
import re
import resource
import select
import signal
import socket
import subprocess
import threading
import time

from conftest import BIN, db_arg, phone, src

N_SLOW = 1100


def raise_open_files(n):
    """The slow clients need more sockets than the usual soft limit of 1,024; the server started
    afterwards inherits the raised limit (and raises its own as far as it needs)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and soft < n:
        resource.setrlimit(resource.RLIMIT_NOFILE, (n if hard == resource.RLIM_INFINITY
                                                    else min(n, hard), hard))
    assert resource.getrlimit(resource.RLIMIT_NOFILE)[0] >= N_SLOW + 200, "raise ulimit -n"


def port_of(s):
    return int(s.url.rsplit(":", 1)[1])


class Slowloris:
    """`n` connections from `source` that send a request head one byte per `interval` seconds
    (spread evenly, so the test's own client never stalls on a burst) and never finish it.
    Records, per connection, when it opened and when the server closed it."""

    HEAD = b"GET /healthz HTTP/1.1\r\nHost: kartoteka\r\nX-Slow: " + b"a" * 4000

    def __init__(self, port, n, source="127.0.0.1", interval=1.0):
        self.interval = interval
        self.conns = {}  # fd -> [socket, opened, closed or None, bytes sent, next send]
        self.poll = select.poll()
        for i in range(n):
            sk = socket.socket()
            sk.bind((source, 0))
            sk.connect(("127.0.0.1", port))
            sk.setblocking(False)
            now = time.monotonic()
            self.conns[sk.fileno()] = [sk, now, None, 0, now + interval * i / n]
            self.poll.register(sk, select.POLLIN | select.POLLERR | select.POLLHUP)
        self.stop_flag = threading.Event()
        self.lock = threading.Lock()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _closed(self, fd, now):
        c = self.conns[fd]
        if c[2] is None:
            c[2] = now
            self.poll.unregister(fd)

    def _trickle(self, now):
        for fd, c in self.conns.items():
            if c[2] is not None or c[4] > now or c[3] >= len(self.HEAD):
                continue
            c[4] += self.interval
            try:
                c[3] += c[0].send(self.HEAD[c[3]:c[3] + 1], socket.MSG_NOSIGNAL)
            except BlockingIOError:
                pass
            except OSError:
                self._closed(fd, now)

    def _run(self):
        while not self.stop_flag.is_set():
            events = self.poll.poll(10)
            with self.lock:
                now = time.monotonic()
                for fd, _ in events:
                    try:
                        data = self.conns[fd][0].recv(4096)
                    except BlockingIOError:
                        continue
                    except OSError:
                        data = b""
                    self._closed(fd, now)  # an answer or the end: not waiting any more
                    assert not data, f"the server answered a half-sent head: {data[:80]!r}"
                self._trickle(now)

    def open_count(self):
        with self.lock:
            return sum(1 for c in self.conns.values() if c[2] is None)

    def lifetimes(self):
        """Seconds each closed connection lived, and the number still open."""
        with self.lock:
            done = [c[2] - c[1] for c in self.conns.values() if c[2] is not None]
            return done, sum(1 for c in self.conns.values() if c[2] is None)

    def close(self):
        self.stop_flag.set()
        self.thread.join()
        for c in self.conns.values():
            c[0].close()


def lookups(s, ph, n, source, budget=20.0):
    """Looks `ph` up `n` times, each on a new connection from `source`. Seconds per lookup; a
    failed or timed-out one counts as infinity (and three of those end the run)."""
    out, failed, end = [], 0, time.monotonic() + budget
    path = "/v1/customers?phone=" + ph.replace("+", "%2B")
    for _ in range(n):
        t0 = time.monotonic()
        c = http.client.HTTPConnection("127.0.0.1", port_of(s), timeout=2,
                                       source_address=(source, 0))
        try:
            c.request("GET", path, headers={"Authorization": f"Bearer {s.admin_key}"})
            r = c.getresponse()
            body = r.read()
            assert r.status == 200 and ph.encode() in body, (r.status, body[:200])
            out.append(time.monotonic() - t0)
        except OSError:
            out.append(math.inf)
            failed += 1
        finally:
            c.close()
        if failed >= 3 or time.monotonic() > end:
            break
        time.sleep(0.005)
    return out


def p99(xs):
    xs = sorted(xs)
    return xs[math.ceil(0.99 * len(xs)) - 1]


def customer(s):
    p = phone()
    r = s.post("/v1/customers", {"source": src(), "profile": {"phone": p}})
    assert r.status_code == 201, r.text
    return p


def wait_until(cond, timeout):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if cond():
            return True
        time.sleep(0.05)
    return cond()


def test_slow_clients_beyond_the_address_limit_are_closed_and_the_tills_go_on(start_server):
    raise_open_files(4096)
    head_s, per_addr = 4.0, 100
    s = start_server(env={"KARTOTEKA_HEADER_TIMEOUT": str(int(head_s * 1000)),
                          "KARTOTEKA_MAX_CONNECTIONS_PER_ADDRESS": str(per_addr)})
    ph = customer(s)
    slow = Slowloris(port_of(s), N_SLOW, source="127.0.0.1")
    try:
        # The surplus over the address's limit is closed at once, the rest is held.
        assert wait_until(lambda: slow.open_count() <= per_addr, 2.0), slow.open_count()
        assert per_addr - 1 <= slow.open_count()  # the harness's own keep-alive may hold one
        # A till on another address looks customers up on new connections as if nothing were on.
        lat = lookups(s, ph, 200, source="127.0.0.2")
        assert len(lat) == 200 and p99(lat) < 0.100, f"p99 {p99(lat) * 1000:.1f} ms"
        # The held ones are cut at the head deadline, though they keep sending.
        assert wait_until(lambda: slow.open_count() == 0, head_s + 3), slow.open_count()
        lives, _ = slow.lifetimes()
        held = [t for t in lives if t > 1.0]  # the refused ones lived milliseconds
        assert len(held) >= per_addr - 1
        assert min(held) >= head_s - 0.2 and max(held) <= head_s + 1.5, (min(held), max(held))
    finally:
        slow.close()
    metrics = s.get("/metrics", key=None).text
    refused = int(re.search(r"kartoteka_http_connections_refused_total (\d+)", metrics).group(1))
    cut = int(re.search(r"kartoteka_http_head_timeouts_total (\d+)", metrics).group(1))
    assert refused >= N_SLOW - per_addr and cut >= per_addr - 1
    log = s.stop()
    assert "event=connections_refused" in log and "event=head_timeout" in log
    assert "reached connection limit" not in log  # a flood never writes a line per connection


def test_slow_clients_within_the_limits_are_cut_at_the_head_deadline(start_server):
    raise_open_files(4096)
    head_s = 3.0
    s = start_server(env={"KARTOTEKA_HEADER_TIMEOUT": str(int(head_s * 1000)),
                          "KARTOTEKA_MAX_CONNECTIONS_PER_ADDRESS": "0",
                          "KARTOTEKA_MAX_CONNECTIONS": "2048"})
    ph = customer(s)
    slow = Slowloris(port_of(s), N_SLOW, source="127.0.0.1")
    try:
        time.sleep(0.5)
        assert slow.open_count() == N_SLOW  # all accepted: none over a limit
        lat = lookups(s, ph, 150, source="127.0.0.1")
        assert len(lat) == 150 and p99(lat) < 0.100, f"p99 {p99(lat) * 1000:.1f} ms"
        assert wait_until(lambda: slow.open_count() == 0, head_s + 3), slow.open_count()
        lives, _ = slow.lifetimes()
        assert min(lives) >= head_s - 0.2 and max(lives) <= head_s + 1.5, (min(lives), max(lives))
    finally:
        slow.close()
    assert s.get("/healthz", key=None).status_code == 200


def read_reply(sk, timeout=5):
    """One HTTP reply from a raw socket: (status, headers text)."""
    sk.settimeout(timeout)
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sk.recv(65536)
        assert chunk, "connection closed before a reply"
        data += chunk
    head, rest = data.split(b"\r\n\r\n", 1)
    n = int(re.search(rb"(?i)content-length: *(\d+)", head).group(1))
    while len(rest) < n:
        rest += sk.recv(65536)
    return int(head.split()[1]), head.decode()


def closed_by_server(sk, timeout):
    """Seconds until the server closes `sk`, or None if it stays open for `timeout`."""
    t0 = time.monotonic()
    sk.settimeout(timeout)
    try:
        data = sk.recv(1)
    except socket.timeout:
        return None
    except OSError:
        data = b""
    assert data == b""
    return time.monotonic() - t0


GET = b"GET /healthz HTTP/1.1\r\nHost: kartoteka\r\n\r\n"


def test_kept_alive_connections_idle_and_slow(start_server):
    s = start_server(env={"KARTOTEKA_HEADER_TIMEOUT": "1000", "KARTOTEKA_IDLE_TIMEOUT": "3000"})
    port = port_of(s)
    # Idle between requests for longer than the head deadline: still served.
    a = socket.create_connection(("127.0.0.1", port))
    a.sendall(GET)
    assert read_reply(a)[0] == 200
    time.sleep(1.6)
    a.sendall(GET)
    assert read_reply(a)[0] == 200
    # Idle past the idle timeout: closed (whole seconds, so 3-4 s).
    gone = closed_by_server(a, 6)
    assert gone is not None and 2.5 <= gone <= 5, gone
    a.close()
    # The next request trickles in a byte every 0.2 s (each byte resets the idle timer): cut about
    # a second after its first byte.
    b = socket.create_connection(("127.0.0.1", port))
    b.sendall(GET)
    assert read_reply(b)[0] == 200
    t0, cut = time.monotonic(), None
    for ch in GET[:-4] + b"X-Slow: " + b"a" * 100:
        try:
            b.send(bytes([ch]))
        except OSError:
            cut = time.monotonic() - t0
            break
        b.settimeout(0.2)
        try:
            if b.recv(1) == b"":
                cut = time.monotonic() - t0
                break
        except socket.timeout:
            pass
        except OSError:
            cut = time.monotonic() - t0
            break
    b.close()
    assert cut is not None and 0.8 <= cut <= 2.5, cut


def serve_with_open_files(tmp_path, limit, *args):
    """`kartoteka serve` under an open-file limit of `limit` (soft and hard)."""
    def lower():
        resource.setrlimit(resource.RLIMIT_NOFILE, (limit, limit))
    return subprocess.Popen([BIN, "serve", "--db", db_arg(tmp_path / "f.db"), "--listen",
                             "127.0.0.1:0", *args], preexec_fn=lower, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def test_max_connections_must_fit_the_open_file_limit(tmp_path):
    # 256 files for the rest of the process, two per worker thread.
    p = serve_with_open_files(tmp_path, 2048, "--threads", "2", "--max-connections", "4000")
    out, err = p.communicate(timeout=30)
    assert p.returncode == 1
    assert "4000 connections need 4260 open files, the limit is 2048" in err
    p = serve_with_open_files(tmp_path, 2048, "--threads", "8", "--max-connections", "16")
    out, err = p.communicate(timeout=30)
    assert p.returncode == 1 and "16 connections for 8 threads" in err
    # The default is lowered to fit, with a warning, rather than refusing to start.
    p = serve_with_open_files(tmp_path, 1024, "--threads", "2")
    line, warned = "", False
    while "event=listening" not in line:
        line = p.stderr.readline()
        assert line, "the server did not start"
        if "max_connections_lowered" in line:
            assert "to=764" in line
            warned = True
    assert "max_connections=764" in line and warned
    p.send_signal(signal.SIGINT)
    p.communicate(timeout=30)
    assert p.returncode == 0
