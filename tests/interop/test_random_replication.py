"""Seeded random workloads over every data type, replicated: a master (the server under test or
real Redis 7.0) with replicas of both kinds attached before the load (the live stream) and after
it (a full sync of the result), then DEBUG DIGEST equal everywhere.

The workload (harness/workload.py) mixes what replication must get right beyond plain writes:
commands whose result is random, effects that differ from the command, keys with millisecond TTLs
expiring during the run, MULTI/EXEC, scripts, several databases, and commands that fail, which
must propagate nothing; then blocking pops served by later pushes.

Longer soak: EMBER_RANDOM_SEEDS=1-50 (see tests/compat/README.md).
"""

from __future__ import annotations

import random

import pytest

from harness.replication import REPL_ARGS, info_fields, make_replica, wait_in_sync
from harness.util import random_seeds, wait_for
from harness.workload import random_workload

pytestmark = pytest.mark.needs_ref


def _serve_blocked(master, rng: random.Random) -> None:
    """Blocking pops parked on empty keys, then served by pushes: replicas get the pops'
    effects."""
    blocking = [["BLPOP", "bq1", "bq2", "5"], ["BRPOPLPUSH", "bq1", "bdst", "5"],
                ["BLMOVE", "bq2", "bq1", "RIGHT", "LEFT", "5"],
                ["BZPOPMIN", "bz", "5"], ["BLMPOP", "5", "1", "bq2", "LEFT", "COUNT", "3"],
                ["BZMPOP", "5", "1", "bz", "MAX"]]
    waiter, pusher = master.raw(), master.raw()
    for cmd in rng.sample(blocking, 4):
        pusher.call("DEL", "bq1", "bq2", "bz", "bdst")
        waiter.send_pipeline([cmd])
        wait_for(lambda: info_fields(master, "clients")["blocked_clients"] == "1", timeout=5)
        push = ["ZADD", "bz", "1", "m1", "2", "m2"] if cmd[0].startswith("BZ") else \
            ["RPUSH", cmd[1] if cmd[0] != "BLMPOP" else "bq2", "p1", "p2", "p3"]
        assert not pusher.call(*push).is_error
        reply = waiter.read_reply(timeout=5)
        assert not reply.is_error and reply.kind != "null", (cmd, reply)


@pytest.mark.parametrize("master_kind", ["ember", "redis"])
@pytest.mark.parametrize("seed", random_seeds([1, 2]))
def test_random_workload_replicates(ember_factory, ref_factory, master_kind, seed):
    make = {"ember": ember_factory, "redis": ref_factory}
    master = make[master_kind](args=REPL_ARGS)
    early = [ember_factory(args=REPL_ARGS), ref_factory(args=REPL_ARGS)]
    for srv in [master, *early]:
        if not srv.is_redis:
            srv.skip_unless_commands("LMPOP", "ZMPOP", "SORT", "EVAL", "COPY", "BZMPOP")
    for r in early:
        make_replica(r, master)
    wait_in_sync(master, *early)

    rng = random.Random(seed)
    c = master.raw(timeout=10)
    cmds = random_workload(rng, 1500)
    c.send_pipeline(cmds)
    replies = c.read_replies(len(cmds), timeout=10)
    # The run must have done real work on every type, failures included.
    assert sum(r.is_error for r in replies) > 0
    _serve_blocked(master, rng)
    wait_in_sync(master, *early)

    late = [ember_factory(args=REPL_ARGS), ref_factory(args=REPL_ARGS)]
    for r in late:
        make_replica(r, master)
    wait_in_sync(master, *early, *late)
    # The run did real work on every type (and left data behind for the full syncs).
    stats = info_fields(master, "commandstats")
    for cmd in ("rpush", "hset", "sadd", "zadd", "spop", "lmpop", "eval", "exec", "sort"):
        calls = dict(kv.split("=") for kv in stats[f"cmdstat_{cmd}"].split(","))
        assert int(calls["calls"]) > int(calls["failed_calls"]), (cmd, calls)
    assert info_fields(master, "keyspace"), "no keys left"
