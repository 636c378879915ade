"""Start/stop a Redis-compatible server binary (Ember or real redis-server) for tests.

    srv = ServerProcess(binary, args=["--requirepass", "x"], config="databases 4\n")
    srv.start()
    r = srv.client(decode_responses=True)
    ...
    srv.stop()

Every process is tracked in a module-level registry and SIGKILLed at interpreter exit,
so nothing leaks even if a fixture's teardown never runs.
"""

from __future__ import annotations

import atexit
import os
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

from .resp import ConnectionClosed, RespClient, RespError
from .util import free_port, listening_ports, pid_alive, process_tree, wait_for

REPO_ROOT = Path(__file__).resolve().parents[2]

_LIVE: dict[int, "ServerProcess"] = {}


def _kill_all_at_exit() -> None:
    for srv in list(_LIVE.values()):
        try:
            srv.kill()
        except Exception:  # noqa: BLE001
            pass


atexit.register(_kill_all_at_exit)


def ember_binary() -> str | None:
    """Path of the server under test: $EMBER_SERVER, else build/ember-server if it exists."""
    env = os.environ.get("EMBER_SERVER")
    if env:
        return os.path.abspath(env)  # servers run in their own directories
    p = REPO_ROOT / "build" / "ember-server"
    return str(p) if p.exists() else None


def redis_binary() -> str | None:
    """Path of the reference redis-server: $REDIS_SERVER, else redis-server on PATH."""
    return os.environ.get("REDIS_SERVER") or shutil.which("redis-server") or (
        "/usr/bin/redis-server" if os.path.exists("/usr/bin/redis-server") else None)


def redis_py_supports_resp3() -> bool:
    import redis
    try:
        major = int(redis.__version__.split(".")[0])
    except ValueError:
        return False
    return major >= 5


class ServerStartError(RuntimeError):
    pass


class ServerProcess:
    """One server process in its own temporary directory, bound to 127.0.0.1 on a free port."""

    def __init__(self, binary: str, args: list[str] | None = None, config: str | None = None,
                 config_file: str | None = None, port: int | None = None,
                 defaults: bool = True, startup_timeout: float = 10.0, name: str = "server",
                 tmp_root: str | None = None, wait_ready: bool = True):
        """
        binary:      server executable.
        args:        extra command-line arguments (appended after the defaults, so they win).
        config:      text of a config file written to <dir>/server.conf and passed first.
        config_file: path of an existing config file passed first (instead of `config`).
        port:        fixed port (default: a free one; retried on collision).
        defaults:    pass --port/--bind/--dir/--logfile/--save ""/--appendonly no.
        wait_ready:  on start(), wait until the server answers on its port.
        """
        self.binary = binary
        self.extra_args = list(args or [])
        self.config_text = config
        self.config_file = config_file
        self.fixed_port = port
        self.defaults = defaults
        self.startup_timeout = startup_timeout
        self.name = name
        self.wait_ready = wait_ready
        root = tmp_root or os.environ.get("EMBER_TEST_TMPDIR") or None
        if root:
            os.makedirs(root, exist_ok=True)
        self.dir = Path(tempfile.mkdtemp(prefix=f"{name}-", dir=root))
        self.logfile = self.dir / "server.log"
        self.port: int | None = None
        self.proc: subprocess.Popen | None = None
        self.pid: int | None = None  # the serving process (differs from proc.pid when daemonized)
        self.returncode: int | None = None
        self._clients: list = []
        self.password: str | None = None  # used by stop(); taken from --requirepass if given
        self.daemonize = False
        for i, a in enumerate(self.extra_args[:-1]):
            if a == "--requirepass":
                self.password = self.extra_args[i + 1]
            if a == "--daemonize":
                self.daemonize = self.extra_args[i + 1].lower() == "yes"

    # ------------------------------------------------------------------ info
    @property
    def is_redis(self) -> bool:
        return "redis" in os.path.basename(self.binary)

    def __repr__(self) -> str:
        return f"<ServerProcess {self.name} {self.binary} port={self.port} pid={self.pid}>"

    def argv(self) -> list[str]:
        argv = [self.binary]
        if self.config_text is not None:
            argv.append(str(self.dir / "server.conf"))  # written by _start_once()
        elif self.config_file is not None:
            argv.append(self.config_file)
        if self.defaults:
            argv += ["--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(self.dir),
                     "--logfile", str(self.logfile), "--save", "", "--appendonly", "no"]
        argv += self.extra_args
        return argv

    def log_text(self) -> str:
        try:
            return self.logfile.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def stdout_text(self) -> str:
        try:
            return (self.dir / "stdout.txt").read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def stderr_text(self) -> str:
        try:
            return (self.dir / "stderr.txt").read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def diagnostics(self, tail: int = 40) -> str:
        out = [f"{self!r} argv={self.argv()!r} returncode={self.returncode}"]
        for label, text in (("log", self.log_text()), ("stdout", self.stdout_text()),
                            ("stderr", self.stderr_text())):
            if text.strip():
                lines = text.rstrip("\n").splitlines()[-tail:]
                out.append(f"--- {label} (last {len(lines)} lines) ---")
                out.extend(lines)
        return "\n".join(out)

    # ------------------------------------------------------------------ lifecycle
    def start(self) -> "ServerProcess":
        attempts = 1 if self.fixed_port else 5
        last_err = None
        for _ in range(attempts):
            self.port = self.fixed_port or free_port()
            try:
                self._start_once()
                return self
            except ServerStartError as e:
                last_err = e
                self.kill()
                text = self.log_text() + self.stderr_text()
                if "in use" not in text and "Address already" not in text:
                    break
        raise last_err  # type: ignore[misc]

    def _start_once(self) -> None:
        self.returncode = None
        if self.logfile.exists():
            self.logfile.unlink()
        if self.config_text is not None:
            (self.dir / "server.conf").write_text(self.config_text)
        stdout = open(self.dir / "stdout.txt", "wb")
        stderr = open(self.dir / "stderr.txt", "wb")
        try:
            self.proc = subprocess.Popen(self.argv(), cwd=self.dir, stdin=subprocess.DEVNULL,
                                         stdout=stdout, stderr=stderr, start_new_session=True)
        finally:
            stdout.close()
            stderr.close()
        self.pid = self.proc.pid
        _LIVE[id(self)] = self
        if self.wait_ready:
            self.wait_until_ready(self.startup_timeout)

    def _daemon_pid(self) -> int | None:
        """When the server daemonized, the pid written to its pidfile (if any)."""
        for i, a in enumerate(self.extra_args):
            if a == "--pidfile" and i + 1 < len(self.extra_args):
                try:
                    return int(Path(self.extra_args[i + 1]).read_text().strip())
                except (OSError, ValueError):
                    return None
        return None

    def wait_until_ready(self, timeout: float = 10.0) -> None:
        deadline = time.monotonic() + timeout
        while True:
            if self.daemonize and self.proc is not None and self.pid == self.proc.pid \
                    and self.proc.poll() is None:
                # The launcher has not exited yet. Its forked child may already be listening (and
                # is still in our process tree), but the serving pid is only known from the
                # pidfile once the launcher is gone: don't report ready (with the wrong pid) yet.
                if time.monotonic() >= deadline:
                    raise ServerStartError(f"server not ready after {timeout}s: daemonizing launcher still running\n"
                                           + self.diagnostics())
                time.sleep(0.01)
                continue
            if self.proc is not None and self.proc.poll() is not None and self.pid == self.proc.pid:
                rc = self.proc.returncode
                dpid = self._daemon_pid() if rc == 0 else None
                if dpid and pid_alive(dpid):
                    self.pid = dpid  # daemonized: follow the child
                elif rc == 0 and self.daemonize and time.monotonic() < deadline:
                    time.sleep(0.01)  # parent exited; the child has not written its pidfile yet
                    continue
                else:
                    self.returncode = rc
                    raise ServerStartError(f"server exited with code {rc} during startup\n"
                                           + self.diagnostics())
            if self.pid is not None and self.pid != (self.proc.pid if self.proc else None) \
                    and not pid_alive(self.pid):
                raise ServerStartError("daemonized server died during startup\n" + self.diagnostics())
            # Make sure it is *our* process listening on the port, not someone else's.
            if self._owns_port() and self._ping_ok():
                return
            if time.monotonic() >= deadline:
                raise ServerStartError(f"server not ready after {timeout}s\n" + self.diagnostics())
            time.sleep(0.01)

    def _owns_port(self) -> bool:
        """Our process (or a child of it, e.g. behind a wrapper script) listens on self.port."""
        return any(self.port in listening_ports(p) for p in process_tree(self.pid))

    def _ping_ok(self) -> bool:
        try:
            with RespClient(port=self.port, timeout=2.0, connect_timeout=1.0) as c:
                r = c.call("PING")
        except (OSError, RespError):
            return False
        # -NOAUTH (requirepass) still proves the server is serving; -LOADING does not.
        return r.kind == "simple" or (r.kind == "error" and r.value.startswith("NOAUTH"))

    def alive(self) -> bool:
        return self.pid is not None and pid_alive(self.pid)

    def _close_clients(self) -> None:
        for c in self._clients:
            try:
                c.close()
            except Exception:  # noqa: BLE001
                pass
        self._clients.clear()

    def _wait_exit(self, timeout: float) -> bool:
        if self.proc is not None and self.pid == self.proc.pid:
            try:
                self.returncode = self.proc.wait(timeout=timeout)
                return True
            except subprocess.TimeoutExpired:
                return False
        if self.pid is None:
            return True
        try:
            wait_for(lambda: not pid_alive(self.pid), timeout=timeout, interval=0.01)
            return True
        except AssertionError:
            return False

    def stop(self, timeout: float = 5.0, password: str | None = None) -> int | None:
        """SHUTDOWN NOSAVE, then SIGTERM, then SIGKILL. Returns the exit code when known."""
        self._close_clients()
        if self.pid is None:
            return self.returncode
        if self.alive():
            shutdown_sent = False
            try:
                with RespClient(port=self.port, timeout=2.0, connect_timeout=1.0) as c:
                    password = password if password is not None else self.password
                    if password is not None:
                        c.call("AUTH", password)
                    c.send_command("SHUTDOWN", "NOSAVE")
                    shutdown_sent = True
                    r = c.read_reply(2.0)
                    # Any reply means SHUTDOWN was refused (e.g. NOAUTH): go straight to SIGTERM.
                    shutdown_sent = r is None
            except ConnectionClosed:
                pass  # expected: the server closed the connection while exiting
            except (OSError, RespError, TimeoutError):
                pass
            if not (shutdown_sent and self._wait_exit(timeout)):
                self._signal(signal.SIGTERM)
                if not self._wait_exit(timeout):
                    self._signal(signal.SIGKILL)
                    self._wait_exit(timeout)
        else:
            self._wait_exit(0.5)
        _LIVE.pop(id(self), None)
        return self.returncode

    def _signal(self, sig) -> None:
        if self.pid is not None:
            try:
                os.kill(self.pid, sig)
            except ProcessLookupError:
                pass

    def kill(self) -> None:
        """SIGKILL immediately (no graceful shutdown)."""
        self._close_clients()
        if self.pid is not None and self.alive():
            self._signal(signal.SIGKILL)
        self._wait_exit(5.0)
        if self.proc is not None:
            try:  # anything left in the process group we created (e.g. children of a wrapper)
                os.killpg(self.proc.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        if self.proc is not None and self.proc.poll() is None:
            try:
                self.proc.kill()
                self.proc.wait(5.0)
            except (OSError, subprocess.TimeoutExpired):
                pass
        _LIVE.pop(id(self), None)

    def cleanup(self) -> None:
        """Stop if needed and remove the temp dir."""
        try:
            self.stop()
        finally:
            if self.alive():
                self.kill()
            shutil.rmtree(self.dir, ignore_errors=True)

    def restart(self) -> "ServerProcess":
        self.stop()
        return self.start()

    # ------------------------------------------------------------------ clients
    def client(self, decode_responses: bool = False, protocol: int | None = None, **kw):
        """A redis.Redis connected to this server (closed automatically at stop())."""
        import redis
        if protocol not in (None, 2):
            if not redis_py_supports_resp3():
                import pytest
                pytest.skip(f"redis-py {redis.__version__} has no RESP3 support "
                            "(use the raw client: srv.raw())")
            kw["protocol"] = protocol
        kw.setdefault("socket_timeout", 10)
        kw.setdefault("socket_connect_timeout", 5)
        c = redis.Redis(host="127.0.0.1", port=self.port, decode_responses=decode_responses, **kw)
        self._clients.append(c)
        return c

    def missing_commands(self, *names: str) -> list[str]:
        """The subset of `names` (upper-cased) this server does not implement, asked through
        `COMMAND INFO name...` (a null entry means unknown; "object|encoding" style container
        subcommands work too). If COMMAND INFO itself fails, nothing is reported missing, so the
        caller's test runs and shows the real error instead of being silently skipped."""
        if not names:
            return []
        with RespClient(port=self.port, timeout=10.0) as c:
            if self.password is not None:
                c.call("AUTH", self.password)
            r = c.call("COMMAND", "INFO", *names)
        if r.kind != "array" or len(r.value) != len(names):
            return []
        return [n.upper() for n, info in zip(names, r.value) if info.is_null]

    def skip_unless_commands(self, *names: str) -> None:
        """pytest.skip() the calling test when any of `names` is not implemented by this server."""
        missing = self.missing_commands(*names)
        if missing:
            import pytest
            pytest.skip(f"needs {', '.join(missing)}: not implemented yet")

    def raw(self, timeout: float = 10.0) -> RespClient:
        """A raw socket-level RESP client (closed automatically at stop())."""
        c = RespClient(port=self.port, timeout=timeout)
        self._clients.append(c)
        return c
