"""The explicit parameters of a cocotb test run: its seed and its time budget.

* :func:`seed_of`: every test takes its randomness from the seed its pytest entry passed
  (``simrun.run(seed=...)``, visible in the pytest id or fixed in the entry), found in
  ``COCOTB_RANDOM_SEED`` as the entry set it, mixed with the cocotb test's own parameters
  (``salt``) by a stable hash. ``cocotb.RANDOM_SEED`` is not used: cocotb 2.1 replaces it per
  test with the seed plus a hash of the test's name, which is neither visible nor chosen.
  A failing run prints the command that replays it (``simrun.replay_command``).
* :func:`budget`: a cocotb test timeout (``@cocotb.test(timeout_time=..., timeout_unit="us")``)
  from the work a test does: cycles x clock period x a generous factor, so that no hang lasts
  forever but a slow, legitimate run is never cut.
"""

from __future__ import annotations

import hashlib
import os


def base_seed() -> int:
    """The seed the pytest entry gave (``COCOTB_RANDOM_SEED`` as set by ``simrun.run``)."""
    return int(os.environ.get("COCOTB_RANDOM_SEED", "1"))


def seed_of(*salt) -> int:
    """The base seed alone, or mixed with ``salt`` (a test's parameters) into a 32-bit seed."""
    if not salt:
        return base_seed()
    key = repr((base_seed(),) + tuple(salt)).encode()
    return int.from_bytes(hashlib.sha1(key).digest()[:4], "little")


def env_int(name: str, default: int) -> int:
    return int(os.environ.get(name, str(default)))


def budget(cycles: float, clk_ns: float = 4.0, factor: float = 4.0, floor_us: float = 200.0
           ) -> float:
    """A timeout in microseconds of simulated time for ``cycles`` clock cycles of ``clk_ns``:
    ``factor`` times that, at least ``floor_us``."""
    return max(floor_us, cycles * clk_ns * factor / 1000.0)
