"""Differential tests: every tests/compat/corpus/*.txt file is replayed against the server under
test and a real redis-server; typed replies must match exactly. See harness/corpus.py for the
file format. Skipped when redis-server is not installed.

To check the harness and the corpus themselves, run Redis against Redis:
    EMBER_SERVER=/usr/bin/redis-server /usr/bin/python3 -m pytest tests/compat
"""

from pathlib import Path

import pytest

from harness.corpus import CorpusSyntaxError, corpus_needs, parse_corpus, run_corpus, split_args
from harness.server import ServerProcess

CORPUS_DIR = Path(__file__).parent / "corpus"
CORPUS_FILES = sorted(CORPUS_DIR.glob("*.txt"))


class _Pair:
    """One server under test + one reference redis-server, shared by the module, restarted on death."""

    def __init__(self, ember_binary, redis_binary):
        self.ember = ServerProcess(ember_binary, name="ember-compat")
        self.redis = ServerProcess(redis_binary, name="redis-compat")

    def ensure_running(self):
        for srv in (self.ember, self.redis):
            if srv.pid is None or not srv.alive():
                if srv.pid is not None:
                    srv.stop()
                srv.start()

    def cleanup(self):
        for srv in (self.ember, self.redis):
            srv.cleanup()


@pytest.fixture(scope="module")
def pair(ember_binary, redis_binary):
    p = _Pair(ember_binary, redis_binary)
    try:
        yield p
    finally:
        p.cleanup()


@pytest.mark.parametrize("path", CORPUS_FILES, ids=[p.stem for p in CORPUS_FILES])
def test_corpus(pair, path):
    steps = parse_corpus(path.read_text())
    pair.ensure_running()
    needs = corpus_needs(steps)
    missing = pair.ember.missing_commands(*needs)
    if missing:
        pytest.skip(f"{path.name} needs {', '.join(missing)}: not implemented yet")
    mismatches = run_corpus(steps, pair.ember, pair.redis, label=path.name)
    if mismatches:
        diag = "" if pair.ember.alive() else "\n" + pair.ember.diagnostics()
        shown = mismatches[:25]
        more = f"\n... and {len(mismatches) - 25} more" if len(mismatches) > 25 else ""
        pytest.fail(f"{len(mismatches)} mismatch(es) in {path.name}:\n" + "\n".join(shown) + more + diag,
                    pytrace=False)


def test_corpus_files_exist():
    assert CORPUS_FILES, f"no corpus files in {CORPUS_DIR}"


@pytest.mark.parametrize("line,expected", [
    ('SET k v', [b"SET", b"k", b"v"]),
    ('SET "a b" \'c d\'', [b"SET", b"a b", b"c d"]),
    ('ECHO "\\x41\\n\\"" \'it\\\'s\'', [b"ECHO", b'A\n"', b"it's"]),
    ('ECHO ""', [b"ECHO", b""]),
    ('  spaced\t out  ', [b"spaced", b"out"]),
])
def test_split_args(line, expected):
    assert split_args(line) == expected


@pytest.mark.parametrize("line", ['ECHO "abc', "ECHO 'abc", 'ECHO "a"b'])
def test_split_args_errors(line):
    with pytest.raises(ValueError):
        split_args(line)


def test_needs_directive():
    steps = parse_corpus("# header\n@needs RPUSH lrange\n@needs RPUSH HSET\n\nRPUSH l a\n")
    assert corpus_needs(steps) == ["RPUSH", "lrange", "HSET"]
    assert [s.op for s in steps] == ["needs", "needs", "cmd"]
    assert corpus_needs(parse_corpus("SET k v\n")) == []
    for bad in ("SET k v\n@needs RPUSH\n", "@needs\n", "@sort @needs RPUSH\n"):
        with pytest.raises(CorpusSyntaxError):
            parse_corpus(bad)


def test_needs_probe(redis_binary):
    """missing_commands() (behind @needs) asks COMMAND INFO; real Redis knows RPUSH, not NOSUCHCMD."""
    srv = ServerProcess(redis_binary, name="needs-probe")
    try:
        srv.start()
        assert srv.missing_commands("rpush", "GET", "nosuchcmd", "object|encoding") == ["NOSUCHCMD"]
        assert srv.missing_commands() == []
    finally:
        srv.cleanup()


def test_runner_detects_mismatches(redis_binary):
    """Self-test of the differential runner: two differently configured Redis servers must differ."""
    from harness.corpus import parse_corpus, run_corpus
    a = ServerProcess(redis_binary, name="selftest-a", args=["--databases", "2"])
    b = ServerProcess(redis_binary, name="selftest-b")
    try:
        a.start()
        b.start()
        steps = parse_corpus("SET k v\nSELECT 5\n@ignore-value TIME\n@sort KEYS *\n@ignore-value SELECT 6\n")
        mismatches = run_corpus(steps, a, b, label="selftest")
        assert len(mismatches) == 3, mismatches
        assert ":2: SELECT 5" in mismatches[0]
        assert ":4: @sort KEYS *" in mismatches[1]  # a stayed in db 0 (has k), b is in db 5
        assert ":5: @ignore-value SELECT 6" in mismatches[2]  # error vs simple: shapes differ
        assert run_corpus(parse_corpus("SET k v\nGET k\n@ignore-value TIME\n"), a, b) == []
    finally:
        a.cleanup()
        b.cleanup()
