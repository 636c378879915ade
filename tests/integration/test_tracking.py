"""CLIENT TRACKING (server-assisted client-side caching): invalidation pushes in RESP3, messages
on __redis__:invalidate for a RESP2 REDIRECT client in Pub/Sub mode, BCAST prefixes, OPTIN /
OPTOUT with CLIENT CACHING, NOLOOP, flushes, expiry, a broken redirect, and the introspection
(TRACKINGINFO, GETREDIR, CLIENT LIST, INFO). Each test runs against Ember and real Redis 7.0;
the error texts are compared line by line in tests/compat/corpus/tracking.txt.
"""

from __future__ import annotations

import time

import pytest

from harness.replication import poll
from harness.resp import A, B, I, Reply

OK = Reply("simple", "OK")
NULL = Reply("null", None)


def P(*items: Reply) -> Reply:
    return Reply("push", tuple(items))


def invalidate(*keys: str) -> Reply:
    return P(B("invalidate"), A(*(B(k) for k in keys)))


@pytest.fixture(params=["ember", "redis"])
def srv(request, ember_factory, ref_factory):
    server = (ember_factory if request.param == "ember" else ref_factory)(
        args=["--enable-debug-command", "yes"])
    server.skip_unless_commands("CLIENT|TRACKING")
    return server


def resp3_tracker(srv, *options):
    c = srv.raw()
    assert c.call("HELLO", "3").kind == "map"
    assert c.call("CLIENT", "TRACKING", "on", *options) == OK
    return c


def no_message(c, timeout: float = 0.2) -> None:
    with pytest.raises(TimeoutError):
        c.read_reply(timeout=timeout)


def test_resp3_invalidation_after_read(srv):
    t = resp3_tracker(srv)
    other = srv.raw()
    other.call("SET", "k", "1")
    assert t.call("GET", "k") == B("1")
    other.call("SET", "k", "2")
    assert t.read_reply(timeout=5) == invalidate("k")
    # Forgotten after one invalidation until read again.
    other.call("SET", "k", "3")
    no_message(t)
    t.call("MGET", "k", "unread")
    other.call("DEL", "k")
    assert t.read_reply(timeout=5) == invalidate("k")


def test_only_changed_keys_are_invalidated(srv):
    """DEL of a missing key and the lists LMPOP did not pop from invalidate nothing (Redis
    signals the keys a command changed)."""
    t = resp3_tracker(srv, "BCAST")
    other = srv.raw()
    other.call("SET", "a", "1")
    assert t.read_reply(timeout=5) == invalidate("a")
    other.call("DEL", "a", "missing")
    assert t.read_reply(timeout=5) == invalidate("a")
    other.call("RPUSH", "l1", "x")
    assert t.read_reply(timeout=5) == invalidate("l1")
    other.call("RPUSH", "l2", "y")
    assert t.read_reply(timeout=5) == invalidate("l2")
    if not srv.missing_commands("LMPOP"):
        other.call("LMPOP", "2", "l1", "l2", "LEFT")
        assert t.read_reply(timeout=5) == invalidate("l1")
    other.call("DEL", "missing")
    no_message(t)


def test_own_write_invalidates_after_the_reply(srv):
    t = resp3_tracker(srv)
    t.call("GET", "k")
    t.send_command("SET", "k", "mine")
    assert t.read_reply(timeout=5) == OK
    assert t.read_reply(timeout=5) == invalidate("k")


def test_noloop_skips_own_writes(srv):
    t = resp3_tracker(srv, "NOLOOP")
    t.call("GET", "k")
    assert t.call("SET", "k", "mine") == OK
    no_message(t)
    t.call("GET", "k")
    srv.raw().call("SET", "k", "theirs")
    assert t.read_reply(timeout=5) == invalidate("k")


def test_resp2_redirect_to_pubsub_client(srv):
    r = srv.raw()
    rid = r.call("CLIENT", "ID").value
    assert r.call("SUBSCRIBE", "__redis__:invalidate") == A(B("subscribe"),
                                                             B("__redis__:invalidate"), I(1))
    t = srv.raw()
    assert t.call("CLIENT", "TRACKING", "on", "REDIRECT", rid) == OK
    assert t.call("CLIENT", "GETREDIR") == I(rid)
    t.call("GET", "a")
    srv.raw().call("SET", "a", "1")
    assert r.read_reply(timeout=5) == A(B("message"), B("__redis__:invalidate"), A(B("a")))
    # A flush invalidates everything: null.
    t.call("GET", "a")
    srv.raw().call("FLUSHALL")
    assert r.read_reply(timeout=5) == A(B("message"), B("__redis__:invalidate"),
                                        Reply("nullbulk", None))


def test_broken_redirect(srv):
    r = srv.raw()
    rid = r.call("CLIENT", "ID").value
    t = resp3_tracker(srv, "REDIRECT", rid)
    t.call("GET", "k")
    r.close()
    poll(lambda: (f"id={rid} " not in srv.raw().call("CLIENT", "LIST").value.decode(), None), 5,
         "the redirect client gone")
    srv.raw().call("SET", "k", "1")
    assert t.read_reply(timeout=5) == P(B("tracking-redir-broken"), I(rid))
    info = t.call("CLIENT", "TRACKINGINFO")
    flags = dict((k.value, v) for k, v in info.value)[b"flags"]
    assert B("broken_redirect") in flags.value


def test_bcast_prefixes(srv):
    t = resp3_tracker(srv, "BCAST", "PREFIX", "user:", "PREFIX", "cfg:")
    other = srv.raw()
    other.call("SET", "user:1", "x")
    other.call("SET", "other:1", "x")
    assert t.read_reply(timeout=5) == invalidate("user:1")
    no_message(t)
    # Several changes in one event-loop iteration arrive together.
    other.call("MSET", "cfg:a", "1", "cfg:b", "2")
    assert t.read_reply(timeout=5) == invalidate("cfg:a", "cfg:b")
    info = t.call("CLIENT", "TRACKINGINFO")
    fields = dict((k.value, v) for k, v in info.value)
    assert fields[b"prefixes"] == A(B("cfg:"), B("user:"))


def test_optin_tracks_only_after_caching_yes(srv):
    t = resp3_tracker(srv, "OPTIN")
    assert t.call("CLIENT", "CACHING", "yes") == OK
    t.call("GET", "cached")
    t.call("GET", "not-cached")
    other = srv.raw()
    other.call("SET", "not-cached", "1")
    other.call("SET", "cached", "1")
    assert t.read_reply(timeout=5) == invalidate("cached")
    no_message(t)


def test_optout_skips_after_caching_no(srv):
    t = resp3_tracker(srv, "OPTOUT")
    assert t.call("CLIENT", "CACHING", "no") == OK
    t.call("GET", "skipped")
    t.call("GET", "tracked")
    other = srv.raw()
    other.call("SET", "skipped", "1")
    other.call("SET", "tracked", "1")
    assert t.read_reply(timeout=5) == invalidate("tracked")


def test_expiry_invalidates(srv):
    t = resp3_tracker(srv)
    srv.raw().call("SET", "e", "1", "PX", "50")
    t.call("GET", "e")
    assert t.read_reply(timeout=5) == invalidate("e")


def test_introspection(srv):
    t = resp3_tracker(srv, "BCAST")
    line = srv.raw().call("CLIENT", "LIST").value.decode()
    tid = t.call("CLIENT", "ID").value
    mine = next(x for x in line.splitlines() if x.startswith(f"id={tid} "))
    assert " flags=tB " in mine and " redir=0 " in mine, mine
    info = srv.raw().call("INFO").value.decode()
    assert "tracking_clients:1" in info and "tracking_total_prefixes:1" in info
    assert t.call("CLIENT", "TRACKING", "off") == OK
    assert t.call("CLIENT", "GETREDIR") == I(-1)
    assert "tracking_clients:0" in srv.raw().call("INFO", "clients").value.decode()


def test_reset_and_disconnect_stop_tracking(srv):
    t = resp3_tracker(srv)
    t.call("GET", "k")
    assert t.call("RESET") == Reply("simple", "RESET")
    assert t.call("CLIENT", "GETREDIR") == I(-1)
    srv.raw().call("SET", "k", "1")
    no_message(t)
