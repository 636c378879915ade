"""Differential corpus format and runner (used by tests/compat).

A corpus file is a sequence of lines:

    @needs CMD [CMD ...]           header (before the first step): the whole file is skipped
                                   unless the server under test knows every CMD (COMMAND INFO)
    # comment                      (only when '#' is the first non-blank character)
    <blank line>                   separator, no meaning (state carries over)
    SET key "a value\\n"           a command, redis-cli quoting: "..." with \\n \\r \\t \\b \\a \\\\ \\" \\xHH,
                                   '...' with only \\' ; sent as a RESP multibulk
    @ignore-value [CMD ...]        compare only the reply's shape (types + aggregate sizes, no leaf
                                   values) of the next command, or of the command on the same line
    @sort [CMD ...]                sort aggregate replies before comparing (unordered results)
    @resp3 / @resp2                send HELLO 3 / HELLO 2 on both connections (reply not compared)
    @sleep SECONDS                 sleep (capped at 5 s)
    @raw "ESCAPED BYTES"           send bytes as-is (same quoting rules, one argument) and compare
                                   exactly one reply
    @raw-noreply "ESCAPED BYTES"   send bytes, expect no reply within 0.1 s from either server
    @closed                        both servers must close the connection (within 2 s); reconnect
    @reconnect                     open fresh connections (RESP2, db 0)
    @flush                         FLUSHALL both servers (reply not compared)

Each command is sent to both servers in lockstep and the typed replies are compared exactly
(errors by full text).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from .resp import ConnectionClosed, Reply, RespClient, shape, sort_reply


class CorpusSyntaxError(ValueError):
    pass


_ESCAPES = {"n": b"\n", "r": b"\r", "t": b"\t", "b": b"\b", "a": b"\a"}
_HEX = "0123456789abcdefABCDEF"


def split_args(line: str) -> list[bytes]:
    """Split a line like redis-cli / sdssplitargs does. Raises CorpusSyntaxError on bad quoting."""
    out: list[bytes] = []
    i, n = 0, len(line)
    while True:
        while i < n and line[i] in " \t\r\n\v\f":
            i += 1
        if i >= n:
            return out
        cur = bytearray()
        in_dq = in_sq = False
        while True:
            if in_dq:
                if i >= n:
                    raise CorpusSyntaxError(f"unbalanced double quote: {line!r}")
                ch = line[i]
                if ch == "\\" and i + 3 < n and line[i + 1] == "x" and line[i + 2] in _HEX \
                        and line[i + 3] in _HEX:
                    cur.append(int(line[i + 2:i + 4], 16))
                    i += 3
                elif ch == "\\" and i + 1 < n:
                    i += 1
                    c = line[i]
                    cur += _ESCAPES.get(c, c.encode())
                elif ch == '"':
                    if i + 1 < n and line[i + 1] not in " \t\r\n\v\f":
                        raise CorpusSyntaxError(f"closing quote must be followed by a space: {line!r}")
                    in_dq = False
                    i += 1
                    break
                else:
                    cur += ch.encode()
            elif in_sq:
                if i >= n:
                    raise CorpusSyntaxError(f"unbalanced single quote: {line!r}")
                ch = line[i]
                if ch == "\\" and i + 1 < n and line[i + 1] == "'":
                    i += 1
                    cur += b"'"
                elif ch == "'":
                    if i + 1 < n and line[i + 1] not in " \t\r\n\v\f":
                        raise CorpusSyntaxError(f"closing quote must be followed by a space: {line!r}")
                    in_sq = False
                    i += 1
                    break
                else:
                    cur += ch.encode()
            else:
                if i >= n:
                    break
                ch = line[i]
                if ch in " \t\r\n\v\f":
                    break
                if ch == '"':
                    in_dq = True
                elif ch == "'":
                    in_sq = True
                else:
                    cur += ch.encode()
            i += 1
        out.append(bytes(cur))


@dataclass
class Step:
    lineno: int
    text: str
    op: str                      # "cmd", "raw", "raw-noreply", "resp3", "resp2", "sleep", "closed",
    #                              "reconnect", "flush", "needs" (args = command names; not run)
    args: list[bytes] = field(default_factory=list)
    ignore_value: bool = False
    sort: bool = False
    seconds: float = 0.0
    tolerance: int = 0           # integer replies may differ by this much (TTL rounding races);
    #                              not expressible in corpus files, for generated workloads


def parse_corpus(text: str) -> list[Step]:
    steps: list[Step] = []
    pending_ignore = pending_sort = False
    for lineno, raw_line in enumerate(text.splitlines(), 1):
        line = full = raw_line.strip()
        if not line or line.startswith("#"):
            continue
        ignore = sort = False
        # modifiers may be stacked: "@sort @ignore-value CMD ..."
        while True:
            if line.startswith("@ignore-value"):
                ignore, line = True, line[len("@ignore-value"):].strip()
            elif line.startswith("@sort"):
                sort, line = True, line[len("@sort"):].strip()
            else:
                break
        if not line:  # modifiers alone apply to the next command
            pending_ignore |= ignore
            pending_sort |= sort
            continue
        ignore |= pending_ignore
        sort |= pending_sort
        pending_ignore = pending_sort = False
        try:
            if line.startswith("@"):
                word, _, rest = line.partition(" ")
                d = word[1:]
                if d == "needs":
                    if ignore or sort:
                        raise CorpusSyntaxError("@needs takes no modifiers")
                    if any(x.op != "needs" for x in steps):
                        raise CorpusSyntaxError("@needs must come before the first step")
                    names = split_args(rest)
                    if not names:
                        raise CorpusSyntaxError("@needs takes at least one command name")
                    steps.append(Step(lineno, full, "needs", names))
                elif d in ("resp3", "resp2", "closed", "reconnect", "flush"):
                    steps.append(Step(lineno, full, d))
                elif d == "sleep":
                    secs = float(rest)
                    if not 0 <= secs <= 5:
                        raise CorpusSyntaxError("@sleep must be between 0 and 5 seconds")
                    steps.append(Step(lineno, full, "sleep", seconds=secs))
                elif d in ("raw", "raw-noreply"):
                    args = split_args(rest)
                    if len(args) != 1:
                        raise CorpusSyntaxError(f"@{d} takes one quoted argument")
                    steps.append(Step(lineno, full, d, args, ignore, sort))
                else:
                    raise CorpusSyntaxError(f"unknown directive {word}")
            else:
                steps.append(Step(lineno, full, "cmd", split_args(line), ignore, sort))
        except CorpusSyntaxError as e:
            raise CorpusSyntaxError(f"line {lineno}: {e}") from None
    return steps


def corpus_needs(steps: list[Step]) -> list[str]:
    """Command names required by the file's `@needs` header lines (in order, no duplicates)."""
    out: list[str] = []
    for st in steps:
        if st.op == "needs":
            for a in st.args:
                name = a.decode()
                if name.upper() not in (x.upper() for x in out):
                    out.append(name)
    return out


class _Side:
    def __init__(self, name: str, server):
        self.name, self.server = name, server
        self.conn: RespClient | None = None

    def connect(self) -> None:
        self.close()
        self.conn = RespClient(port=self.server.port, timeout=10)

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None

    def reply(self, send: bytes | None) -> Reply:
        try:
            if send is not None:
                self.conn.send_raw(send)
            return self.conn.read_reply(timeout=10)
        except (ConnectionClosed, ConnectionResetError, BrokenPipeError):
            return Reply("closed", None)
        except TimeoutError:
            return Reply("timeout", None)


def run_corpus(steps: list[Step], ember, reference, label: str = "") -> list[str]:
    """Run steps against both servers; return a list of mismatch descriptions (empty = pass)."""
    from .resp import encode_command

    sides = [_Side("ember", ember), _Side("redis", reference)]
    mismatches: list[str] = []
    try:
        for s in sides:
            s.connect()
            r = s.conn.call("FLUSHALL")
            if r != Reply("simple", "OK"):
                raise RuntimeError(f"FLUSHALL on {s.name} failed: {r!r}")
        for st in steps:
            where = f"{label}:{st.lineno}: {st.text}"
            if st.op == "needs":  # checked by the caller (see corpus_needs)
                continue
            if st.op == "sleep":
                time.sleep(st.seconds)
                continue
            if st.op == "reconnect":
                for s in sides:
                    s.connect()
                continue
            if st.op in ("resp3", "resp2", "flush"):
                cmd = ("FLUSHALL",) if st.op == "flush" else ("HELLO", st.op[-1])
                for s in sides:
                    r = s.reply(encode_command(*cmd))
                    if r.is_error or r.kind == "closed":
                        mismatches.append(f"{where}: {s.name} failed: {r!r}")
                continue
            if st.op == "closed":
                for s in sides:
                    if not s.conn.is_closed_by_peer(2.0):
                        mismatches.append(f"{where}: {s.name} did not close the connection")
                    s.connect()
                continue
            if st.op == "raw-noreply":
                for s in sides:
                    s.conn.send_raw(st.args[0])
                for s in sides:
                    try:
                        s.conn.assert_no_data(0.1)
                    except AssertionError as e:
                        mismatches.append(f"{where}: {s.name}: {e}")
                continue
            payload = st.args[0] if st.op == "raw" else encode_command(*st.args)
            got = [s.reply(payload) for s in sides]
            if st.sort:
                got = [sort_reply(g) for g in got]
            a, b = got
            if st.ignore_value:
                if shape(a) != shape(b):
                    mismatches.append(f"{where}\n    ember shape: {shape(a)!r}\n    redis shape: {shape(b)!r}"
                                      f"\n    (ember: {a!r} / redis: {b!r})")
            elif a != b and not (st.tolerance and a.kind == b.kind == "int"
                                 and abs(a.value - b.value) <= st.tolerance):
                mismatches.append(f"{where}\n    ember: {a!r}\n    redis: {b!r}")
            if "timeout" in (a.kind, b.kind):
                who = "ember" if a.kind == "timeout" else "redis"
                mismatches.append(f"{where}: {who} did not reply within 10 s; stopping this file")
                break
            if a.kind == "closed" and b.kind != "closed":
                # the server under test dropped us (maybe crashed): stop here, later steps are noise
                alive = ember.alive()
                mismatches.append(f"{where}: ember closed the connection (process alive={alive}); "
                                  "stopping this file")
                break
            if b.kind == "closed" and a.kind != "closed":
                mismatches.append(f"{where}: redis closed the connection; stopping this file")
                break
    finally:
        for s in sides:
            s.close()
    return mismatches
