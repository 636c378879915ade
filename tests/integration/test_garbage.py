"""Random and truncated input never crashes the server: each connection gets a protocol error
or a reply, and the server keeps answering others."""

from __future__ import annotations

import random
import socket

from harness.resp import Reply

PIECES = [b"*", b"$", b"\r\n", b"\n", b"-1", b"0", b"3", b"99999999999999999999", b"SET", b"GET",
          b"k", b"\"", b"'", b"\\x4", b" ", b"\x00", b"\xff", b"PING", b"*2\r\n$3\r\nGET\r\n",
          b"$4\r\nINCR", b"EXPIRE", b"BITFIELD", b"SETRANGE", b"4294967296", b"-"]


def test_random_input_never_crashes(ember):
    rng = random.Random(1234)
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
