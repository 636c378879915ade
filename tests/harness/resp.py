"""Socket-level RESP2/RESP3 client for tests that need exact bytes and exact reply types.

Every reply is parsed into a `Reply(kind, value)`:

    kind        value
    ----------  ---------------------------------------------------------------
    simple      str            (+OK)
    error       str            (-ERR ...; full text without the leading '-')
    int         int            (:1)
    bulk        bytes          ($3 foo)
    nullbulk    None           ($-1, RESP2)
    nullarray   None           (*-1, RESP2)
    null        None           (_, RESP3)
    array       tuple[Reply]   (*N)
    map         tuple[(Reply, Reply)]   (%N, order preserved)
    set         tuple[Reply]   (~N, order preserved)
    attribute   tuple[(Reply, Reply)]   (|N; returned as its own reply)
    push        tuple[Reply]   (>N)
    double      str            (,1.5 -- raw text kept so formatting is compared exactly)
    bool        bool           (#t / #f)
    bignum      str            ((123...)
    verbatim    (str, bytes)   (=N txt:...)
    blobError   str            (!N ...)

Replies are hashable and compare structurally, so differential tests can compare
type and value exactly with ==.
"""

from __future__ import annotations

import socket
import time
from dataclasses import dataclass
from typing import Any, Iterable

__all__ = [
    "Reply", "RespClient", "RespError", "ConnectionClosed", "ProtocolParseError",
    "encode_command", "parse_one", "shape", "sort_reply",
]


class RespError(Exception):
    pass


class ConnectionClosed(RespError):
    """The peer closed the connection before a complete reply arrived."""


class ProtocolParseError(RespError):
    pass


@dataclass(frozen=True)
class Reply:
    kind: str
    value: Any

    # -- convenience -------------------------------------------------------
    @property
    def is_error(self) -> bool:
        return self.kind in ("error", "blobError")

    @property
    def is_null(self) -> bool:
        return self.kind in ("null", "nullbulk", "nullarray")

    def py(self) -> Any:
        """Convert to plain Python values (types are lost)."""
        k, v = self.kind, self.value
        if k in ("array", "set", "push"):
            return [x.py() for x in v]
        if k in ("map", "attribute"):
            return {a.py(): b.py() for a, b in v}
        if k == "verbatim":
            return v[1]
        if k == "double":
            return float(v)
        if k == "bignum":
            return int(v)
        return v

    def __repr__(self) -> str:  # compact, readable in assertion diffs
        k, v = self.kind, self.value
        if k in ("array", "set", "push"):
            return f"{k}[" + ", ".join(repr(x) for x in v) + "]"
        if k in ("map", "attribute"):
            return f"{k}{{" + ", ".join(f"{a!r}: {b!r}" for a, b in v) + "}"
        if k in ("nullbulk", "nullarray", "null"):
            return k
        return f"{k}({v!r})"


# Shorthand constructors, handy in assertions: S("OK"), I(1), B(b"x"), E("ERR ...").
def S(s: str) -> Reply: return Reply("simple", s)
def E(s: str) -> Reply: return Reply("error", s)
def I(n: int) -> Reply: return Reply("int", n)
def B(b) -> Reply: return Reply("bulk", b.encode() if isinstance(b, str) else b)
def A(*items: Reply) -> Reply: return Reply("array", tuple(items))
NULLBULK = Reply("nullbulk", None)
NULLARRAY = Reply("nullarray", None)
NULL = Reply("null", None)

__all__ += ["S", "E", "I", "B", "A", "NULLBULK", "NULLARRAY", "NULL"]


def _to_bytes(x) -> bytes:
    if isinstance(x, bytes):
        return x
    if isinstance(x, (bytearray, memoryview)):
        return bytes(x)
    if isinstance(x, str):
        return x.encode()
    if isinstance(x, (int, float)):
        return repr(x).encode() if isinstance(x, float) else str(x).encode()
    raise TypeError(f"cannot encode {type(x)!r}")


def encode_command(*args) -> bytes:
    parts = [b"*%d\r\n" % len(args)]
    for a in args:
        b = _to_bytes(a)
        parts.append(b"$%d\r\n" % len(b))
        parts.append(b)
        parts.append(b"\r\n")
    return b"".join(parts)


class _Incomplete(Exception):
    pass


def _parse(buf: bytes, pos: int):
    """Parse one reply from buf starting at pos. Returns (Reply, newpos) or raises _Incomplete."""
    eol = buf.find(b"\r\n", pos)
    if eol < 0:
        raise _Incomplete
    t = buf[pos:pos + 1]
    line = buf[pos + 1:eol]
    nxt = eol + 2
    text = line.decode("utf-8", "surrogateescape")
    if t == b"+":
        return Reply("simple", text), nxt
    if t == b"-":
        return Reply("error", text), nxt
    if t == b":":
        return Reply("int", int(line)), nxt
    if t == b",":
        return Reply("double", text), nxt
    if t == b"(":
        return Reply("bignum", text), nxt
    if t == b"#":
        if line not in (b"t", b"f"):
            raise ProtocolParseError(f"bad boolean {line!r}")
        return Reply("bool", line == b"t"), nxt
    if t == b"_":
        if line:
            raise ProtocolParseError(f"bad null {line!r}")
        return Reply("null", None), nxt
    if t in (b"$", b"=", b"!"):
        n = int(line)
        if n < 0:
            if t != b"$":
                raise ProtocolParseError(f"negative length for {t!r}")
            return Reply("nullbulk", None), nxt
        end = nxt + n
        if len(buf) < end + 2:
            raise _Incomplete
        if buf[end:end + 2] != b"\r\n":
            raise ProtocolParseError("bulk payload not followed by CRLF")
        data = buf[nxt:end]
        if t == b"$":
            return Reply("bulk", data), end + 2
        if t == b"!":
            return Reply("blobError", data.decode("utf-8", "surrogateescape")), end + 2
        if len(data) < 4 or data[3:4] != b":":
            raise ProtocolParseError(f"bad verbatim string {data[:10]!r}")
        return Reply("verbatim", (data[:3].decode(), data[4:])), end + 2
    if t in (b"*", b"~", b">", b"%", b"|"):
        n = int(line)
        if n < 0:
            if t != b"*":
                raise ProtocolParseError(f"negative length for {t!r}")
            return Reply("nullarray", None), nxt
        p = nxt
        if t in (b"%", b"|"):
            pairs = []
            for _ in range(n):
                k, p = _parse(buf, p)
                v, p = _parse(buf, p)
                pairs.append((k, v))
            return Reply("map" if t == b"%" else "attribute", tuple(pairs)), p
        items = []
        for _ in range(n):
            it, p = _parse(buf, p)
            items.append(it)
        kind = {b"*": "array", b"~": "set", b">": "push"}[t]
        return Reply(kind, tuple(items)), p
    raise ProtocolParseError(f"unknown RESP type byte {t!r} in {buf[pos:pos + 40]!r}")


def parse_one(data: bytes):
    """Parse exactly one reply from a complete byte string; returns (Reply, rest)."""
    try:
        r, p = _parse(data, 0)
    except _Incomplete:
        raise ProtocolParseError(f"incomplete reply: {data[:80]!r}")
    return r, data[p:]


def shape(r: Reply):
    """Structure of a reply with leaf values erased: used by @ignore-value comparisons."""
    if r.kind in ("array", "set", "push"):
        return (r.kind, tuple(shape(x) for x in r.value))
    if r.kind in ("map", "attribute"):
        return (r.kind, tuple((shape(a), shape(b)) for a, b in r.value))
    return (r.kind,)


def _sort_key(r: Reply):
    return repr(r)


def sort_reply(r: Reply) -> Reply:
    """Sort aggregate elements (top level, and one level down) for unordered replies."""
    if r.kind in ("array", "set", "push"):
        items = tuple(sort_reply(x) if x.kind in ("array", "set") else x for x in r.value)
        return Reply(r.kind, tuple(sorted(items, key=_sort_key)))
    if r.kind == "map":
        return Reply(r.kind, tuple(sorted(r.value, key=lambda kv: _sort_key(kv[0]))))
    return r


class RespClient:
    """Blocking RESP client over a raw TCP socket. Every read has a timeout."""

    def __init__(self, host: str = "127.0.0.1", port: int = 6379, timeout: float = 10.0,
                 connect_timeout: float = 5.0):
        self.host, self.port, self.timeout = host, port, timeout
        self.sock = socket.create_connection((host, port), timeout=connect_timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.sock.settimeout(timeout)
        self.buf = b""
        self.closed = False

    # -- lifecycle ---------------------------------------------------------
    def close(self) -> None:
        if not self.closed:
            self.closed = True
            try:
                self.sock.close()
            except OSError:
                pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # -- sending -----------------------------------------------------------
    def send_raw(self, data: bytes) -> None:
        self.sock.sendall(data)

    def send_command(self, *args) -> None:
        self.sock.sendall(encode_command(*args))

    def send_pipeline(self, commands: Iterable[Iterable]) -> None:
        self.sock.sendall(b"".join(encode_command(*c) for c in commands))

    # -- receiving ---------------------------------------------------------
    def _fill(self, deadline: float) -> None:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError(f"timed out waiting for reply; buffered={self.buf[:200]!r}")
        self.sock.settimeout(remaining)
        try:
            chunk = self.sock.recv(1 << 20)
        except socket.timeout:
            raise TimeoutError(f"timed out waiting for reply; buffered={self.buf[:200]!r}")
        except ConnectionResetError:
            chunk = b""
        if not chunk:
            raise ConnectionClosed(f"connection closed; buffered={self.buf[:200]!r}")
        self.buf += chunk

    def read_reply(self, timeout: float | None = None) -> Reply:
        deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
        while True:
            if self.buf:
                try:
                    r, p = _parse(self.buf, 0)
                except _Incomplete:
                    pass
                else:
                    self.buf = self.buf[p:]
                    return r
            self._fill(deadline)

    def read_replies(self, n: int, timeout: float | None = None) -> list[Reply]:
        deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
        out = []
        while len(out) < n:
            out.append(self.read_reply(timeout=max(0.001, deadline - time.monotonic())))
        return out

    def read_exact(self, n: int, timeout: float | None = None) -> bytes:
        deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
        while len(self.buf) < n:
            self._fill(deadline)
        data, self.buf = self.buf[:n], self.buf[n:]
        return data

    def read_line(self, timeout: float | None = None) -> bytes:
        """One raw line including its CRLF."""
        deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
        while b"\r\n" not in self.buf:
            self._fill(deadline)
        i = self.buf.index(b"\r\n") + 2
        line, self.buf = self.buf[:i], self.buf[i:]
        return line

    def read_until_closed(self, timeout: float = 5.0) -> bytes:
        """Everything the server sends until it closes the connection (TimeoutError if it doesn't)."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                self._fill(deadline)
            except ConnectionClosed:
                data, self.buf = self.buf, b""
                return data

    def is_closed_by_peer(self, timeout: float = 2.0) -> bool:
        """True if the peer closes within timeout (any unread data is discarded)."""
        try:
            self.read_until_closed(timeout)
            return True
        except TimeoutError:
            return False

    def assert_no_data(self, wait: float = 0.1) -> None:
        """Assert nothing (more) arrives within `wait` seconds."""
        if self.buf:
            raise AssertionError(f"unexpected buffered data {self.buf[:200]!r}")
        self.sock.settimeout(wait)
        try:
            chunk = self.sock.recv(65536)
        except socket.timeout:
            return
        finally:
            self.sock.settimeout(self.timeout)
        raise AssertionError(f"unexpected data {chunk[:200]!r}")

    # -- combined ----------------------------------------------------------
    def call(self, *args, timeout: float | None = None) -> Reply:
        self.send_command(*args)
        return self.read_reply(timeout)

    def call_raw(self, data: bytes, timeout: float | None = None) -> Reply:
        self.send_raw(data)
        return self.read_reply(timeout)
