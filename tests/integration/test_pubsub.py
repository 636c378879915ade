"""Pub/Sub: SUBSCRIBE / PSUBSCRIBE / SSUBSCRIBE and their UNSUBSCRIBEs, PUBLISH / SPUBLISH, PUBSUB.
Every behavioural test runs against Ember and against real Redis 7.0 with the same expectations,
so what is checked is Redis's behaviour: RESP2 arrays and RESP3 pushes, the RESP2 subscriber-mode
restrictions, unsubscribe-all replies, receiver counts, disconnect and RESET clean-up, CLIENT LIST
fields, INFO counters, the pubsub output-buffer class, and PUBLISH reaching a replica's
subscribers. A differential test compares replies byte for byte (typed) between both servers.
"""

from __future__ import annotations

import time

import pytest

from harness.replication import PAIRINGS, make_replica, poll, start_pairing, wait_in_sync
from harness.resp import A, B, E, I, Reply, S, sort_reply

NULL = Reply("nullbulk", None)
RESP3_NULL = Reply("null", None)
ONLY_ALLOWED = ("only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in "
                "this context")


def P(*items: Reply) -> Reply:
    return Reply("push", tuple(items))


@pytest.fixture(params=["ember", "redis"])
def srv(request, ember_factory, ref_factory):
    server = ember_factory() if request.param == "ember" else ref_factory()
    server.skip_unless_commands("SUBSCRIBE", "PUBLISH", "PUBSUB", "SSUBSCRIBE")
    return server


def subscriber(srv, command: str, *names: str, resp3: bool = False):
    """A new connection subscribed to `names` with `command` (confirmations consumed)."""
    c = srv.raw()
    if resp3:
        assert c.call("HELLO", "3").kind == "map"
    c.send_command(command, *names)
    c.read_replies(len(names), timeout=5)
    return c


def field(srv, section: str, name: str) -> str:
    text = srv.raw().call("INFO", section).value
    text = text.decode() if isinstance(text, bytes) else text
    for line in text.splitlines():
        if line.startswith(name + ":"):
            return line.split(":", 1)[1]
    raise AssertionError(f"{name} not in INFO {section}")


def numsub(srv, channel: str) -> int:
    return srv.raw().call("PUBSUB", "NUMSUB", channel).value[1].value


# --- message shapes -----------------------------------------------------------------------------

def test_resp2_confirmations_and_messages(srv):
    c = srv.raw()
    c.send_command("SUBSCRIBE", "a", "b")
    assert c.read_replies(2, timeout=5) == [A(B("subscribe"), B("a"), I(1)),
                                           A(B("subscribe"), B("b"), I(2))]
    # A repeated subscription is confirmed again, with the count unchanged.
    c.send_command("SUBSCRIBE", "a")
    assert c.read_reply(timeout=5) == A(B("subscribe"), B("a"), I(2))
    c.send_command("PSUBSCRIBE", "n*")
    assert c.read_reply(timeout=5) == A(B("psubscribe"), B("n*"), I(3))

    pub = srv.raw()
    assert pub.call("PUBLISH", "a", "hello") == I(1)
    assert c.read_reply(timeout=5) == A(B("message"), B("a"), B("hello"))
    assert pub.call("PUBLISH", "news", "x\r\ny") == I(1)
    assert c.read_reply(timeout=5) == A(B("pmessage"), B("n*"), B("news"), B("x\r\ny"))
    assert pub.call("PUBLISH", "zzz", "m") == I(0)  # no channel, no pattern
    c.assert_no_data()


def test_channel_and_pattern_both_receive(srv):
    c = subscriber(srv, "SUBSCRIBE", "news")
    c.send_command("PSUBSCRIBE", "n*", "*s")
    c.read_replies(2, timeout=5)
    other = subscriber(srv, "PSUBSCRIBE", "n*")
    assert srv.raw().call("PUBLISH", "news", "m") == I(4)
    # The channel's subscribers first, then the patterns' (in Redis's pattern table order).
    assert c.read_reply(timeout=5) == A(B("message"), B("news"), B("m"))
    got = sorted(c.read_replies(2, timeout=5), key=repr)
    assert got == [A(B("pmessage"), B("*s"), B("news"), B("m")),
                   A(B("pmessage"), B("n*"), B("news"), B("m"))]
    assert other.read_reply(timeout=5) == A(B("pmessage"), B("n*"), B("news"), B("m"))


def test_resp3_pushes_and_no_restrictions(srv):
    c = srv.raw()
    assert c.call("HELLO", "3").kind == "map"
    c.send_command("SUBSCRIBE", "a")
    assert c.read_reply(timeout=5) == P(B("subscribe"), B("a"), I(1))
    c.send_command("PSUBSCRIBE", "a*")
    assert c.read_reply(timeout=5) == P(B("psubscribe"), B("a*"), I(2))
    # RESP3 subscribers may run any command, and PING is the plain one.
    assert c.call("SET", "k", "v") == S("OK")
    assert c.call("GET", "k") == B("v")
    assert c.call("PING") == S("PONG")
    assert srv.raw().call("PUBLISH", "a", "m") == I(2)
    assert c.read_reply(timeout=5) == P(B("message"), B("a"), B("m"))
    assert c.read_reply(timeout=5) == P(B("pmessage"), B("a*"), B("a"), B("m"))
    # Publishing to itself: the push comes before the PUBLISH reply.
    c.send_command("PUBLISH", "a", "self")
    assert c.read_replies(3, timeout=5) == [P(B("message"), B("a"), B("self")),
                                           P(B("pmessage"), B("a*"), B("a"), B("self")), I(2)]
    c.send_command("UNSUBSCRIBE")
    assert c.read_reply(timeout=5) == P(B("unsubscribe"), B("a"), I(1))
    c.send_command("PUNSUBSCRIBE")
    assert c.read_reply(timeout=5) == P(B("punsubscribe"), B("a*"), I(0))
    c.send_command("UNSUBSCRIBE")
    assert c.read_reply(timeout=5) == P(B("unsubscribe"), RESP3_NULL, I(0))


def test_mixed_protocols_get_their_own_shape(srv):
    c2 = subscriber(srv, "SUBSCRIBE", "ch")
    c3 = subscriber(srv, "SUBSCRIBE", "ch", resp3=True)
    assert srv.raw().call("PUBLISH", "ch", "m") == I(2)
    assert c2.read_reply(timeout=5) == A(B("message"), B("ch"), B("m"))
    assert c3.read_reply(timeout=5) == P(B("message"), B("ch"), B("m"))


def test_redis_py_pubsub_object(srv):
    # What applications use: redis-py's PubSub, with its own parsing of the confirmations.
    r = srv.client(decode_responses=True)
    p = r.pubsub()
    p.subscribe("chat")
    p.psubscribe("ch*")
    deadline = time.monotonic() + 5
    seen = []
    while len(seen) < 2 and time.monotonic() < deadline:
        m = p.get_message(timeout=0.5)
        if m:
            seen.append((m["type"], m["channel"], m["data"]))
    assert seen == [("subscribe", "chat", 1), ("psubscribe", "ch*", 2)]
    assert r.publish("chat", "hi") == 2
    assert r.pubsub_numsub("chat") == [("chat", 1)]
    assert r.pubsub_numpat() == 1
    got = []
    while len(got) < 2 and time.monotonic() < deadline:
        m = p.get_message(timeout=0.5)
        if m:
            got.append((m["type"], m["pattern"], m["channel"], m["data"]))
    assert got == [("message", None, "chat", "hi"), ("pmessage", "ch*", "chat", "hi")]
    p.close()


# --- subscriber mode ------------------------------------------------------------------------------

def test_resp2_subscriber_mode_restrictions(srv):
    c = subscriber(srv, "SUBSCRIBE", "a")
    for command, name in ((("GET", "x"), "get"), (("CLIENT", "LIST"), "client|list"),
                          (("PUBLISH", "a", "m"), "publish"), (("PUBSUB", "CHANNELS"), "pubsub|channels"),
                          (("HELLO", "3"), "hello"), (("SPUBLISH", "a", "m"), "spublish")):
        assert c.call(*command) == E(f"ERR Can't execute '{name}': {ONLY_ALLOWED}"), command
    # Arity is checked first; PING answers in the subscription stream's shape.
    assert c.call("PUBSUB", "NUMPAT", "x") == E(
        "ERR wrong number of arguments for 'pubsub|numpat' command")
    assert c.call("PING") == A(B("pong"), B(""))
    assert c.call("PING", "hi") == A(B("pong"), B("hi"))
    c.send_command("PSUBSCRIBE", "p*")
    assert c.read_reply(timeout=5) == A(B("psubscribe"), B("p*"), I(2))
    # Leaving every subscription leaves subscriber mode.
    c.send_command("UNSUBSCRIBE", "a")
    assert c.read_reply(timeout=5) == A(B("unsubscribe"), B("a"), I(1))
    assert c.call("GET", "x").is_error
    c.send_command("PUNSUBSCRIBE", "p*")
    assert c.read_reply(timeout=5) == A(B("punsubscribe"), B("p*"), I(0))
    assert c.call("GET", "x") == NULL
    assert c.call("PING") == S("PONG")


def test_quit_while_subscribed(srv):
    c = subscriber(srv, "SUBSCRIBE", "a")
    assert c.call("QUIT") == S("OK")
    assert c.is_closed_by_peer(timeout=5)
    poll(lambda: (numsub(srv, "a") == 0, None), 5, "disconnected subscriber removed")


def test_reset_leaves_subscriber_mode(srv):
    c = subscriber(srv, "SUBSCRIBE", "a", "b")
    c.send_command("PSUBSCRIBE", "x*")
    c.read_reply(timeout=5)
    c.send_command("SSUBSCRIBE", "s")
    c.read_reply(timeout=5)
    assert c.call("RESET") == S("RESET")
    # No unsubscribe notifications: the next reply is the GET's.
    assert c.call("GET", "k") == NULL
    assert srv.raw().call("PUBLISH", "a", "m") == I(0)
    assert srv.raw().call("PUBLISH", "xy", "m") == I(0)
    assert srv.raw().call("SPUBLISH", "s", "m") == I(0)
    c.assert_no_data()


def test_unsubscribe_all_replies(srv):
    c = srv.raw()
    # Subscribed to nothing: one reply with a null name, for every kind.
    for command in ("UNSUBSCRIBE", "PUNSUBSCRIBE", "SUNSUBSCRIBE"):
        c.send_command(command)
        assert c.read_reply(timeout=5) == A(B(command.lower()), NULL, I(0)), command
    # Not subscribed to the named channel: confirmed anyway, with the count.
    c.send_command("UNSUBSCRIBE", "nope")
    assert c.read_reply(timeout=5) == A(B("unsubscribe"), B("nope"), I(0))
    assert c.call("PING") == S("PONG")

    c.send_command("SUBSCRIBE", "a", "b", "c")
    c.read_replies(3, timeout=5)
    c.send_command("PSUBSCRIBE", "p1", "p2")
    c.read_replies(2, timeout=5)
    c.send_command("UNSUBSCRIBE")
    replies = c.read_replies(3, timeout=5)
    # One reply per channel (in hash-table order in Redis), the count going down to the patterns.
    assert sorted(r.value[1].value for r in replies) == [b"a", b"b", b"c"]
    assert [r.value[0] for r in replies] == [B("unsubscribe")] * 3
    assert [r.value[2] for r in replies] == [I(4), I(3), I(2)]
    c.send_command("PUNSUBSCRIBE")
    replies = c.read_replies(2, timeout=5)
    assert sorted(r.value[1].value for r in replies) == [b"p1", b"p2"]
    assert [r.value[2] for r in replies] == [I(1), I(0)]
    c.send_command("PUNSUBSCRIBE")
    assert c.read_reply(timeout=5) == A(B("punsubscribe"), NULL, I(0))


# --- sharded Pub/Sub ------------------------------------------------------------------------------

def test_sharded_channels(srv):
    c = srv.raw()
    c.send_command("SSUBSCRIBE", "x", "y")
    assert c.read_replies(2, timeout=5) == [A(B("ssubscribe"), B("x"), I(1)),
                                           A(B("ssubscribe"), B("y"), I(2))]
    # Shard channels are counted apart from channels and patterns.
    c.send_command("SUBSCRIBE", "x")
    assert c.read_reply(timeout=5) == A(B("subscribe"), B("x"), I(1))
    pat = subscriber(srv, "PSUBSCRIBE", "*")
    pub = srv.raw()
    assert pub.call("SPUBLISH", "x", "s1") == I(1)
    assert c.read_reply(timeout=5) == A(B("smessage"), B("x"), B("s1"))
    assert pub.call("PUBLISH", "x", "p1") == I(2)
    assert c.read_reply(timeout=5) == A(B("message"), B("x"), B("p1"))
    assert pat.read_reply(timeout=5) == A(B("pmessage"), B("*"), B("x"), B("p1"))
    pat.assert_no_data()  # SPUBLISH does not reach patterns
    assert sort_reply(pub.call("PUBSUB", "SHARDCHANNELS")) == A(B("x"), B("y"))
    assert pub.call("PUBSUB", "SHARDNUMSUB", "x", "z") == A(B("x"), I(1), B("z"), I(0))
    assert pub.call("PUBSUB", "NUMSUB", "x") == A(B("x"), I(1))
    c.send_command("SUNSUBSCRIBE")
    replies = c.read_replies(2, timeout=5)
    assert sorted(r.value[1].value for r in replies) == [b"x", b"y"]
    assert [r.value[2] for r in replies] == [I(1), I(0)]
    assert pub.call("SPUBLISH", "x", "s2") == I(0)
    # Still subscribed to the channel "x": still in subscriber mode.
    assert c.call("GET", "k").is_error


def test_resp3_smessage(srv):
    c = subscriber(srv, "SSUBSCRIBE", "sh", resp3=True)
    assert srv.raw().call("SPUBLISH", "sh", "m") == I(1)
    assert c.read_reply(timeout=5) == P(B("smessage"), B("sh"), B("m"))


def test_ssubscribe_refused_in_multi(srv):
    srv.skip_unless_commands("MULTI", "EXEC")
    c = srv.raw()
    assert c.call("MULTI") == S("OK")
    assert c.call("SSUBSCRIBE", "a") == S("QUEUED")
    assert c.call("SUBSCRIBE", "b") == S("QUEUED")
    # SUBSCRIBE stays allowed in MULTI (compatibility); SSUBSCRIBE is not.
    assert c.call("EXEC") == A(E("ERR SSUBSCRIBE isn't allowed for a DENY BLOCKING client"),
                               A(B("subscribe"), B("b"), I(1)))
    assert c.call("GET", "x") == E(f"ERR Can't execute 'get': {ONLY_ALLOWED}")


# --- introspection --------------------------------------------------------------------------------

def test_pubsub_subcommands(srv):
    s1 = subscriber(srv, "SUBSCRIBE", "news.tech", "news.sport", "weather")
    s2 = subscriber(srv, "SUBSCRIBE", "news.tech")
    subscriber(srv, "PSUBSCRIBE", "news.*", "w*")
    subscriber(srv, "PSUBSCRIBE", "news.*")  # NUMPAT counts distinct patterns
    c = srv.raw()
    assert sort_reply(c.call("PUBSUB", "CHANNELS")) == A(B("news.sport"), B("news.tech"),
                                                          B("weather"))
    assert sort_reply(c.call("PUBSUB", "CHANNELS", "news.*")) == A(B("news.sport"), B("news.tech"))
    assert c.call("PUBSUB", "CHANNELS", "nothing*") == A()
    assert c.call("PUBSUB", "NUMSUB", "news.tech", "weather", "none") == A(
        B("news.tech"), I(2), B("weather"), I(1), B("none"), I(0))
    assert c.call("PUBSUB", "NUMSUB") == A()
    assert c.call("PUBSUB", "NUMPAT") == I(2)
    assert c.call("PUBSUB", "SHARDCHANNELS") == A()
    assert c.call("PUBSUB", "SHARDNUMSUB") == A()
    assert field(srv, "stats", "pubsub_channels") == "3"
    assert field(srv, "stats", "pubsub_patterns") == "2"
    assert field(srv, "stats", "pubsubshard_channels") == "0"
    # A channel nobody listens to any more disappears.
    s2.close()
    s1.send_command("UNSUBSCRIBE", "news.tech")
    s1.read_reply(timeout=5)
    poll(lambda: (c.call("PUBSUB", "NUMSUB", "news.tech") == A(B("news.tech"), I(0)), None), 5,
         "news.tech without subscribers")
    assert sort_reply(c.call("PUBSUB", "CHANNELS")) == A(B("news.sport"), B("weather"))


def test_info_stats_field_order(srv):
    subscriber(srv, "SSUBSCRIBE", "s1", "s2")
    text = srv.raw().call("INFO", "stats").value
    text = text.decode() if isinstance(text, bytes) else text
    names = [line.split(":")[0] for line in text.splitlines() if ":" in line]
    i = names.index("keyspace_misses")
    assert names[i + 1:i + 4] == ["pubsub_channels", "pubsub_patterns", "pubsubshard_channels"]
    assert names[i + 4] == "latest_fork_usec"
    assert field(srv, "stats", "pubsubshard_channels") == "2"


def client_line(srv, client_id: int) -> dict[str, str]:
    text = srv.raw().call("CLIENT", "LIST", "ID", str(client_id)).value
    text = text[1] if isinstance(text, tuple) else text  # RESP3 verbatim: (format, bytes)
    text = text.decode() if isinstance(text, bytes) else text
    return dict(kv.split("=", 1) for kv in text.strip().split(" "))


def test_client_list_fields_and_kill_type_pubsub(srv):
    c = srv.raw()
    cid = c.call("CLIENT", "ID").value
    c.send_command("SUBSCRIBE", "a", "b")
    c.read_replies(2, timeout=5)
    c.send_command("PSUBSCRIBE", "p*")
    c.read_reply(timeout=5)
    c.send_command("SSUBSCRIBE", "s1", "s2", "s3")
    c.read_replies(3, timeout=5)
    line = client_line(srv, cid)
    assert (line["sub"], line["psub"], line["ssub"], line["flags"]) == ("2", "1", "3", "P")

    shard_only = srv.raw()
    sid = shard_only.call("CLIENT", "ID").value
    shard_only.send_command("SSUBSCRIBE", "s9")
    shard_only.read_reply(timeout=5)
    assert client_line(srv, sid)["flags"] == "P"

    normal = srv.raw()
    nid = normal.call("CLIENT", "ID").value
    assert client_line(srv, nid)["flags"] == "N"
    listed = srv.raw().call("CLIENT", "LIST", "TYPE", "pubsub").value
    listed = listed.decode() if isinstance(listed, bytes) else listed
    ids = sorted(int(kv.split("=")[1]) for kv in listed.split() if kv.startswith("id="))
    assert ids == sorted([cid, sid])
    # CLIENT KILL TYPE pubsub (Sentinel uses it) closes subscribers only.
    assert normal.call("CLIENT", "KILL", "TYPE", "pubsub") == I(2)
    assert c.is_closed_by_peer(timeout=5)
    assert shard_only.is_closed_by_peer(timeout=5)
    assert normal.call("PING") == S("PONG")
    assert normal.call("PUBSUB", "NUMPAT") == I(0)
    assert normal.call("PUBSUB", "SHARDCHANNELS") == A()


def test_disconnect_removes_every_subscription(srv):
    c = subscriber(srv, "SUBSCRIBE", "a", "b")
    c.send_command("PSUBSCRIBE", "*")
    c.read_reply(timeout=5)
    c.send_command("SSUBSCRIBE", "s")
    c.read_reply(timeout=5)
    pub = srv.raw()
    assert pub.call("PUBLISH", "a", "m") == I(2)
    c.close()
    poll(lambda: (pub.call("PUBSUB", "NUMPAT") == I(0), None), 5, "pattern removed")
    assert pub.call("PUBLISH", "a", "m") == I(0)
    assert pub.call("SPUBLISH", "s", "m") == I(0)
    assert pub.call("PUBSUB", "CHANNELS") == A()
    assert field(srv, "stats", "pubsub_channels") == "0"


def test_idle_timeout_spares_subscribers(srv):
    admin = srv.raw()
    sub = subscriber(srv, "SUBSCRIBE", "quiet")
    idle = srv.raw()
    assert idle.call("PING") == S("PONG")
    assert admin.call("CONFIG", "SET", "timeout", "1") == S("OK")
    try:
        assert idle.is_closed_by_peer(timeout=6), "the idle normal client was not closed"
        assert sub.call("PING") == A(B("pong"), B(""))
        assert numsub(srv, "quiet") == 1
    finally:
        srv.raw().call("CONFIG", "SET", "timeout", "0")


def test_pubsub_output_buffer_limit_kills_slow_subscriber(srv):
    # Only the pubsub class is limited: a subscriber that does not read is closed, the
    # publisher (a normal client) is not.
    admin = srv.raw()
    assert admin.call("CONFIG", "SET", "client-output-buffer-limit", "pubsub 1mb 0 0") == S("OK")
    slow = srv.raw()
    slow.send_command("SUBSCRIBE", "flood")
    assert slow.read_reply(timeout=5) == A(B("subscribe"), B("flood"), I(1))
    pub = srv.raw()
    payload = b"x" * 100_000
    deadline = time.monotonic() + 15
    while numsub(srv, "flood") == 1:
        assert time.monotonic() < deadline, "the slow subscriber was never disconnected"
        pub.send_pipeline([("PUBLISH", "flood", payload)] * 20)
        pub.read_replies(20, timeout=10)
    # Closed, not only unsubscribed.
    listed = admin.call("CLIENT", "LIST", "TYPE", "pubsub").value
    assert listed in (b"", "")
    assert pub.call("PING") == S("PONG")
    assert pub.call("PUBLISH", "flood", "m") == I(0)


# --- replication ----------------------------------------------------------------------------------

@pytest.mark.parametrize("pairing", PAIRINGS)
def test_publish_reaches_replica_subscribers(pairing, ember_factory, ref_factory):
    master, replica = start_pairing(pairing, ember_factory, ref_factory,
                                    needs=("SUBSCRIBE", "PUBLISH", "SPUBLISH"))
    make_replica(replica, master)
    wait_in_sync(master, replica)
    sub = subscriber(replica, "SUBSCRIBE", "ch")
    ssub = subscriber(replica, "SSUBSCRIBE", "sh")
    psub = subscriber(replica, "PSUBSCRIBE", "c*")
    m = master.raw()
    assert m.call("PUBLISH", "ch", "from-master") == I(0)  # nobody listens on the master
    assert sub.read_reply(timeout=5) == A(B("message"), B("ch"), B("from-master"))
    assert psub.read_reply(timeout=5) == A(B("pmessage"), B("c*"), B("ch"), B("from-master"))
    assert m.call("SPUBLISH", "sh", "shard") == I(0)
    assert ssub.read_reply(timeout=5) == A(B("smessage"), B("sh"), B("shard"))
    # PUBLISH is not a write: a read-only replica accepts it and delivers locally only.
    r = replica.raw()
    assert r.call("CONFIG", "GET", "replica-read-only") == A(B("replica-read-only"), B("yes"))
    assert r.call("PUBLISH", "ch", "local") == I(2)
    assert sub.read_reply(timeout=5) == A(B("message"), B("ch"), B("local"))
    assert psub.read_reply(timeout=5) == A(B("pmessage"), B("c*"), B("ch"), B("local"))
    msub = subscriber(master, "SUBSCRIBE", "ch")
    assert m.call("PUBLISH", "ch", "both") == I(1)
    assert msub.read_reply(timeout=5) == A(B("message"), B("ch"), B("both"))
    assert sub.read_reply(timeout=5) == A(B("message"), B("ch"), B("both"))
    msub.assert_no_data()  # the replica's local PUBLISH did not travel up
    wait_in_sync(master, replica)


# --- differential: identical typed replies --------------------------------------------------------

DIFF_STEPS = [
    # (The container's subcommand list is left out: Redis lists it in hash-table order.)
    ("COMMAND", "INFO", "subscribe", "unsubscribe", "psubscribe", "punsubscribe", "publish",
     "spublish", "ssubscribe", "sunsubscribe"),
    ("COMMAND", "INFO", "pubsub|channels", "pubsub|numsub", "pubsub|numpat",
     "pubsub|shardchannels", "pubsub|shardnumsub", "pubsub|help"),
    ("COMMAND", "GETKEYS", "SPUBLISH", "ch", "msg"),
    ("COMMAND", "GETKEYS", "SSUBSCRIBE", "a", "b"),
    ("PUBSUB", "HELP"),
    ("PUBSUB", "CHANNELS", "a", "b"),
    ("PUBSUB", "NUMPAT", "x"),
    ("PUBSUB", "nope"),
    ("PUBSUB",),
    ("PUBLISH", "a"),
    ("SUBSCRIBE",),
    ("PSUBSCRIBE",),
    ("SSUBSCRIBE",),
    ("SPUBLISH", "a", "b", "c"),
    ("HELLO", "3"),
    ("PUBSUB", "NUMSUB", "a"),
    ("PUBSUB", "HELP"),
    ("UNSUBSCRIBE",),
    ("SUNSUBSCRIBE", "zz"),
]


def test_replies_match_redis(ember_factory, ref_factory):
    ember, redis = ember_factory(), ref_factory()
    ember.skip_unless_commands("SUBSCRIBE", "PUBSUB", "SSUBSCRIBE")
    ce, cr = ember.raw(), redis.raw()
    for step in DIFF_STEPS:
        e, r = ce.call(*step), cr.call(*step)
        if step[0] == "HELLO":  # the client ids differ
            assert e.kind == r.kind == "map"
            continue
        assert e == r, step
    # The container, its subcommands sorted (Redis lists them in hash-table order).
    def container(c):
        info = c.call("COMMAND", "INFO", "pubsub").value[0].value
        return info[:9] + (sort_reply(info[9]),) + info[10:]
    assert container(ce) == container(cr)
