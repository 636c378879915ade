"""ACL LOG: denied commands, keys and channels and failed AUTHs are recorded as Redis 7.0
records them (reason, context, object, username; the same denial within 60 s only counts; newest
first; acllog-max-len; RESET). The same script runs on Ember and on real Redis and the logs must
match field for field (age-seconds and client-info are checked for shape only)."""

from __future__ import annotations

import pytest

from harness.resp import Reply


def run_script(srv) -> list[dict]:
    admin = srv.raw()
    admin.call("ACL", "SETUSER", "alice", "on", ">pw", "~k*", "&chan*", "+@all", "-flushall")
    c = srv.raw()
    c.call("AUTH", "alice", "pw")
    c.call("GET", "other")          # key
    c.call("FLUSHALL")              # command
    c.call("FLUSHALL")              # the same again: counted
    c.call("PUBLISH", "news", "x")  # channel
    c.call("MULTI")
    c.call("GET", "other2")         # key, while queueing: context multi
    c.call("DISCARD")
    c.call("AUTH", "alice", "wrong")  # auth
    c.call("CONFIG", "GET", "maxmemory")  # allowed: not logged
    raw = admin.call("ACL", "LOG").value
    entries = []
    for e in raw:
        fields = {k.value.decode(): v.value for k, v in zip(e.value[0::2], e.value[1::2])}
        assert float(fields.pop("age-seconds")) >= 0
        info = fields.pop("client-info").decode()
        assert info.startswith("id=") and " cmd=" in info, info
        entries.append({k: v.decode() if isinstance(v, bytes) else v for k, v in fields.items()})
    return entries


@pytest.fixture
def pair(ember_factory, ref_factory):
    ember, redis = ember_factory(), ref_factory()
    ember.skip_unless_commands("ACL|LOG")
    return ember, redis


def test_acl_log_matches_redis(pair):
    ember, redis = pair
    got, want = run_script(ember), run_script(redis)
    assert got == want
    assert [e["reason"] for e in got] == ["auth", "key", "channel", "command", "key"]
    assert next(e for e in got if e["reason"] == "command")["count"] == 2


@pytest.mark.parametrize("kind", ["ember", "redis"])
def test_acl_log_count_reset_and_max_len(kind, ember_factory, ref_factory):
    srv = ember_factory() if kind == "ember" else ref_factory()
    srv.skip_unless_commands("ACL|LOG")
    admin = srv.raw()
    admin.call("CONFIG", "SET", "acllog-max-len", "2")
    c = srv.raw()
    for user in ("u1", "u2", "u3"):
        c.call("AUTH", user, "nope")
    log = admin.call("ACL", "LOG").value
    assert len(log) == 2
    assert len(admin.call("ACL", "LOG", "1").value) == 1
    assert admin.call("ACL", "LOG", "RESET").value == "OK"
    assert admin.call("ACL", "LOG").value == ()


@pytest.mark.parametrize("kind", ["ember", "redis"])
def test_acl_log_shows_ten_and_groups_among_the_newest_ten(kind, ember_factory, ref_factory):
    srv = ember_factory() if kind == "ember" else ref_factory()
    admin = srv.raw()
    c = srv.raw()
    for i in range(12):
        c.call("AUTH", f"u{i}", "nope")
    assert len(admin.call("ACL", "LOG").value) == 10
    assert len(admin.call("ACL", "LOG", "20").value) == 12
    assert admin.call("ACL", "LOG", "-1").value == ()
    assert admin.call("ACL", "log", "1", "2").value == (
        "ERR unknown subcommand or wrong number of arguments for 'log'. Try ACL HELP.")
    # u0's entry is now 12th newest: a new failure for u0 is a new entry, not a grouped one.
    c.call("AUTH", "u0", "nope")
    log = admin.call("ACL", "LOG", "20").value
    assert len(log) == 13
    # u11's entry is the second newest: grouped.
    c.call("AUTH", "u11", "nope")
    assert len(admin.call("ACL", "LOG", "20").value) == 13


@pytest.mark.parametrize("kind", ["ember", "redis"])
def test_channel_permissions(kind, ember_factory, ref_factory):
    srv = ember_factory() if kind == "ember" else ref_factory()
    srv.skip_unless_commands("ACL|LOG")
    admin = srv.raw()
    admin.call("ACL", "SETUSER", "sub", "on", ">pw", "&news.*", "+@all")
    c = srv.raw()
    c.call("AUTH", "sub", "pw")
    denied = c.call("SUBSCRIBE", "news.a", "sports")
    assert denied.kind == "error" and "channels" in denied.value, denied
    ok = c.call("SUBSCRIBE", "news.a")
    assert ok.value[0].value == b"subscribe"
    # acl-pubsub-default allchannels: new users may use any channel.
    admin.call("CONFIG", "SET", "acl-pubsub-default", "allchannels")
    admin.call("ACL", "SETUSER", "open", "on", ">pw", "+@all")
    users = [u.value for u in admin.call("ACL", "LIST").value]
    assert any(u.startswith(b"user open ") and b" &* " in u for u in users), users


def exec_after_acl_change(srv) -> tuple:
    admin, c = srv.raw(), srv.raw()
    admin.call("ACL", "SETUSER", "u9", "on", ">p", "~*", "&*", "+@all")
    c.call("AUTH", "u9", "p")
    c.call("MULTI")
    for cmd in (("GET", "k"), ("PUBLISH", "ch", "x"), ("SET", "zz", "1"), ("SET", "a1", "1")):
        c.call(*cmd)
    admin.call("ACL", "SETUSER", "u9", "-get", "resetchannels", "resetkeys", "~a*")
    replies = c.call("EXEC")
    log = [[f.value for f in e.value[:10]] for e in admin.call("ACL", "LOG").value]
    return replies, log


def test_exec_rechecks_acl_as_redis(pair):
    """Rules changed between queueing and EXEC: each refused command gets Redis's text, and the
    denials are logged with context multi."""
    ember, redis = pair
    got, want = exec_after_acl_change(ember), exec_after_acl_change(redis)
    assert got == want
    assert got[0].value[3] == Reply("simple", "OK")
