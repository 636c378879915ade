"""RDB loading details: clients are answered with -LOADING while a large file loads (and INFO
reports the progress), FUNCTION libraries survive a round trip through Ember, and old RDB
versions load. Validated against Redis with EMBER_SERVER=/usr/bin/redis-server.
"""

from __future__ import annotations

import shutil
import time

import pytest

from harness.resp import B, E, I, S
from harness.server import ServerProcess
from harness.util import wait_for

LOADING = "LOADING Redis is loading the dataset in memory"


def test_clients_get_loading_while_the_file_loads(ember_factory, ember_binary):
    srv = ember_factory(args=["--enable-debug-command", "yes"])
    c = srv.raw()
    assert c.call("DEBUG", "POPULATE", "40", "key", "1000") == S("OK")
    assert c.call("SAVE") == S("OK")
    srv.stop()
    # 40 keys of 1 KB x 50 ms: about two seconds of loading, with clients served every 1 KB.
    slow = ServerProcess(ember_binary, args=["--key-load-delay", "50000",
                                             "--loading-process-events-interval-bytes", "1024"],
                         wait_ready=False, tmp_root=str(srv.dir.parent))
    slow.dir.rmdir()
    slow.dir = srv.dir
    slow.logfile = srv.dir / "server.log"
    try:
        slow.start()
        client = wait_for(lambda: _try_connect(slow), timeout=5, message="server listening")
        assert client.call("GET", "key:1") == E(LOADING)
        if not slow.is_redis:
            # (Redis may hold a connection's next command until the load ends.)
            info = client.call("INFO", "persistence").value.decode()
            assert "loading:1" in info and "loading_total_bytes:" in info, info
            assert "loading_loaded_perc:" in info
        wait_for(lambda: client.call("GET", "key:1").kind == "bulk", timeout=10,
                 message="loaded")
        assert "loading:0" in client.call("INFO", "persistence").value.decode()
        assert client.call("DBSIZE") == I(40)
    finally:
        slow.kill()


def _try_connect(srv):
    try:
        return srv.raw(timeout=10)
    except Exception:  # noqa: BLE001 - not listening yet
        return None


def test_function_libraries_survive_a_round_trip(ember_factory, ref_factory):
    """Ember loads FUNCTION libraries from a Redis RDB (FCALL runs them) and writes them back,
    so a real Redis finds them again."""
    lib = "#!lua name=mylib\nredis.register_function('myfunc', function(keys, args) return 1 end)"
    redis = ref_factory(args=["--enable-debug-command", "yes"])
    rc = redis.raw()
    assert rc.call("FUNCTION", "LOAD", lib) == B("mylib")
    assert rc.call("SET", "k", "v") == S("OK")
    assert rc.call("SAVE") == S("OK")
    redis.stop()

    ember = ember_factory(args=["--enable-debug-command", "yes"])
    ember.stop()
    shutil.copyfile(redis.dir / "dump.rdb", ember.dir / "dump.rdb")
    ember.start()
    ec = ember.raw()
    assert ec.call("GET", "k") == B("v")
    assert ec.call("FCALL", "myfunc", "0") == I(1)
    assert ec.call("SAVE") == S("OK")
    ember.stop()

    shutil.copyfile(ember.dir / "dump.rdb", redis.dir / "dump.rdb")
    redis.start()
    rc = redis.raw()
    assert rc.call("FCALL", "myfunc", "0") == I(1)
    assert rc.call("GET", "k") == B("v")


def _old_rdb(version: int, body: bytes) -> bytes:
    # Versions before 5 have no checksum trailer; later ones may carry 0 (= not computed).
    data = b"REDIS%04d" % version + body + b"\xff"
    return data if version < 5 else data + b"\x00" * 8


@pytest.mark.parametrize("version", [1, 3, 6, 9, 11])
def test_old_rdb_versions_load(ember_factory, ember_binary, version):
    if version > 10 and "redis" in ember_binary:
        pytest.skip("Redis 7.0 reads up to version 10; Ember also reads 7.2's 11")
    # SELECTDB 0, a string, and a key with an EXPIRETIME in seconds (the pre-2.6 opcode, a
    # signed 32-bit value) in the future (2033).
    body = (b"\xfe\x00" + b"\x00\x01a\x03one" +
            b"\xfd" + (2000000000).to_bytes(4, "little") + b"\x00\x01b\x03two")
    srv = ember_factory()
    srv.stop()
    (srv.dir / "dump.rdb").write_bytes(_old_rdb(version, body))
    srv.start()
    c = srv.raw()
    assert c.call("GET", "a") == B("one")
    assert c.call("GET", "b") == B("two")
    assert c.call("EXPIRETIME", "b") == I(2000000000)
