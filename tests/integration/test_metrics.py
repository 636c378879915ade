"""The Prometheus endpoint (`metrics-port`, Ember's own; src/server/metrics_endpoint.h): scraped
with a real HTTP client (urllib), every line checked against the text exposition format, counters
and histograms followed through traffic, CONFIG SET at runtime, and garbage on the port.
Ember-only: skipped when the server under test is real Redis.
"""

from __future__ import annotations

import json
import math
import random
import re
import socket
import time
import urllib.error
import urllib.request

import pytest

from harness.replication import REPL_ARGS, call, info_fields, make_replica, wait_in_sync
from harness.server import REPO_ROOT
from harness.util import free_port, listening_ports, port_is_open, wait_for

CONTENT_TYPE = "text/plain; version=0.0.4"

# --- The text format (https://prometheus.io/docs/instrumenting/exposition_formats/) -----------

NAME = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
LABEL_NAME = r"[a-zA-Z_][a-zA-Z0-9_]*"
HELP_RE = re.compile(rf"^# HELP ({NAME}) (.*)$")
TYPE_RE = re.compile(rf"^# TYPE ({NAME}) (counter|gauge|histogram|summary|untyped)$")
SAMPLE_HEAD_RE = re.compile(rf"^({NAME})")
LABEL_RE = re.compile(rf'({LABEL_NAME})="((?:[^"\\\n]|\\[\\"n])*)"')
VALUE_RE = re.compile(r"^(?:[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?|[+-]Inf|NaN)$")
SUFFIXES = {"histogram": ("_bucket", "_sum", "_count"), "summary": ("", "_sum", "_count")}


class Exposition:
    """A parsed scrape: families (name -> type, help) and samples ((name, labels) -> value)."""

    def __init__(self, text: str):
        self.text = text
        self.types: dict[str, str] = {}
        self.help: dict[str, str] = {}
        self.samples: dict[tuple[str, tuple[tuple[str, str], ...]], float] = {}
        self._parse()

    def _family_of(self, name: str) -> str | None:
        if name in self.types:
            return name
        for fam, typ in self.types.items():
            if any(name == fam + s for s in SUFFIXES.get(typ, ())):
                return fam
        return None

    def _parse(self) -> None:
        assert self.text.endswith("\n"), "the exposition ends with a line feed"
        done: set[str] = set()  # families whose block has ended
        current = None
        for line in self.text[:-1].split("\n"):
            if line == "":
                continue
            if line.startswith("#"):
                m = HELP_RE.match(line)
                if m:
                    assert m.group(1) not in self.help, f"HELP twice: {line!r}"
                    self.help[m.group(1)] = m.group(2)
                    continue
                m = TYPE_RE.match(line)
                if m:
                    name = m.group(1)
                    assert name not in self.types, f"TYPE twice: {line!r}"
                    self.types[name] = m.group(2)
                continue  # any other comment
            name, labels, value = self._parse_sample(line)
            family = self._family_of(name)
            assert family is not None, f"sample without a TYPE line before it: {line!r}"
            if family != current:
                assert family not in done, f"family {family} is not contiguous: {line!r}"
                if current is not None:
                    done.add(current)
                current = family
            key = (name, labels)
            assert key not in self.samples, f"duplicate series: {line!r}"
            self.samples[key] = value

    @staticmethod
    def _parse_sample(line: str):
        m = SAMPLE_HEAD_RE.match(line)
        assert m, f"not a comment, blank or sample line: {line!r}"
        name = m.group(1)
        rest = line[m.end():]
        labels: list[tuple[str, str]] = []
        if rest.startswith("{"):
            rest = rest[1:]
            while not rest.startswith("}"):
                lm = LABEL_RE.match(rest)
                assert lm, f"bad label in {line!r}"
                value = re.sub(r"\\(.)", lambda e: "\n" if e.group(1) == "n" else e.group(1),
                               lm.group(2))
                labels.append((lm.group(1), value))
                rest = rest[lm.end():]
                if rest.startswith(","):
                    rest = rest[1:]
                else:
                    assert rest.startswith("}"), f"bad label list in {line!r}"
            rest = rest[1:]
            names = [n for n, _ in labels]
            assert len(names) == len(set(names)), f"repeated label in {line!r}"
        assert rest.startswith(" "), f"no value in {line!r}"
        fields = rest[1:].split(" ")
        assert 1 <= len(fields) <= 2, f"bad value/timestamp in {line!r}"
        assert VALUE_RE.match(fields[0]), f"bad value in {line!r}"
        return name, tuple(sorted(labels)), float(fields[0])

    def get(self, name: str, default: float | None = None, **labels) -> float | None:
        return self.samples.get((name, tuple(sorted(labels.items()))), default)

    def series(self, name: str) -> dict[tuple[tuple[str, str], ...], float]:
        return {lab: v for (n, lab), v in self.samples.items() if n == name}


# --- Helpers ---------------------------------------------------------------------------------


def start_with_metrics(factory, *args: str, metrics_port: int | None = None):
    """A server with --metrics-port (a free port unless given); skipped for real Redis."""
    port = free_port() if metrics_port is None else metrics_port
    srv = factory(start=False, args=[*REPL_ARGS, "--metrics-port", str(port), *args])
    if srv.is_redis:
        pytest.skip("metrics-port is Ember's own")
    srv.start()
    srv.metrics_port = port
    return srv


def http(port: int, path: str = "/metrics", method: str = "GET", host: str = "127.0.0.1"):
    """(status, headers, body) of one request with urllib."""
    url = f"http://{host}:{port}{path}" if ":" not in host else f"http://[{host}]:{port}{path}"
    req = urllib.request.Request(url, method=method)
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, r.headers, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read().decode()


def scrape(srv, host: str = "127.0.0.1") -> Exposition:
    status, headers, body = http(srv.metrics_port, host=host)
    assert status == 200, body
    assert headers["Content-Type"].startswith(CONTENT_TYPE), headers["Content-Type"]
    assert headers["Connection"] == "close"
    return Exposition(body)


def raw_exchange(port: int, data: bytes, timeout: float = 5.0) -> bytes:
    """Sends `data`, half-closes, and returns everything the server sent before closing."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        out = b""
        try:
            s.sendall(data)
            s.shutdown(socket.SHUT_WR)
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    break
                out += chunk
        except (ConnectionResetError, BrokenPipeError):
            pass
        return out


def status_of(response: bytes) -> int | None:
    m = re.match(rb"HTTP/1\.1 (\d{3}) ", response)
    return int(m.group(1)) if m else None


# --- Tests -----------------------------------------------------------------------------------


def test_scrape_is_valid_and_has_the_info_figures(ember_factory):
    srv = start_with_metrics(ember_factory)
    m = scrape(srv)
    assert m.types["ember_connected_clients"] == "gauge"
    assert m.get("ember_connected_clients") >= 0
    assert m.types["ember_used_memory_bytes"] == "gauge"
    assert m.get("ember_used_memory_bytes") > 0
    assert m.get("ember_used_memory_rss_bytes") > 0
    assert m.get("ember_maxmemory_bytes") == 0
    assert m.types["ember_commands_processed_total"] == "counter"
    assert m.types["ember_connections_received_total"] == "counter"
    assert m.get("ember_uptime_in_seconds") >= 0
    assert m.get("ember_replication_role", role="master") == 1
    assert m.get("ember_connected_slaves") == 0
    assert m.get("ember_tcp_port") == srv.port
    # Prometheus's conventions: only counters end in _total, and every family has HELP.
    for name, typ in m.types.items():
        assert name.startswith("ember_"), name
        assert name in m.help, f"no HELP for {name}"
        if typ == "counter":
            assert name.endswith("_total"), name
    # Scrapers are not clients.
    assert info_fields(srv, "clients")["connected_clients"] == "1"


def test_every_numeric_info_field_is_exported(ember_factory):
    srv = start_with_metrics(ember_factory)
    r = srv.client(decode_responses=True)
    r.set("k", "v")
    info = call(srv, "INFO", "everything").value.decode()
    m = scrape(srv)
    helps = set(m.help.values())
    section = None
    missing = []
    for line in info.splitlines():
        if line.startswith("# "):
            section = line[2:].strip().lower()
            continue
        if ":" not in line:
            continue
        field, value = line.split(":", 1)
        if (section in ("commandstats", "errorstats", "keyspace", "latencystats")
                or re.fullmatch(r"slave\d+", field) or field.startswith("sync_full_reason_")
                or field.endswith("_human") or field == "uptime_in_days"):
            continue
        if re.fullmatch(r"-?\d+(\.\d+)?%?", value):
            if not any(h.startswith(f"INFO {section}: {field}") for h in helps):
                missing.append(f"{section}.{field}")
    assert not missing, f"INFO fields not exported: {missing}"


def test_counters_and_histograms_follow_traffic(ember_factory):
    srv = start_with_metrics(ember_factory)
    r = srv.client(decode_responses=True)
    before = scrape(srv)
    assert before.get("ember_command_calls_total", 0, cmd="set") == 0
    for i in range(25):
        r.set(f"key:{i}", i)
    r.get("key:1")
    r.execute_command("CONFIG", "GET", "maxmemory")
    with pytest.raises(Exception):
        r.execute_command("INCR", "nope", "extra")  # wrong arity: rejected
    with pytest.raises(Exception):
        r.execute_command("SET", "k", "v", "BOGUS")  # syntax error: failed
    after = scrape(srv)

    assert after.get("ember_command_calls_total", cmd="set") == 26
    assert after.get("ember_command_failed_calls_total", cmd="set") == 1
    assert after.get("ember_command_rejected_calls_total", cmd="incr") == 1
    assert after.get("ember_command_calls_total", cmd="config|get") == 1
    assert (after.get("ember_errors_total", error="ERR")
            - before.get("ember_errors_total", 0, error="ERR")) == 2
    assert after.get("ember_db_keys", db="0") == 25
    assert (after.get("ember_commands_processed_total")
            >= before.get("ember_commands_processed_total") + 28)
    assert after.get("ember_keyspace_hits_total") >= 1

    assert after.types["ember_command_duration_seconds"] == "histogram"
    for cmd in ("set", "get", "config|get"):
        calls = after.get("ember_command_calls_total", cmd=cmd)
        count = after.get("ember_command_duration_seconds_count", cmd=cmd)
        assert count == calls, cmd
        buckets = sorted(((float(dict(lab)["le"]), v) for lab, v in
                          after.series("ember_command_duration_seconds_bucket").items()
                          if dict(lab)["cmd"] == cmd))
        assert buckets[-1] == (math.inf, count)
        assert all(a[1] <= b[1] for a, b in zip(buckets, buckets[1:])), "cumulative buckets"
        assert 0.0001 in [le for le, _ in buckets]
        assert after.get("ember_command_duration_seconds_sum", cmd=cmd) >= 0

    # CONFIG RESETSTAT clears the histograms with the other per-command figures.
    r.execute_command("CONFIG", "RESETSTAT")
    reset = scrape(srv)
    assert reset.get("ember_command_duration_seconds_count", cmd="set") is None
    assert reset.get("ember_command_calls_total", cmd="set") is None


def test_other_paths_methods_and_head(ember_factory):
    srv = start_with_metrics(ember_factory)
    port = srv.metrics_port
    for path in ("/", "/metric", "/metrics/", "/metricsx", "/debug/pprof"):
        status, _, body = http(port, path)
        assert status == 404, path
    status, headers, _ = http(port, "/metrics", method="POST")
    assert status == 405
    assert headers["Allow"] == "GET, HEAD"
    status, headers, body = http(port, "/metrics?name[]=x")
    assert status == 200 and "ember_connected_clients" in body
    status, headers, body = http(port, "/metrics", method="HEAD")
    assert status == 200 and body == ""
    assert headers["Content-Type"].startswith(CONTENT_TYPE)
    assert int(headers["Content-Length"]) > 1000


def test_garbage_never_kills_the_server(ember_factory):
    srv = start_with_metrics(ember_factory)
    port = srv.metrics_port
    assert status_of(raw_exchange(port, b"GARBAGE\r\n\r\n")) == 400
    assert status_of(raw_exchange(port, b"GET /metrics\r\n\r\n")) == 400  # HTTP/0.9
    assert status_of(raw_exchange(port, b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n")) == 400
    assert status_of(raw_exchange(port, b"*1\r\n$4\r\nPING\r\n")) == 400  # RESP, wrong port
    assert status_of(raw_exchange(port, b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03")) == 400
    assert status_of(raw_exchange(port, b"GET /metrics HTTP/1.1\r\nX: " + b"a" * 9000)) == 431
    # A request followed by a large body that is never read must not lose the response.
    resp = raw_exchange(port, b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n" + b"z" * 50000)
    assert status_of(resp) == 200 and b"ember_used_memory_bytes" in resp
    # Truncated requests and connections closed at once get nothing, and hurt nothing.
    assert raw_exchange(port, b"GET /metr") == b""
    assert raw_exchange(port, b"") == b""
    rng = random.Random(99)
    for _ in range(200):
        data = bytes(rng.randrange(256) for _ in range(rng.randrange(1, 300)))
        if rng.random() < 0.5:
            data = b"GET /metrics HTTP/1.1\r\n" + data
        resp = raw_exchange(port, data)
        assert resp == b"" or status_of(resp) in (200, 400, 404, 405, 431), resp[:80]
    # Idle connections do not block a scrape.
    idle = [socket.create_connection(("127.0.0.1", port)) for _ in range(5)]
    try:
        scrape(srv)
    finally:
        for s in idle:
            s.close()
    assert srv.client().ping()


@pytest.mark.slow
def test_a_silent_connection_is_closed_after_the_deadline(ember_factory):
    srv = start_with_metrics(ember_factory)
    with socket.create_connection(("127.0.0.1", srv.metrics_port), timeout=20) as s:
        s.sendall(b"GET /metrics HTTP/1.1\r\n")  # never finished
        start = time.monotonic()
        assert s.recv(100) == b""
        assert 5 <= time.monotonic() - start <= 15


def test_port_zero_means_no_listener(ember_factory):
    srv = ember_factory(start=False)
    if srv.is_redis:
        pytest.skip("metrics-port is Ember's own")
    srv.start()
    r = srv.client(decode_responses=True)
    assert r.config_get("metrics-port") == {"metrics-port": "0"}
    assert listening_ports(srv.pid) == {srv.port}


def test_config_set_metrics_port_at_runtime(ember_factory):
    srv = ember_factory(start=False)
    if srv.is_redis:
        pytest.skip("metrics-port is Ember's own")
    srv.start()
    r = srv.client(decode_responses=True)
    p1, p2 = free_port(), free_port()
    assert r.config_set("metrics-port", p1)
    srv.metrics_port = p1
    assert scrape(srv).get("ember_connected_clients") == 1
    assert listening_ports(srv.pid) == {srv.port, p1}

    assert r.config_set("metrics-port", p2)
    assert not port_is_open(p1)
    srv.metrics_port = p2
    scrape(srv)

    # A port that cannot be bound fails the CONFIG SET and keeps the old listener.
    with pytest.raises(Exception, match="metrics-port"):
        r.config_set("metrics-port", srv.port)
    assert r.config_get("metrics-port") == {"metrics-port": str(p2)}
    scrape(srv)

    # bind moves the endpoint along with the clients' listeners (when there is an IPv6 loopback).
    assert r.config_set("bind", "127.0.0.1 -::1")
    if port_is_open(srv.port, host="::1"):
        scrape(srv, host="::1")
    assert r.config_set("bind", "127.0.0.1")
    assert not port_is_open(p2, host="::1")
    scrape(srv)

    assert r.config_set("metrics-port", 0)
    assert not port_is_open(p2)
    assert listening_ports(srv.pid) == {srv.port}
    assert r.ping()


def test_protected_mode_refuses_remote_scrapers(ember_factory):
    # A non-loopback address of this machine, if it has one.
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.connect(("10.255.255.255", 1))
            local_ip = s.getsockname()[0]
    except OSError:
        local_ip = None
    if not local_ip or local_ip.startswith("127."):
        pytest.skip("no non-loopback IPv4 address")
    srv = start_with_metrics(ember_factory, "--bind", "127.0.0.1 " + local_ip)
    status, _, body = http(srv.metrics_port, host=local_ip)
    assert status == 403 and "protected mode" in body
    assert http(srv.metrics_port)[0] == 200  # loopback is fine
    srv.client().config_set("protected-mode", "no")
    assert http(srv.metrics_port, host=local_ip)[0] == 200


def test_replication_metrics(ember_factory):
    master = start_with_metrics(ember_factory)
    replica = start_with_metrics(ember_factory)
    client = master.client()
    for i in range(10):
        client.set(f"k{i}", i)
    make_replica(replica, master)
    wait_in_sync(master, replica)
    client.set("after", "sync")
    offset = wait_in_sync(master, replica)

    labels = {"ip": "127.0.0.1", "port": str(replica.port), "state": "online"}

    def acked_everything():
        # The replica acknowledges once a second; the master's pings move its offset on.
        m = scrape(master)
        acked = m.get("ember_replica_offset", **labels)
        return m if acked is not None and acked == m.get("ember_master_repl_offset") else None

    m = wait_for(acked_everything, timeout=10, message="the replica's offset in the scrape")
    assert m.get("ember_master_repl_offset") >= offset
    assert m.get("ember_replica_lag_seconds", **labels) >= 0
    assert m.get("ember_connected_slaves") == 1
    assert m.get("ember_sync_full_total") == 1
    # Full syncs by reason, when INFO has them (sync_full_reason_<reason>), add up to sync_full.
    stats = info_fields(master, "stats", ember_fields=True)
    reasons = {k[len("sync_full_reason_"):]: int(v) for k, v in stats.items()
               if k.startswith("sync_full_reason_")}
    if reasons:
        assert m.types["ember_sync_full_reason_total"] == "counter"
        assert {dict(lab)["reason"]: v for lab, v in
                m.series("ember_sync_full_reason_total").items()} == reasons
        assert sum(reasons.values()) == 1

    r = scrape(replica)
    assert r.get("ember_replication_role", role="slave") == 1
    assert r.get("ember_replication_master_link_status", master_link_status="up") == 1
    assert r.get("ember_master_port") == master.port
    assert r.get("ember_slave_repl_offset") >= offset
    assert r.get("ember_db_keys", db="0") == 11
    # The master's stream goes through the same dispatcher: its SET (the one after the full sync)
    # is counted and timed.
    assert r.get("ember_command_calls_total", cmd="set") == 1
    assert r.get("ember_command_duration_seconds_count", cmd="set") == 1

    # The sample Grafana dashboard only uses metrics that exist.
    with pytest.raises(Exception):
        client.execute_command("GET")
    exported = set(scrape(master).types) | set(r.types)
    dashboard = json.loads((REPO_ROOT / "examples" / "grafana-dashboard.json").read_text())
    used = {re.sub(r"_(bucket|sum|count)$", "", name)
            for panel in dashboard["panels"] for target in panel.get("targets", [])
            for name in re.findall(r"ember_[a-z0-9_]+", target["expr"])}
    if not reasons:
        exported.add("ember_sync_full_reason_total")
    assert used and used <= exported, f"not exported: {sorted(used - exported)}"
