"""pytest hooks of the regression.

Collection order: the few tests that take minutes (the Icarus core runs, and the first test of
each Verilator core build, which pays for the build) run first. pytest-xdist hands tests to its
workers in collection order, so with the long ones last the run ended with one worker busy for
minutes and the other idle (docs/verification.md "Regression"). The order changes nothing else:
every test takes its seed from its own id.
"""

from __future__ import annotations

# node-id fragments in the order they start (about longest first; two consecutive ones start
# together on the two workers, so a pair never waits for one build: fresh-clone durations in
# docs/verification.md "Regression"). `make test` runs xdist with --maxschedchunk 1: a worker
# takes the next test when it is free, instead of a fixed block of consecutive tests.
LONG_FIRST = (
    "tb/top/test_top.py::test_top_icarus",
    "tb/top/test_top.py::test_top_verilator[wide-1-",
    "tb/e2e/test_e2e.py::test_e2e_p8",
    "tb/top/test_att.py::test_att_icarus",
    "tb/e2e/test_e2e.py::test_e2e_tiny[reuse-token-True-1]",
    "tb/top/test_kv_programs.py::test_kv_icarus",
    "tb/e2e/test_e2e.py::test_e2e_narrow",
)


def _rank(nodeid: str) -> int:
    for i, frag in enumerate(LONG_FIRST):
        if nodeid.startswith(frag):
            return i
    return len(LONG_FIRST)


def pytest_collection_modifyitems(session, config, items) -> None:
    items.sort(key=lambda it: _rank(it.nodeid))          # stable: the rest keep their order
