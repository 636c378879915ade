"""LATENCY: HISTOGRAM's reply (per command: calls and cumulative counts in Redis's power-of-two
microsecond buckets), subcommand selection and reset by CONFIG RESETSTAT; LATEST/HISTORY/RESET
with the latency monitor. Each test runs against Ember and real Redis 7.0."""

from __future__ import annotations

import pytest

from harness.resp import A, B, I, Reply

# Redis's bucket bounds in microseconds (hdr_histogram iterated by powers of two from 1024 ns).
BOUNDS = [((1032 << k) - 1) // 1000 for k in range(21)]


@pytest.fixture(params=["ember", "redis"])
def srv(request, ember_factory, ref_factory):
    factory = ember_factory if request.param == "ember" else ref_factory
    return factory(args=["--enable-debug-command", "yes"])


def as_dict(reply: Reply) -> dict:
    v = reply.value
    if reply.kind == "map":
        return {k.value: x for k, x in v}
    return {v[i].value: v[i + 1] for i in range(0, len(v), 2)}


def check_histogram(entry: Reply, calls: int) -> None:
    fields = as_dict(entry)
    assert fields[b"calls"] == I(calls)
    buckets = as_dict(fields[b"histogram_usec"])
    assert buckets, entry
    assert all(bound in BOUNDS for bound in buckets), buckets
    counts = [buckets[b].value for b in sorted(buckets)]
    assert counts == sorted(set(counts)) and counts[-1] == calls, buckets


def test_histogram_of_named_commands(srv):
    c = srv.raw()
    c.call("CONFIG", "RESETSTAT")
    for _ in range(5):
        c.call("SET", "k", "v")
    c.call("GET", "k")
    c.call("CONFIG", "GET", "maxmemory")
    r = as_dict(c.call("LATENCY", "HISTOGRAM", "set", "get", "nosuchcommand", "lpush"))
    assert list(r) == [b"set", b"get"]
    check_histogram(r[b"set"], 5)
    check_histogram(r[b"get"], 1)
    # A container names its subcommands that ran; "config|get" names one.
    assert set(as_dict(c.call("LATENCY", "HISTOGRAM", "config"))) == {b"config|get",
                                                                       b"config|resetstat"}
    assert list(as_dict(c.call("LATENCY", "HISTOGRAM", "CONFIG|GET"))) == [b"config|get"]


def test_histogram_resp3_and_all(srv):
    c = srv.raw()
    c.call("HELLO", "3")
    c.call("CONFIG", "RESETSTAT")
    c.call("SET", "k", "v")
    r = c.call("LATENCY", "HISTOGRAM")
    assert r.kind == "map"
    names = set(as_dict(r))
    assert b"set" in names and b"config|resetstat" in names and b"get" not in names
    check_histogram(as_dict(r)[b"set"], 1)


def test_resetstat_clears_histograms(srv):
    c = srv.raw()
    c.call("SET", "k", "v")
    c.call("CONFIG", "RESETSTAT")
    assert c.call("LATENCY", "HISTOGRAM", "set") == A()


def test_latency_monitor_events(srv):
    c = srv.raw()
    assert c.call("LATENCY", "LATEST") == A()
    c.call("CONFIG", "SET", "latency-monitor-threshold", "50")
    c.call("DEBUG", "SLEEP", "0.1")
    latest = c.call("LATENCY", "LATEST").value
    assert [e.value[0] for e in latest] == [B("command")]
    assert latest[0].value[2].value >= 50
    history = c.call("LATENCY", "HISTORY", "command").value
    assert len(history) == 1 and history[0].value[1].value >= 50
    assert c.call("LATENCY", "RESET") == I(1)
    assert c.call("LATENCY", "LATEST") == A()
