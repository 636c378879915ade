"""AOF directories exchanged with real Redis 7.0: appendonlydir/ written by the server under test
(base RDB or command base, incremental files, MULTI/EXEC, several databases, #TS annotations)
is loaded by redis-server with the same DEBUG DIGEST and TTLs, and the reverse.

Needs a real redis-server (skipped otherwise). Run against Redis itself to check the tests:
    EMBER_SERVER=/usr/bin/redis-server /usr/bin/python3 -m pytest -q tests/interop/test_aof_interop.py
"""

from __future__ import annotations

import pytest

from harness.resp import S
from harness.util import wait_for
from test_rdb_interop import aggregate_dataset, assert_same, load, snapshot, string_dataset

AOF = ["--enable-debug-command", "yes", "--appendonly", "yes"]


def dataset():
    cmds = list(string_dataset())
    for kind in ("list", "set", "hash", "zset"):
        # The kinds reuse key names: each gets its own prefix.
        cmds += [(db, (cmd[0], f"{kind}:{cmd[1]}", *cmd[2:])) for db, cmd in aggregate_dataset(kind)[1]]
    return cmds


def rewrite(c) -> None:
    assert c.call("BGREWRITEAOF").value in ("Background append only file rewriting started",
                                            b"Background append only file rewriting started")

    def done():
        r = c.call("INFO", "persistence").value.decode()
        return "aof_rewrite_in_progress:0" in r and "aof_rewrites:1" in r
    wait_for(done, timeout=15, message="rewrite did not finish")


def write_history(c, cmds) -> None:
    """Half the data set, a rewrite (so the base holds data), then the rest and a transaction
    into the incremental file."""
    half = len(cmds) // 2
    load(c, cmds[:half])
    rewrite(c)
    load(c, cmds[half:])
    assert c.call("MULTI") == S("OK")
    c.call("INCR", "tx")
    c.call("SELECT", 2)
    c.call("RPUSH", "tx-list", "a", "b")
    assert c.call("EXEC").kind == "array"
    assert c.call("SELECT", 0) == S("OK")


@pytest.mark.parametrize("variant", ["rdb-preamble", "no-preamble", "timestamps"])
def test_ember_dir_loads_in_redis(ember_factory, ref_factory, variant):
    extra = {"rdb-preamble": [], "no-preamble": ["--aof-use-rdb-preamble", "no"],
             "timestamps": ["--aof-timestamp-enabled", "yes"]}[variant]
    ember = ember_factory(args=AOF + extra)
    c = ember.raw()
    write_history(c, dataset())
    live = snapshot(c)
    ember.stop()
    ref = ref_factory(args=AOF + ["--dir", str(ember.dir)])
    assert_same(snapshot(ref.raw()), live, "redis loading the AOF of the server under test",
                encodings=False)


def test_redis_dir_loads_in_ember(ember_factory, ref_factory):
    ref = ref_factory(args=AOF)
    c = ref.raw()
    write_history(c, dataset())
    live = snapshot(c)
    ref.stop()
    ember = ember_factory(args=AOF + ["--dir", str(ref.dir)])
    assert_same(snapshot(ember.raw()), live, "the server under test loading redis's AOF",
                encodings=False)
    # ... and goes on appending to redis's last incremental file.
    c = ember.raw()
    assert c.call("SET", "appended-by-ember", "1") == S("OK")
    live = snapshot(c)
    ember.stop()
    ref.start()
    assert_same(snapshot(ref.raw()), live, "redis reloading after the server under test appended",
                encodings=False)
