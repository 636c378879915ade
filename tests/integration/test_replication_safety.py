"""Ember's replication safety beyond Redis (docs/replication.md): a replica holding data refuses
an empty full sync from a master that lost its history (restarted without persistence), keeps its
data, and waits for an operator (`CONFIG SET replica-refuse-empty-sync no`). Ember-only: Redis
wipes the replica, which is the behaviour this guards against.
"""

from __future__ import annotations

import pytest

from harness.replication import (REPL_ARGS, call, info_fields, make_replica, restart_same_port,
                                 wait_in_sync, wait_link_up)
from harness.resp import I, S
from harness.util import wait_for


@pytest.mark.parametrize("load", ["disabled", "swapdb", "on-empty-db"])
def test_replica_refuses_empty_sync_from_master_that_lost_its_data(ember_factory, load):
    master = ember_factory(args=REPL_ARGS)
    if master.is_redis:
        pytest.skip("Ember-only safety guard")
    replica = ember_factory(args=REPL_ARGS + ["--repl-diskless-load", load])
    for i in range(50):
        call(master, "SET", f"k{i}", i)
    make_replica(replica, master)
    wait_in_sync(master, replica)

    # The master restarts empty: persistence is off (save "" and no dump file).
    master.kill()
    for f in master.dir.glob("*.rdb"):
        f.unlink()
    restart_same_port(master)
    assert call(master, "DBSIZE") == I(0)

    wait_for(lambda: "Refusing an EMPTY full sync" in replica.log_text(), timeout=10,
             message="the replica refuses the empty snapshot")
    assert call(replica, "DBSIZE") == I(50)
    assert info_fields(replica)["master_link_status"] == "down"
    assert call(replica, "GET", "k7").value == b"7"

    # The operator accepts the master's (empty) data set.
    assert call(replica, "CONFIG", "SET", "replica-refuse-empty-sync", "no") == S("OK")
    wait_link_up(replica)
    wait_for(lambda: call(replica, "DBSIZE") == I(0), timeout=10, message="empty after accepting")


def test_empty_sync_is_accepted_for_a_new_replica_or_the_same_history(ember_factory):
    master = ember_factory(args=REPL_ARGS)
    if master.is_redis:
        pytest.skip("Ember-only safety guard")
    # A replica with data but no history of this master's (it was a master itself): the new
    # master's data set replaces it, empty or not, as in Redis.
    replica = ember_factory(args=REPL_ARGS)
    call(replica, "SET", "mine", "1")
    make_replica(replica, master)
    wait_in_sync(master, replica)
    assert call(replica, "DBSIZE") == I(0)
