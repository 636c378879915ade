"""ember-check-rdb (tools/ember_check_rdb.cc): verifies a file like redis-check-rdb. When the
server under test is real Redis, Redis's own redis-check-rdb is run instead, which checks that
the assertions hold for the reference tool.

    EMBER_SERVER=/usr/bin/redis-server /usr/bin/python3 -m pytest -q tests/integration/test_check_rdb.py
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "rdb"


@pytest.fixture
def checker(ember_binary):
    name = "redis-check-rdb" if "redis" in os.path.basename(ember_binary) else "ember-check-rdb"
    path = shutil.which(name) if name == "redis-check-rdb" else \
        os.path.join(os.path.dirname(ember_binary), name)
    if not path or not os.path.exists(path):
        pytest.skip(f"{name} not found")
    return path


def run(checker, path):
    p = subprocess.run([checker, str(path)], capture_output=True, text=True, timeout=30)
    return p.returncode, p.stdout + p.stderr


def test_file_written_by_the_server_checks_ok(ember, checker):
    c = ember.client()
    c.set("a", "1")
    c.set("b", "x" * 1000, ex=1000)
    c.select(5)
    c.set("c", "y")
    assert c.save()
    rc, out = run(checker, ember.dir / "dump.rdb")
    assert rc == 0, out
    assert "RDB looks OK" in out
    assert "3 keys read" in out
    assert "1 expires" in out


def test_file_written_by_real_redis_checks_ok(checker):
    rc, out = run(checker, FIXTURES / "strings.rdb")
    assert rc == 0, out
    assert "RDB looks OK" in out


@pytest.mark.parametrize("cut", [5, 20, 60, -9, -1])
def test_truncated_file_is_reported(tmp_path, checker, cut):
    data = (FIXTURES / "strings.rdb").read_bytes()
    bad = tmp_path / "bad.rdb"
    bad.write_bytes(data[:cut])
    rc, out = run(checker, bad)
    assert rc != 0, out
    assert "RDB ERROR DETECTED" in out


def test_bad_checksum_is_reported(tmp_path, checker):
    data = bytearray((FIXTURES / "strings.rdb").read_bytes())
    data[-2] ^= 0xFF
    bad = tmp_path / "bad.rdb"
    bad.write_bytes(bytes(data))
    rc, out = run(checker, bad)
    assert rc != 0, out
    assert "RDB ERROR DETECTED" in out
