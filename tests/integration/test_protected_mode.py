"""Protected mode seen from a non-loopback client.

The server runs in a network namespace this test creates, linked by a veth pair to a second
namespace that plays the remote client (addresses from TEST-NET-1, 192.0.2.0/24, which exist
only inside these namespaces). Needs root and iproute2; skipped otherwise.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time

import pytest

from harness.server import ember_binary

SERVER_IP = "192.0.2.1"
CLIENT_IP = "192.0.2.2"
PORT = 6390


def _run(*argv: str, check: bool = True, timeout: float = 10) -> subprocess.CompletedProcess:
    return subprocess.run(argv, check=check, capture_output=True, text=True, timeout=timeout)


@pytest.fixture
def namespaces():
    if os.geteuid() != 0 or not shutil.which("ip") or not shutil.which("redis-cli"):
        pytest.skip("needs root, iproute2 and redis-cli")
    tag = f"{os.getpid() % 100000}"
    srv, cli = f"ember-srv-{tag}", f"ember-cli-{tag}"
    veth_srv, veth_cli = f"evs{tag}", f"evc{tag}"
    try:
        _run("ip", "netns", "add", srv)
        _run("ip", "netns", "add", cli)
    except subprocess.CalledProcessError as e:
        _run("ip", "netns", "del", srv, check=False)
        pytest.skip(f"cannot create network namespaces: {e.stderr.strip()}")
    try:
        _run("ip", "link", "add", veth_srv, "type", "veth", "peer", "name", veth_cli)
        _run("ip", "link", "set", veth_srv, "netns", srv)
        _run("ip", "link", "set", veth_cli, "netns", cli)
        for ns, dev, ip in ((srv, veth_srv, SERVER_IP), (cli, veth_cli, CLIENT_IP)):
            _run("ip", "-n", ns, "addr", "add", f"{ip}/24", "dev", dev)
            _run("ip", "-n", ns, "link", "set", dev, "up")
            _run("ip", "-n", ns, "link", "set", "lo", "up")
        yield srv, cli
    finally:
        _run("ip", "netns", "del", srv, check=False)
        _run("ip", "netns", "del", cli, check=False)


class NamespacedServer:
    def __init__(self, ns: str, *args: str):
        self.dir = tempfile.mkdtemp(prefix="ember-pm-")
        argv = ["ip", "netns", "exec", ns, ember_binary(), "--port", str(PORT),
                "--save", "", "--dir", self.dir, "--logfile", os.path.join(self.dir, "log"), *args]
        self.proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.ns = ns
        deadline = time.monotonic() + 10
        # Any reply (PONG, or NOAUTH with a password) means it is up.
        while not self.cli(ns, "127.0.0.1", "PING").startswith(("PONG", "NOAUTH")):
            if time.monotonic() > deadline or self.proc.poll() is not None:
                self.stop()
                raise AssertionError("server in namespace did not start")
            time.sleep(0.05)

    @staticmethod
    def cli(ns: str, host: str, *cmd: str) -> str:
        r = _run("ip", "netns", "exec", ns, "redis-cli", "-h", host, "-p", str(PORT), *cmd,
                 check=False, timeout=5)
        return (r.stdout + r.stderr).strip()

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=5)
        shutil.rmtree(self.dir, ignore_errors=True)


def test_remote_client_is_denied_without_password(namespaces):
    srv_ns, cli_ns = namespaces
    server = NamespacedServer(srv_ns)
    try:
        reply = NamespacedServer.cli(cli_ns, SERVER_IP, "PING")
        assert reply.startswith("DENIED Redis is running in protected mode"), reply
        assert NamespacedServer.cli(srv_ns, "127.0.0.1", "PING") == "PONG"
    finally:
        server.stop()


def test_remote_client_allowed_with_password_or_protected_mode_off(namespaces):
    srv_ns, cli_ns = namespaces
    server = NamespacedServer(srv_ns, "--requirepass", "pw")
    try:
        assert NamespacedServer.cli(cli_ns, SERVER_IP, "PING").startswith("NOAUTH")
        assert NamespacedServer.cli(cli_ns, SERVER_IP, "--no-auth-warning", "-a", "pw",
                                    "PING") == "PONG"
    finally:
        server.stop()
    server = NamespacedServer(srv_ns, "--protected-mode", "no")
    try:
        assert NamespacedServer.cli(cli_ns, SERVER_IP, "PING") == "PONG"
    finally:
        server.stop()
