"""Ember's replication observability (docs/replication.md), additive to Redis's output: the
`offset_lag` of each replica in INFO replication, the replica-side lag fields, a reason for every
full sync (log and INFO stats `sync_full_reason_*`), and configuration sanity warnings.
Ember-only: skipped when the server under test is real Redis.
"""

from __future__ import annotations

import pytest

from harness.replication import (FakeReplica, REPL_ARGS, call, info_fields, make_replica,
                                 run_commands, slave_lines, wait_in_sync, wait_link_up)
from harness.resp import S
from harness.util import wait_for


@pytest.fixture
def start(ember_factory):
    def make(*extra):
        srv = ember_factory(args=REPL_ARGS + list(extra))
        if srv.is_redis:
            pytest.skip("Ember's own observability fields")
        return srv
    return make


def reasons(srv) -> dict[str, int]:
    stats = info_fields(srv, "stats")
    return {k[len("sync_full_reason_"):]: int(v) for k, v in stats.items()
            if k.startswith("sync_full_reason_")}


def test_offset_lag_moves_under_load_and_returns_to_zero(start):
    master, replica = start(), start()
    make_replica(replica, master)
    wait_in_sync(master, replica)
    line = slave_lines(info_fields(master))[0]
    assert line["offset_lag"] is not None
    run_commands(master, [("SET", f"k{i}", "x" * 1000) for i in range(3000)])
    wait_in_sync(master, replica)
    wait_for(lambda: slave_lines(info_fields(master))[0]["offset_lag"] == "0", timeout=5,
             message="offset_lag back to 0 once the replica acknowledged everything")
    ir = info_fields(replica, ember_fields=True)
    assert ir["master_repl_offset_lag"] == "0"
    assert int(ir["master_last_applied_seconds_ago"]) >= 0
    # The additive fields come after every field Redis prints.
    keys = list(ir)
    assert keys.index("master_repl_offset_lag") > keys.index("repl_backlog_histlen")


def test_every_full_sync_reason_is_counted_and_logged(start):
    master = start("--repl-backlog-size", "16kb", "--repl-backlog-ttl", "1")
    assert sum(reasons(master).values()) == 0

    fake = FakeReplica(master)  # PSYNC ? -1: a replica without history
    fake.handshake()
    fake.psync()
    assert reasons(master)["new_replica"] == 1
    fake.close()

    replica = start("--save", "3600 1")
    make_replica(replica, master)  # a fresh server offers its own empty history: new too
    wait_in_sync(master, replica)
    assert reasons(master)["new_replica"] == 2

    other = start()  # a replica that followed another master
    run_commands(other, [("SET", "x", "1")])
    third = start()
    make_replica(third, other)
    wait_in_sync(other, third)
    run_commands(other, [("SET", "y", "2")])  # a history with content (offset > 1)
    wait_in_sync(other, third)
    make_replica(third, master)
    wait_in_sync(master, third)
    assert reasons(master)["replid_mismatch"] == 1
    third.stop()

    # The link drops while more than the backlog is written: the offset is gone.
    assert call(replica, "CONFIG", "SET", "repl-timeout", "60") == S("OK")
    assert call(replica, "REPLICAOF", "127.0.0.1", "1") == S("OK")  # detach, keep the history
    run_commands(master, [("SET", f"big{i}", "y" * 1000) for i in range(100)])
    make_replica(replica, master)
    wait_in_sync(master, replica)
    assert reasons(master)["offset_out_of_backlog"] == 1
    assert "backlog holds offsets" in master.log_text()

    # The replica stops; the master frees its backlog after repl-backlog-ttl; the replica
    # comes back with the old history.
    assert call(replica, "SAVE") == S("OK")  # its RDB keeps the replication ID and offset
    replica.stop()
    wait_for(lambda: info_fields(master)["repl_backlog_active"] == "0", timeout=10,
             message="backlog freed by repl-backlog-ttl")
    replica.fixed_port = replica.port
    replica.extra_args += ["--replicaof", "127.0.0.1", str(master.port)]
    replica.start()
    wait_link_up(replica)
    assert reasons(master)["backlog_freed"] == 1
    assert "was freed after repl-backlog-ttl" in master.log_text()

    st = info_fields(master, "stats")
    assert int(st["sync_full"]) == sum(reasons(master).values())


def test_sync_command_reason(start):
    master = start()
    fake = FakeReplica(master)
    fake.c.send_command("SYNC")
    wait_for(lambda: reasons(master)["sync_command"] == 1, timeout=5, message="SYNC counted")
    fake.close()


def test_config_sanity_warnings(start):
    srv = start()
    assert call(srv, "CONFIG", "SET", "repl-backlog-size", "10mb") == S("OK")
    assert call(srv, "CONFIG", "SET", "client-output-buffer-limit",
                "replica 2mb 1mb 60") == S("OK")
    wait_for(lambda: "Replication sanity: client-output-buffer-limit replica" in srv.log_text(),
             timeout=5, message="warning about a replica buffer smaller than the backlog")
