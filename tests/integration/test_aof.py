"""The append-only file, Redis 7.0's multi-part layout: appendonlydir/ with a manifest, one base
(an RDB with aof-use-rdb-preamble yes) and incremental files.

Restarting with appendonly yes keeps every type, expiry, MULTI/EXEC and several databases;
BGREWRITEAOF and the automatic rewrite replace the files (the old ones are removed); CONFIG SET
appendonly yes at runtime creates the base first; a truncated tail is cut (aof-load-truncated)
and a corrupt middle refuses the start with Redis's texts; INFO persistence; durability with
kill -9; ember-check-aof.

Checked against real Redis 7.0 (except the ember-check-aof tests, which run redis-check-aof):
    EMBER_SERVER=/usr/bin/redis-server /usr/bin/python3 -m pytest -q tests/integration/test_aof.py
"""

from __future__ import annotations

import os
import random
import re
import subprocess
import threading
import time
from pathlib import Path

import pytest

from harness.resp import E, S
from harness.server import ServerStartError
from harness.util import random_seeds, wait_for
from harness.workload import random_workload

AOF = ["--appendonly", "yes", "--enable-debug-command", "yes"]
MANIFEST_1 = ("file appendonly.aof.1.base.rdb seq 1 type b\n"
              "file appendonly.aof.1.incr.aof seq 1 type i\n")


# --------------------------------------------------------------------------- helpers

def info(c) -> dict[str, str]:
    return {k: str(v) for k, v in c.info("persistence").items()}


def aof_dir(srv) -> Path:
    return Path(srv.dir) / "appendonlydir"


def manifest(srv) -> str:
    return (aof_dir(srv) / "appendonly.aof.manifest").read_text()


def incr_path(srv, seq: int = 1) -> Path:
    return aof_dir(srv) / f"appendonly.aof.{seq}.incr.aof"


def digest(c) -> str:
    return c.execute_command("DEBUG", "DIGEST").decode()


def fill_all_types(c) -> None:
    c.set("str", "hello")
    c.set("int", 12345)
    c.set("ttl", "soon", ex=1000)
    c.rpush("list", *[f"e{i}" for i in range(50)])
    c.hset("hash", mapping={f"f{i}": i for i in range(20)})
    c.sadd("set", *range(30))
    c.sadd("strset", "a", "b", "c")
    c.zadd("zset", {f"m{i}": i / 3 for i in range(40)})
    c.set("big", "x" * 100_000)
    with c.pipeline(transaction=True) as p:
        p.incr("counter")
        p.incr("counter")
        p.lpush("list", "head")
        p.execute()


def wait_rewrite_done(c, rewrites: int, timeout: float = 10.0) -> dict[str, str]:
    def done():
        i = info(c)
        return i if (i["aof_rewrite_in_progress"] == "0" and i["aof_rewrite_scheduled"] == "0"
                     and int(i["aof_rewrites"]) >= rewrites) else None
    return wait_for(done, timeout=timeout, message="AOF rewrite did not finish")


def bgrewriteaof(srv):
    return srv.raw().call("BGREWRITEAOF")


def start_aof(ember_factory, *extra: str):
    return ember_factory(args=AOF + list(extra))


# --------------------------------------------------------------------------- layout and restart

def test_files_and_manifest_as_redis(ember_factory):
    srv = start_aof(ember_factory)
    c = srv.client()
    assert c.set("k", "v")
    assert manifest(srv) == MANIFEST_1
    base = (aof_dir(srv) / "appendonly.aof.1.base.rdb").read_bytes()
    assert base.startswith(b"REDIS")
    assert b"aof-base" in base
    wait_for(lambda: b"$1\r\nk\r\n$1\r\nv\r\n" in incr_path(srv).read_bytes(), timeout=3)
    # The first write selects its database.
    assert incr_path(srv).read_bytes().startswith(b"*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n")


def test_restart_keeps_everything(ember_factory):
    srv = start_aof(ember_factory)
    c = srv.client()
    fill_all_types(c)
    c3 = srv.client(db=3)
    c3.set("in-db3", "yes")
    c3.expire("in-db3", 5000)
    c.delete("int")
    before = digest(c)
    ttl = c.ttl("ttl")
    srv.stop()
    srv.start()
    c = srv.client()
    assert digest(c) == before
    assert 990 <= c.ttl("ttl") <= ttl
    assert srv.client(db=3).get("in-db3") == b"yes"
    assert c.get("counter") == b"2"
    assert c.exists("int") == 0


@pytest.mark.parametrize("seed", random_seeds([1, 2]))
def test_random_workload_survives_restart_rewrite_and_reload(ember_factory, seed):
    """A random workload over every type (failures, MULTI, scripts, two databases; TTLs long
    enough to outlive the test) comes back identical from the AOF, from a rewritten AOF and
    from DEBUG RELOAD's snapshot."""
    srv = start_aof(ember_factory, "--aof-use-rdb-preamble", "no")
    srv.skip_unless_commands("LMPOP", "ZMPOP", "SORT", "EVAL", "COPY")
    c = srv.raw(timeout=10)
    cmds = random_workload(random.Random(seed), 1500, short_ttls=False)
    c.send_pipeline(cmds)
    c.read_replies(len(cmds), timeout=10)
    want = c.call("DEBUG", "DIGEST").value
    assert want != "0" * 40
    srv.stop()
    srv.start()  # replays the commands
    assert srv.raw().call("DEBUG", "DIGEST").value == want
    c = srv.raw(timeout=10)
    assert c.call("BGREWRITEAOF").kind == "simple"
    wait_for(lambda: info(srv.client())["aof_rewrite_in_progress"] == "0"
             and info(srv.client())["aof_rewrite_scheduled"] == "0", timeout=10)
    srv.stop()
    srv.start()  # loads the rewritten base
    c = srv.raw(timeout=10)
    assert c.call("DEBUG", "DIGEST").value == want
    assert c.call("DEBUG", "RELOAD") == S("OK")
    assert c.call("DEBUG", "DIGEST").value == want


def test_transaction_is_one_multi_exec_block(ember_factory):
    srv = start_aof(ember_factory)
    c = srv.client()
    with c.pipeline(transaction=True) as p:
        p.set("a", 1)
        p.incr("a")
        p.execute()
    data = wait_for(lambda: (lambda d: d if b"EXEC" in d else None)(incr_path(srv).read_bytes()),
                    timeout=3)
    assert re.search(rb"\*1\r\n\$5\r\nMULTI\r\n\*3\r\n\$3\r\nset\r\n\$1\r\na\r\n\$1\r\n1\r\n"
                     rb"\*3\r\n\$\d+\r\nincr\w*\r\n.*\*1\r\n\$4\r\nEXEC\r\n", data, re.S | re.I), data


@pytest.mark.parametrize("kind", ["ember", "redis"])
def test_publish_is_not_appended(kind, ember_factory, ref_factory):
    # Redis propagates PUBLISH to replicas only (PROPAGATE_REPL): it is no write to replay.
    srv = start_aof(ember_factory) if kind == "ember" else ref_factory(args=AOF)
    c = srv.client()
    c.publish("news", "hello")
    c.execute_command("SPUBLISH", "shard", "hello")
    c.set("after", "1")
    data = wait_for(lambda: (lambda d: d if b"after" in d else None)(incr_path(srv).read_bytes()),
                    timeout=3)
    assert b"PUBLISH" not in data.upper(), data


def test_select_follows_the_database(ember_factory):
    srv = start_aof(ember_factory)
    srv.client(db=0).set("a", 1)
    srv.client(db=5).set("b", 1)
    srv.client(db=5).set("c", 1)
    srv.client(db=0).set("d", 1)
    data = incr_path(srv).read_bytes()
    selects = re.findall(rb"SELECT\r\n\$1\r\n(\d)\r\n", data)
    assert selects == [b"0", b"5", b"0"], data


def test_timestamp_annotations(ember_factory):
    srv = start_aof(ember_factory, "--aof-timestamp-enabled", "yes")
    c = srv.client()
    c.set("a", 1)
    data = incr_path(srv).read_bytes()
    m = re.match(rb"#TS:(\d+)\r\n", data)
    assert m, data
    assert abs(int(m.group(1)) - time.time()) < 5
    srv.stop()
    srv.start()
    assert srv.client().get("a") == b"1"


def test_no_rdb_preamble_base_is_commands(ember_factory):
    srv = start_aof(ember_factory, "--aof-use-rdb-preamble", "no")
    c = srv.client()
    fill_all_types(c)
    bgrewriteaof(srv)
    wait_rewrite_done(c, 1)
    assert "appendonly.aof.2.base.aof seq 2 type b" in manifest(srv)
    base = (aof_dir(srv) / "appendonly.aof.2.base.aof").read_bytes()
    assert base.startswith(b"*")
    before = digest(c)
    srv.stop()
    srv.start()
    assert digest(srv.client()) == before


def test_debug_loadaof_reloads_without_appending(ember_factory):
    srv = start_aof(ember_factory)
    c = srv.client()
    fill_all_types(c)
    c.set("volatile", 1, px=100_000)
    before = digest(c)
    size = incr_path(srv).stat().st_size
    assert srv.raw().call("DEBUG", "LOADAOF") == S("OK")
    assert digest(c) == before
    assert incr_path(srv).stat().st_size == size  # the replayed writes were not appended again
    assert "Append Only File loaded by DEBUG LOADAOF" in srv.log_text()
    c.set("after", 1)
    assert incr_path(srv).stat().st_size > size


# --------------------------------------------------------------------------- rewrite

def test_bgrewriteaof_keeps_data_and_removes_old_files(ember_factory):
    srv = start_aof(ember_factory)
    c = srv.client()
    fill_all_types(c)
    for i in range(200):
        c.incr("n")
    assert bgrewriteaof(srv) == S("Background append only file rewriting started")
    i = wait_rewrite_done(c, 1)
    assert i["aof_last_bgrewrite_status"] == "ok"
    assert manifest(srv) == ("file appendonly.aof.2.base.rdb seq 2 type b\n"
                             "file appendonly.aof.2.incr.aof seq 2 type i\n")
    # The old files are removed in the background once the new manifest is durable.
    wait_for(lambda: sorted(os.listdir(aof_dir(srv))) == ["appendonly.aof.2.base.rdb",
                                                          "appendonly.aof.2.incr.aof",
                                                          "appendonly.aof.manifest"], timeout=5)
    c.set("after", "rewrite")
    before = digest(c)
    srv.stop()
    srv.start()
    c = srv.client()
    assert digest(c) == before
    assert c.get("n") == b"200"


def test_bgrewriteaof_with_appendonly_off_writes_a_base(ember_factory):
    srv = ember_factory(args=["--enable-debug-command", "yes"])
    c = srv.client()
    fill_all_types(c)
    assert bgrewriteaof(srv) == S("Background append only file rewriting started")
    wait_rewrite_done(c, 1)
    assert manifest(srv) == "file appendonly.aof.1.base.rdb seq 1 type b\n"
    assert info(c)["aof_enabled"] == "0"
    before = digest(c)
    srv.extra_args += ["--appendonly", "yes"]
    srv.stop()
    srv.start()
    assert digest(srv.client()) == before
    assert manifest(srv) == ("file appendonly.aof.1.base.rdb seq 1 type b\n"
                             "file appendonly.aof.1.incr.aof seq 1 type i\n")


def test_bgrewriteaof_in_progress_and_bgsave_replies(ember_factory):
    srv = start_aof(ember_factory, "--rdb-key-save-delay", "200000")
    c = srv.client()
    for i in range(20):
        c.set(f"k{i}", i)
    assert bgrewriteaof(srv) == S("Background append only file rewriting started")
    assert info(c)["aof_rewrite_in_progress"] == "1"
    assert bgrewriteaof(srv) == E("ERR Background append only file rewriting already in progress")
    assert srv.raw().call("BGSAVE") == E(
        "ERR Another child process is active (AOF?): can't BGSAVE right now. Use BGSAVE SCHEDULE "
        "in order to schedule a BGSAVE whenever possible.")
    assert srv.raw().call("BGSAVE", "SCHEDULE") == S("Background saving scheduled")
    # Writes go on meanwhile (to the new incremental file).
    assert c.set("during", "rewrite")
    assert info(c)["aof_current_rewrite_time_sec"] != "-1"
    c.config_set("rdb-key-save-delay", 0)
    srv.stop()  # kills the child: its temp file goes away
    assert not [f for f in os.listdir(srv.dir) if f.startswith("temp-rewriteaof")]
    srv.start()
    assert srv.client().get("during") == b"rewrite"


def test_bgrewriteaof_scheduled_during_bgsave(ember_factory):
    srv = start_aof(ember_factory, "--rdb-key-save-delay", "100000")
    c = srv.client()
    for i in range(10):
        c.set(f"k{i}", i)
    assert srv.raw().call("BGSAVE") == S("Background saving started")
    assert bgrewriteaof(srv) == S("Background append only file rewriting scheduled")
    assert info(c)["aof_rewrite_scheduled"] == "1"
    assert info(c)["aof_pending_rewrite"] == "1"
    c.config_set("rdb-key-save-delay", 0)
    wait_rewrite_done(c, 1, timeout=15)
    assert "seq 2 type b" in manifest(srv)


def test_bgrewriteaof_inside_multi_is_scheduled(ember_factory):
    srv = start_aof(ember_factory)
    c = srv.raw()
    assert c.call("SET", "k", "v") == S("OK")
    assert c.call("MULTI") == S("OK")
    assert c.call("BGREWRITEAOF") == S("QUEUED")
    r = c.call("EXEC")
    assert r.kind == "array" and r.value[0] == S("Background append only file rewriting scheduled"), r
    wait_rewrite_done(srv.client(), 1)
    assert "seq 2 type b" in manifest(srv)


def test_failed_rewrite_keeps_the_old_files(ember_factory):
    srv = start_aof(ember_factory, "--rdb-key-save-delay", "100000")
    c = srv.client()
    for i in range(20):
        c.set(f"k{i}", i)
    assert bgrewriteaof(srv) == S("Background append only file rewriting started")
    child = wait_for(lambda: subprocess.run(["pgrep", "-P", str(srv.pid)], capture_output=True,
                                            text=True).stdout.split(), timeout=5)
    os.kill(int(child[0]), 9)
    wait_for(lambda: info(c)["aof_rewrite_in_progress"] == "0", timeout=5)
    i = info(c)
    assert i["aof_last_bgrewrite_status"] == "err"
    assert i["aof_rewrites_consecutive_failures"] == "1"
    assert "Background AOF rewrite terminated by signal 9" in srv.log_text()
    # The base is unchanged; writes went on into the incremental file opened for the rewrite.
    assert manifest(srv) == MANIFEST_1 + "file appendonly.aof.2.incr.aof seq 2 type i\n"
    assert not [f for f in os.listdir(srv.dir) if f.startswith("temp-rewriteaof")]
    c.set("after", 1)
    c.config_set("rdb-key-save-delay", 0)
    before = digest(c)
    srv.stop()
    srv.start()
    assert digest(srv.client()) == before
    # A later rewrite succeeds and resets the failure count.
    assert bgrewriteaof(srv) == S("Background append only file rewriting started")
    i = wait_rewrite_done(srv.client(), 1)
    assert i["aof_last_bgrewrite_status"] == "ok"
    assert i["aof_rewrites_consecutive_failures"] == "0"


def test_auto_rewrite_triggers(ember_factory):
    srv = start_aof(ember_factory, "--auto-aof-rewrite-min-size", "10kb",
                    "--auto-aof-rewrite-percentage", "100")
    c = srv.client()
    assert info(c)["aof_rewrites"] == "0"
    for i in range(400):
        c.set("same-key", "v" * 100)
    i = wait_rewrite_done(c, 1)
    assert "Starting automatic rewriting of AOF on" in srv.log_text()
    # The base is now one key: far smaller than the history it replaced.
    assert int(i["aof_base_size"]) < 10_000
    assert srv.client().get("same-key") == b"v" * 100


def test_config_set_appendonly_at_runtime(ember_factory):
    srv = ember_factory(args=["--enable-debug-command", "yes"])
    c = srv.client()
    fill_all_types(c)
    assert info(c)["aof_enabled"] == "0"
    assert "aof_current_size" not in info(c)
    assert c.config_set("appendonly", "yes")
    # The base comes first (a rewrite), then writes go to the incremental file.
    wait_rewrite_done(c, 1)
    assert info(c)["aof_enabled"] == "1"
    assert manifest(srv) == MANIFEST_1
    c.set("after-enable", 1)
    before = digest(c)
    srv.extra_args += ["--appendonly", "yes"]
    srv.stop()
    srv.start()
    c = srv.client()
    assert digest(c) == before
    # appendonly no: writes no longer reach the file.
    assert c.config_set("appendonly", "no")
    size = incr_path(srv).stat().st_size
    c.set("not-logged", 1)
    time.sleep(0.3)
    assert incr_path(srv).stat().st_size == size
    assert info(c)["aof_enabled"] == "0"


def test_shutdown_refused_while_writing_the_initial_aof(ember_factory):
    srv = ember_factory(args=["--rdb-key-save-delay", "100000"])
    c = srv.client()
    for i in range(30):
        c.set(f"k{i}", i)
    assert c.config_set("appendonly", "yes")
    assert info(c)["aof_rewrite_in_progress"] == "1"
    # Writes meanwhile go to a temp file until the base is done (as Redis 7.0).
    c.set("during", 1)
    assert (aof_dir(srv) / "temp-appendonly.aof.incr").exists()
    assert not (aof_dir(srv) / "appendonly.aof.manifest").exists()
    assert srv.raw().call("SHUTDOWN") == E("ERR Errors trying to SHUTDOWN. Check logs.")
    assert "Writing initial AOF, can't exit." in srv.log_text()
    c.config_set("rdb-key-save-delay", 0)
    wait_rewrite_done(c, 1, timeout=15)
    assert manifest(srv) == MANIFEST_1
    assert not (aof_dir(srv) / "temp-appendonly.aof.incr").exists()
    assert b"during" in incr_path(srv).read_bytes()
    srv.stop()


def test_write_error_refuses_writes_with_misconf(ember_factory):
    srv = start_aof(ember_factory)
    srv.client().set("k", "v")
    srv.stop()
    # The incremental file becomes /dev/full: every write to it fails with ENOSPC.
    saved = incr_path(srv).read_bytes()
    incr_path(srv).unlink()
    incr_path(srv).symlink_to("/dev/full")
    # (The file loads as empty: "k" is lost, which is the point of this fault.)
    srv.start()
    raw = srv.raw()
    raw.call("SET", "a", "1")  # executed; its AOF write fails after the command ran
    misconf = E("MISCONF Errors writing to the AOF file: No space left on device")
    wait_for(lambda: raw.call("SET", "b", "1") == misconf, timeout=5)
    assert raw.call("PING") == misconf
    assert raw.call("GET", "a").kind == "bulk"  # reads still work
    assert info(srv.client())["aof_last_write_status"] == "err"
    assert "Error writing to the AOF file: No space left on device" in srv.log_text()
    srv.kill()
    incr_path(srv).unlink()
    incr_path(srv).write_bytes(saved)


# --------------------------------------------------------------------------- damaged files

def write_then_stop(srv, n: int = 5) -> bytes:
    c = srv.client()
    for i in range(n):
        c.set(f"key{i}", f"value{i}")
    srv.stop()
    return incr_path(srv).read_bytes()


def test_truncated_tail_is_cut_with_aof_load_truncated(ember_factory):
    srv = start_aof(ember_factory)
    data = write_then_stop(srv)
    incr_path(srv).write_bytes(data[:-5])
    srv.start()
    c = srv.client()
    assert c.get("key3") == b"value3"
    assert c.get("key4") is None
    log = srv.log_text()
    assert "!!! Warning: short read while loading the AOF file appendonly.aof.1.incr.aof!!!" in log
    m = re.search(r"!!! Truncating the AOF appendonly.aof.1.incr.aof at offset (\d+) !!!", log)
    assert m, log
    assert int(m.group(1)) == incr_path(srv).stat().st_size  # the file was cut there
    assert "AOF appendonly.aof.1.incr.aof loaded anyway because aof-load-truncated is enabled" in log


def test_truncated_tail_refused_without_aof_load_truncated(ember_factory):
    srv = start_aof(ember_factory, "--aof-load-truncated", "no")
    data = write_then_stop(srv)
    incr_path(srv).write_bytes(data[:-5])
    with pytest.raises(ServerStartError):
        srv.start()
    assert srv.returncode == 1
    assert ("Unexpected end of file reading the append only file appendonly.aof.1.incr.aof. You "
            "can: 1) Make a backup of your AOF file, then use ./redis-check-aof --fix "
            "<filename.manifest>. 2) Alternatively you can set the 'aof-load-truncated' "
            "configuration option to yes and restart the server.") in srv.log_text()
    assert incr_path(srv).read_bytes() == data[:-5]  # untouched


def test_corrupt_middle_refuses_start(ember_factory):
    srv = start_aof(ember_factory)
    data = bytearray(write_then_stop(srv))
    off = data.index(b"key2") - 10
    data[off] = ord("?")
    incr_path(srv).write_bytes(bytes(data))
    with pytest.raises(ServerStartError):
        srv.start()
    assert srv.returncode == 1
    log = srv.log_text()
    assert ("Bad file format reading the append only file appendonly.aof.1.incr.aof: make a backup "
            "of your AOF file, then use ./redis-check-aof --fix <filename.manifest>") in log
    if not srv.is_redis:
        assert re.search(r"appendonly.aof.1.incr.aof ends at offset \d+", log), log


def test_truncated_file_before_the_last_refuses_start(ember_factory):
    srv = start_aof(ember_factory)
    data = write_then_stop(srv)
    (aof_dir(srv) / "appendonly.aof.2.incr.aof").write_bytes(
        b"*3\r\n$3\r\nSET\r\n$5\r\nlater\r\n$1\r\n1\r\n")
    (aof_dir(srv) / "appendonly.aof.manifest").write_text(
        MANIFEST_1 + "file appendonly.aof.2.incr.aof seq 2 type i\n")
    incr_path(srv).write_bytes(data[:-5])
    with pytest.raises(ServerStartError):
        srv.start()
    assert srv.returncode == 1
    log = srv.log_text()
    assert "!!! Warning: short read while loading the AOF file appendonly.aof.1.incr.aof!!!" in log
    assert "DB loaded from append only file" not in log


def test_missing_file_and_bad_manifest_refuse_start(ember_factory):
    srv = start_aof(ember_factory)
    write_then_stop(srv)
    incr_path(srv).unlink()
    with pytest.raises(ServerStartError):
        srv.start()
    assert "Unable to obtain the AOF file appendonly.aof.1.incr.aof length" in srv.log_text()
    (aof_dir(srv) / "appendonly.aof.manifest").write_text("file x seq 1 type z\n")
    with pytest.raises(ServerStartError):
        srv.start()
    log = srv.log_text()
    assert "*** FATAL AOF MANIFEST FILE ERROR ***" in log
    assert "Unknown AOF file type" in log


def test_incomplete_multi_at_the_end_is_reverted(ember_factory):
    srv = start_aof(ember_factory)
    c = srv.client()
    c.set("before", 1)
    with c.pipeline(transaction=True) as p:
        p.set("in-tx-1", 1)
        p.set("in-tx-2", 1)
        p.execute()
    srv.stop()
    data = incr_path(srv).read_bytes()
    cut = data.rindex(b"*1\r\n$4\r\nEXEC")
    incr_path(srv).write_bytes(data[:cut])  # MULTI and its commands, no EXEC
    srv.start()
    c = srv.client()
    assert c.get("before") == b"1"
    assert c.get("in-tx-1") is None and c.get("in-tx-2") is None
    assert "Revert incomplete MULTI/EXEC transaction in AOF file appendonly.aof.1.incr.aof" in srv.log_text()


def test_old_single_file_aof_is_upgraded(ember_factory):
    srv = ember_factory(args=AOF, start=False)
    old = b"".join(b"*3\r\n$3\r\nSET\r\n$2\r\nk%d\r\n$2\r\nv%d\r\n" % (i, i) for i in range(3))
    (Path(srv.dir) / "appendonly.aof").write_bytes(b"*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n" + old)
    srv.start()
    c = srv.client()
    assert c.get("k2") == b"v2"
    assert "Successfully migrated an old-style AOF file (appendonly.aof) into the AOF directory (appendonlydir)." in srv.log_text()
    assert manifest(srv) == ("file appendonly.aof seq 1 type b\n"
                             "file appendonly.aof.1.incr.aof seq 1 type i\n")
    assert not (Path(srv.dir) / "appendonly.aof").exists()


def test_clients_get_loading_while_the_aof_loads(ember_factory):
    srv = start_aof(ember_factory)
    c = srv.client()
    with c.pipeline(transaction=False) as p:
        for i in range(3000):
            p.set(f"key:{i}", i)
        p.execute()
    srv.stop()
    # 3000 commands x 1 ms: about three seconds of loading, other clients served meanwhile.
    srv.extra_args += ["--key-load-delay", "1000"]
    srv.wait_ready = False
    srv.start()
    raw = wait_for(lambda: _try_raw(srv), timeout=5, message="server listening")
    # (Clients are served every 1024 commands: one request per turn is all this can check.)
    assert raw.call("GET", "key:1") == E("LOADING Redis is loading the dataset in memory")
    wait_for(lambda: raw.call("GET", "key:1").kind == "bulk", timeout=15, message="loaded")
    assert "loading:0" in raw.call("INFO", "persistence").value.decode()
    assert raw.call("DBSIZE").value == 3000


def _try_raw(srv):
    try:
        return srv.raw(timeout=10)
    except Exception:  # noqa: BLE001 - not listening yet
        return None


def test_old_rdb_preamble_aof_is_upgraded_with_its_tail(ember_factory):
    # An old single appendonly.aof: an RDB preamble, then commands.
    donor = ember_factory()
    d = donor.client()
    d.set("from-preamble", "rdb")
    d.rpush("list", "a", "b")
    assert d.save()
    donor.stop()
    rdb = (Path(donor.dir) / "dump.rdb").read_bytes()
    tail = b"*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n*3\r\n$3\r\nSET\r\n$9\r\nfrom-tail\r\n$3\r\naof\r\n"
    srv = ember_factory(args=AOF, start=False)
    (Path(srv.dir) / "appendonly.aof").write_bytes(rdb + tail)
    srv.start()
    c = srv.client()
    assert c.get("from-preamble") == b"rdb"
    assert c.lrange("list", 0, -1) == [b"a", b"b"]
    assert c.get("from-tail") == b"aof"
    log = srv.log_text()
    assert "Reading RDB preamble from AOF file..." in log
    assert "Reading the remaining AOF tail..." in log


# --------------------------------------------------------------------------- INFO

def test_info_persistence_fields(ember_factory):
    srv = start_aof(ember_factory)
    c = srv.client()
    raw = srv.raw().call("INFO", "persistence").value.decode()
    keys = [ln.split(":")[0] for ln in raw.splitlines() if ":" in ln]
    aof_keys = keys[keys.index("aof_enabled"):]
    assert aof_keys == ["aof_enabled", "aof_rewrite_in_progress", "aof_rewrite_scheduled",
                        "aof_last_rewrite_time_sec", "aof_current_rewrite_time_sec",
                        "aof_last_bgrewrite_status", "aof_rewrites",
                        "aof_rewrites_consecutive_failures", "aof_last_write_status",
                        "aof_last_cow_size", "module_fork_in_progress", "module_fork_last_cow_size",
                        "aof_current_size", "aof_base_size", "aof_pending_rewrite",
                        "aof_buffer_length", "aof_pending_bio_fsync", "aof_delayed_fsync"]
    i = info(c)
    assert i["aof_enabled"] == "1"
    assert i["aof_last_rewrite_time_sec"] == "-1"
    # The base created at a fresh start is not counted (as Redis) until the next start.
    assert i["aof_base_size"] == "0"
    c.set("k", "v" * 1000)
    assert int(info(c)["aof_current_size"]) == incr_path(srv).stat().st_size
    srv.stop()
    srv.start()
    c = srv.client()
    i = info(c)
    base = (aof_dir(srv) / "appendonly.aof.1.base.rdb").stat().st_size
    assert int(i["aof_base_size"]) == base
    assert int(i["aof_current_size"]) == base + incr_path(srv).stat().st_size
    assert i["aof_buffer_length"] == "0"
    bgrewriteaof(srv)
    i = wait_rewrite_done(c, 1)
    assert i["aof_last_rewrite_time_sec"] != "-1"
    assert i["aof_rewrites"] == "1"


# --------------------------------------------------------------------------- durability

def _writer(srv, n: int, acked: list, stop: threading.Event):
    """Pipelines of 10 SETs; a key counts as acknowledged once its pipeline's replies arrived."""
    c = srv.client(socket_timeout=2)
    i = 0
    try:
        while not stop.is_set():
            with c.pipeline(transaction=False) as p:
                batch = [f"d{n}:{i + j}" for j in range(10)]
                for k in batch:
                    p.set(k, k)
                p.execute()
            acked.extend(batch)
            i += 10
    except Exception:  # noqa: BLE001 - the server was killed under us
        pass


@pytest.mark.parametrize("policy", ["always", "everysec"])
def test_kill_9_under_load_keeps_acknowledged_writes(ember_factory, policy):
    srv = start_aof(ember_factory, "--appendfsync", policy)
    acked: list[str] = []
    stop = threading.Event()
    threads = [threading.Thread(target=_writer, args=(srv, n, acked, stop)) for n in range(3)]
    for t in threads:
        t.start()
    wait_for(lambda: len(acked) > 2000, timeout=20)
    srv.kill()
    stop.set()
    for t in threads:
        t.join(5)
    srv.start()
    c = srv.client()
    # A kill -9 loses no page cache: every acknowledged write is there with either policy (only a
    # power loss could cost everysec its last second).
    with c.pipeline(transaction=False) as p:
        for k in acked:
            p.get(k)
        got = p.execute()
    missing = [k for k, v in zip(acked, got) if v != k.encode()]
    assert not missing, (len(missing), missing[:10])


def _strace(srv, seconds: float, load) -> list[tuple[int, str, str]]:
    """(tid, syscall, args) of the server's write/fsync calls while `load()` runs."""
    import shutil
    tool = shutil.which("strace")
    if not tool:
        pytest.skip("strace not installed")
    out = Path(srv.dir) / "strace.txt"
    p = subprocess.Popen([tool, "-f", "-s", "256", "-e", "trace=write,fdatasync,fsync", "-p", str(srv.pid),
                          "-o", str(out)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    time.sleep(0.5)  # attached
    if p.poll() is not None:
        pytest.skip("strace cannot attach here: " + p.stderr.read().decode()[:200])
    try:
        load()
        time.sleep(seconds)
    finally:
        p.terminate()
        p.wait(5)
    calls = []
    for line in out.read_text().splitlines():
        m = re.match(r"(\d+)\s+(write|fdatasync|fsync)\((\d+)(.*)", line)
        if m:
            calls.append((int(m.group(1)), m.group(2), m.group(3) + m.group(4)))
    return calls


def test_appendfsync_always_fsyncs_before_replying(ember_factory):
    srv = start_aof(ember_factory, "--appendfsync", "always")
    c = srv.client()

    def load():
        for i in range(20):
            c.set(f"k{i}", i)
    calls = _strace(srv, 0.2, load)
    main = [(name, args) for tid, name, args in calls if tid == srv.pid]
    replies = [i for i, (name, args) in enumerate(main) if name == "write" and '"+OK' in args]
    assert len(replies) == 20, main
    for i in replies:
        # Just before each reply: the AOF write of that command, then its fsync.
        assert main[i - 1][0] in ("fdatasync", "fsync"), main[i - 2:i + 1]
        assert main[i - 2][0] == "write" and "$3\\r\\nset" in main[i - 2][1].lower(), main[i - 2:i + 1]


def test_appendfsync_everysec_fsyncs_off_the_main_thread(ember_factory):
    srv = start_aof(ember_factory, "--appendfsync", "everysec")
    c = srv.client()
    stop = time.monotonic() + 2.5

    def load():
        i = 0
        while time.monotonic() < stop:
            c.set(f"k{i}", i)
            i += 1
    calls = _strace(srv, 0.5, load)
    syncs = [(tid, name) for tid, name, _ in calls if name in ("fdatasync", "fsync")]
    assert syncs, calls[:20]
    assert all(tid != srv.pid for tid, _ in syncs), syncs  # never the main thread
    assert 1 <= len(syncs) <= 5, syncs                      # about one a second


def test_no_appendfsync_on_rewrite(ember_factory):
    srv = start_aof(ember_factory, "--appendfsync", "always", "--no-appendfsync-on-rewrite", "yes",
                    "--rdb-key-save-delay", "100000")
    c = srv.client()
    for i in range(30):
        c.set(f"k{i}", i)
    assert bgrewriteaof(srv) == S("Background append only file rewriting started")

    def load():
        for i in range(20):
            c.set(f"during{i}", i)
    calls = _strace(srv, 0.2, load)
    assert info(c)["aof_rewrite_in_progress"] == "1"
    main = [(name, args) for tid, name, args in calls if tid == srv.pid]
    assert sum(1 for name, args in main if name == "write" and '"+OK' in args) == 20, main
    assert not [m for m in main if m[0] in ("fdatasync", "fsync")], main
    c.config_set("rdb-key-save-delay", 0)


def test_truncation_at_every_byte_of_the_last_record(ember_factory):
    srv = start_aof(ember_factory)
    c = srv.client()
    c.set("first", "1")
    c.set("last", "22")
    srv.stop()
    data = incr_path(srv).read_bytes()
    last = data.rindex(b"*3\r\n")
    for cut in range(last, len(data) + 1):
        incr_path(srv).write_bytes(data[:cut])
        srv.start()
        c = srv.client()
        assert c.get("first") == b"1", cut
        assert c.get("last") == (b"22" if cut == len(data) else None), cut
        srv.stop()
        # The cut file was truncated back to its last whole command.
        assert incr_path(srv).stat().st_size == (len(data) if cut == len(data) else last), cut


# --------------------------------------------------------------------------- replica

def test_replica_writes_its_masters_stream_to_its_aof(ember_factory):
    master = ember_factory(args=["--repl-diskless-sync-delay", "0"])
    replica = ember_factory(args=AOF + ["--replicaof", "127.0.0.1", str(master.port)])
    m = master.client()
    m.set("before-sync", 1)
    r = replica.client()
    wait_for(lambda: r.info("replication")["master_link_status"] == "up", timeout=10)
    m.set("streamed", "yes")
    with m.pipeline(transaction=True) as p:
        p.incr("tx")
        p.incr("tx")
        p.execute()
    wait_for(lambda: r.get("tx") == b"2", timeout=5)
    # After its full sync the replica's AOF starts over from a new base (a rewrite).
    wait_rewrite_done(r, 1)
    m.set("after-rewrite", 1)
    wait_for(lambda: r.get("after-rewrite") == b"1", timeout=5)
    before = digest(r)
    # Restarted as a standalone server, the replica has everything from its AOF alone.
    replica.extra_args = list(AOF)
    replica.stop()
    replica.start()
    assert digest(replica.client()) == before, replica.log_text()


# --------------------------------------------------------------------------- ember-check-aof

def checker(ember_binary) -> str:
    path = os.path.join(os.path.dirname(ember_binary), "ember-check-aof")
    if not os.path.exists(path):
        pytest.skip("ember-check-aof not built next to the server")
    return path


def run_checker(tool, *args, stdin: str = ""):
    return subprocess.run([tool, *args], input=stdin, capture_output=True, text=True, timeout=30)


def test_check_aof_valid_truncated_and_fix(ember_factory, ember_binary):
    tool = checker(ember_binary)
    srv = start_aof(ember_factory)
    data = write_then_stop(srv, 3)
    man = str(aof_dir(srv) / "appendonly.aof.manifest")
    r = run_checker(tool, man)
    assert r.returncode == 0, r.stdout
    assert "Start checking Multi Part AOF" in r.stdout
    assert "BASE AOF appendonly.aof.1.base.rdb is valid" in r.stdout
    assert "INCR AOF appendonly.aof.1.incr.aof is valid" in r.stdout
    assert r.stdout.rstrip().endswith("All AOF files and manifest are valid")
    incr_path(srv).write_bytes(data[:-3])
    r = run_checker(tool, man)
    assert r.returncode == 1
    good = data.rindex(b"*3\r\n")
    assert (f"AOF analyzed: filename=appendonly.aof.1.incr.aof, size={len(data) - 3}, "
            f"ok_up_to={good}, ") in r.stdout
    assert "AOF appendonly.aof.1.incr.aof is not valid. Use the --fix option to try fixing it." in r.stdout
    r = run_checker(tool, "--fix", man, stdin="y\n")
    assert r.returncode == 0, r.stdout
    assert (f"This will shrink the AOF appendonly.aof.1.incr.aof from {len(data) - 3} bytes, with "
            f"{len(data) - 3 - good} bytes, to {good} bytes") in r.stdout
    assert "Successfully truncated AOF appendonly.aof.1.incr.aof" in r.stdout
    assert incr_path(srv).stat().st_size == good
    srv.extra_args += ["--aof-load-truncated", "no"]
    srv.start()
    assert srv.client().get("key1") == b"value1"


def test_check_aof_takes_the_directory(ember_factory, ember_binary):
    tool = checker(ember_binary)
    srv = start_aof(ember_factory)
    write_then_stop(srv, 2)
    r = run_checker(tool, str(aof_dir(srv)))
    assert r.returncode == 0, r.stdout
    assert "Start checking Multi Part AOF" in r.stdout
    assert r.stdout.rstrip().endswith("All AOF files and manifest are valid")
    # A truncated file that is not the last one cannot be fixed.
    (aof_dir(srv) / "appendonly.aof.2.incr.aof").write_bytes(b"")
    (aof_dir(srv) / "appendonly.aof.manifest").write_text(
        MANIFEST_1 + "file appendonly.aof.2.incr.aof seq 2 type i\n")
    incr_path(srv).write_bytes(incr_path(srv).read_bytes()[:-2])
    r = run_checker(tool, "--fix", str(aof_dir(srv)), stdin="y\n")
    assert r.returncode == 1
    assert "AOF appendonly.aof.1.incr.aof is not valid" in r.stdout


def test_check_aof_matches_redis_check_aof(ember_factory, ember_binary, tmp_path):
    tool = checker(ember_binary)
    ref = "/usr/bin/redis-check-aof"
    if not os.path.exists(ref):
        pytest.skip("redis-check-aof not installed")
    srv = start_aof(ember_factory)
    data = write_then_stop(srv, 3)
    cases = {"valid": data, "truncated": data[:-3], "bad-prefix": data[:23] + b"X" + data[24:],
             "bad-crlf": data[:30] + b"X" + data[31:]}
    for name, content in cases.items():
        f = tmp_path / f"{name}.aof"
        f.write_bytes(content)
        mine = run_checker(tool, str(f))
        theirs = run_checker(ref, str(f))
        assert mine.returncode == theirs.returncode, name
        analyzed = lambda out: [ln for ln in out.splitlines() if ln.startswith("AOF analyzed")]  # noqa: E731
        got, want = analyzed(mine.stdout), analyzed(theirs.stdout)
        # ok_up_to and diff agree (ok_up_to_line too, except where a CRLF error is counted
        # differently).
        strip = lambda ls: [re.sub(r"ok_up_to_line=\d+, ", "", ln) for ln in ls]  # noqa: E731
        assert strip(got) == strip(want), (name, mine.stdout, theirs.stdout)
        last = lambda out: out.strip().splitlines()[-1]  # noqa: E731
        assert last(mine.stdout) == last(theirs.stdout), name
