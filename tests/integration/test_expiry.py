"""Key expiry: lazy (on access) and active (background cycle)."""

import time

import pytest

from harness.resp import NULLBULK, B, I, S
from harness.util import wait_for


def test_lazy_expiry_on_access(ember):
    c = ember.raw()
    t0 = time.monotonic()
    assert c.call("SET", "k", "v", "PX", "100") == S("OK")
    assert c.call("GET", "k") == B("v")
    # poll the key itself: it must disappear shortly after 100 ms, never before
    wait_for(lambda: c.call("GET", "k") == NULLBULK, timeout=5, message="key expired")
    assert time.monotonic() - t0 >= 0.1
    assert c.call("EXISTS", "k") == I(0)
    assert c.call("TTL", "k") == I(-2)
    assert c.call("PTTL", "k") == I(-2)


def test_expire_then_persist(ember):
    c = ember.raw()
    c.call("SET", "k", "v")
    # one write: a stalled test process (loaded machine) cannot let the 150 ms pass in between
    c.send_pipeline([("PEXPIRE", "k", "150"), ("PERSIST", "k")])
    assert c.read_replies(2) == [I(1), I(1)]
    time.sleep(0.3)
    assert c.call("GET", "k") == B("v")
    assert c.call("TTL", "k") == I(-1)


def test_ttl_counts_down(ember):
    c = ember.raw()
    c.call("SET", "k", "v", "EX", "100")
    assert c.call("TTL", "k") == I(100)
    pttl = c.call("PTTL", "k").value
    assert 99_000 < pttl <= 100_000


def test_overwrite_clears_ttl(ember):
    c = ember.raw()
    c.call("SET", "k", "v", "PX", "100")
    c.call("SET", "k", "v2")
    assert c.call("TTL", "k") == I(-1)
    c.call("SET", "k2", "v", "PX", "100000")  # long enough not to expire on a loaded machine
    c.call("SET", "k2", "v3", "KEEPTTL")
    assert 0 < c.call("PTTL", "k2").value <= 100_000
    assert c.call("GET", "k2") == B("v3")


def test_expired_keys_not_returned_by_keys_or_mget(ember):
    c = ember.raw()
    c.call("SET", "live", "1")
    c.call("SET", "dead", "1", "PX", "50")
    time.sleep(0.1)
    assert c.call("MGET", "live", "dead").py() == [b"1", None]
    assert c.call("KEYS", "*").py() == [b"live"]
    assert c.call("EXISTS", "live", "dead") == I(1)


@pytest.mark.slow
def test_active_expiry_1000_keys(ember):
    """1000 keys with PX 100 must be reclaimed by the background cycle without being touched."""
    c = ember.raw()
    c.send_pipeline([("SET", f"key:{i}", "x", "PX", "100") for i in range(1000)])
    assert all(r == S("OK") for r in c.read_replies(1000))
    c.call("SET", "persistent", "y")
    assert c.call("DBSIZE").value == 1001
    # only DBSIZE is issued: it does not access (and so lazily expire) individual keys
    wait_for(lambda: c.call("DBSIZE") == I(1), timeout=10, interval=0.05,
             message="active expiry reclaiming 1000 keys")
    assert c.call("GET", "persistent") == B("y")


def test_expiry_in_other_db(ember):
    c = ember.raw()
    c.call("SELECT", "5")
    c.send_pipeline([("SET", f"k{i}", "x", "PX", "50") for i in range(100)])
    c.read_replies(100)
    wait_for(lambda: c.call("DBSIZE") == I(0), timeout=10, interval=0.05,
             message="active expiry in db 5")
