"""High availability with the stock Redis Sentinel (Debian's redis-sentinel 7.0): three Sentinels
watch one master with two replicas, all on loopback. The master is killed; Sentinel elects a
replica, clients asking SENTINEL get-master-addr-by-name get the new address, every write
acknowledged with WAIT before the kill is on the new master, and the old master, restarted,
becomes a replica of the new one and converges (DEBUG DIGEST). Run with Ember alone and mixed
with real Redis in both directions.
"""

from __future__ import annotations

import contextlib
import os
import re
import time

import pytest

from harness.replication import REPL_ARGS, call, digest, info_fields, make_replica, poll, wait_in_sync
from harness.resp import B, I, Reply
from harness.server import ServerProcess
from harness.util import WaitTimeout, free_port

MASTER_NAME = "mymaster"
SENTINELS = 3
DOWN_AFTER_MS = 1000
SENTINEL_BINARY = "/usr/bin/redis-sentinel"

pytestmark = pytest.mark.skipif(not os.path.exists(SENTINEL_BINARY),
                                reason="redis-sentinel not installed")


# The ACL user Redis's Sentinel documentation gives Sentinel: only what it sends.
SENTINEL_USER = ["sentinel-user", "on", ">sentinel-pw", "allchannels", "+multi", "+slaveof",
                 "+ping", "+exec", "+subscribe", "+config|rewrite", "+role", "+publish", "+info",
                 "+client|setname", "+client|kill", "+script|kill"]


def sentinel_config(port: int, master_port: int, password: str | None,
                    acl_user: bool = False) -> str:
    return "\n".join([
        f"port {port}",
        "bind 127.0.0.1",
        "dir .",
        "logfile sentinel.log",
        f"sentinel monitor {MASTER_NAME} 127.0.0.1 {master_port} 2",
        f"sentinel down-after-milliseconds {MASTER_NAME} {DOWN_AFTER_MS}",
        f"sentinel failover-timeout {MASTER_NAME} 10000",
        f"sentinel parallel-syncs {MASTER_NAME} 1",
        f"sentinel auth-user {MASTER_NAME} {SENTINEL_USER[0]}" if acl_user else "",
        (f"sentinel auth-pass {MASTER_NAME} {SENTINEL_USER[2][1:] if acl_user else password}"
         if password else ""),
        "",
    ])


@pytest.fixture
def sentinel_factory(request):
    """callable(master) -> SENTINELS started Sentinels monitoring it; all cleaned up."""
    started: list[ServerProcess] = []

    def make(master, password: str | None = None, acl_user: bool = False) -> list[ServerProcess]:
        sentinels = []
        for _ in range(SENTINELS):
            port = free_port()
            s = ServerProcess(SENTINEL_BINARY, config=sentinel_config(port, master.port, password, acl_user),
                              port=port, defaults=False, name="sentinel")
            s.logfile = s.dir / "sentinel.log"
            started.append(s)
            sentinels.append(s.start())
        return sentinels

    yield make
    failed = getattr(request.node, "rep_call", None) is None or request.node.rep_call.failed
    for s in started:
        s.stop()
        if failed:
            print("\n" + s.diagnostics(tail=60))
        s.cleanup()


def sentinel_master_state(sentinel) -> dict[str, str]:
    r = call(sentinel, "SENTINEL", "MASTER", MASTER_NAME)
    v = [x.value.decode() if isinstance(x.value, bytes) else str(x.value) for x in r.value]
    return dict(zip(v[0::2], v[1::2]))


def master_addr(sentinel) -> tuple[str, int]:
    r = call(sentinel, "SENTINEL", "GET-MASTER-ADDR-BY-NAME", MASTER_NAME)
    host, port = (x.value.decode() for x in r.value)
    return host, int(port)


def wait_sentinels_ready(sentinels, replicas: int) -> None:
    """Every Sentinel knows the replicas and the other Sentinels (hello messages went through
    the master's __sentinel__:hello channel)."""
    def ready():
        states = [sentinel_master_state(s) for s in sentinels]
        ok = all(int(st["num-slaves"]) == replicas and
                 int(st["num-other-sentinels"]) == SENTINELS - 1 for st in states)
        return ok, [(st["num-slaves"], st["num-other-sentinels"], st["flags"]) for st in states]
    poll(ready, 30, "Sentinels discovering the replicas and each other", interval=0.2)


SENTINEL_EVENT = re.compile(r"^\d+:X \S+ \S+ \S+ (\S+) [#*] ([+-]\S+ .*)$")


def sentinel_events(sentinels) -> str:
    """Every Sentinel's events, one line: a failure's summary line is all CI's log keeps whole."""
    out = []
    for n, s in enumerate(sentinels):
        text = s.logfile.read_text(errors="replace") if s.logfile.exists() else ""
        events = [f"{m[1]} {m[2]}" for m in map(SENTINEL_EVENT.match, text.splitlines()) if m]
        out.append(f"sentinel {n} (port {s.port}): " + " | ".join(events))
    return " || ".join(out)


@contextlib.contextmanager
def reporting_sentinel_events(sentinels):
    try:
        yield
    except WaitTimeout as e:
        raise WaitTimeout(f"{e} -- {sentinel_events(sentinels)}") from e


@pytest.mark.parametrize("kinds,password,acl_user",
                         [("ember/ember", None, False), ("ember/redis", None, False),
                          ("redis/ember", None, False), ("ember/ember", "s3cret", False),
                          ("ember/ember", "s3cret", True)],
                         ids=["ember", "ember-master-redis-replicas", "redis-master-ember-replicas",
                              "ember-auth-pass", "ember-auth-user"])
def test_sentinel_failover(kinds, password, acl_user, ember_factory, ref_factory,
                           sentinel_factory):
    master_kind, replica_kind = kinds.split("/")
    make = {"ember": ember_factory, "redis": ref_factory}
    args = REPL_ARGS + (["--requirepass", password, "--masterauth", password] if password else [])
    if acl_user:
        args += ["--user", *SENTINEL_USER]
    master = make[master_kind](args=args)
    replicas = [make[replica_kind](args=args) for _ in range(2)]
    for srv in [master, *replicas]:
        if not srv.is_redis:
            srv.skip_unless_commands("MULTI", "PUBLISH", "SUBSCRIBE", "REPLICAOF")
    for r in replicas:
        make_replica(r, master)
    wait_in_sync(master, *replicas)
    # replica-priority 0: Sentinel must never promote this one.
    assert call(replicas[0], "CONFIG", "SET", "replica-priority", "0") == Reply("simple", "OK")
    sentinels = sentinel_factory(master, password, acl_user)
    wait_sentinels_ready(sentinels, replicas=2)

    c = master.raw()
    if password:
        assert c.call("AUTH", password) == Reply("simple", "OK")
    for i in range(200):
        c.call("SET", f"key:{i}", f"value:{i}")
        c.call("RPUSH", "list", str(i))
    assert c.call("WAIT", "1", "5000").value >= 1

    with reporting_sentinel_events(sentinels):
        master.kill()
        old_port = master.port

        def promoted():
            addrs = {master_addr(s) for s in sentinels}
            return len(addrs) == 1 and next(iter(addrs))[1] != old_port, addrs
        _, new_port = next(iter(poll(promoted, 60, "Sentinels agreeing on a new master", interval=0.2)))
        assert new_port == replicas[1].port, "the replica with replica-priority 0 was promoted"
        new_master, other = replicas[1], replicas[0]
        # Sentinel's CLIENT KILL TYPE normal closed our connections to it: poll reconnects.
        poll(lambda: (info_fields(new_master)["role"] == "master", None), 10, "the promoted replica")
        for i in range(200):
            assert call(new_master, "GET", f"key:{i}") == B(f"value:{i}")
        assert call(new_master, "LLEN", "list") == I(200)

        # The other replica follows the new master; writes there reach it.
        poll(lambda: (lambda i: (i.get("master_port") == str(new_port) and
                                 i.get("master_link_status") == "up", i))(info_fields(other)),
             60, "the other replica following the new master", interval=0.2)
        assert call(new_master, "SET", "after", "failover") == Reply("simple", "OK")

        # Every Sentinel, the failover's leader included, has ended the failover: a leader still
        # in it counts the old address as its master and, seeing it back, would point replicas
        # at it (+fix-slave-config).
        def failover_ended():
            states = [sentinel_master_state(s) for s in sentinels]
            return all(st["port"] == str(new_port) and "failover_in_progress" not in st["flags"]
                       for st in states), [(st["port"], st["flags"]) for st in states]
        poll(failover_ended, 30, "every Sentinel ending the failover", interval=0.2)

        # The old master comes back empty as a master; Sentinel turns it into a replica.
        master.fixed_port = old_port
        master.start()
        poll(lambda: (lambda i: (i.get("role") == "slave" and i.get("master_port") == str(new_port)
                                 and i.get("master_link_status") == "up", i))(info_fields(master)),
             60, "the restarted old master becoming a replica of the new one", interval=0.2)
        poll(lambda: (info_fields(other)["master_link_status"] == "up", None), 10, "the other link")
        wait_in_sync(new_master, other, master, timeout=30)
        assert digest(master) == digest(new_master)
