"""RDB persistence: SAVE / BGSAVE / LASTSAVE, loading dump.rdb at startup, save points,
stop-writes-on-bgsave-error (MISCONF), SHUTDOWN / SIGTERM saving, FLUSHALL, DEBUG RELOAD,
rdbcompression / rdbchecksum, and refusing to start on a corrupt dump.rdb.

Every server runs in its own temp dir (ServerProcess passes --dir <tmp>; dump.rdb lives there)
with `--save ""` unless a test configures save points. `srv.stop()` is SHUTDOWN NOSAVE, so
stop()+start() reloads exactly what the last explicit save wrote.

Checked against real Redis 7.0:
    EMBER_SERVER=/usr/bin/redis-server /usr/bin/python3 -m pytest -q tests/integration/test_persistence.py
"""

from __future__ import annotations

import os
import random
import re
import signal
import subprocess
import time

import pytest

from harness.resp import NULLBULK, A, B, ConnectionClosed, E, I, S
from harness.server import ServerStartError
from harness.util import free_port, pid_alive, process_tree, wait_for

DEBUG = ["--enable-debug-command", "yes"]

MISCONF = ("MISCONF Redis is configured to save RDB snapshots, but it's currently unable to persist "
           "to disk. Commands that may modify the data set are disabled, because this instance is "
           "configured to report errors during writes if RDB snapshotting fails "
           "(stop-writes-on-bgsave-error option). Please check the Redis logs for details about the "
           "RDB error.")
BGSAVE_IN_PROGRESS = E("ERR Background save already in progress")
SHUTDOWN_FAILED = E("ERR Errors trying to SHUTDOWN. Check logs.")


# --------------------------------------------------------------------------- helpers

def info(c, section: str = "persistence") -> dict[str, str]:
    r = c.call("INFO", section)
    assert r.kind == "bulk", r
    out = {}
    for line in r.value.decode().splitlines():
        if ":" in line and not line.startswith("#"):
            k, _, v = line.partition(":")
            out[k] = v
    return out


def digest(c) -> str:
    r = c.call("DEBUG", "DIGEST")
    assert r.kind in ("simple", "bulk"), r
    v = r.value
    return v.decode() if isinstance(v, bytes) else v


def config_get(c, name: str) -> str:
    r = c.call("CONFIG", "GET", name)
    assert r.kind == "array" and len(r.value) == 2, r
    return r.value[1].value.decode()


def wait_bgsave_done(c, timeout: float = 20.0) -> dict[str, str]:
    return wait_for(lambda: (lambda i: i if i["rdb_bgsave_in_progress"] == "0" else None)(info(c)),
                    timeout=timeout, interval=0.02, message="rdb_bgsave_in_progress:0")


def restart(srv):
    """SHUTDOWN NOSAVE + start again in the same dir: loads whatever dump.rdb holds."""
    srv.stop()
    srv.start()
    return srv.raw()


def hard_kill(srv) -> None:
    """SIGKILL the whole process group at once (the server and any forked save child)."""
    if srv.proc is not None:
        try:
            os.killpg(srv.proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
    srv.kill()


def dump_path(srv):
    return srv.dir / "dump.rdb"


def fill(c, n: int, prefix: str = "key", value: str = "v") -> None:
    c.send_pipeline([("SET", f"{prefix}:{i}", f"{value}{i}") for i in range(n)])
    assert c.read_replies(n) == [S("OK")] * n


def save_children(srv) -> list[int]:
    return [p for p in process_tree(srv.pid) if p != srv.pid and pid_alive(p)]


def slow_bgsave(c, nkeys: int = 25, delay_us: int = 50_000) -> None:
    """Start a BGSAVE that takes about nkeys * delay_us (rdb-key-save-delay is per key)."""
    assert c.call("CONFIG", "SET", "rdb-key-save-delay", str(delay_us)) == S("OK")
    assert c.call("DBSIZE").value >= nkeys
    assert c.call("BGSAVE") == S("Background saving started")


# CRC-64/Jones as used by Redis (reflected poly 0xad93d23594c935a9, init 0, no final xor),
# stored little-endian in the last 8 bytes of an RDB file.
def _crc64_table():
    poly = 0x95AC9329AC4BC9B5
    table = []
    for i in range(256):
        crc = i
        for _ in range(8):
            crc = (crc >> 1) ^ poly if crc & 1 else crc >> 1
        table.append(crc)
    return table


_CRC64_TABLE = _crc64_table()


def crc64(data: bytes, crc: int = 0) -> int:
    t = _CRC64_TABLE
    for b in data:
        crc = t[(crc ^ b) & 0xFF] ^ (crc >> 8)
    return crc


def test_crc64_reference_value():
    assert crc64(b"123456789") == 0xE9C6D914C4B8D9CA  # redis/src/crc64.c self-test value


# --------------------------------------------------------------------------- SAVE + load

def _rng_bytes(seed: int, n: int) -> bytes:
    return random.Random(seed).randbytes(n)


STRING_VALUES = {
    b"int:small": b"7",
    b"int:zero": b"0",
    b"int:neg1": b"-1",
    b"int:8bit": b"-128",
    b"int:16bit": b"32767",
    b"int:16bitneg": b"-32768",
    b"int:32bit": b"2147483647",
    b"int:32bitneg": b"-2147483648",
    b"int:64bit": b"9223372036854775807",        # too big for the RDB int encodings: raw string
    b"int:64bitneg": b"-9223372036854775808",
    b"notint:lead0": b"0123",                     # not canonical: must stay a string
    b"notint:plus": b"+5",
    b"notint:space": b" 5",
    b"float": b"3.14159",
    b"empty": b"",
    b"binary": b"\x00\xff\x00\r\n\xfe\x80binary\x00",
    b"short": b"hello world",
    b"lzf:20": b"a" * 21,                          # just over the 20-byte compression threshold
    b"lzf:text": b"The quick brown fox jumps over the lazy dog. " * 40,
    b"lzf:binary": (b"\x00\x01\xff" * 700),
    b"random:10k": _rng_bytes(1, 10 * 1024),      # incompressible
    b"big:1mb": _rng_bytes(2, 1024 * 1024)[:512 * 1024] + b"z" * (512 * 1024),
    b"\x00binary\xffkey": b"binary key",
    b"key:" + b"k" * 200: b"long compressible key name",
}


def test_save_restart_loads_strings(ember_factory):
    srv = ember_factory(args=DEBUG)
    c = srv.raw()
    for k, v in STRING_VALUES.items():
        assert c.call("SET", k, v) == S("OK")
    before = digest(c)
    assert before != "0" * 40
    assert c.call("SAVE") == S("OK")
    assert dump_path(srv).exists()
    assert dump_path(srv).read_bytes()[:5] == b"REDIS"

    c = restart(srv)
    assert c.call("DBSIZE") == I(len(STRING_VALUES))
    for k, v in STRING_VALUES.items():
        assert c.call("GET", k) == B(v), k[:40]
    assert digest(c) == before
    i = info(c)
    assert i["loading"] == "0"
    assert i["rdb_changes_since_last_save"] == "0"
    assert i["rdb_last_load_keys_loaded"] == str(len(STRING_VALUES))
    assert i["rdb_last_load_keys_expired"] == "0"
    # Integers that fit a long are int-encoded again after load, others stay strings.
    assert c.call("OBJECT", "ENCODING", "int:32bitneg") == B("int")
    assert c.call("OBJECT", "ENCODING", "int:64bit") == B("int")
    assert c.call("OBJECT", "ENCODING", "notint:lead0") == B("embstr")
    assert c.call("OBJECT", "ENCODING", "lzf:text") == B("raw")


def test_save_restart_several_databases(ember_factory):
    srv = ember_factory(args=DEBUG)
    c = srv.raw()
    for db in (0, 3, 9):
        assert c.call("SELECT", db) == S("OK")
        assert c.call("SET", "shared", f"db{db}") == S("OK")
        assert c.call("SET", f"only{db}", str(db * 1000)) == S("OK")
    before = digest(c)
    assert c.call("SAVE") == S("OK")

    c = restart(srv)
    assert digest(c) == before
    for db in range(16):
        assert c.call("SELECT", db) == S("OK")
        if db in (0, 3, 9):
            assert c.call("DBSIZE") == I(2), db
            assert c.call("GET", "shared") == B(f"db{db}")
            assert c.call("GET", f"only{db}") == B(str(db * 1000))
        else:
            assert c.call("DBSIZE") == I(0), db


def test_save_restart_expiries(ember_factory):
    srv = ember_factory(args=DEBUG)
    c = srv.raw()
    assert c.call("SET", "persistent", "p") == S("OK")
    assert c.call("SET", "future", "f", "PX", "100000") == S("OK")
    assert c.call("SET", "future_s", "f", "EX", "5000") == S("OK")
    assert c.call("SELECT", "4") == S("OK")
    assert c.call("SET", "future_db4", "f", "PX", "200000") == S("OK")
    assert c.call("SELECT", "0") == S("OK")
    # expires while the server is down: in the file, but must not be loaded
    assert c.call("SET", "soon", "s", "PX", "300") == S("OK")
    before = c.call("DEBUG", "DIGEST-VALUE", "persistent", "future", "future_s")
    assert c.call("SAVE") == S("OK")
    t_saved = time.monotonic()
    srv.stop()
    time.sleep(max(0.0, 0.45 - (time.monotonic() - t_saved)))  # "soon" is now in the past
    srv.start()
    c = srv.raw()
    elapsed_ms = (time.monotonic() - t_saved) * 1000

    assert c.call("DEBUG", "DIGEST-VALUE", "persistent", "future", "future_s") == before
    assert c.call("EXISTS", "soon") == I(0)
    assert c.call("DBSIZE") == I(3)  # "soon" was not loaded at all (DBSIZE does not expire lazily)
    i = info(c)
    assert i["rdb_last_load_keys_loaded"] == "4"
    assert i["rdb_last_load_keys_expired"] == "1"
    assert c.call("TTL", "persistent") == I(-1)
    pttl = c.call("PTTL", "future").value
    assert 100_000 - elapsed_ms - 2_000 <= pttl <= 100_000, (pttl, elapsed_ms)
    assert 4_990 <= c.call("TTL", "future_s").value <= 5_000
    assert c.call("SELECT", "4") == S("OK")
    pttl4 = c.call("PTTL", "future_db4").value
    assert 200_000 - elapsed_ms - 2_000 <= pttl4 <= 200_000, (pttl4, elapsed_ms)


def test_save_empty_dataset_and_missing_file(ember_factory):
    srv = ember_factory(args=DEBUG)
    c = srv.raw()
    assert not dump_path(srv).exists()          # no file: start with an empty data set
    assert c.call("SAVE") == S("OK")            # saving nothing still writes a valid file
    assert dump_path(srv).exists()
    c = restart(srv)
    assert c.call("DBSIZE") == I(0)
    assert digest(c) == "0" * 40


def test_save_overwrites_previous_dump(ember_factory):
    srv = ember_factory()
    c = srv.raw()
    assert c.call("SET", "a", "1") == S("OK")
    assert c.call("SAVE") == S("OK")
    assert c.call("DEL", "a") == I(1)
    assert c.call("SET", "b", "2") == S("OK")
    assert c.call("SAVE") == S("OK")
    assert sorted(p.name for p in srv.dir.iterdir() if p.suffix == ".rdb") == ["dump.rdb"]
    c = restart(srv)
    assert c.call("GET", "a") == NULLBULK
    assert c.call("GET", "b") == B("2")


def test_save_resets_changes_and_sets_lastsave(ember_factory):
    srv = ember_factory()
    c = srv.raw()
    i = info(c)
    # at startup the data set counts as saved: no changes, last save time = startup time
    assert i["rdb_changes_since_last_save"] == "0"
    assert i["rdb_bgsave_in_progress"] == "0"
    assert i["rdb_last_bgsave_status"] == "ok"
    assert i["loading"] == "0"
    lastsave = c.call("LASTSAVE")
    assert lastsave.kind == "int" and abs(lastsave.value - time.time()) < 5
    assert int(i["rdb_last_save_time"]) == lastsave.value
    fill(c, 5)
    assert c.call("INCR", "counter") == I(1)
    assert c.call("DEL", "nosuchkey") == I(0)  # no change: not counted
    assert info(c)["rdb_changes_since_last_save"] == "6"
    assert c.call("SAVE") == S("OK")
    i = info(c)
    assert i["rdb_changes_since_last_save"] == "0"
    assert i["rdb_last_bgsave_status"] == "ok"
    assert int(i["rdb_last_save_time"]) == c.call("LASTSAVE").value >= lastsave.value
    assert c.call("SAVE", "extra") == E("ERR wrong number of arguments for 'save' command")


def test_dbfilename_and_dir(ember_factory, tmp_path):
    other = tmp_path / "otherdir"
    other.mkdir()
    srv = ember_factory(args=["--dbfilename", "my.rdb", "--enable-protected-configs", "yes"])
    c = srv.raw()
    assert config_get(c, "dbfilename") == "my.rdb"
    assert c.call("SET", "k", "v") == S("OK")
    assert c.call("SAVE") == S("OK")
    assert (srv.dir / "my.rdb").exists() and not dump_path(srv).exists()
    for bad in ("a/b", "../x.rdb", "/tmp/x.rdb"):
        assert c.call("CONFIG", "SET", "dbfilename", bad) == E(
            "ERR CONFIG SET failed (possibly related to argument 'dbfilename') - "
            "dbfilename can't be a path, just a filename")
    assert config_get(c, "dbfilename") == "my.rdb"
    # CONFIG SET dir: the next save goes there
    assert c.call("CONFIG", "SET", "dir", str(other)) == S("OK")
    assert c.call("SAVE") == S("OK")
    assert (other / "my.rdb").exists()
    c = restart(srv)  # the command line --dir wins again at restart
    assert c.call("GET", "k") == B("v")


def test_dbfilename_protected_and_path_rejected_at_startup(ember_factory, ember_binary, tmp_path):
    srv = ember_factory()
    assert srv.raw().call("CONFIG", "SET", "dbfilename", "x.rdb") == E(
        "ERR CONFIG SET failed (possibly related to argument 'dbfilename') - can't set protected config")
    p = subprocess.run([ember_binary, "--port", str(free_port()), "--bind", "127.0.0.1", "--save", "",
                        "--dir", str(tmp_path), "--dbfilename", "sub/dump.rdb"],
                       stdin=subprocess.DEVNULL, capture_output=True, timeout=10, cwd=tmp_path)
    assert p.returncode == 1
    assert b"dbfilename can't be a path, just a filename" in p.stderr + p.stdout


# --------------------------------------------------------------------------- BGSAVE

def test_bgsave_replies_and_info_fields(ember_factory):
    srv = ember_factory()
    c = srv.raw()
    fill(c, 25)
    i = info(c)
    for field in ("loading", "rdb_changes_since_last_save", "rdb_bgsave_in_progress",
                  "rdb_last_save_time", "rdb_last_bgsave_status", "rdb_last_bgsave_time_sec",
                  "rdb_current_bgsave_time_sec", "rdb_last_cow_size", "rdb_saves",
                  "rdb_last_load_keys_expired", "rdb_last_load_keys_loaded"):
        assert field in i, field
    assert i["rdb_changes_since_last_save"] == "25"
    assert i["rdb_last_bgsave_time_sec"] == "-1"   # no BGSAVE yet
    assert i["rdb_current_bgsave_time_sec"] == "-1"
    assert i["rdb_saves"] == "0"
    lastsave0 = c.call("LASTSAVE").value

    t0 = time.monotonic()
    slow_bgsave(c, 25, 50_000)                   # ~1.25 s
    i = info(c)
    assert i["rdb_bgsave_in_progress"] == "1"
    assert i["rdb_current_bgsave_time_sec"] != "-1"
    assert c.call("BGSAVE") == BGSAVE_IN_PROGRESS
    assert c.call("BGSAVE", "SCHEDULE") == BGSAVE_IN_PROGRESS  # "scheduled" is only for *other* children
    assert c.call("SAVE") == BGSAVE_IN_PROGRESS
    assert c.call("LASTSAVE").value == lastsave0
    assert c.call("GET", "key:3") == B("v3")  # the server keeps serving

    i = wait_bgsave_done(c)
    assert time.monotonic() - t0 >= 1.0
    assert i["rdb_last_bgsave_status"] == "ok"
    assert i["rdb_changes_since_last_save"] == "0"
    assert i["rdb_current_bgsave_time_sec"] == "-1"
    assert int(i["rdb_last_bgsave_time_sec"]) >= 0
    assert int(i["rdb_last_cow_size"]) >= 0
    assert i["rdb_saves"] == "1"
    assert i["loading"] == "0"
    lastsave1 = c.call("LASTSAVE").value
    assert lastsave1 > lastsave0  # the save finished >= 1.25 s after startup
    assert int(i["rdb_last_save_time"]) == lastsave1

    assert c.call("CONFIG", "SET", "rdb-key-save-delay", "0") == S("OK")
    assert c.call("BGSAVE", "SCHEDULE") == S("Background saving started")  # idle: starts at once
    wait_bgsave_done(c)
    assert c.call("BGSAVE", "NOW") == E("ERR syntax error")
    assert c.call("BGSAVE", "SCHEDULE", "x") == E("ERR syntax error")
    c = restart(srv)
    assert c.call("DBSIZE") == I(25)


@pytest.mark.parametrize("kind", ["ember", "redis"])
def test_fork_and_save_counters_and_resetstat(kind, ember_factory, ref_factory):
    """total_forks, latest_fork_usec, rdb_saves and aof_rewrites count BGSAVE and
    BGREWRITEAOF children; CONFIG RESETSTAT zeroes them (as Redis 7.0)."""
    c = (ember_factory if kind == "ember" else ref_factory)().raw()
    fill(c, 10)
    assert c.call("BGSAVE") == S("Background saving started")
    wait_bgsave_done(c)
    assert c.call("BGREWRITEAOF") == S("Background append only file rewriting started")
    wait_for(lambda: info(c)["aof_rewrite_in_progress"] == "0", timeout=20, interval=0.02,
             message="aof_rewrite_in_progress:0")
    stats, persistence = info(c, "stats"), info(c)
    assert stats["total_forks"] == "2"
    assert int(stats["latest_fork_usec"]) > 0
    assert (persistence["rdb_saves"], persistence["aof_rewrites"]) == ("1", "1")
    assert c.call("CONFIG", "RESETSTAT") == S("OK")
    stats, persistence = info(c, "stats"), info(c)
    assert (stats["total_forks"], stats["latest_fork_usec"]) == ("0", "0")
    assert (persistence["rdb_saves"], persistence["aof_rewrites"]) == ("0", "0")


def test_bgsave_inside_multi_is_scheduled(ember_factory):
    """A BGSAVE inside MULTI/EXEC cannot fork there: Redis replies "scheduled" and runs it from
    its cron shortly after."""
    srv = ember_factory()
    srv.skip_unless_commands("MULTI", "EXEC")
    c = srv.raw()
    fill(c, 3)
    assert c.call("MULTI") == S("OK")
    assert c.call("BGSAVE") == S("QUEUED")
    assert c.call("EXEC") == A(S("Background saving scheduled"))
    wait_for(lambda: info(c)["rdb_changes_since_last_save"] == "0", timeout=10,
             message="the scheduled BGSAVE to run")
    wait_bgsave_done(c)
    c = restart(srv)
    assert c.call("DBSIZE") == I(3)


def test_writes_during_bgsave_not_in_snapshot_but_kept(ember_factory):
    srv = ember_factory(args=DEBUG)
    c = srv.raw()
    fill(c, 25)
    assert c.call("SET", "k", "old") == S("OK")
    slow_bgsave(c, 25, 40_000)
    # writes while the snapshot is being written
    assert c.call("SET", "k", "new") == S("OK")
    assert c.call("SET", "added", "1") == S("OK")
    assert c.call("DEL", "key:0") == I(1)
    assert info(c)["rdb_bgsave_in_progress"] == "1", "the BGSAVE ended before the writes"
    i = wait_bgsave_done(c)
    assert i["rdb_last_bgsave_status"] == "ok"
    # the 3 writes made during the save still count as unsaved changes
    assert i["rdb_changes_since_last_save"] == "3"
    # the live data set has them
    assert c.call("GET", "k") == B("new")
    assert c.call("GET", "added") == B("1")
    assert c.call("DBSIZE") == I(26)
    live_digest = digest(c)

    hard_kill(srv)                    # no save at exit: dump.rdb is exactly the BGSAVE snapshot
    srv.start()
    c = srv.raw()
    assert c.call("GET", "k") == B("old")
    assert c.call("GET", "added") == NULLBULK
    assert c.call("GET", "key:0") == B("v0")
    assert c.call("DBSIZE") == I(26)
    assert digest(c) != live_digest


def test_kill9_during_bgsave_keeps_previous_dump(ember_factory):
    srv = ember_factory()
    c = srv.raw()
    fill(c, 25, value="first")
    assert c.call("SAVE") == S("OK")
    old = dump_path(srv).read_bytes()
    fill(c, 25, value="second")
    slow_bgsave(c, 25, 100_000)       # ~2.5 s: killed long before it finishes
    time.sleep(0.2)                   # let it write part of the temp file
    hard_kill(srv)                    # the server and its save child, if any
    assert dump_path(srv).read_bytes() == old
    srv.start()                       # a leftover temp file must not break the start
    c = srv.raw()
    assert c.call("DBSIZE") == I(25)
    assert c.call("GET", "key:7") == B("first7")
    assert dump_path(srv).read_bytes() == old


def test_kill9_of_save_child(ember_factory):
    srv = ember_factory()
    c = srv.raw()
    fill(c, 25, value="first")
    assert c.call("SAVE") == S("OK")
    old = dump_path(srv).read_bytes()
    fill(c, 25, value="second")
    slow_bgsave(c, 25, 100_000)
    children = save_children(srv)
    if not children:
        c.call("CONFIG", "SET", "rdb-key-save-delay", "0")
        pytest.skip("BGSAVE does not run in a child process here")
    time.sleep(0.2)
    for pid in children:
        os.kill(pid, signal.SIGKILL)
    i = wait_bgsave_done(c, timeout=10)
    # a save child killed by a signal (other than SIGUSR1) is a failed save
    assert i["rdb_last_bgsave_status"] == "err"
    assert i["rdb_changes_since_last_save"] == "25"
    assert dump_path(srv).read_bytes() == old
    wait_for(lambda: not [p for p in srv.dir.iterdir() if p.name.startswith("temp-")], timeout=5,
             message="the killed child's temp file to be removed")
    assert c.call("GET", "key:1") == B("second1")  # the parent is unaffected
    assert c.call("PING") == S("PONG")            # no save points: no MISCONF
    # the next BGSAVE works and clears the error
    assert c.call("CONFIG", "SET", "rdb-key-save-delay", "0") == S("OK")
    assert c.call("BGSAVE") == S("Background saving started")
    assert wait_bgsave_done(c)["rdb_last_bgsave_status"] == "ok"
    c = restart(srv)
    assert c.call("GET", "key:1") == B("second1")


# --------------------------------------------------------------------------- save points

def test_default_save_points(ember_factory):
    # started without the harness defaults (which pass --save "") to see the built-in default
    port = free_port()
    srv = ember_factory(start=False, defaults=False, port=port)
    srv.extra_args = ["--port", str(port), "--bind", "127.0.0.1", "--dir", str(srv.dir),
                      "--logfile", str(srv.logfile), "--appendonly", "no"]
    srv.start()
    assert config_get(srv.raw(), "save") == "3600 1 300 100 60 10000"


def test_config_save_points_roundtrip(ember_factory):
    srv = ember_factory(args=["--save", "100 5 20 1000"])
    c = srv.raw()
    assert config_get(c, "save") == "100 5 20 1000"
    assert c.call("CONFIG", "SET", "save", "30 2") == S("OK")
    assert config_get(c, "save") == "30 2"
    assert c.call("CONFIG", "SET", "save", "") == S("OK")
    assert config_get(c, "save") == ""
    assert c.call("CONFIG", "SET", "save", "30").is_error
    assert c.call("CONFIG", "SET", "save", "a b").is_error
    assert config_get(c, "save") == ""


def test_save_point_triggers_bgsave(ember_factory):
    srv = ember_factory(args=["--save", "1 1"])
    c = srv.raw()
    lastsave0 = c.call("LASTSAVE").value
    assert c.call("SET", "k", "v") == S("OK")
    # "1 1": at least 1 change and more than 1 s since the last save (startup counts as a save)
    wait_for(lambda: info(c)["rdb_changes_since_last_save"] == "0", timeout=10, interval=0.05,
             message="a background save triggered by the save point")
    i = wait_bgsave_done(c)
    assert i["rdb_last_bgsave_status"] == "ok"
    assert c.call("LASTSAVE").value > lastsave0
    assert dump_path(srv).exists()
    hard_kill(srv)
    srv.start()
    assert srv.raw().call("GET", "k") == B("v")


def test_save_points_disabled_by_empty_string(ember_factory):
    srv = ember_factory(args=["--save", "1 1"])
    c = srv.raw()
    assert c.call("CONFIG", "SET", "save", "") == S("OK")
    assert c.call("SET", "k", "v") == S("OK")
    time.sleep(2.3)
    i = info(c)
    assert i["rdb_changes_since_last_save"] == "1"
    assert i["rdb_bgsave_in_progress"] == "0"
    assert not dump_path(srv).exists()
    # and CONFIG SET turns them on again at runtime
    assert c.call("CONFIG", "SET", "save", "1 1") == S("OK")
    wait_for(lambda: info(c)["rdb_changes_since_last_save"] == "0", timeout=10, interval=0.05,
             message="a background save after re-enabling save points")
    wait_bgsave_done(c)
    assert dump_path(srv).exists()


# --------------------------------------------------------------------------- MISCONF

def _break_saving(srv, c) -> None:
    """Make every save fail, also as root: dbfilename names an existing directory, so renaming
    the temp file onto it fails (EISDIR)."""
    (srv.dir / "blocker").mkdir()
    assert c.call("CONFIG", "SET", "dbfilename", "blocker") == S("OK")


def test_stop_writes_on_bgsave_error(ember_factory):
    srv = ember_factory(args=["--save", "3600 1", "--enable-protected-configs", "yes"])
    c = srv.raw()
    assert config_get(c, "stop-writes-on-bgsave-error") == "yes"
    assert c.call("SET", "k", "1") == S("OK")
    _break_saving(srv, c)
    assert c.call("BGSAVE") == S("Background saving started")
    i = wait_bgsave_done(c)
    assert i["rdb_last_bgsave_status"] == "err"
    assert i["rdb_changes_since_last_save"] == "1"

    assert c.call("SET", "k", "2") == E(MISCONF)
    assert c.call("DEL", "nosuchkey") == E(MISCONF)      # write commands, even no-ops
    assert c.call("INCR", "k") == E(MISCONF)
    assert c.call("PING") == E(MISCONF)                  # Redis 7.0 refuses PING too
    assert c.call("GET", "k") == B("1")                   # reads work
    assert c.call("EXISTS", "k") == I(1)
    assert c.call("DBSIZE") == I(1)
    assert c.call("GET", "k") == B("1")

    # SHUTDOWN must save (save points configured), fails, and the server keeps running
    assert c.call("SHUTDOWN") == SHUTDOWN_FAILED
    assert c.call("SHUTDOWN", "SAVE") == SHUTDOWN_FAILED
    assert srv.alive() and c.call("GET", "k") == B("1")
    # a failed SAVE replies a bare ERR and leaves the previous status
    assert c.call("SAVE") == E("ERR")

    assert c.call("CONFIG", "SET", "stop-writes-on-bgsave-error", "no") == S("OK")
    assert c.call("SET", "k", "2") == S("OK")
    assert c.call("PING") == S("PONG")
    assert c.call("CONFIG", "SET", "stop-writes-on-bgsave-error", "yes") == S("OK")
    assert c.call("SET", "k", "3") == E(MISCONF)

    # fixing the cause is not enough: a save has to succeed
    assert c.call("CONFIG", "SET", "dbfilename", "dump.rdb") == S("OK")
    assert c.call("SET", "k", "3") == E(MISCONF)
    assert c.call("BGSAVE") == S("Background saving started")   # BGSAVE is not a write command
    assert wait_bgsave_done(c)["rdb_last_bgsave_status"] == "ok"
    assert c.call("SET", "k", "3") == S("OK")
    assert c.call("GET", "k") == B("3")


def test_misconf_lifted_by_foreground_save(ember_factory):
    srv = ember_factory(args=["--save", "3600 1", "--enable-protected-configs", "yes"])
    c = srv.raw()
    assert c.call("SET", "k", "1") == S("OK")
    _break_saving(srv, c)
    assert c.call("BGSAVE") == S("Background saving started")
    assert wait_bgsave_done(c)["rdb_last_bgsave_status"] == "err"
    assert c.call("SET", "k", "2") == E(MISCONF)
    assert c.call("CONFIG", "SET", "dbfilename", "dump.rdb") == S("OK")
    assert c.call("SAVE") == S("OK")
    assert info(c)["rdb_last_bgsave_status"] == "ok"
    assert c.call("SET", "k", "2") == S("OK")


def test_no_misconf_without_save_points(ember_factory):
    """MISCONF needs save points: with `save ""` a failed BGSAVE does not block writes."""
    srv = ember_factory(args=["--enable-protected-configs", "yes"])
    c = srv.raw()
    assert c.call("SET", "k", "1") == S("OK")
    _break_saving(srv, c)
    assert c.call("BGSAVE") == S("Background saving started")
    assert wait_bgsave_done(c)["rdb_last_bgsave_status"] == "err"
    assert c.call("SET", "k", "2") == S("OK")
    assert c.call("CONFIG", "SET", "save", "3600 1") == S("OK")
    assert c.call("SET", "k", "3") == E(MISCONF)


def test_sigterm_with_failing_save_keeps_running(ember_factory):
    srv = ember_factory(args=["--save", "3600 1", "--enable-protected-configs", "yes"])
    c = srv.raw()
    assert c.call("SET", "k", "1") == S("OK")
    _break_saving(srv, c)
    os.kill(srv.pid, signal.SIGTERM)
    # the final save fails, so the server logs the error and does not exit
    if srv.is_redis:
        wait_for(lambda: "Errors trying to shut down" in srv.log_text() or not srv.alive(),
                 timeout=10, message="the SIGTERM shutdown attempt")
    deadline = time.monotonic() + 1.0
    while time.monotonic() < deadline and srv.alive():
        time.sleep(0.05)
    assert srv.alive(), "exited on SIGTERM although the final save failed"
    assert c.call("GET", "k") == B("1")
    c.send_command("SHUTDOWN", "NOSAVE")
    assert c.read_until_closed(timeout=10) == b""
    assert srv.proc.wait(timeout=10) == 0


# --------------------------------------------------------------------------- SHUTDOWN / SIGTERM

def _shutdown(srv, c, *args) -> int:
    c.send_command("SHUTDOWN", *args)
    try:
        r = c.read_reply(timeout=15)
    except ConnectionClosed:
        pass  # expected: no reply, the connection just closes
    else:
        pytest.fail(f"SHUTDOWN {' '.join(args)} replied {r!r} instead of exiting")
    rc = srv.proc.wait(timeout=15)
    srv.stop()  # bookkeeping only: the process is gone
    return rc


def test_shutdown_with_save_points_saves(ember_factory):
    srv = ember_factory(args=["--save", "3600 1"])
    c = srv.raw()
    assert c.call("SET", "k", "v") == S("OK")
    assert _shutdown(srv, c) == 0
    assert dump_path(srv).exists()
    srv.start()
    assert srv.raw().call("GET", "k") == B("v")


def test_shutdown_without_save_points_does_not_save(ember_factory):
    srv = ember_factory()
    c = srv.raw()
    assert c.call("SET", "k", "v") == S("OK")
    assert _shutdown(srv, c) == 0
    assert not dump_path(srv).exists()


def test_shutdown_nosave_with_save_points(ember_factory):
    srv = ember_factory(args=["--save", "3600 1"])
    c = srv.raw()
    assert c.call("SET", "saved", "1") == S("OK")
    assert c.call("SAVE") == S("OK")
    old = dump_path(srv).read_bytes()
    assert c.call("SET", "unsaved", "1") == S("OK")
    assert _shutdown(srv, c, "NOSAVE") == 0
    assert dump_path(srv).read_bytes() == old
    srv.start()
    c = srv.raw()
    assert c.call("GET", "saved") == B("1")
    assert c.call("GET", "unsaved") == NULLBULK


def test_shutdown_save_without_save_points(ember_factory):
    srv = ember_factory()
    c = srv.raw()
    assert config_get(c, "save") == ""
    assert c.call("SET", "k", "v") == S("OK")
    assert _shutdown(srv, c, "SAVE") == 0
    assert dump_path(srv).exists()
    srv.start()
    assert srv.raw().call("GET", "k") == B("v")


def test_shutdown_during_bgsave_saves_final_state(ember_factory):
    """SHUTDOWN kills a running BGSAVE child and does its own final (foreground) save."""
    srv = ember_factory(args=["--save", "3600 1"])
    c = srv.raw()
    fill(c, 25)
    slow_bgsave(c, 25, 100_000)
    assert c.call("SET", "late", "write") == S("OK")
    assert c.call("CONFIG", "SET", "rdb-key-save-delay", "0") == S("OK")
    t0 = time.monotonic()
    assert _shutdown(srv, c) == 0
    assert time.monotonic() - t0 < 2.0  # did not wait for the slow child
    assert not [p for p in srv.dir.iterdir() if p.name.startswith("temp-")]
    srv.start()
    c = srv.raw()
    assert c.call("GET", "late") == B("write")
    assert c.call("DBSIZE") == I(26)


def test_sigterm_with_save_points_saves(ember_factory):
    srv = ember_factory(args=["--save", "3600 1"])
    c = srv.raw()
    assert c.call("SET", "k", "v") == S("OK")
    os.kill(srv.pid, signal.SIGTERM)
    assert srv.proc.wait(timeout=15) == 0
    srv.stop()
    assert dump_path(srv).exists()
    srv.start()
    assert srv.raw().call("GET", "k") == B("v")


def test_sigterm_without_save_points_does_not_save(ember_factory):
    srv = ember_factory()
    assert srv.raw().call("SET", "k", "v") == S("OK")
    os.kill(srv.pid, signal.SIGTERM)
    assert srv.proc.wait(timeout=15) == 0
    srv.stop()
    assert not dump_path(srv).exists()


# --------------------------------------------------------------------------- FLUSHALL

def test_flushall_with_save_points_writes_empty_dump(ember_factory):
    srv = ember_factory(args=["--save", "3600 1"])
    c = srv.raw()
    fill(c, 10)
    assert c.call("SAVE") == S("OK")
    assert c.call("FLUSHALL") == S("OK")
    # FLUSHALL counts the removed keys as changes, then its save resets the counter
    assert info(c)["rdb_changes_since_last_save"] == "0"
    hard_kill(srv)  # no shutdown save: only FLUSHALL can have rewritten dump.rdb
    srv.start()
    assert srv.raw().call("DBSIZE") == I(0)


def test_flushall_without_save_points_keeps_dump(ember_factory):
    srv = ember_factory()
    c = srv.raw()
    fill(c, 10)
    assert c.call("SAVE") == S("OK")
    old = dump_path(srv).read_bytes()
    assert c.call("FLUSHALL") == S("OK")
    assert dump_path(srv).read_bytes() == old
    assert info(c)["rdb_changes_since_last_save"] == "10"  # one change per removed key
    assert c.call("FLUSHALL") == S("OK")
    assert info(c)["rdb_changes_since_last_save"] == "10"  # flushing nothing changes nothing
    hard_kill(srv)
    srv.start()
    assert srv.raw().call("DBSIZE") == I(10)


# --------------------------------------------------------------------------- DEBUG RELOAD

def test_debug_reload_keeps_data(ember_factory):
    srv = ember_factory(args=DEBUG)
    c = srv.raw()
    for k, v in list(STRING_VALUES.items())[:12]:
        assert c.call("SET", k, v) == S("OK")
    assert c.call("SET", "ttl", "x", "PX", "100000") == S("OK")
    assert c.call("SELECT", "2") == S("OK")
    assert c.call("SET", "db2", "y") == S("OK")
    before = digest(c)
    assert c.call("DEBUG", "RELOAD") == S("OK")
    assert digest(c) == before
    assert c.call("GET", "db2") == B("y")
    assert c.call("SELECT", "0") == S("OK")
    assert 0 < c.call("PTTL", "ttl").value <= 100_000
    assert dump_path(srv).exists()              # DEBUG RELOAD saves, then loads the file
    assert info(c)["rdb_changes_since_last_save"] == "0"
    c = restart(srv)
    assert digest(c) == before


# --------------------------------------------------------------------------- rdbcompression / rdbchecksum

def test_rdbcompression(ember_factory):
    value = b"0123456789" * 2000  # 20 KB, very compressible
    srv = ember_factory(args=DEBUG)
    c = srv.raw()
    assert config_get(c, "rdbcompression") == "yes"
    assert c.call("SET", "k", value) == S("OK")
    assert c.call("SAVE") == S("OK")
    compressed = dump_path(srv).stat().st_size
    assert compressed < 2_000
    assert c.call("CONFIG", "SET", "rdbcompression", "no") == S("OK")
    assert c.call("SAVE") == S("OK")
    plain = dump_path(srv).read_bytes()
    assert len(plain) > len(value) and value in plain
    before = digest(c)
    c = restart(srv)  # rdbcompression is back to yes: loading does not depend on it
    assert c.call("GET", "k") == B(value)
    assert digest(c) == before


def test_rdbchecksum(ember_factory):
    srv = ember_factory(args=DEBUG)
    c = srv.raw()
    assert config_get(c, "rdbchecksum") == "yes"
    assert c.call("CONFIG", "SET", "rdbchecksum", "no") == E(
        "ERR CONFIG SET failed (possibly related to argument 'rdbchecksum') - can't set immutable config")
    assert c.call("SET", "k", "v" * 100) == S("OK")
    assert c.call("SET", "n", "42") == S("OK")
    assert c.call("SAVE") == S("OK")
    data = dump_path(srv).read_bytes()
    assert data[:9] == b"REDIS0010"
    assert data[-9] == 0xFF                       # EOF opcode, then the checksum
    assert data[-8:] == crc64(data[:-8]).to_bytes(8, "little")
    before = digest(c)

    srv.stop()
    srv.extra_args = DEBUG + ["--rdbchecksum", "no"]
    srv.start()
    c = srv.raw()
    assert digest(c) == before
    assert c.call("SAVE") == S("OK")
    data = dump_path(srv).read_bytes()
    assert data[-9] == 0xFF
    assert data[-8:] == b"\x00" * 8              # checksum disabled: 8 zero bytes

    srv.stop()
    srv.extra_args = list(DEBUG)
    srv.start()  # rdbchecksum yes: a zero checksum means "not computed", not "bad"
    c = srv.raw()
    assert config_get(c, "rdbchecksum") == "yes"
    assert digest(c) == before
    assert c.call("GET", "n") == B("42")


def test_rdbchecksum_no_still_loads_file_with_crc(ember_factory):
    """rdbchecksum no also skips verifying: a wrong CRC then goes unnoticed (Redis behaviour)."""
    data = HandRdb().data
    srv = ember_factory(start=False, args=["--rdbchecksum", "no"])
    dump_path(srv).write_bytes(data[:-1] + bytes([data[-1] ^ 0x01]))
    srv.start()
    assert srv.raw().call("GET", "alpha") == B("one")


# --------------------------------------------------------------------------- corrupt files

def _rdb_len(n: int) -> bytes:
    if n < 1 << 6:
        return bytes([n])
    if n < 1 << 14:
        return bytes([0x40 | (n >> 8), n & 0xFF])
    return b"\x80" + n.to_bytes(4, "big")


def _rdb_str(s: bytes) -> bytes:
    return _rdb_len(len(s)) + s


class HandRdb:
    """A small RDB v10 file built byte by byte, with the offsets the corruption cases need."""

    LONG = _rng_bytes(3, 300)

    def __init__(self, version: int = 10):
        out = bytearray(b"REDIS%04d" % version)
        out += b"\xfa" + _rdb_str(b"redis-ver") + _rdb_str(b"7.0.15")
        out += b"\xfa" + _rdb_str(b"redis-bits") + b"\xc0\x40"          # int-encoded 64
        out += b"\xfe\x00" + b"\xfb" + _rdb_len(4) + _rdb_len(1)        # SELECTDB 0, RESIZEDB 4 1
        self.entries_start = len(out)
        out += b"\x00" + _rdb_str(b"alpha") + _rdb_str(b"one")
        self.key_start = len(out) + 2                                     # inside the next key name
        out += b"\x00" + _rdb_str(b"a-longer-key-name") + _rdb_str(b"two")
        out += b"\x00" + _rdb_str(b"num") + b"\xc1\x39\x30"              # int16 12345
        out += b"\xfc" + (4102444800000).to_bytes(8, "little")            # expires in 2100
        out += b"\x00" + _rdb_str(b"long") + _rdb_str(self.LONG)
        self.long_value_start = len(out) - len(self.LONG)
        self.eof_at = len(out)
        out += b"\xff"
        out += crc64(bytes(out)).to_bytes(8, "little")
        self.data = bytes(out)

    @staticmethod
    def with_crc(body: bytes) -> bytes:
        return body + crc64(body).to_bytes(8, "little")


def _corrupt_cases():
    h = HandRdb()
    d = h.data
    header_end = h.entries_start
    cases = {
        "empty-file": b"",
        "truncated-mid-magic": d[:5],
        "truncated-after-version": d[:9],
        "truncated-mid-aux": d[:14],
        "truncated-mid-key": d[:h.key_start + 3],
        "truncated-mid-value": d[:h.long_value_start + 100],
        "truncated-before-eof-opcode": d[:h.eof_at],
        "truncated-before-crc": d[:h.eof_at + 1],
        "truncated-mid-crc": d[:h.eof_at + 5],
        "crc-byte-flipped": d[:-1] + bytes([d[-1] ^ 0x01]),
        "value-byte-flipped": (d[:h.long_value_start + 150] + bytes([d[h.long_value_start + 150] ^ 0x20])
                               + d[h.long_value_start + 151:]),
        "huge-32bit-length": HandRdb.with_crc(d[:header_end] + b"\x00" + _rdb_str(b"k")
                                              + b"\x80\xff\xff\xff\xff" + b"abc" + b"\xff"),
        "huge-64bit-length": HandRdb.with_crc(d[:header_end] + b"\x00" + _rdb_str(b"k")
                                              + b"\x81" + b"\xff" * 8 + b"abc" + b"\xff"),
        "unknown-type": HandRdb.with_crc(d[:header_end] + b"\x63" + _rdb_str(b"k") + _rdb_str(b"v")
                                         + b"\xff"),
        "bad-magic": b"XEDIS" + d[5:],
        "version-12": HandRdb(version=12).data,
    }
    return cases


CORRUPT = _corrupt_cases()


def test_hand_built_rdb_loads(ember_factory):
    """The uncorrupted base of the corruption cases is a valid file (checks the builder too)."""
    srv = ember_factory(start=False, args=DEBUG)
    dump_path(srv).write_bytes(HandRdb().data)
    srv.start()
    c = srv.raw()
    assert c.call("DBSIZE") == I(4)
    assert c.call("GET", "alpha") == B("one")
    assert c.call("GET", "a-longer-key-name") == B("two")
    assert c.call("GET", "num") == B("12345")
    assert c.call("OBJECT", "ENCODING", "num") == B("int")
    assert c.call("GET", "long") == B(HandRdb.LONG)
    assert c.call("PEXPIRETIME", "long") == I(4102444800000)
    assert c.call("TTL", "alpha") == I(-1)


@pytest.mark.parametrize("case", sorted(CORRUPT))
def test_corrupt_dump_refuses_to_start(ember_factory, case):
    data = CORRUPT[case]
    srv = ember_factory(start=False, startup_timeout=10.0)
    dump_path(srv).write_bytes(data)
    t0 = time.monotonic()
    with pytest.raises(ServerStartError) as exc:
        srv.start()
    assert "exited with code" in str(exc.value), exc.value  # exited, not hung
    assert time.monotonic() - t0 < 10
    assert srv.returncode == 1, srv.returncode               # a clean exit(1), not a crash
    assert dump_path(srv).read_bytes() == data                # never "repaired" or truncated
    log = srv.log_text()
    if case == "version-12":
        assert "Can't handle RDB format version 12" in log
    if not srv.is_redis:
        lines = [ln for ln in log.splitlines() if "dump.rdb" in ln and re.search(r"offset", ln, re.I)]
        assert lines, "no log line names the file and the offset of the problem:\n" + log[-3000:]


def test_corrupt_dump_elsewhere_is_ignored(ember_factory):
    """Only <dir>/<dbfilename> is read: a corrupt file under another name does not matter."""
    srv = ember_factory(start=False)
    (srv.dir / "other.rdb").write_bytes(CORRUPT["crc-byte-flipped"])
    srv.start()
    assert srv.raw().call("DBSIZE") == I(0)
