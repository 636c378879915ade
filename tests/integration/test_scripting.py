"""Lua scripting (EVAL, EVALSHA, SCRIPT): the behaviour that needs more than one connection or
more than one server. Every test runs against Ember and against real Redis 7.0 with the same
expectations: busy scripts (-BUSY for other clients, SCRIPT KILL, UNKILLABLE after a write),
frozen time, and replication of a script's effects (one MULTI/EXEC) checked by DEBUG DIGEST.
The many single-reply cases live in tests/compat/corpus/scripting*.txt.
"""

from __future__ import annotations

import hashlib
import re
import time

import pytest

from harness.replication import (PAIRINGS, digest, make_replica, poll, start_pairing,
                                 wait_in_sync)
from harness.resp import A, B, E, I, Reply

OK = Reply("simple", "OK")
BUSY = ("BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN "
        "NOSAVE.")


@pytest.fixture(params=["ember", "redis"])
def srv(request, ember_factory, ref_factory):
    server = (ember_factory if request.param == "ember" else ref_factory)(
        args=["--busy-reply-threshold", "100"])
    server.skip_unless_commands("EVAL", "SCRIPT")
    return server


def start_busy(srv, body: str):
    """A connection that sent EVAL `body` and whose script is now past the busy threshold."""
    c = srv.raw()
    c.send_command("EVAL", body, "0")
    other = srv.raw()

    def busy():
        r = other.call("PING")
        return r.kind == "error" and r.value.startswith("BUSY"), r
    poll(busy, 10, "the server to answer -BUSY")
    return c, other


def test_busy_script_then_kill(srv):
    c, other = start_busy(srv, "while true do end")
    assert other.call("GET", "x") == E(BUSY)
    assert other.call("FUNCTION", "STATS") == E(BUSY)
    assert other.call("FUNCTION", "KILL") == E(BUSY)
    assert other.call("HELLO", "2").kind == "array"  # allow-busy
    assert other.call("SCRIPT", "KILL") == OK
    r = c.read_reply(timeout=10)
    assert r.kind == "error" and r.value.startswith("ERR Script killed by user with SCRIPT KILL"), r
    assert other.call("PING") == Reply("simple", "PONG")
    assert other.call("SCRIPT", "KILL") == E("NOTBUSY No scripts in execution right now.")
    # The caller's connection goes on working.
    assert c.call("EVAL", "return 5", "0") == I(5)


def test_busy_script_that_wrote_is_unkillable(srv):
    body = "redis.call('set', 'w', '1'); local t = redis.call('time'); while true do end"
    c, other = start_busy(srv, body)
    r = other.call("SCRIPT", "KILL")
    assert r.kind == "error" and r.value.startswith("UNKILLABLE Sorry the script already"), r
    # SHUTDOWN NOSAVE is the only way out (a SHUTDOWN that saves is refused).
    assert other.call("SHUTDOWN") == E(BUSY)
    other.send_command("SHUTDOWN", "NOSAVE")
    poll(lambda: (not srv.alive(), None), 10, "the server to exit")


def test_pcall_cannot_swallow_a_kill(srv):
    c, other = start_busy(srv, "while true do pcall(function() while true do end end) end")
    assert other.call("SCRIPT", "KILL") == OK
    r = c.read_reply(timeout=10)
    assert r.kind == "error" and "Script killed" in r.value, r


def test_time_is_frozen_in_a_script(srv):
    # A key that expires while the script runs still exists for the script: expiry is checked
    # against the time the script started (TIME itself reads the real clock).
    r = srv.raw().call("EVAL", """
        redis.call('set', 'k', 'v', 'px', 50)
        local t = redis.call('time')
        local start = t[1] * 1000000 + t[2]
        repeat
          t = redis.call('time')
        until t[1] * 1000000 + t[2] - start > 200000
        return {redis.call('exists', 'k'), redis.call('get', 'k')}""", "0")
    assert r == A(I(1), B("v")), r
    poll(lambda: (srv.raw().call("EXISTS", "k") == I(0), None), 5, "the key to expire")


def test_blocking_commands_are_refused(srv):
    # Redis 7.0 flags the blocking commands noscript.
    c = srv.raw()
    for body in ("return redis.call('blpop', 'nolist', 0)",
                 "return redis.pcall('brpoplpush', 'a', 'b', 0)"):
        r = c.call("EVAL", body, "0")
        assert r.kind == "error" and "This Redis command is not allowed from script" in r.value, r


def test_info_counts_cached_scripts(srv):
    c = srv.raw()
    c.call("SCRIPT", "FLUSH")
    for i in range(3):
        c.call("SCRIPT", "LOAD", f"return {i}")
    c.call("EVAL", "return 'x'", "0")
    info = c.call("INFO", "memory").value.decode()
    assert "number_of_cached_scripts:4\r\n" in info, info
    c.call("SCRIPT", "FLUSH")
    info = c.call("INFO", "memory").value.decode()
    assert "number_of_cached_scripts:0\r\n" in info, info


STAT_CASES = [
    "return redis.call('nosuch')", "return redis.pcall('nosuch')",
    "redis.call('set','h','x'); return redis.call('lpush','h','y')",
    "return redis.pcall('lpush','h','y')", "redis.pcall('lpush','h','y'); return 1",
    "error('x')", "return {err='MY x'}", "return redis.error_reply('E2 y')", "return (",
    "return redis.call('get')", "x = 1", "return {1, redis.pcall('nosuch')}", "return 1",
]


def test_script_errors_count_as_redis(srv):
    # An error a command replied to the script counts once (not again for the EVAL's reply);
    # the EVAL counts as failed when its reply holds an error.
    c = srv.raw()
    c.call("CONFIG", "RESETSTAT")
    for body in STAT_CASES:
        c.call("EVAL", body, "0")
    errorstats = [line for line in c.call("INFO", "errorstats").value.decode().splitlines()
                  if line.startswith("errorstat")]
    assert errorstats == ["errorstat_E2:count=1", "errorstat_ERR:count=7",
                          "errorstat_MY:count=1", "errorstat_WRONGTYPE:count=3"], errorstats
    stats = re.sub(r"usec=[^,]*,usec_per_call=[^,]*,", "",
                   c.call("INFO", "commandstats").value.decode())
    assert "cmdstat_eval:calls=13,rejected_calls=0,failed_calls=11\r" in stats, stats
    assert "cmdstat_lpush:calls=3,rejected_calls=0,failed_calls=3\r" in stats, stats
    assert "cmdstat_get:calls=0,rejected_calls=1,failed_calls=0\r" in stats, stats


SCRIPT_LOAD = [
    ("EVAL", "redis.call('incr', KEYS[1]); redis.call('rpush', KEYS[2], ARGV[1]); return 1",
     "2", "counter", "list"),
    ("EVAL", "redis.call('set', KEYS[1], ARGV[1], 'px', 100000); redis.call('del', 'gone')",
     "1", "str"),
    ("EVAL", "redis.call('hset', 'h', ARGV[1], ARGV[1]); redis.call('select', 2);"
     "redis.call('sadd', 's', ARGV[1]); return redis.call('scard', 's')", "0"),
    ("EVAL", "redis.set_repl(redis.REPL_NONE); redis.call('set', 'local', ARGV[1]);"
     "redis.set_repl(redis.REPL_ALL); redis.call('set', 'shared', ARGV[1])", "0"),
    ("EVAL", "#!lua flags=no-writes\nreturn redis.call('get', 'str')", "0"),
    ("EVAL", "redis.call('incrbyfloat', 'f', '1.5'); redis.call('lpop', 'list')", "0"),
]


@pytest.mark.parametrize("pairing", PAIRINGS)
def test_script_effects_replicate(ember_factory, ref_factory, pairing):
    master, replica = start_pairing(pairing, ember_factory, ref_factory, needs=("EVAL",))
    make_replica(replica, master)
    wait_in_sync(master, replica)
    m = master.raw()
    for i in range(40):
        for cmd in SCRIPT_LOAD:
            args = list(cmd) + ([str(i)] if cmd[-1] in ("list", "str", "0") else [])
            r = m.call(*args)
            assert r.kind != "error", (args, r)
    if not master.is_redis:
        master.skip_unless_commands("MULTI")
    # A script inside a transaction: one MULTI/EXEC block holds both.
    assert m.call("MULTI") == OK
    m.call("EVAL", "redis.call('incr', 'counter'); redis.call('sadd', 'tx', 'a')", "0")
    m.call("SET", "after", "1")
    r = m.call("EXEC")
    assert r.kind == "array" and len(r.value) == 2, r
    # set_repl(REPL_NONE) kept 'local' on the master only: drop it before comparing digests.
    assert m.call("EXISTS", "local") == I(1)
    m.call("DEL", "local")
    wait_in_sync(master, replica)
    assert digest(master) == digest(replica)
    r = replica.raw()
    assert r.call("GET", "counter") == B("41")
    assert r.call("SELECT", "2") == OK
    assert r.call("SCARD", "s") == I(40)
    assert r.call("EXISTS", "local") == I(0)
    # A read-only replica refuses a script's first write, and scripts declaring writes.
    assert r.call("SELECT", "0") == OK
    body = "return redis.call('set', 'x', '1')"
    sha = hashlib.sha1(body.encode()).hexdigest()
    assert r.call("EVAL", body, "0") == E(
        f"READONLY You can't write against a read only replica. script: {sha}, on "
        "@user_script:1.")
    # A script declaring writes is a write command (Redis's getCommandFlags).
    assert r.call("EVAL", "#!lua\nreturn 1", "0") == E(
        "READONLY You can't write against a read only replica.")
    assert r.call("EVAL", "#!lua flags=no-writes\nreturn 1", "0") == I(1)
    assert r.call("EVAL_RO", "return redis.call('get', 'counter')", "0") == B("41")


def test_monitor_shows_the_script_and_its_commands(srv):
    m = srv.raw()
    assert m.call("MONITOR") == OK
    c = srv.raw()
    c.call("EVAL", "redis.call('set', 'mk', 'v'); return redis.call('get', 'mk')", "0")
    c.call("PING")
    lines = [m.read_reply(timeout=5).value.split(" ", 1)[1] for _ in range(4)]
    assert lines[0].endswith('"EVAL" "redis.call(\'set\', \'mk\', \'v\'); return '
                             'redis.call(\'get\', \'mk\')" "0"'), lines
    assert lines[1:3] == ['[0 lua] "set" "mk" "v"', '[0 lua] "get" "mk"'], lines
    assert lines[3].endswith('"PING"'), lines


def test_acl_of_the_caller_applies(srv):
    c = srv.raw()
    assert c.call("ACL", "SETUSER", "lim", "on", "nopass", "~k*", "+eval", "+get") == OK
    u = srv.raw()
    assert u.call("AUTH", "lim", "x") == OK
    assert u.call("EVAL", "return redis.call('get', 'k1')", "0") == Reply("nullbulk", None)
    r = u.call("EVAL", "return redis.call('get', 'other')", "0")
    assert r.kind == "error" and r.value.startswith(
        "ERR The user executing the script can't access at least one of the keys mentioned in "
        "the command arguments script: "), r
    assert u.call("EVAL", "return redis.pcall('del', 'k1')", "0") == E(
        "ERR The user executing the script can't run this command or subcommand")
    log = c.call("ACL", "LOG", "1").value[0].value
    fields = dict(zip([f.value for f in log[0::2]], log[1::2]))
    assert fields[b"reason"] == B("command") and fields[b"context"] == B("lua"), fields
    assert fields[b"object"] == B("del") and fields[b"username"] == B("lim"), fields
    assert b" cmd=eval " in fields[b"client-info"].value, fields
    check = "return {redis.acl_check_cmd('get', 'k1'), redis.acl_check_cmd('get', 'x'), " \
            "redis.acl_check_cmd('del', 'k1')}"
    assert u.call("EVAL", check, "0") == A(I(1), Reply("nullbulk", None), Reply("nullbulk", None))


@pytest.mark.parametrize("pairing", PAIRINGS)
def test_busy_script_on_a_replica_holds_the_stream(ember_factory, ref_factory, pairing):
    from harness.replication import REPL_ARGS
    master, replica = start_pairing(pairing, ember_factory, ref_factory,
                                    args=REPL_ARGS + ["--busy-reply-threshold", "100"],
                                    needs=("EVAL",))
    make_replica(replica, master)
    wait_in_sync(master, replica)
    c, other = start_busy(replica, "#!lua flags=no-writes\nwhile true do end")
    m = master.raw()
    for i in range(20):
        m.call("INCR", "n")
    assert other.call("SCRIPT", "KILL") == OK
    r = c.read_reply(timeout=10)
    assert r.kind == "error" and "Script killed" in r.value, r
    wait_in_sync(master, replica)
    assert replica.raw().call("GET", "n") == B("20")


def test_client_pause_write_holds_scripts(srv):
    c = srv.raw()
    assert c.call("CLIENT", "PAUSE", "400", "WRITE") == OK
    start = time.monotonic()
    assert c.call("EVAL_RO", "return 1", "0") == I(1)
    assert time.monotonic() - start < 0.3
    assert c.call("EVAL", "return redis.call('set', 'p', '1')", "0") == OK
    assert time.monotonic() - start >= 0.3


def test_sigterm_waits_for_a_busy_script(srv):
    import os
    import signal
    c, other = start_busy(srv, "while true do end")
    os.kill(srv.pid, signal.SIGTERM)
    time.sleep(0.3)
    assert srv.alive()
    assert other.call("PING") == E(BUSY)
    assert other.call("SCRIPT", "KILL") == OK
    poll(lambda: (not srv.alive(), None), 10, "the server to exit after the script")


def test_tracking_ignores_keys_a_script_reads(srv):
    # Redis 7.0 remembers the keys a client reads itself, not those its scripts read.
    srv.skip_unless_commands("CLIENT")
    c = srv.raw()
    assert c.call("HELLO", "3").kind == "map"
    assert c.call("CLIENT", "TRACKING", "ON") == OK
    other = srv.raw()
    assert other.call("SET", "tk", "0") == OK
    assert c.call("EVAL", "return redis.call('get', 'tk')", "0") == B("0")
    assert other.call("SET", "tk", "1") == OK
    assert c.call("GET", "tk") == B("1")  # the next reply is GET's: no invalidation came
    assert other.call("SET", "tk", "2") == OK
    push = c.read_reply(timeout=5)
    assert push.kind == "push" and push.value[0] == B("invalidate"), push


@pytest.mark.parametrize("kind", ["ember", "redis"])
def test_set_repl_targets_aof_and_replicas_apart(kind, ember_factory, ref_factory):
    from harness.replication import REPL_ARGS
    factory = ember_factory if kind == "ember" else ref_factory
    master = factory(args=REPL_ARGS + ["--appendonly", "yes"])
    replica = factory(args=REPL_ARGS)
    master.skip_unless_commands("EVAL", "BGREWRITEAOF")
    make_replica(replica, master)
    wait_in_sync(master, replica)
    c = master.raw()
    assert c.call("EVAL", "redis.set_repl(redis.REPL_AOF); redis.call('set', 'aof-only', 1);"
                          "redis.set_repl(redis.REPL_REPLICA); redis.call('set', 'replica-only', 1);"
                          "redis.set_repl(redis.REPL_ALL); redis.call('set', 'both', 1)", "0") \
        == Reply("nullbulk", None)
    c.call("SET", "sync-mark", "1")
    poll(lambda: (replica.raw().call("EXISTS", "sync-mark") == I(1), None), 10, "the replica")
    r = replica.raw()
    assert [r.call("EXISTS", k).value for k in ("aof-only", "replica-only", "both")] == [0, 1, 1]
    # The master's AOF, reloaded, holds what was meant for it.
    assert c.call("DEBUG", "LOADAOF") == OK
    assert [c.call("EXISTS", k).value for k in ("aof-only", "replica-only", "both")] == [1, 0, 1]


def test_push_in_a_script_serves_blocked_clients(srv):
    waiter = srv.raw()
    waiter.send_command("BLPOP", "q", "5")
    poll(lambda: (b"blocked_clients:1" in srv.raw().call("INFO", "clients").value, None), 5,
         "one blocked client")
    c = srv.raw()
    assert c.call("EVAL", "redis.call('rpush', KEYS[1], 'a', 'b'); redis.call('lpop', KEYS[1]);"
                          "return redis.call('llen', KEYS[1])", "1", "q") == I(1)
    # Served after the script, with what it left.
    assert waiter.read_reply(timeout=5) == A(B("q"), B("b"))
