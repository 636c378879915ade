"""SHUTDOWN on a master waits (up to shutdown-timeout, with writes paused) for its replicas to
acknowledge the whole stream, so a failover right after it loses no acknowledged write; NOW
skips the wait, ABORT cancels it, the timeout ends it. Each test runs with Ember and with real
Redis 7.0 (master and replica of the same kind). The replica is held back with SIGSTOP.
"""

from __future__ import annotations

import os
import signal
import time

import pytest

from harness.replication import REPL_ARGS, call, make_replica, poll, wait_in_sync
from harness.resp import B, Reply

ARGS = [a for a in REPL_ARGS]
i = ARGS.index("--shutdown-timeout")
del ARGS[i:i + 2]


@pytest.fixture(params=["ember", "redis"])
def pair(request, ember_factory, ref_factory):
    factory = ember_factory if request.param == "ember" else ref_factory
    master = factory(args=ARGS + ["--shutdown-timeout", "10"])
    replica = factory(args=ARGS)
    make_replica(replica, master)
    wait_in_sync(master, replica)
    yield master, replica
    os.kill(replica.pid, signal.SIGCONT)


def exited(srv) -> bool:
    return srv.proc.poll() is not None


def write_while_replica_stopped(master, replica, key: str) -> None:
    os.kill(replica.pid, signal.SIGSTOP)
    assert call(master, "SET", key, "acked-by-master") == Reply("simple", "OK")


def test_shutdown_waits_for_lagging_replica(pair):
    master, replica = pair
    write_while_replica_stopped(master, replica, "late")
    c = master.raw()
    c.send_command("SHUTDOWN", "NOSAVE")
    time.sleep(0.5)
    assert not exited(master), "the master must wait for its replica"
    # Writes are paused meanwhile; reads go on.
    assert master.raw().call("GET", "late") == B("acked-by-master")
    os.kill(replica.pid, signal.SIGCONT)
    poll(lambda: (exited(master), None), 10, "the master exiting once its replica caught up")
    assert call(replica, "GET", "late") == B("acked-by-master")
    assert "Waiting for replicas before shutting down." in master.log_text()
    assert "1 of 1 replicas are in sync when shutting down." in master.log_text()


def test_shutdown_now_does_not_wait(pair):
    master, replica = pair
    write_while_replica_stopped(master, replica, "k")
    master.raw().send_command("SHUTDOWN", "NOSAVE", "NOW")
    poll(lambda: (exited(master), None), 3, "SHUTDOWN NOW exiting at once")


def test_shutdown_timeout_ends_the_wait(pair):
    master, replica = pair
    call(master, "CONFIG", "SET", "shutdown-timeout", "1")
    write_while_replica_stopped(master, replica, "k")
    start = time.monotonic()
    master.raw().send_command("SHUTDOWN", "NOSAVE")
    poll(lambda: (exited(master), None), 5, "the master exiting at shutdown-timeout")
    assert time.monotonic() - start >= 0.9
    assert "Lagging replica" in master.log_text()


def test_shutdown_abort(pair):
    master, replica = pair
    write_while_replica_stopped(master, replica, "k")
    waiter = master.raw()
    waiter.send_command("SHUTDOWN", "NOSAVE")
    time.sleep(0.3)
    assert master.raw().call("SHUTDOWN", "ABORT") == Reply("simple", "OK")
    r = waiter.read_reply(timeout=5)
    assert r == Reply("error", "ERR Errors trying to SHUTDOWN. Check logs."), r
    # Writes flow again.
    assert master.raw().call("SET", "after", "abort", timeout=5) == Reply("simple", "OK")
    assert not exited(master)
    assert master.raw().call("SHUTDOWN", "ABORT") == Reply("error", "ERR No shutdown in progress.")
