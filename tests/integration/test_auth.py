"""requirepass / AUTH / HELLO AUTH behaviour."""

import pytest
import redis

from harness.resp import B, I, S, Reply

PASS = "s3cret pass"  # contains a space on purpose
NOAUTH = Reply("error", "NOAUTH Authentication required.")
WRONGPASS = Reply("error", "WRONGPASS invalid username-password pair or user is disabled.")
HELLO_NOAUTH = Reply("error", "NOAUTH HELLO must be called with the client already authenticated, "
                              "otherwise the HELLO AUTH <user> <pass> option can be used to "
                              "authenticate the client and select the RESP protocol version at the same time")


@pytest.fixture
def secured(ember_factory):
    return ember_factory(args=["--requirepass", PASS])


def test_noauth_before_auth(secured):
    c = secured.raw()
    assert c.call("GET", "x") == NOAUTH
    assert c.call("PING") == NOAUTH
    assert c.call("SET", "x", "1") == NOAUTH
    assert c.call("NOSUCHCMD").kind == "error"
    # the connection stays usable
    assert c.call("AUTH", PASS) == S("OK")
    assert c.call("PING") == S("PONG")


def test_auth_wrong_password(secured):
    c = secured.raw()
    assert c.call("AUTH", "wrong") == WRONGPASS
    assert c.call("AUTH", "default", "wrong") == WRONGPASS
    assert c.call("AUTH", "nosuchuser", PASS) == WRONGPASS
    assert c.call("GET", "x") == NOAUTH


def test_auth_ok(secured):
    c = secured.raw()
    assert c.call("AUTH", PASS) == S("OK")
    assert c.call("SET", "x", "1") == S("OK")
    assert c.call("GET", "x") == B("1")


def test_auth_default_user(secured):
    c = secured.raw()
    assert c.call("AUTH", "default", PASS) == S("OK")
    assert c.call("INCR", "n") == I(1)


def test_auth_syntax_error(secured):
    c = secured.raw()
    assert c.call("AUTH", "a", "b", "c") == Reply("error", "ERR syntax error")
    assert c.call("AUTH") == Reply("error", "ERR wrong number of arguments for 'auth' command")


def test_hello_requires_auth(secured):
    c = secured.raw()
    assert c.call("HELLO", "3") == HELLO_NOAUTH
    assert c.call("HELLO") == HELLO_NOAUTH
    assert c.call("HELLO", "3", "AUTH", "default", "wrong") == WRONGPASS
    assert c.call("GET", "x") == NOAUTH


def test_hello3_auth_default(secured):
    c = secured.raw()
    r = c.call("HELLO", "3", "AUTH", "default", PASS)
    assert r.kind == "map"
    fields = {k.value: v for k, v in r.value}
    assert fields[b"proto"] == I(3)
    assert c.call("GET", "x") == Reply("null", None)  # authenticated and in RESP3


def test_hello2_auth_setname(secured):
    c = secured.raw()
    r = c.call("HELLO", "2", "AUTH", "default", PASS, "SETNAME", "me")
    assert r.kind == "array" and r.value[4:6] == (B("proto"), I(2))
    assert c.call("CLIENT", "GETNAME") == B("me")


def test_auth_is_per_connection(secured):
    a = secured.raw()
    b = secured.raw()
    assert a.call("AUTH", PASS) == S("OK")
    assert b.call("GET", "x") == NOAUTH


def test_redis_py_with_password(secured):
    r = secured.client(password=PASS, decode_responses=True)
    assert r.set("k", "v")
    assert r.get("k") == "v"
    bad = secured.client(password="nope")
    with pytest.raises(redis.RedisError, match="WRONGPASS"):
        bad.ping()
    anon = secured.client()
    with pytest.raises(redis.RedisError, match="Authentication required"):
        anon.get("k")


def test_auth_without_requirepass(ember):
    c = ember.raw()
    assert c.call("AUTH", "x") == Reply(
        "error", "ERR AUTH <password> called without any password configured for the default user. "
                 "Are you sure your configuration is correct?")
    # the default user has 'nopass': any password is accepted for it
    assert c.call("AUTH", "default", "anything") == S("OK")


def test_config_set_requirepass(ember):
    c = ember.raw()
    assert c.call("CONFIG", "SET", "requirepass", "newpass") == S("OK")
    other = ember.raw()
    assert other.call("GET", "x") == NOAUTH
    assert other.call("AUTH", "newpass") == S("OK")
    assert other.call("CONFIG", "SET", "requirepass", "") == S("OK")
    assert ember.raw().call("PING") == S("PONG")
