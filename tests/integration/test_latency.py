"""LATENCY: HISTOGRAM's reply (per command: calls and cumulative counts in Redis's power-of-two
microsecond buckets), subcommand selection and reset by CONFIG RESETSTAT; LATEST/HISTORY/RESET
with the latency monitor; GRAPH's sparkline (header, chart rows, age labels) and DOCTOR's report.
Each test runs against Ember and real Redis 7.0."""

from __future__ import annotations

import math
import re
import time

import pytest

from harness.resp import A, B, E, I, Reply

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


def test_latency_monitor_fork_and_expire_cycle_events(srv):
    """BGSAVE's fork and the active expiry cycle are latency sources too: 50,000 keys expiring
    at once keep a cycle busy past a 1 ms threshold; the fork is an event when it took 1 ms."""
    c = srv.raw()
    assert c.call("DEBUG", "POPULATE", "50000") == Reply("simple", "OK")
    c.call("CONFIG", "SET", "latency-monitor-threshold", "1")
    c.call("LATENCY", "RESET")
    # Time stands still inside a script: every key's 1 ms TTL is already over when it ends.
    c.call("EVAL", "for i = 0, 49999 do redis.call('PEXPIRE', 'key:' .. i, 1) end", "0")
    assert c.call("BGSAVE") == Reply("simple", "Background saving started")

    def events():
        return {e.value[0].value for e in c.call("LATENCY", "LATEST").value}
    deadline = time.monotonic() + 10
    while (b"expire-cycle" not in events() or c.call("DBSIZE").value > 0 or
           b"rdb_bgsave_in_progress:1" in c.call("INFO", "persistence").value):
        assert time.monotonic() < deadline, events()
        time.sleep(0.05)
    fork_usec = int(re.search(rb"latest_fork_usec:(\d+)", c.call("INFO", "stats").value)[1])
    assert (b"fork" in events()) == (fork_usec >= 1000), (fork_usec, events())


def test_latency_reset_is_case_insensitive(srv):
    c = srv.raw()
    c.call("CONFIG", "SET", "latency-monitor-threshold", "10")
    c.call("DEBUG", "SLEEP", "0.02")
    assert c.call("LATENCY", "RESET", "COMMAND", "Command") == I(1)
    assert c.call("LATENCY", "LATEST") == A()


# --- LATENCY GRAPH ------------------------------------------------------------------------------

def sparkline(values: list[int], rows: int = 4) -> list[str]:
    """The chart rows of Redis's sparklineRenderRange with SPARKLINE_FILL (one block, <= 80)."""
    lo, hi = min(values), max(values)
    rng = (hi - lo) or 1
    steps = 3 * rows
    lines = []
    for row in range(rows):
        line = ""
        for v in values:
            step = min(max(int(int((v - lo) * steps) / rng), 0), steps - 1)
            level = step - (rows - row - 1) * 3
            line += "_o#"[level] if 0 <= level < 3 else ("|" if level >= 3 else " ")
        lines.append(line)
    return lines


def sleep_in_new_second(c, seconds: float) -> None:
    """DEBUG SLEEP just after a second boundary, so each spike is its own sample."""
    time.sleep(1.02 - time.time() % 1)
    c.call("DEBUG", "SLEEP", str(seconds))


def test_latency_graph(srv):
    c = srv.raw()
    c.call("CONFIG", "SET", "latency-monitor-threshold", "10")
    # A low, a high and a middle spike in the middle of a step (12 steps of 50 ms here), so
    # that timing noise of up to 25 ms leaves the picture as it is.
    for ms in (20, 620, 295):
        sleep_in_new_second(c, ms / 1000)
    history = [(e.value[0].value, e.value[1].value) for e in c.call("LATENCY", "HISTORY",
                                                                      "command").value]
    assert len(history) == 3
    values = [ms for _, ms in history]
    all_time_high = c.call("LATENCY", "LATEST").value[0].value[3].value
    before = time.time()
    graph = c.call("LATENCY", "GRAPH", "command")
    after = time.time()
    assert graph.kind == "bulk"
    lines = graph.value.decode().split("\n")
    assert lines[0] == (f"command - high {max(values)} ms, low {min(values)} ms "
                        f"(all time high {all_time_high} ms)")
    assert lines[1] == "-" * 80
    assert lines[2:6] == sparkline(values)
    # The same picture whatever the exact timings.
    assert lines[2:6] == [" # ", " | ", " |#", "_||"]
    assert lines[6] == "   "
    # The labels, written downwards: each sample's age in seconds ("2s", ...).
    label_rows = lines[7:-1]
    assert lines[-1] == "" and label_rows
    assert all(len(row) == 3 for row in label_rows)
    for j, (t, _) in enumerate(history):
        label = "".join(row[j] for row in label_rows).rstrip()
        assert label.endswith("s"), graph
        assert math.floor(before) - t <= int(label[:-1]) <= math.ceil(after) - t, graph


def test_latency_graph_errors(srv):
    c = srv.raw()
    assert c.call("LATENCY", "GRAPH", "command") == E(
        "ERR No samples available for event 'command'")
    assert c.call("LATENCY", "GRAPH") == E(
        "ERR wrong number of arguments for 'latency|graph' command")
    c.call("CONFIG", "SET", "latency-monitor-threshold", "10")
    c.call("DEBUG", "SLEEP", "0.02")
    assert c.call("LATENCY", "GRAPH", "COMMAND").is_error  # event names are case-sensitive
    lines = c.call("LATENCY", "GRAPH", "command").value.decode().split("\n")
    # One sample: the low is the high, drawn at the bottom.
    assert re.fullmatch(r"command - high (\d+) ms, low \1 ms \(all time high \1 ms\)", lines[0])
    assert lines[2:7] == [" ", " ", " ", "_", " "]
    assert lines[7:] == ["0", "s", ""] or lines[7:] == ["1", "s", ""]


# --- LATENCY DOCTOR -----------------------------------------------------------------------------

NO_SPIKE = ("Dave, no latency spike was observed during the lifetime of this Redis instance, not "
            "in the slightest bit. I honestly think you ought to sit down calmly, take a stress "
            "pill, and think things over.\n")
INSPECT = ("- Check your Slow Log to understand what are the commands you are running which are "
           "too slow to execute. Please check https://redis.io/commands/slowlog for more "
           "information.\n")
LARGE = ("- Deleting, expiring or evicting (because of maxmemory policy) large objects is a "
         "blocking operation. If you have very large objects that are often deleted, expired, or "
         "evicted, try to fragment those objects into multiple smaller objects.\n")


def doctor(c) -> str:
    report = c.call("LATENCY", "DOCTOR").value.decode()
    # Transparent huge pages advice depends on the machine, not on the server.
    return re.sub(r"- I detected a non zero amount of anonymous huge pages[^\n]*\n", "", report)


def test_latency_doctor(srv):
    c = srv.raw()
    assert doctor(c).startswith("I'm sorry, Dave, I can't do that. Latency monitoring is disabled")
    c.call("CONFIG", "SET", "latency-monitor-threshold", "10")
    assert doctor(c) in (NO_SPIKE, "\nI have a few advices for you:\n\n")
    c.call("DEBUG", "SLEEP", "0.03")
    report = doctor(c)
    head, advice = report.split("\n\nI have a few advices for you:\n\n")
    assert re.fullmatch(
        r"Dave, I have observed latency spikes in this Redis instance\. You don't mind talking "
        r"about it, do you Dave\?\n\n1\. command: 1 latency spikes \(average (\d+)ms, mean "
        r"deviation 0ms, period \d+\.00 sec\)\. Worst all time event \1ms\.", head), report
    assert advice == INSPECT + LARGE
    # Still reported once the monitor is off again (the samples are kept); the slow log now
    # looks too coarse for the threshold of 0.
    c.call("CONFIG", "SET", "latency-monitor-threshold", "0")
    assert doctor(c) == report.replace(
        INSPECT, "- Your current Slow Log configuration only logs events that are slower than your "
        "configured latency monitor threshold. Please use 'CONFIG SET slowlog-log-slower-than "
        "0'.\n" + INSPECT)
    # The slow log advice depends on its configuration.
    c.call("CONFIG", "SET", "slowlog-log-slower-than", "-1")
    assert doctor(c).split("advices for you:\n\n")[1] == (
        "- There are latency issues with potentially slow commands you are using. Try to enable "
        "the Slow Log Redis feature using the command 'CONFIG SET slowlog-log-slower-than 0'. If "
        "the Slow log is disabled Redis is not able to log slow commands execution for you.\n"
        + INSPECT + LARGE)
    c.call("CONFIG", "SET", "latency-monitor-threshold", "10", "slowlog-log-slower-than", "50000")
    assert doctor(c).split("advices for you:\n\n")[1] == (
        "- Your current Slow Log configuration only logs events that are slower than your "
        "configured latency monitor threshold. Please use 'CONFIG SET slowlog-log-slower-than "
        "10000'.\n" + INSPECT + LARGE)


def test_latency_doctor_statistics(srv):
    c = srv.raw()
    c.call("CONFIG", "SET", "latency-monitor-threshold", "10")
    for ms in (20, 60):
        sleep_in_new_second(c, ms / 1000)
    values = [e.value[1].value for e in c.call("LATENCY", "HISTORY", "command").value]
    avg = sum(values) // 2
    mad = sum(abs(avg - v) for v in values) // 2
    m = re.search(r"1\. command: 2 latency spikes \(average (\d+)ms, mean deviation (\d+)ms, "
                  r"period (\d+\.\d\d) sec\)\. Worst all time event (\d+)ms\.", doctor(c))
    assert m, doctor(c)
    assert (int(m[1]), int(m[2]), int(m[4])) == (avg, mad, max(values))
    assert float(m[3]) in (0.5, 1.0, 1.5)  # 1 to 3 seconds since the oldest, over 2 spikes
