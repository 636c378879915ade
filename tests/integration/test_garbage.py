"""Random and truncated input never crashes the server: each connection gets a protocol error
or a reply, and the server keeps answering others."""

from __future__ import annotations

import random
import socket

import pytest

from harness.resp import Reply
from harness.util import random_seeds

PIECES = [b"*", b"$", b"\r\n", b"\n", b"-1", b"0", b"3", b"99999999999999999999", b"SET", b"GET",
          b"k", b"\"", b"'", b"\\x4", b" ", b"\x00", b"\xff", b"PING", b"*2\r\n$3\r\nGET\r\n",
          b"$4\r\nINCR", b"EXPIRE", b"BITFIELD", b"SETRANGE", b"4294967296", b"-"]


@pytest.mark.parametrize("seed", random_seeds([1234]))
def test_random_input_never_crashes(ember, seed):
    rng = random.Random(seed)
    for _ in range(300):
        data = b"".join(rng.choice(PIECES) for _ in range(rng.randint(1, 40)))
        with socket.create_connection(("127.0.0.1", ember.port), timeout=2) as s:
            try:
                s.sendall(data)
                s.shutdown(socket.SHUT_WR)
                while s.recv(65536):
                    pass
            except (ConnectionResetError, BrokenPipeError, socket.timeout):
                pass
    assert ember.raw().call("PING") == Reply("simple", "PONG")


# Commands that would stop, block or reconfigure the server under test.
UNSAFE = {"shutdown", "debug", "monitor", "quit", "reset", "config", "client", "acl", "auth",
          "hello", "failover", "replicaof", "slaveof", "sync", "psync", "save", "bgsave",
          "bgrewriteaof", "module", "subscribe", "psubscribe", "ssubscribe", "multi", "exec",
          "watch", "blpop", "brpop", "blmove", "brpoplpush", "bzpopmin", "bzpopmax", "blmpop",
          "bzmpop", "xread", "xreadgroup", "wait", "swapdb", "select"}
VALUES = ["k", "k2", "0", "1", "-1", "100", "4294967296", "9223372036854775807",
          "-9223372036854775808", "1.5", "inf", "nan", "", "abc", "*", "GET", "SET", "EX", "NX",
          "COUNT", "MATCH", "TYPE", "HELP", "LIST", "INFO", "DOCS", "GETKEYS", "USAGE", "RESET",
          "LATEST", "HISTORY", "all", "everything", "server", "@all", "default"]


@pytest.mark.parametrize("seed", random_seeds([99]))
def test_random_commands_never_crash(ember, seed):
    c = ember.raw()
    names = sorted(r.value.decode() for r in c.call("COMMAND", "LIST").value)
    names = [n for n in names if n not in UNSAFE]
    rng = random.Random(seed)
    for _ in range(3000):
        argv = [rng.choice(names)] + [rng.choice(VALUES) for _ in range(rng.randint(0, 6))]
        reply = c.call(*argv, timeout=5)
        assert reply is not None
    assert ember.raw().call("PING") == Reply("simple", "PONG")
