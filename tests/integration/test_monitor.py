"""MONITOR streams commands with their client, and never shows secrets."""

from __future__ import annotations



def _read_lines(mon, count):
    lines = []
    while len(lines) < count:
        r = mon.read_reply(timeout=5)
        lines.append(r.value)
    return lines


def test_monitor_shows_commands_and_redacts_auth(ember_factory):
    srv = ember_factory(args=["--requirepass", "topsecret"])
    mon = srv.raw()
    mon.call("AUTH", "topsecret")
    assert mon.call("MONITOR").value == "OK"
    c = srv.raw()
    c.call("AUTH", "topsecret")
    c.call("SET", "k", "v with \"quotes\"")
    c.call("HELLO", "2", "AUTH", "default", "topsecret")
    lines = _read_lines(mon, 3)
    assert lines[0].endswith('"AUTH" "(redacted)"'), lines[0]
    assert lines[1].endswith('"SET" "k" "v with \\"quotes\\""'), lines[1]
    assert lines[2].endswith('"HELLO" "2" "AUTH" "(redacted)" "(redacted)"'), lines[2]
    assert all("topsecret" not in line for line in lines)
    assert "127.0.0.1:" in lines[1] and lines[1].startswith(tuple("0123456789"))
