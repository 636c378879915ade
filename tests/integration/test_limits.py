"""Limits that protect the server: maxclients, client-query-buffer-limit, output buffer limits,
idle timeout. Each ends in Redis's reply or a closed connection, and the server keeps serving."""

from __future__ import annotations

import time

from harness.resp import Reply
from harness.util import wait_for


def test_maxclients(ember_factory):
    srv = ember_factory(args=["--maxclients", "1"])
    first = srv.raw()
    assert first.call("PING") == Reply("simple", "PONG")
    second = srv.raw()
    assert second.read_until_closed(timeout=5) == b"-ERR max number of clients reached\r\n"
    assert first.call("PING") == Reply("simple", "PONG")


def test_query_buffer_limit_closes_client(ember_factory):
    srv = ember_factory(args=["--client-query-buffer-limit", "1mb"])
    c = srv.raw()
    # A bulk announced at 4 MB: the partial query grows past the 1 MB limit.
    c.send_raw(b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$4194304\r\n")
    chunk = b"x" * 65536
    try:
        for _ in range(40):
            c.send_raw(chunk)
    except (BrokenPipeError, ConnectionResetError):
        pass
    c.read_until_closed(timeout=5)
    assert srv.raw().call("PING") == Reply("simple", "PONG")
    assert srv.raw().call("DBSIZE") == Reply("int", 0)


def test_idle_timeout(ember_factory):
    srv = ember_factory(args=["--timeout", "1"])
    c = srv.raw()
    assert c.call("PING") == Reply("simple", "PONG")
    start = time.monotonic()
    c.read_until_closed(timeout=5)
    assert time.monotonic() - start >= 0.9


def test_output_buffer_limit_for_normal_clients(ember_factory):
    srv = ember_factory(args=["--client-output-buffer-limit", "normal 1mb 0 0"])
    setup = srv.raw()
    assert setup.call("SET", "big", "x" * 600_000) == Reply("simple", "OK")
    c = srv.raw()
    # A client that pipelines many GETs without reading overflows its output buffer.
    c.send_pipeline([("GET", "big")] * 200)
    wait_for(lambda: _closed(c), timeout=10)
    assert setup.call("PING") == Reply("simple", "PONG")


def _closed(c) -> bool:
    try:
        c.read_until_closed(timeout=0.5)
        return True
    except TimeoutError:
        return False
