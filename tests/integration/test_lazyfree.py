"""Lazy freeing (UNLINK, FLUSHALL/FLUSHDB ASYNC, lazyfree-lazy-user-del/-user-flush/-expire):
every test runs against Ember and real Redis 7.0 with the same expectations, including which
deletions are counted in INFO lazyfreed_objects (only values above Redis's free-effort threshold
of 64 go to the background thread; small ones are freed in place).
"""

from __future__ import annotations

import pytest

from harness.replication import poll
from harness.resp import I


@pytest.fixture(params=["ember", "redis"])
def srv(request, ember_factory, ref_factory):
    server = ember_factory() if request.param == "ember" else ref_factory()
    server.skip_unless_commands("RPUSH")
    return server


def memory_info(c) -> dict[str, int]:
    text = c.call("INFO", "memory").value.decode()
    return {k: int(v) for k, v in (l.split(":", 1) for l in text.splitlines() if ":" in l)
            if v.strip().lstrip("-").isdigit()}


def lazyfreed(c) -> int:
    return memory_info(c)["lazyfreed_objects"]


def wait_lazyfreed(c, n: int) -> None:
    poll(lambda: (lazyfreed(c) == n and memory_info(c)["lazyfree_pending_objects"] == 0,
                  lazyfreed(c)), 10, f"lazyfreed_objects == {n}")


def big_list(c, key: str) -> None:
    # Large elements: one quicklist node each past 8 KB, so the free effort is well above 64.
    c.send_pipeline([("RPUSH", key, b"x" * 5000) for _ in range(200)])
    c.read_replies(200, timeout=10)


def test_unlink_frees_large_values_in_the_background(srv):
    c = srv.raw()
    big_list(c, "big")
    c.call("SET", "small", "v")
    c.call("RPUSH", "smalllist", "a", "b")
    assert c.call("UNLINK", "small", "smalllist", "missing") == I(2)
    assert lazyfreed(c) == 0
    assert c.call("UNLINK", "big") == I(1)
    assert c.call("EXISTS", "big") == I(0)
    wait_lazyfreed(c, 1)
    assert c.call("DEL", "nothing") == I(0)


def test_compact_encodings_are_one_allocation(srv):
    # 100 elements each, past the threshold of 64, but a listpack or intset is freed in place.
    c = srv.raw()
    members = [str(i) for i in range(100)]
    c.call("SADD", "ints", *members)
    c.call("HSET", "hash", *[x for m in members for x in (f"f{m}", m)])
    c.call("ZADD", "zset", *[x for m in members for x in (m, f"m{m}")])
    assert c.call("OBJECT", "ENCODING", "zset").value == b"listpack"
    assert c.call("UNLINK", "ints", "hash", "zset") == I(3)
    c.call("SADD", "big", *members, "not-an-int")  # a hashtable: one allocation per member
    assert c.call("UNLINK", "big") == I(1)
    wait_lazyfreed(c, 1)


def test_del_is_lazy_with_lazyfree_lazy_user_del(srv):
    c = srv.raw()
    big_list(c, "a")
    assert c.call("DEL", "a") == I(1)
    assert lazyfreed(c) == 0
    c.call("CONFIG", "SET", "lazyfree-lazy-user-del", "yes")
    big_list(c, "b")
    assert c.call("DEL", "b") == I(1)
    wait_lazyfreed(c, 1)


def test_flush_async(srv):
    c = srv.raw()
    c.send_pipeline([("SET", f"k{i}", "v") for i in range(500)])
    c.read_replies(500)
    assert c.call("FLUSHALL", "ASYNC").kind == "simple"
    assert c.call("DBSIZE") == I(0)
    wait_lazyfreed(c, 500)

    c.send_pipeline([("SET", f"k{i}", "v") for i in range(100)])
    c.read_replies(100)
    assert c.call("FLUSHDB", "SYNC").kind == "simple"
    assert lazyfreed(c) == 500
    c.call("CONFIG", "SET", "lazyfree-lazy-user-flush", "yes")
    c.send_pipeline([("SET", f"k{i}", "v") for i in range(100)])
    c.read_replies(100)
    assert c.call("FLUSHDB").kind == "simple"
    wait_lazyfreed(c, 600)
    assert c.call("CONFIG", "RESETSTAT").kind == "simple"
    assert lazyfreed(c) == 0


def test_server_del_frees_overwritten_values_lazily(srv):
    c = srv.raw()
    big_list(c, "a")
    assert c.call("SET", "a", "v").kind == "simple"  # overwrite, freed in place
    assert lazyfreed(c) == 0
    c.call("CONFIG", "SET", "lazyfree-lazy-server-del", "yes")
    big_list(c, "b")
    assert c.call("SET", "b", "v").kind == "simple"
    wait_lazyfreed(c, 1)
    big_list(c, "c")
    assert c.call("RENAME", "a", "c").kind == "simple"  # the old destination
    wait_lazyfreed(c, 2)
    # DEL follows lazyfree-lazy-user-del, not server-del.
    big_list(c, "d")
    assert c.call("DEL", "d") == I(1)
    assert lazyfreed(c) == 2


def test_eviction_frees_lazily(srv):
    c = srv.raw()
    c.call("CONFIG", "SET", "lazyfree-lazy-eviction", "yes")
    c.call("CONFIG", "SET", "maxmemory-policy", "allkeys-random")
    for key in ("e1", "e2", "e3"):
        big_list(c, key)
    used = memory_info(c)["used_memory"]
    c.call("CONFIG", "SET", "maxmemory", str(used - 500_000))
    c.call("SET", "trigger", "1")
    c.call("CONFIG", "SET", "maxmemory", "0")
    poll(lambda: (lazyfreed(c) >= 1 and memory_info(c)["lazyfree_pending_objects"] == 0,
                  lazyfreed(c)), 10, "an evicted big list freed in the background")


def test_replica_lazy_flush(ember_factory, ref_factory):
    from harness.replication import REPL_ARGS, make_replica, wait_in_sync
    for factory in (ember_factory, ref_factory):
        master = factory(args=REPL_ARGS)
        replica = factory(args=REPL_ARGS + ["--replica-lazy-flush", "yes",
                                            "--repl-diskless-load", "disabled"])
        c = replica.raw()
        c.send_pipeline([("SET", f"k{i}", "v") for i in range(300)])
        c.read_replies(300)
        make_replica(replica, master)
        wait_in_sync(master, replica)
        wait_lazyfreed(replica.raw(), 300)
