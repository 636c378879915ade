"""FAILOVER (coordinated failover, Redis 6.2+): errors, and a switch with no acknowledged write
lost, in Ember-only and mixed topologies. Validated against Redis with
EMBER_SERVER=/usr/bin/redis-server (then every node is Redis).
"""

from __future__ import annotations

import pytest

from harness.replication import (call, info_fields, make_replica, repl_args, role, sync_stats,
                                 wait_in_sync)
from harness.resp import E, I, S
from harness.util import wait_for


@pytest.fixture
def node(ember_factory, ref_factory):
    def make(kind, *extra):
        factory = {"ember": ember_factory, "redis": ref_factory}[kind]
        return factory(args=repl_args(extra=extra))
    return make


def test_failover_errors(node):
    master = node("ember")
    assert call(master, "FAILOVER") == E("ERR FAILOVER requires connected replicas.")
    assert call(master, "FAILOVER", "ABORT") == E("ERR No failover in progress.")
    assert call(master, "FAILOVER", "TIMEOUT", "0") == E("ERR FAILOVER timeout must be greater than 0")
    assert call(master, "FAILOVER", "BOGUS") == E("ERR syntax error")
    replica = node("ember")
    make_replica(replica, master)
    wait_in_sync(master, replica)
    assert call(master, "FAILOVER", "FORCE") == E(
        "ERR FAILOVER with force option requires both a timeout and target HOST and IP.")
    assert call(master, "FAILOVER", "TO", "127.0.0.1", "1") == E(
        "ERR FAILOVER target HOST and PORT is not a replica.")
    assert call(replica, "FAILOVER") == E("ERR FAILOVER is not valid when server is a replica.")
    assert info_fields(master)["master_failover_state"] == "no-failover"


@pytest.mark.parametrize("kinds", [("ember", "ember", "ember"), ("ember", "redis", "ember"),
                                   ("redis", "ember", "redis")], ids=">".join)
@pytest.mark.parametrize("to_target", [True, False], ids=["to-target", "any-replica"])
def test_failover_switches_roles_without_losing_writes(node, kinds, to_target):
    master, target, other = node(kinds[0]), node(kinds[1]), node(kinds[2])
    make_replica(target, master)
    make_replica(other, master)
    for i in range(200):
        call(master, "SET", f"k{i}", i)
    wait_in_sync(master, target, other)
    if not to_target:
        # Only `target` can be chosen: `other` leaves first.
        assert call(other, "REPLICAOF", "NO", "ONE") == S("OK")
    args = ["TO", "127.0.0.1", str(target.port)] if to_target else []
    assert call(master, "FAILOVER", *args) == S("OK")
    wait_for(lambda: role(target)[0] == b"master" and role(master)[0] == b"slave", timeout=10,
             message="roles switched")
    assert role(master)[2] == target.port
    wait_for(lambda: info_fields(master)["master_link_status"] == "up", timeout=10,
             message="old master linked to the new one")
    assert info_fields(master)["master_failover_state"] == "no-failover"
    st = sync_stats(target)
    assert st["sync_partial_ok"] >= 1 and st["sync_full"] == 0, st
    assert call(target, "GET", "k199").value == b"199"
    assert call(target, "SET", "after", "1") == S("OK")
    if to_target:
        wait_in_sync(target, master)
        # The other replica follows through the old master (now a replica) and converges.
        wait_for(lambda: call(other, "GET", "after").value == b"1", timeout=10,
                 message="the other replica sees writes on the new master")
    else:
        wait_in_sync(target, master)
    assert call(master, "SET", "x", "1") == E("READONLY You can't write against a read only replica.")
    assert call(master, "DBSIZE") == I(201)
