"""Wire-protocol behaviour at the byte level (request parsing, error texts, connection closing)."""

import time

import pytest

from harness.resp import B, I, S, Reply, encode_command


def _expect_error_then_close(srv, data: bytes, expected: bytes, prefix: bytes = b""):
    c = srv.raw(timeout=5)
    c.send_raw(data)
    out = c.read_until_closed(timeout=5)
    assert out == prefix + expected
    # the server is still healthy for other clients
    assert srv.raw().call("PING") == S("PONG")


# --------------------------------------------------------------------------- framing

def test_command_split_at_every_byte_boundary(ember):
    c = ember.raw()
    cmd = encode_command("SET", "key", "value-with-\r\n-inside")
    for i in range(1, len(cmd)):
        c.send_raw(cmd[:i])
        time.sleep(0.002)  # let the server see the partial request
        c.send_raw(cmd[i:])
        assert c.read_reply() == S("OK"), f"split at byte {i}"
    get = encode_command("GET", "key")
    for i in range(1, len(get)):
        c.send_raw(get[:i])
        time.sleep(0.002)
        c.send_raw(get[i:])
        assert c.read_reply() == B("value-with-\r\n-inside"), f"split at byte {i}"


def test_inline_command_split_at_every_byte_boundary(ember):
    c = ember.raw()
    cmd = b'SET k "a b"\r\n'
    for i in range(1, len(cmd)):
        c.send_raw(cmd[:i])
        time.sleep(0.002)
        c.send_raw(cmd[i:])
        assert c.read_reply() == S("OK"), f"split at byte {i}"
    assert c.call("GET", "k") == B("a b")


def test_byte_at_a_time_pipeline(ember):
    c = ember.raw()
    data = encode_command("SET", "a", "1") + b"INCR a\r\n" + encode_command("GET", "a") + b"PING\n"
    for i in range(len(data)):
        c.send_raw(data[i:i + 1])
        if i % 4 == 0:
            time.sleep(0.001)
    assert c.read_replies(4) == [S("OK"), I(2), B("2"), S("PONG")]


def test_pipelined_mixed_inline_and_multibulk(ember):
    c = ember.raw()
    c.send_raw(b"PING\r\n" + encode_command("ECHO", "x") + b"ECHO y\r\n\r\n" + encode_command("PING"))
    assert c.read_replies(4) == [S("PONG"), B("x"), B("y"), S("PONG")]


def test_empty_bulk_argument(ember):
    c = ember.raw()
    assert c.call_raw(b"*2\r\n$4\r\nECHO\r\n$0\r\n\r\n") == B("")
    assert c.call("SET", "", "") == S("OK")
    assert c.call("GET", "") == B("")


def test_zero_and_negative_multibulk_count_are_ignored(ember):
    c = ember.raw()
    c.send_raw(b"*0\r\n*-1\r\nPING\r\n")
    assert c.read_reply() == S("PONG")
    c.assert_no_data(0.1)


# --------------------------------------------------------------------------- inline commands

def test_inline_basic(ember):
    c = ember.raw()
    assert c.call_raw(b"PING\r\n") == S("PONG")
    assert c.call_raw(b"PING\n") == S("PONG")  # bare LF is accepted for inline
    assert c.call_raw(b"set foo bar\r\n") == S("OK")
    assert c.call_raw(b"get foo\r\n") == B("bar")
    assert c.call_raw(b"  echo    spaced   \r\n") == B("spaced")


def test_inline_empty_lines_ignored(ember):
    c = ember.raw()
    c.send_raw(b"\r\n\r\n\n   \r\nPING\r\n")
    assert c.read_reply() == S("PONG")
    c.assert_no_data(0.1)


def test_inline_quoting(ember):
    c = ember.raw()
    assert c.call_raw(b'SET k "hello world"\r\n') == S("OK")
    assert c.call_raw(b"GET k\r\n") == B("hello world")
    assert c.call_raw(b'ECHO "\\x41\\n\\t\\"q\\""\r\n') == B(b'A\n\t"q"')
    assert c.call_raw(b"ECHO 'a\\'b'\r\n") == B("a'b")
    assert c.call_raw(b"ECHO 'no \\n escape'\r\n") == B("no \\n escape")
    assert c.call_raw(b'ECHO ""\r\n') == B("")


def test_inline_errors(ember):
    c = ember.raw()
    assert c.call_raw(b"GET\r\n") == Reply("error", "ERR wrong number of arguments for 'get' command")
    assert c.call_raw(b"foo bar baz\r\n") == Reply(
        "error", "ERR unknown command 'foo', with args beginning with: 'bar' 'baz' ")
    assert c.call_raw(b'""\r\n') == Reply("error", "ERR unknown command '', with args beginning with: ")
    assert c.call("PING") == S("PONG")


# --------------------------------------------------------------------------- protocol errors

@pytest.mark.parametrize("data,expected", [
    (b"*abc\r\n", b"-ERR Protocol error: invalid multibulk length\r\n"),
    (b"*\r\n", b"-ERR Protocol error: invalid multibulk length\r\n"),
    (b"*3000000000\r\n", b"-ERR Protocol error: invalid multibulk length\r\n"),
    (b"*1\r\nx\r\n", b"-ERR Protocol error: expected '$', got 'x'\r\n"),
    (b"*1\r\n:4\r\n", b"-ERR Protocol error: expected '$', got ':'\r\n"),
    (b"*1\r\n$abc\r\n", b"-ERR Protocol error: invalid bulk length\r\n"),
    (b"*1\r\n$\r\n", b"-ERR Protocol error: invalid bulk length\r\n"),
    (b"*1\r\n$-1\r\n", b"-ERR Protocol error: invalid bulk length\r\n"),
    (b"*1\r\n$536870913\r\n", b"-ERR Protocol error: invalid bulk length\r\n"),
    (b'set "a b\r\n', b"-ERR Protocol error: unbalanced quotes in request\r\n"),
    (b'set "a"b c\r\n', b"-ERR Protocol error: unbalanced quotes in request\r\n"),
    (b"'unbalanced\n", b"-ERR Protocol error: unbalanced quotes in request\r\n"),
], ids=lambda v: repr(v)[:40])
def test_protocol_error_then_close(ember, data, expected):
    _expect_error_then_close(ember, data, expected)


def test_protocol_error_after_valid_command(ember):
    _expect_error_then_close(ember, encode_command("PING") + b"*1\r\nx\r\n",
                             b"-ERR Protocol error: expected '$', got 'x'\r\n", prefix=b"+PONG\r\n")


def test_too_big_inline_request(ember):
    _expect_error_then_close(ember, b"x" * (70 * 1024),
                             b"-ERR Protocol error: too big inline request\r\n")


def test_too_big_mbulk_count_string(ember):
    _expect_error_then_close(ember, b"*" + b"1" * (70 * 1024),
                             b"-ERR Protocol error: too big mbulk count string\r\n")


def test_too_big_bulk_count_string(ember):
    _expect_error_then_close(ember, b"*1\r\n$" + b"1" * (70 * 1024),
                             b"-ERR Protocol error: too big bulk count string\r\n")


def test_incomplete_request_waits(ember):
    """A partial request is neither answered nor rejected."""
    c = ember.raw()
    c.send_raw(b"*2\r\n$4\r\nECHO\r\n$5\r\nhel")
    c.assert_no_data(0.2)
    c.send_raw(b"lo\r\n")
    assert c.read_reply() == B("hello")


def test_unknown_command_errors(ember):
    c = ember.raw()
    assert c.call("NOSUCHCMD") == Reply("error", "ERR unknown command 'NOSUCHCMD', with args beginning with: ")
    assert c.call("nosuch", "a", "b") == Reply(
        "error", "ERR unknown command 'nosuch', with args beginning with: 'a' 'b' ")
    long_name = "a" * 200
    r = c.call(long_name)
    assert r == Reply("error", f"ERR unknown command '{'a' * 128}', with args beginning with: ")


def test_wrong_arity(ember):
    c = ember.raw()
    assert c.call("GET") == Reply("error", "ERR wrong number of arguments for 'get' command")
    assert c.call("get", "a", "b") == Reply("error", "ERR wrong number of arguments for 'get' command")
    assert c.call("SET", "a") == Reply("error", "ERR wrong number of arguments for 'set' command")
    assert c.call("Ping", "a", "b") == Reply("error", "ERR wrong number of arguments for 'ping' command")


def test_quit_closes_connection(ember):
    c = ember.raw()
    c.send_command("QUIT")
    assert c.read_until_closed(5) == b"+OK\r\n"
