"""Writer throttling (Ember's own, docs/replication.md): while a replica's buffer is more than
half of `client-output-buffer-limit replica`, writers are held up to `replica-throttle-max-delay`
ms per write, so a slow replica keeps up instead of being dropped into another full sync. With
`replica-throttle-writers no` the replica is dropped, as Redis does. Ember-only.
"""

from __future__ import annotations

import threading
import time

import pytest
import redis

from harness.replication import FakeReplica, REPL_ARGS, info_fields


class SlowReader:
    """A replica (by hand) that reads its stream at a fixed, slow rate and acknowledges it."""

    def __init__(self, master, bytes_per_tick: int = 32 * 1024, tick: float = 0.02):
        self.fake = FakeReplica(master, timeout=10)
        self.fake.handshake()
        self.fake.psync()
        self.fake.read_rdb()
        self.fake.ack()  # a diskless transfer: the stream starts on the first ACK
        self.stop = threading.Event()
        self.closed = False
        self.bytes_per_tick, self.tick = bytes_per_tick, tick
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        sock = self.fake.c.sock
        sock.settimeout(0.2)
        while not self.stop.is_set():
            try:
                data = sock.recv(self.bytes_per_tick)
            except TimeoutError:
                continue
            except OSError:
                self.closed = True
                return
            if not data:
                self.closed = True
                return
            time.sleep(self.tick)

    def close(self):
        self.stop.set()
        self.thread.join(timeout=5)
        self.fake.close()


def write_for(master, seconds: float, value: bytes) -> int:
    r = redis.Redis(port=master.port, socket_timeout=10)
    n, end = 0, time.monotonic() + seconds
    while time.monotonic() < end:
        r.set(f"k{n % 50}", value)
        n += 1
    r.close()
    return n


@pytest.mark.parametrize("throttle", ["yes", "no"])
def test_slow_replica_survives_with_throttling_and_is_dropped_without(ember_factory, throttle):
    master = ember_factory(args=REPL_ARGS + [
        "--client-output-buffer-limit", "replica 2mb 0 0",
        "--replica-throttle-writers", throttle, "--replica-throttle-max-delay", "200"])
    if master.is_redis:
        pytest.skip("Ember's own writer throttling")
    reader = SlowReader(master)  # about 1.6 MB/s
    try:
        writes = write_for(master, 3.0, b"v" * 65536)  # a writer alone would do far more
        info = info_fields(master, ember_fields=True)
        if throttle == "yes":
            assert not reader.closed, master.log_text()[-2000:]
            assert info["connected_slaves"] == "1"
            assert int(info["repl_throttled_writes"]) > 0
            assert "output buffer limits" not in master.log_text()
            # Bounded: each write waited at most ~200 ms.
            assert writes >= 3.0 / 0.25
        else:
            assert reader.closed or info["connected_slaves"] == "0"
            assert "output buffer limits" in master.log_text()
            assert info["repl_throttled_writes"] == "0"
    finally:
        reader.close()
