"""Shared pytest fixtures for tests/integration and tests/compat.

Fixtures
  ember          a fresh server under test ($EMBER_SERVER, default build/ember-server) per test
  redis_ref      a fresh real redis-server per test (skipped when not installed)
  ember_factory  callable(**ServerProcess kwargs) -> started server under test; all cleaned up
  ref_factory    same for the real redis-server
  ember_binary / redis_binary   paths (skip when missing)

Run the suites against real Redis to check that the tests assert Redis's behaviour:
  EMBER_SERVER=/usr/bin/redis-server /usr/bin/python3 -m pytest tests/integration tests/compat
"""

from __future__ import annotations

import os
import sys

import pytest

_TESTS_DIR = os.path.dirname(os.path.abspath(__file__))
if _TESTS_DIR not in sys.path:
    sys.path.insert(0, _TESTS_DIR)

from harness.server import ServerProcess, ServerStartError, ember_binary as _ember_binary, redis_binary as _redis_binary  # noqa: E402


def pytest_configure(config):
    # Also registered in pytest.ini; repeated here so running from another rootdir still works.
    config.addinivalue_line("markers", "slow: test takes more than a couple of seconds")
    config.addinivalue_line("markers", "needs_ref: test needs a real redis-server binary")
    env = os.environ.get("EMBER_SERVER")
    if env and not os.access(env, os.X_OK):
        # An explicitly requested binary that is missing is an error, not a reason to skip everything.
        raise pytest.UsageError(f"EMBER_SERVER={env!r} is not an executable file")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    setattr(item, "rep_" + rep.when, rep)


def _failed(request) -> bool:
    rep = getattr(request.node, "rep_call", None)
    return rep is None or rep.failed


def _report_and_cleanup(request, servers):
    failed = _failed(request)
    for srv in servers:
        try:
            srv.stop()
        except Exception as e:  # noqa: BLE001
            sys.stderr.write(f"error stopping {srv!r}: {e!r}\n")
        if failed:
            sys.stderr.write("\n" + srv.diagnostics() + "\n")
        srv.cleanup()


@pytest.fixture(scope="session")
def ember_binary():
    b = _ember_binary()
    if not b or not os.path.exists(b):
        pytest.skip(f"server under test not found (EMBER_SERVER={os.environ.get('EMBER_SERVER')!r}, "
                    "no build/ember-server)")
    return b


@pytest.fixture(scope="session")
def redis_binary():
    b = _redis_binary()
    if not b or not os.path.exists(b):
        pytest.skip("real redis-server not installed")
    return b


# Startup hangs cost the full startup timeout each; after a few, fail fast instead of
# spending 10 s on every remaining test.
_STARTUP_TIMEOUTS: dict[str, int] = {}
_MAX_STARTUP_TIMEOUTS = 3


def _factory(request, binary, name):
    servers = []

    def make(*, start=True, **kw) -> ServerProcess:
        kw.setdefault("name", name)
        srv = ServerProcess(binary, **kw)
        servers.append(srv)
        if start:
            if _STARTUP_TIMEOUTS.get(binary, 0) >= _MAX_STARTUP_TIMEOUTS:
                pytest.fail(f"{binary} hung at startup {_MAX_STARTUP_TIMEOUTS} times already; "
                            "not trying again", pytrace=False)
            try:
                srv.start()
            except ServerStartError as e:
                if "not ready after" in str(e):
                    _STARTUP_TIMEOUTS[binary] = _STARTUP_TIMEOUTS.get(binary, 0) + 1
                raise
        return srv

    yield make
    _report_and_cleanup(request, servers)


@pytest.fixture
def ember_factory(request, ember_binary):
    yield from _factory(request, ember_binary, "ember")


@pytest.fixture
def ref_factory(request, redis_binary):
    yield from _factory(request, redis_binary, "redis")


@pytest.fixture
def ember(ember_factory) -> ServerProcess:
    """A fresh server under test for this test (startup is ~10-50 ms)."""
    return ember_factory()


@pytest.fixture
def redis_ref(ref_factory) -> ServerProcess:
    """A fresh real redis-server for this test."""
    return ref_factory()
