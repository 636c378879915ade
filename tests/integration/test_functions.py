"""Functions (FUNCTION LOAD, FCALL): what needs more than one reply to check. Libraries survive a
restart through the RDB (FUNCTION2 opcode) and move between Ember and Redis 7.0 by FUNCTION
DUMP/RESTORE payloads and by replication (FUNCTION LOAD propagates; FCALL by its effects); a busy
function answers -BUSY naming FUNCTION KILL. Single replies live in
tests/compat/corpus/functions.txt.
"""

from __future__ import annotations

import pytest

from harness.replication import PAIRINGS, digest, make_replica, poll, start_pairing, wait_in_sync
from harness.resp import A, B, E, I, Reply

OK = Reply("simple", "OK")
LIB = ("#!lua name=counters\n"
       "redis.register_function('bump', function(keys, args)\n"
       "  redis.call('incrby', keys[1], args[1])\n"
       "  redis.call('rpush', keys[2], args[1])\n"
       "  return redis.call('get', keys[1])\n"
       "end)\n"
       "redis.register_function{function_name='peek', callback=function(keys)\n"
       "  return redis.call('get', keys[1]) end, flags={'no-writes'}}\n")
SPIN = ("#!lua name=spin\n"
        "redis.register_function('spin', function() while true do end end)\n")


@pytest.fixture(params=["ember", "redis"])
def srv(request, ember_factory, ref_factory):
    server = (ember_factory if request.param == "ember" else ref_factory)(
        args=["--busy-reply-threshold", "100"])
    server.skip_unless_commands("FCALL", "FUNCTION")
    return server


def test_load_call_and_list(srv):
    c = srv.raw()
    assert c.call("FUNCTION", "LOAD", LIB) == B("counters")
    assert c.call("FCALL", "bump", "2", "n", "l", "5") == B("5")
    assert c.call("FCALL_RO", "peek", "1", "n") == B("5")
    r = c.call("FCALL_RO", "bump", "2", "n", "l", "1")
    assert r == E("ERR Can not execute a script with write flag using *_ro command."), r
    info = c.call("INFO", "memory").value.decode()
    assert "number_of_functions:2\r\n" in info and "number_of_libraries:1\r\n" in info, info


@pytest.mark.parametrize("direction", ["ember->redis", "redis->ember", "ember->ember"])
def test_dump_restore_between_servers(ember_factory, ref_factory, direction):
    make = {"ember": ember_factory, "redis": ref_factory}
    src_kind, dst_kind = direction.split("->")
    src, dst = make[src_kind](), make[dst_kind]()
    for s in (src, dst):
        s.skip_unless_commands("FUNCTION")
    a, b = src.raw(), dst.raw()
    assert a.call("FUNCTION", "LOAD", LIB) == B("counters")
    payload = a.call("FUNCTION", "DUMP")
    assert payload.kind == "bulk"
    assert b.call("FUNCTION", "RESTORE", payload.value) == OK
    assert b.call("FCALL", "bump", "2", "n", "l", "3") == B("3")
    # APPEND (the default) refuses an existing library; REPLACE and FLUSH do not.
    r = b.call("FUNCTION", "RESTORE", payload.value)
    assert r.kind == "error" and "already exists" in r.value, r
    assert b.call("FUNCTION", "RESTORE", payload.value, "REPLACE") == OK
    assert b.call("FUNCTION", "RESTORE", payload.value, "FLUSH") == OK
    assert listing(b) == listing(a)


def listing(client) -> list:
    """FUNCTION LIST WITHCODE with each library's functions sorted (Redis lists them in hash
    table order)."""
    out = []
    for lib in client.call("FUNCTION", "LIST", "WITHCODE").value:
        fields = list(lib.value)
        fields[5] = sorted(repr(f) for f in fields[5].value)
        out.append(fields)
    return sorted(out, key=repr)


def test_libraries_survive_a_restart(ember_factory, ref_factory):
    for make in (ember_factory, ref_factory):
        s = make()
        s.skip_unless_commands("FUNCTION")
        c = s.raw()
        assert c.call("FUNCTION", "LOAD", LIB) == B("counters")
        assert c.call("SAVE") == OK
        s.restart()
        c = s.raw()
        assert c.call("FCALL", "bump", "2", "n", "l", "4") == B("4")
        r = c.call("FUNCTION", "LIST")
        assert r.kind == "array" and len(r.value) == 1, r


def test_busy_function_and_function_kill(srv):
    c = srv.raw()
    assert c.call("FUNCTION", "LOAD", SPIN) == B("spin")
    c.send_command("FCALL", "spin", "0")
    other = srv.raw()

    def busy():
        r = other.call("PING")
        return r.kind == "error" and r.value.startswith("BUSY"), r
    poll(busy, 10, "the server to answer -BUSY")
    assert other.call("GET", "x") == E(
        "BUSY Redis is busy running a script. You can only call FUNCTION KILL or SHUTDOWN NOSAVE.")
    assert other.call("SCRIPT", "KILL") == E(
        "BUSY Redis is busy running a script. You can only call FUNCTION KILL or SHUTDOWN NOSAVE.")
    stats = other.call("FUNCTION", "STATS")
    running = stats.value[1]
    assert running.kind == "array" and running.value[1] == B("spin"), stats
    assert running.value[3] == A(B("FCALL"), B("spin"), B("0")), stats
    assert other.call("FUNCTION", "KILL") == OK
    r = c.read_reply(timeout=10)
    assert r.kind == "error" and "Script killed by user" in r.value, r
    assert c.call("FUNCTION", "DELETE", "spin") == OK


@pytest.mark.parametrize("pairing", PAIRINGS)
def test_functions_replicate(ember_factory, ref_factory, pairing):
    master, replica = start_pairing(pairing, ember_factory, ref_factory, needs=("FCALL",))
    m = master.raw()
    # Loaded before the sync (the snapshot carries it) and after (the stream carries it).
    assert m.call("FUNCTION", "LOAD", LIB) == B("counters")
    make_replica(replica, master)
    wait_in_sync(master, replica)
    assert m.call("FUNCTION", "LOAD", SPIN.replace("while true do end", "return 1")) == B("spin")
    for i in range(30):
        assert m.call("FCALL", "bump", "2", "n", "l", str(i)).kind == "bulk"
    wait_in_sync(master, replica)
    assert digest(master) == digest(replica)
    r = replica.raw()
    assert r.call("FCALL_RO", "peek", "1", "n") == B(str(sum(range(30))))
    assert r.call("FCALL", "spin", "0").kind == "error"  # a read-only replica refuses writes
    assert m.call("FUNCTION", "DELETE", "spin") == OK
    poll(lambda: (len(r.call("FUNCTION", "LIST").value) == 1, None), 10,
         "FUNCTION DELETE to reach the replica")
