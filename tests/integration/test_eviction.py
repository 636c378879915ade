"""maxmemory and maxmemory-policy: every test runs against Ember and real Redis 7.0 with the same
expectations (limits are set relative to each server's own used_memory, so the servers' different
memory layouts do not matter): -OOM for deny-oom commands under noeviction or with nothing left
to evict, each policy evicting only what it may (volatile-* only keys with a TTL), LRU and LFU
keeping the keys in use, INFO's eviction fields, OBJECT FREQ/IDLETIME per policy, and a master's
evictions reaching its replica as DELs.
"""

from __future__ import annotations

import time

import pytest

from harness.replication import PAIRINGS, make_replica, start_pairing, wait_in_sync
from harness.resp import E, I

OOM = "OOM command not allowed when used memory > 'maxmemory'."
VALUE = b"v" * 1000


@pytest.fixture(params=["ember", "redis"])
def srv(request, ember_factory, ref_factory):
    return ember_factory() if request.param == "ember" else ref_factory()


def info(c, section: str) -> dict[str, str]:
    text = c.call("INFO", section).value.decode()
    return dict(l.split(":", 1) for l in text.splitlines() if ":" in l and not l.startswith("#"))


def limit_memory(c, policy: str, headroom: int) -> int:
    """Sets maxmemory to the current used_memory plus `headroom` bytes."""
    limit = int(info(c, "memory")["used_memory"]) + headroom
    assert c.call("CONFIG", "SET", "maxmemory-policy", policy).kind == "simple"
    assert c.call("CONFIG", "SET", "maxmemory", str(limit)).kind == "simple"
    return limit


def fill(c, n: int, prefix: str = "k", ttl: bool = False, start: int = 0) -> list:
    cmds = []
    for i in range(start, start + n):
        cmd = ["SET", f"{prefix}:{i}", VALUE]
        if ttl:
            cmd += ["EX", str(1000 + i)]
        cmds.append(cmd)
    c.send_pipeline(cmds)
    return c.read_replies(len(cmds), timeout=20)


def test_noeviction_refuses_writes_but_not_reads(srv):
    c = srv.raw()
    c.call("SET", "keep", "x")
    limit_memory(c, "noeviction", 200_000)
    replies = fill(c, 1000)
    assert E(OOM) in replies
    # Freed buffers may leave room for a few more; a second batch cannot fit either.
    assert E(OOM) in fill(c, 1000, start=1000)
    assert c.call("GET", "keep").value == b"x"
    assert c.call("DEL", "keep") == I(1)  # not deny-oom
    assert info(c, "stats")["evicted_keys"] == "0"
    assert c.call("CONFIG", "SET", "maxmemory", "0").kind == "simple"
    assert c.call("SET", "more", VALUE).kind == "simple"


@pytest.mark.parametrize("policy", ["allkeys-lru", "allkeys-lfu", "allkeys-random"])
def test_allkeys_policies_stay_under_the_limit(srv, policy):
    c = srv.raw()
    limit = limit_memory(c, policy, 500_000)
    replies = fill(c, 3000)
    assert all(r.kind == "simple" for r in replies)
    stats = info(c, "stats")
    assert int(stats["evicted_keys"]) > 0
    assert c.call("DBSIZE").value < 3000
    assert int(info(c, "memory")["used_memory"]) <= limit * 1.1


def test_lfu_keeps_keys_in_use(srv):
    c = srv.raw()
    fill(c, 50, prefix="hot")
    limit_memory(c, "allkeys-lfu", 400_000)
    hot = [f"hot:{i}" for i in range(50)]
    for batch in range(30):
        # Touch the hot keys between every batch of new writes.
        for _ in range(3):
            c.send_pipeline([("GET", k) for k in hot])
            c.read_replies(len(hot), timeout=10)
        fill(c, 100, start=batch * 100)
    alive = sum(c.call("EXISTS", k).value for k in hot)
    assert alive >= 45, alive
    assert int(info(c, "stats")["evicted_keys"]) > 1000


def test_lru_evicts_the_idle_keys_first(srv):
    # The LRU clock ticks in seconds (as Redis's): idle keys need a second to look older.
    c = srv.raw()
    fill(c, 50, prefix="hot")
    fill(c, 300, prefix="cold")
    time.sleep(1.2)
    c.send_pipeline([("GET", f"hot:{i}") for i in range(50)])
    c.read_replies(50, timeout=10)
    limit_memory(c, "allkeys-lru", 50_000)
    fill(c, 200, prefix="new")
    assert int(info(c, "stats")["evicted_keys"]) > 100
    assert sum(c.call("EXISTS", f"hot:{i}").value for i in range(50)) >= 48
    assert sum(c.call("EXISTS", f"new:{i}").value for i in range(200)) >= 190


@pytest.mark.parametrize("policy", ["volatile-lru", "volatile-lfu", "volatile-random",
                                    "volatile-ttl"])
def test_volatile_policies_only_evict_keys_with_a_ttl(srv, policy):
    c = srv.raw()
    fill(c, 100, prefix="persistent")
    limit_memory(c, policy, 400_000)
    replies = fill(c, 2000, prefix="volatile", ttl=True)
    assert all(r.kind == "simple" for r in replies)
    assert int(info(c, "stats")["evicted_keys"]) > 0
    assert sum(c.call("EXISTS", f"persistent:{i}").value for i in range(100)) == 100
    # With no volatile keys left to evict, writes are refused.
    assert c.call("FLUSHALL").kind == "simple"
    limit_memory(c, policy, 100_000)
    assert E(OOM) in fill(c, 500)


def test_volatile_ttl_evicts_the_soonest_expiring(srv):
    c = srv.raw()
    limit_memory(c, "volatile-ttl", 600_000)
    # TTLs grow with the index: the first keys should be the ones evicted.
    fill(c, 1500, ttl=True)
    survivors = [i for i in range(1500) if c.call("EXISTS", f"k:{i}").value]
    assert survivors, "everything was evicted"
    assert sum(survivors) / len(survivors) > 750


def test_object_freq_and_idletime_follow_the_policy(srv):
    c = srv.raw()
    c.call("SET", "key", "some value")
    assert c.call("OBJECT", "IDLETIME", "key") == I(0)
    assert c.call("OBJECT", "FREQ", "key").is_error
    assert c.call("CONFIG", "SET", "maxmemory-policy", "allkeys-lfu").kind == "simple"
    c.call("SET", "fresh", "another value")
    assert c.call("OBJECT", "FREQ", "fresh") == I(5)
    c.call("GET", "fresh")
    assert c.call("OBJECT", "FREQ", "fresh") == I(6)
    err = c.call("OBJECT", "IDLETIME", "key")
    assert err.is_error and "LFU maxmemory policy is selected" in err.value


@pytest.mark.parametrize("pairing", PAIRINGS)
def test_replica_receives_the_masters_evictions(ember_factory, ref_factory, pairing):
    master, replica = start_pairing(pairing, ember_factory, ref_factory)
    make_replica(replica, master)
    wait_in_sync(master, replica)
    m = master.raw()
    limit_memory(m, "allkeys-random", 500_000)
    fill(m, 2000)
    assert int(info(m, "stats")["evicted_keys"]) > 0
    wait_in_sync(master, replica)
    r = replica.raw()
    assert r.call("DBSIZE") == m.call("DBSIZE")
    assert info(r, "stats")["evicted_keys"] == "0"
