"""Load the RDB files written by real Redis 7.0 (tests/fixtures/rdb/*.rdb) and compare with what
Redis showed when it wrote them (tests/fixtures/rdb/digests.json): DEBUG DIGEST, DBSIZE per
database, OBJECT ENCODING of every key, which keys have a TTL. Fixtures whose data types the
server under test does not implement yet are skipped. Regenerate the files with
tests/fixtures/rdb/make_fixtures.py.

    EMBER_SERVER=/usr/bin/redis-server /usr/bin/python3 -m pytest -q tests/integration/test_rdb_fixtures.py
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from harness.resp import I, S

FIXTURE_DIR = Path(__file__).resolve().parents[1] / "fixtures" / "rdb"
EXPECTED = json.loads((FIXTURE_DIR / "digests.json").read_text())
DEBUG = ["--enable-debug-command", "yes"]


def test_fixture_set_complete():
    files = sorted(p.name for p in FIXTURE_DIR.glob("*.rdb"))
    assert files == sorted(e["file"] for e in EXPECTED.values())
    for name in ("strings", "list_small", "list_quicklist", "set_intset", "set_hashtable",
                 "hash_listpack", "hash_hashtable", "zset_listpack", "zset_skiplist", "all_types"):
        assert name in EXPECTED, name
    for e in EXPECTED.values():
        data = (FIXTURE_DIR / e["file"]).read_bytes()
        assert len(data) < 50 * 1024, e["file"]
        assert data[:9] == b"REDIS0010", e["file"]


def _start_with(ember_factory, fixture: str):
    exp = EXPECTED[fixture]
    srv = ember_factory(args=DEBUG)
    if exp["needs"]:
        srv.skip_unless_commands(*exp["needs"])
    srv.stop()
    shutil.copyfile(FIXTURE_DIR / exp["file"], srv.dir / "dump.rdb")
    srv.start()
    return srv, exp


@pytest.mark.parametrize("fixture", sorted(EXPECTED))
def test_load_fixture(ember_factory, fixture):
    srv, exp = _start_with(ember_factory, fixture)
    c = srv.raw()
    r = c.call("DEBUG", "DIGEST")
    assert r.kind in ("simple", "bulk"), r
    digest = r.value.decode() if isinstance(r.value, bytes) else r.value
    for db in range(16):
        assert c.call("SELECT", db) == S("OK")
        assert c.call("DBSIZE") == I(exp["dbsize"].get(str(db), 0)), f"db {db}"
        for name, enc in exp["encodings"].get(str(db), {}).items():
            key = name.encode("latin-1")
            got = c.call("OBJECT", "ENCODING", key)
            assert got.kind == "bulk" and got.value.decode() == enc, (db, key[:40], got)
            pttl = c.call("PTTL", key).value
            if name in exp["ttl_keys"][str(db)]:
                assert pttl > 0, (db, key[:40], pttl)
            else:
                assert pttl == -1, (db, key[:40], pttl)
    assert digest == exp["digest"]
    # the file must be left as it was (loading never rewrites it)
    assert (srv.dir / "dump.rdb").read_bytes() == (FIXTURE_DIR / exp["file"]).read_bytes()


@pytest.mark.parametrize("fixture", ["strings", "all_types"])
def test_fixture_survives_resave(ember_factory, fixture):
    """Load a Redis-written file, SAVE it with the server under test, load that: same digest."""
    srv, exp = _start_with(ember_factory, fixture)
    c = srv.raw()
    assert c.call("SAVE") == S("OK")
    srv.stop()
    srv.start()
    r = srv.raw().call("DEBUG", "DIGEST")
    assert (r.value.decode() if isinstance(r.value, bytes) else r.value) == exp["digest"]
