"""ACL selectors (Redis 7.0): "(...)" rule groups in ACL SETUSER, clearselectors, their display in
ACL GETUSER and ACL LIST, and permission checks that pass when the root permissions or any
selector allow the command with all its keys and channels; %R~/%W~ key patterns checked against
the command's key specs; ACL DRYRUN; subscribers disconnected when their user loses channels.

Every script runs on Ember and on real Redis 7.0 and the replies must match. Redis 7.0 lists
single command rules (+get +set ...) in the order of its command dict, which is hash-seeded
per process (two redis-server runs disagree), so those runs of rules are compared as sets."""

from __future__ import annotations

import re

import pytest

from harness.resp import ConnectionClosed
from harness.util import wait_for

_SINGLE_RULE = re.compile(r"^[+-][^@]")


def normalize(value):
    """Sorts each run of single-command rules ("+get +set") inside a rule string, list or map
    (the runs Redis 7.0 emits in a per-process random order)."""
    if isinstance(value, list):
        return [normalize(v) for v in value]
    if isinstance(value, dict):
        return {k: normalize(v) for k, v in value.items()}
    if not isinstance(value, bytes):
        return value
    words = value.decode(errors="replace").split(" ")
    out, i = [], 0
    while i < len(words):
        if not _SINGLE_RULE.match(words[i].lstrip("(")):
            out.append(words[i])
            i += 1
            continue
        run = []
        while i < len(words) and _SINGLE_RULE.match(words[i].lstrip("(")) and \
                (not run or not words[i].startswith("(")):
            run.append(words[i])
            i += 1
            if run[-1].endswith(")"):
                break
        bare = sorted(w.lstrip("(").rstrip(")") for w in run)
        bare[0] = ("(" if run[0].startswith("(") else "") + bare[0]
        bare[-1] += ")" if run[-1].endswith(")") else ""
        out.extend(bare)
    return " ".join(out).encode()


def run(srv, script) -> list:
    c = srv.raw()
    return [normalize(c.call(*cmd).py()) for cmd in script]


SETUSER_SCRIPT = [
    ("ACL", "SETUSER", "x", ""),  # an empty rule is a no-op
    ("ACL", "SETUSER", "a\tb", "on"),
    ("ACL", "SETUSER", "x", "on", "(~x", "+get"),  # unmatched parenthesis
    ("ACL", "SETUSER", "x", "on", "(~x", "+get)", "(", "&a", ")", "()"),
    ("ACL", "LIST"),
    ("ACL", "SETUSER", "x", "(on)"),
    ("ACL", "SETUSER", "x", "(%RW~a %R~b %W~c)"),
    ("ACL", "SETUSER", "x", "(%RR~a)"),
    ("ACL", "SETUSER", "x", "(%~a)"),
    ("ACL", "SETUSER", "x", "(~a b)"),
    ("ACL", "SETUSER", "x", '(~a "")'),
    ("ACL", "SETUSER", "x", '("~a b")'),
    ("ACL", "SETUSER", "x", '("~quoted" \'+get\')'),
    ("ACL", "SETUSER", "x", "(~x +nosuchcommand)"),
    ("ACL", "SETUSER", "x", "( ~q  +set )"),
    ("ACL", "GETUSER", "x"),
    ("ACL", "SETUSER", "x", "clearselectors"),
    ("ACL", "GETUSER", "x"),
    ("ACL", "LIST"),
    ("CONFIG", "SET", "acl-pubsub-default", "allchannels"),
    ("ACL", "SETUSER", "y", "resetchannels", "&a", "(~x)", "reset", "(~y)"),
    ("ACL", "LIST"),
    ("CONFIG", "SET", "acl-pubsub-default", "resetchannels"),
    ("ACL", "SETUSER", "v", "on", "+config|get|x"),
    ("ACL", "SETUSER", "v", "on", "+select|"),
    ("ACL", "SETUSER", "v", "on", "-select|0"),
    ("ACL", "SETUSER", "v", "on", "+select|0", "+config|get", "+debug|object",
     "(+select|1 -@all +client|list)"),
    ("ACL", "GETUSER", "v"),
    ("ACL", "SETUSER", "v", "(%R~r* %W~w* +@all)", "resetkeys"),
    ("ACL", "SETUSER", "v", "(&ch* +publish)"),
    ("ACL", "SETUSER", "u", "on", "~a", "~b", "(~c)", "+@all"),
    ("ACL", "SETUSER", "u", "(~d", "&e", "+get)", "resetkeys"),
    ("ACL", "SETUSER", "t", "on", "+@all", "-get", "-set", "-hset", "-lpush", "(+incr +decr ~k)"),
    ("ACL", "GETUSER", "t"),
    ("ACL", "LIST"),
    ("ACL", "GETUSER", "nosuch"),
]

DRYRUN_SCRIPT = [
    ("ACL", "SETUSER", "w", "on", "nopass", "-@all", "+get", "~a*", "(+set ~b*)", "(+get ~c*)"),
    *[("ACL", "DRYRUN", "w", "get", k) for k in ("a1", "b1", "c1", "d1")],
    *[("ACL", "DRYRUN", "w", "set", k, "v") for k in ("a1", "b1", "c1", "d1")],
    ("ACL", "DRYRUN", "w", "mset", "a1", "v", "b1", "v"),
    ("ACL", "DRYRUN", "w", "mget", "a1", "c1"),
    ("ACL", "SETUSER", "v", "on", "(%R~r* %W~w* +@all)"),
    ("ACL", "DRYRUN", "v", "get", "r1"),
    ("ACL", "DRYRUN", "v", "set", "r1", "x"),
    ("ACL", "DRYRUN", "v", "set", "w1", "x"),
    ("ACL", "DRYRUN", "v", "get", "w1"),
    ("ACL", "DRYRUN", "v", "copy", "r1", "w1"),
    ("ACL", "DRYRUN", "v", "copy", "w1", "r1"),
    ("ACL", "DRYRUN", "v", "lmove", "r1", "w1", "left", "right"),
    ("ACL", "DRYRUN", "v", "append", "w1", "x"),  # RW key: needs both
    ("ACL", "SETUSER", "v", "(&ch* +publish)"),
    ("ACL", "DRYRUN", "v", "publish", "ch1", "m"),
    ("ACL", "DRYRUN", "v", "publish", "x", "m"),
    # The reported denial: the highest argument index among the most specific ones.
    ("ACL", "SETUSER", "s", "on", "~a", "~b", "+@all", "(~c +get)", "(~zz +mget)"),
    ("ACL", "DRYRUN", "s", "mget", "a", "zz", "c"),
    ("ACL", "DRYRUN", "s", "mget", "a", "b", "q"),
    ("ACL", "DRYRUN", "s", "get", "q"),
]


@pytest.mark.parametrize("script", [SETUSER_SCRIPT, DRYRUN_SCRIPT], ids=["setuser", "dryrun"])
def test_selectors_match_redis(script, ember_factory, ref_factory):
    ember, redis = ember_factory(), ref_factory()
    got, want = run(ember, script), run(redis, script)
    for cmd, g, w in zip(script, got, want):
        assert g == w, cmd


def enforce(srv):
    admin, c = srv.raw(), srv.raw()
    admin.call("ACL", "SETUSER", "w", "on", ">pw", "resetchannels", "-@all", "+get", "+auth",
               "~a*", "(+set ~b*)", "(+@pubsub &news)")
    assert c.call("AUTH", "w", "pw").value == "OK"
    replies = [c.call(*cmd).py() for cmd in (
        ("GET", "a1"), ("SET", "b1", "v"), ("GET", "b1"), ("SET", "a1", "v"),
        ("SET", "zz", "v"), ("PUBLISH", "news", "m"), ("PUBLISH", "other", "m"),
        ("DEL", "a1"))]
    log = [{k: v for k, v in zip(e[0::2], e[1::2]) if k in (b"reason", b"object", b"username")}
           for e in admin.call("ACL", "LOG").py()]
    return replies, log


def test_selectors_enforced_as_redis(ember_factory, ref_factory):
    ember, redis = ember_factory(), ref_factory()
    got, want = enforce(ember), enforce(redis)
    assert got == want
    assert got[0][:2] == [None, "OK"]


def subscriber(srv, kind, name):
    c = srv.raw()
    assert c.call("AUTH", "z", "pw").value == "OK"
    assert c.call(kind, name).is_error is False
    return c


def closed(c) -> bool:
    try:
        r = c.call("PING")
    except (ConnectionClosed, OSError):
        return True
    return r.is_error  # (never: a subscriber may PING)


def user_clients(admin, user="z") -> int:
    lines = admin.call("CLIENT", "LIST").value.decode().splitlines()
    return sum(1 for line in lines if f" user={user} " in f" {line} ")


@pytest.mark.parametrize("kind", ["ember", "redis"])
def test_subscribers_disconnected_when_channels_revoked(kind, ember_factory, ref_factory):
    srv = ember_factory() if kind == "ember" else ref_factory()
    admin = srv.raw()
    admin.call("ACL", "SETUSER", "z", "on", ">pw", "~*", "&*", "+@all")
    foo = subscriber(srv, "SUBSCRIBE", "foo")
    assert user_clients(admin) == 1
    # &* -> &bar: the subscriber of foo goes.
    admin.call("ACL", "SETUSER", "z", "resetchannels", "&bar")
    wait_for(lambda: user_clients(admin) == 0)
    assert closed(foo)
    bar = subscriber(srv, "SUBSCRIBE", "bar")
    admin.call("ACL", "SETUSER", "z", "&b*")
    pat = subscriber(srv, "PSUBSCRIBE", "b*")
    shard = subscriber(srv, "SSUBSCRIBE", "bar")
    assert user_clients(admin) == 3
    # Rules that keep every channel disconnect no one.
    admin.call("ACL", "SETUSER", "z", "+@all", "&other")
    assert user_clients(admin) == 3
    # A pattern must stay literally in the list: b* goes, bar (matched by nothing now but the
    # literal &bar) stays.
    admin.call("ACL", "SETUSER", "z", "resetchannels", "&bar")
    wait_for(lambda: user_clients(admin) == 2)
    assert closed(pat) and not closed(bar) and not closed(shard)
    # A selector's channels count too.
    admin.call("ACL", "SETUSER", "z", "resetchannels", "(&bar)")
    assert user_clients(admin) == 2
    admin.call("ACL", "SETUSER", "z", "clearselectors")
    wait_for(lambda: user_clients(admin) == 0)
    assert closed(bar) and closed(shard)


@pytest.mark.parametrize("kind", ["ember", "redis"])
def test_deluser_disconnects_every_client_of_the_user(kind, ember_factory, ref_factory):
    srv = ember_factory() if kind == "ember" else ref_factory()
    admin = srv.raw()
    admin.call("ACL", "SETUSER", "z", "on", ">pw", "~*", "&*", "+@all")
    plain = srv.raw()
    plain.call("AUTH", "z", "pw")
    sub = subscriber(srv, "SUBSCRIBE", "foo")
    assert user_clients(admin) == 2
    assert admin.call("ACL", "DELUSER", "z").value == 1
    wait_for(lambda: user_clients(admin) == 0)
    assert closed(plain) and closed(sub)
    assert admin.call("PING").value == "PONG"


def test_normalize_sorts_only_single_command_runs():
    assert normalize(b"-@all +set +get (~x -@all +b +a)") == b"-@all +get +set (~x -@all +a +b)"
    assert normalize([b"+@all -b -a"]) == [b"+@all -a -b"]
    assert normalize(b"user v on -@all +b +a (-@all +d +c) (+f +e)") == \
        b"user v on -@all +a +b (-@all +c +d) (+e +f)"
    assert normalize({b"commands": b"x"}) == {b"commands": b"x"}


def getuser_resp3(srv):
    c = srv.raw()
    c.call("ACL", "SETUSER", "r3", "on", "~a", "+get", "(%R~b &c +@read)", "(~d)")
    assert c.call("HELLO", "3").kind == "map"
    r = c.call("ACL", "GETUSER", "r3")
    assert r.kind == "map"
    selectors = dict((k.value, v) for k, v in r.value)[b"selectors"]
    assert [s.kind for s in selectors.value] == ["map", "map"]
    return normalize(r.py())


def test_getuser_selectors_in_resp3(ember_factory, ref_factory):
    assert getuser_resp3(ember_factory()) == getuser_resp3(ref_factory())


def renamed(srv):
    c = srv.raw()
    script = [
        ("ACL", "SETUSER", "u", "on", "nopass", "~*", "+get", "+config|get"),
        ("ACL", "SETUSER", "u2", "on", "+mycmd"),
        ("ACL", "SETUSER", "u3", "on", "+flushall"),  # disabled, still known to the ACL
        ("ACL", "GETUSER", "u"),
        ("ACL", "DRYRUN", "u", "mycmd", "x"),
        ("ACL", "DRYRUN", "u", "set", "x", "y"),
    ]
    out = [normalize(c.call(*cmd).py()) for cmd in script]
    out.append(b"get" in c.call("ACL", "CAT", "string").py())
    out.append(c.call("ACL", "DRYRUN", "u3", "mycmd", "x").py())
    u = srv.raw()
    u.call("AUTH", "u", "x")
    out.append(u.call("MYCMD", "x").py())
    # Denials name the command by its original name.
    out.append(u.call("SET", "x", "y").py())
    c.call("ACL", "SETUSER", "u", "-get")
    out.append(u.call("MYCMD", "x").py())
    out.append([e[e.index(b"object") + 1] for e in c.call("ACL", "LOG").py()])
    return out


def test_rules_name_commands_by_their_original_names(ember_factory, ref_factory):
    conf = "rename-command get mycmd\nrename-command flushall \"\"\n"
    got, want = renamed(ember_factory(config=conf)), renamed(ref_factory(config=conf))
    assert got == want
    assert got[:3] == ["OK", "ERR Error in ACL SETUSER modifier '+mycmd': Unknown command or "
                       "category name in ACL", "OK"]


@pytest.mark.parametrize("kind", ["ember", "redis"])
def test_renamed_publish_keeps_its_channel_check(kind, ember_factory, ref_factory):
    conf = "rename-command publish pub2\n"
    srv = ember_factory(config=conf) if kind == "ember" else ref_factory(config=conf)
    c = srv.raw()
    c.call("ACL", "SETUSER", "u", "on", "nopass", "+@all", "resetchannels", "&allowed")
    u = srv.raw()
    u.call("AUTH", "u", "x")
    assert u.call("PUB2", "allowed", "m").py() == 0
    assert u.call("PUB2", "other", "m").py() == (
        "NOPERM this user has no permissions to access one of the channels used as arguments")


@pytest.mark.parametrize("kind", ["ember", "redis"])
def test_default_users_subscribers_follow_its_channels(kind, ember_factory, ref_factory):
    srv = ember_factory() if kind == "ember" else ref_factory()
    admin = srv.raw()
    sub = srv.raw()
    assert sub.call("SUBSCRIBE", "foo").is_error is False
    admin.call("ACL", "SETUSER", "default", "resetchannels", "&bar")
    wait_for(lambda: closed(sub))
    assert admin.call("PING").value == "PONG"
