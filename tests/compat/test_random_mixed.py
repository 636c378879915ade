"""Seeded random workloads over every data type at once (tests/harness/workload.py, without the
commands that pick at random), compared reply by reply with real Redis, then DEBUG DIGEST: what
the per-type random tests do not reach, commands meeting keys of other types (WRONGTYPE, RENAME,
COPY, MOVE, SORT ... STORE over any type), MULTI/EXEC blocks, scripts and SWAPDB."""

import random

import pytest

from harness.corpus import Step, run_corpus
from harness.util import random_seeds
from harness.workload import random_workload

DEBUG = ["--enable-debug-command", "yes"]


@pytest.mark.parametrize("seed", random_seeds([1, 2, 3]))
def test_random_mixed_workload(ember_factory, ref_factory, seed):
    ember = ember_factory(args=DEBUG)
    ember.skip_unless_commands("LMPOP", "ZMPOP", "SORT", "EVAL", "COPY")
    redis = ref_factory(args=DEBUG)
    cmds = random_workload(random.Random(seed), 1000, short_ttls=False, deterministic=True)
    cmds += [["DBSIZE"], ["SELECT", "1"], ["DBSIZE"], ["SELECT", "0"], ["DEBUG", "DIGEST"]]
    steps = [Step(i + 1, " ".join(repr(a) for a in args), "cmd", [a.encode() for a in args])
             for i, args in enumerate(cmds)]
    mismatches = run_corpus(steps, ember, redis, label=f"seed{seed}")
    assert not mismatches, f"{len(mismatches)} mismatch(es):\n" + "\n".join(mismatches[:10])
