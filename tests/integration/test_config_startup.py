"""Startup: config files, command-line overrides, fatal config errors, --help/--version,
daemonize + pidfile, logfile, SHUTDOWN / SIGTERM."""

import os
import re
import signal
import subprocess

import pytest

from harness.resp import A, B, S, Reply
from harness.util import free_port, pid_alive, port_is_open, wait_for


def _config_get(c, name):
    r = c.call("CONFIG", "GET", name)
    assert r.kind == "array" and len(r.value) == 2, r
    return r.value[1].value.decode()


def _run(argv, timeout=10, **kw):
    return subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, timeout=timeout, **kw)


# --------------------------------------------------------------------------- config files

def test_config_file_include_quoting_and_cmdline_override(ember_factory, tmp_path):
    file_port = free_port()
    extra = tmp_path / "extra.conf"
    extra.write_text("databases 4\n"
                     "maxmemory-policy 'allkeys-lru'\n")
    main_conf = (
        "# a comment line\n"
        "\n"
        f"port {file_port}\n"
        "databases 16\n"
        f"include {extra}\n"               # later directives override earlier ones
        '   requirepass "pa ss\\x41"   \n'   # quoting with an escape, surrounding blanks
        "maxmemory 1mb\n"
        "hz 20\n"
    )
    srv = ember_factory(config=main_conf, args=["--maxmemory", "2mb"])
    srv.password = "pa ssA"  # for a clean SHUTDOWN at teardown

    # --port on the command line (added by the harness) overrides `port` from the file
    assert srv.port != file_port
    assert not port_is_open(file_port)

    c = srv.raw()
    assert c.call("PING") == Reply("error", "NOAUTH Authentication required.")
    assert c.call("AUTH", "pa ssA") == S("OK")
    assert _config_get(c, "databases") == "4"
    assert c.call("SELECT", "3") == S("OK")
    assert c.call("SELECT", "4") == Reply("error", "ERR DB index is out of range")
    assert _config_get(c, "maxmemory-policy") == "allkeys-lru"
    assert _config_get(c, "maxmemory") == str(2 * 1024 * 1024)  # command line wins
    assert _config_get(c, "hz") == "20"
    assert _config_get(c, "port") == str(srv.port)


def test_last_directive_wins(ember_factory):
    srv = ember_factory(config="hz 15\nhz 25\n")
    assert _config_get(srv.raw(), "hz") == "25"


def test_cmdline_only_directives(ember_factory):
    srv = ember_factory(args=["--databases", "2", "--hz", "30"])
    c = srv.raw()
    assert _config_get(c, "databases") == "2"
    assert _config_get(c, "hz") == "30"
    assert c.call("SELECT", "2") == Reply("error", "ERR DB index is out of range")


def test_rename_command(ember_factory):
    srv = ember_factory(config="rename-command get myget\nrename-command flushall \"\"\n")
    c = srv.raw()
    assert c.call("SET", "k", "v") == Reply("simple", "OK")
    assert c.call("GET", "k").kind == "error"
    assert c.call("MYGET", "k") == Reply("bulk", b"v")
    assert c.call("FLUSHALL").kind == "error"


@pytest.mark.parametrize("kind", ["ember", "redis"])
def test_renamed_container_keeps_its_subcommands(kind, ember_factory, ref_factory):
    conf = "rename-command config myconfig\n"
    srv = ember_factory(config=conf) if kind == "ember" else ref_factory(config=conf)
    c = srv.raw()
    assert c.call("MYCONFIG", "GET", "maxmemory") == A(B("maxmemory"), B("0"))
    assert c.call("myconfig", "set", "hz", "20") == Reply("simple", "OK")
    assert c.call("CONFIG", "GET", "hz").kind == "error"
    assert c.call("MYCONFIG", "NOSUCH").value.startswith("ERR unknown subcommand 'NOSUCH'")


FATAL = "*** FATAL CONFIG FILE ERROR"


@pytest.mark.parametrize("lines,bad_line,message", [
    (["port 0", "# comment", "bogus-directive yes"], 3, "Bad directive or wrong number of arguments"),
    (["hz 10", "maxmemory"], 2, "wrong number of arguments"),
    (['databases "4'], 1, "Unbalanced quotes in configuration line"),
    (["rename-command nosuchcommand other"], 1, "No such command in rename-command"),
    (["rename-command get set"], 1, "Target command name already exists"),
])
def test_bad_config_is_fatal(ember_binary, tmp_path, lines, bad_line, message):
    conf = tmp_path / "bad.conf"
    conf.write_text("\n".join(lines) + "\n")
    p = _run([ember_binary, str(conf), "--port", str(free_port()), "--bind", "127.0.0.1",
              "--save", "", "--dir", str(tmp_path)], cwd=tmp_path)
    err = p.stderr.decode(errors="replace")
    assert p.returncode == 1, (p.returncode, err, p.stdout)
    assert FATAL in err
    assert f"at line {bad_line}" in err
    assert f">>> '{lines[bad_line - 1]}'" in err
    assert message in err


def test_bad_cmdline_directive_is_fatal(ember_binary, tmp_path):
    p = _run([ember_binary, "--port", str(free_port()), "--bogus-directive", "1"], cwd=tmp_path)
    assert p.returncode == 1
    err = p.stderr.decode(errors="replace")
    assert FATAL in err
    assert "Bad directive or wrong number of arguments" in err


def test_missing_config_file_fails(ember_binary, tmp_path):
    p = _run([ember_binary, str(tmp_path / "does-not-exist.conf")], cwd=tmp_path)
    assert p.returncode == 1


# --------------------------------------------------------------------------- --help / --version

VERSION_RE = re.compile(r"^\S+ server v=\d+\.\d+\.\d+ sha=\S+ malloc=\S+ bits=(32|64) build=\S+\n?$")


@pytest.mark.parametrize("flag", ["--version", "-v"])
def test_version(ember_binary, flag, tmp_path):
    p = _run([ember_binary, flag], cwd=tmp_path)
    assert p.returncode == 0
    out = p.stdout.decode()
    assert VERSION_RE.match(out), out


@pytest.mark.parametrize("flag", ["--help", "-h"])
def test_help(ember_binary, flag, tmp_path):
    p = _run([ember_binary, flag], cwd=tmp_path)
    assert p.returncode == 1
    err = p.stderr.decode()
    assert err.startswith("Usage: ")
    assert "[options]" in err
    assert "--version" in err and "--help" in err
    assert "--port 7777" in err


# --------------------------------------------------------------------------- logfile / shutdown

def test_logfile_ready(ember):
    wait_for(lambda: "Ready to accept connections" in ember.log_text(), timeout=5,
             message="'Ready to accept connections' in the log")


def test_shutdown_nosave_stops_process(ember):
    c = ember.raw()
    c.send_command("SHUTDOWN", "NOSAVE")
    assert c.read_until_closed(timeout=10) == b""  # no reply: the connection just closes
    assert ember.proc.wait(timeout=10) == 0
    assert not port_is_open(ember.port)


def test_sigterm_exits_cleanly(ember):
    assert ember.raw().call("SET", "k", "v") == S("OK")
    os.kill(ember.pid, signal.SIGTERM)
    assert ember.proc.wait(timeout=10) == 0
    assert not port_is_open(ember.port)


def test_daemonize_pidfile(ember_factory, tmp_path):
    pidfile = tmp_path / "ember.pid"
    srv = ember_factory(args=["--daemonize", "yes", "--pidfile", str(pidfile)])
    # the launcher exits with status 0 and the server keeps running in the background
    assert srv.proc.wait(timeout=10) == 0
    assert pidfile.exists()
    pid = int(pidfile.read_text().strip())
    assert pid == srv.pid != srv.proc.pid
    assert pid_alive(pid)
    c = srv.raw()
    assert c.call("PING") == S("PONG")
    wait_for(lambda: "Ready to accept connections" in srv.log_text(), timeout=5)

    c.send_command("SHUTDOWN", "NOSAVE")
    c.read_until_closed(timeout=10)
    wait_for(lambda: not pid_alive(pid), timeout=10, message="daemon exit")
    wait_for(lambda: not pidfile.exists(), timeout=5, message="pidfile removal")


def test_config_set_port_and_bind_rebind(ember_factory, redis_ref):
    srv = ember_factory()
    c = srv.raw()
    # A port already taken fails with Redis's error and keeps the old listener.
    busy = c.call("CONFIG", "SET", "port", str(redis_ref.port))
    assert busy == Reply("error", "ERR CONFIG SET failed (possibly related to argument 'port') - "
                                  "Unable to listen on this port. Check server logs.")
    assert srv.raw().call("PING") == Reply("simple", "PONG")
    bad_bind = c.call("CONFIG", "SET", "bind", "192.0.2.123")
    assert bad_bind == Reply("error", "ERR CONFIG SET failed (possibly related to argument "
                                      "'bind') - Failed to bind to specified addresses.")
    assert srv.raw().call("PING") == Reply("simple", "PONG")
    new_port = free_port()
    assert c.call("CONFIG", "SET", "port", str(new_port)) == Reply("simple", "OK")
    srv.port = new_port
    assert srv.raw().call("CONFIG", "GET", "port").value[1] == Reply("bulk", str(new_port).encode())
