"""AXI memory models and bus checkers shared by the testbenches.

cocotbext-axi's RAMs answer SLVERR for a beat whose ``_read``/``_write`` raises, so error
injection is an address-window check in those two hooks. A beat written inside a write-error
window leaves memory unchanged; a beat read inside a read-error window returns zeros. Windows are
[lo, hi) byte ranges of the RAM (addresses are taken modulo the RAM size, as the RAM does).

* :class:`ErrAxiRam`: an ``AxiRam`` with separate read and write error windows. Its bus may carry
  only one direction (``AxiBus(read=...)`` or ``AxiBus(write=...)``) for a read-only or
  write-only master; then only that interface exists.
* :class:`ErrAxiRamRead` / :class:`ErrAxiRamWrite`: single-direction RAMs (e.g. an instruction
  port sharing another RAM's ``mem``).
* :class:`AxiBurstMonitor`: checks every AR or AW burst (INCR, full size, aligned, at most
  ``max_burst`` beats, no 4 KB crossing) and that a pending request stays stable.
* :func:`random_pause`: a pause generator for ``set_pause_generator``.
"""

from __future__ import annotations

import random

import cocotb
from cocotb.triggers import RisingEdge
from cocotbext.axi import AxiRam
from cocotbext.axi.axi_ram import AxiRamRead, AxiRamWrite
from cocotbext.axi.memory import Memory


class InjectedError(Exception):
    pass


class _Windows:
    def __init__(self):
        self.windows: list[tuple[int, int]] = []
        self.hits = 0

    def hit(self, addr: int, length: int = 1) -> bool:
        return any(addr < hi and lo < addr + length for lo, hi in self.windows)

    def check(self, addr: int, length: int):
        if self.hit(addr, length):
            self.hits += 1
            raise InjectedError(f"injected error at 0x{addr:x}")


class _ErrRead(AxiRamRead):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.errors = _Windows()

    async def _read(self, address, length):
        self.errors.check(address % self.size, length)
        return await super()._read(address, length)


class _ErrWrite(AxiRamWrite):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.errors = _Windows()

    async def _write(self, address, data):
        self.errors.check(address % self.size, len(data))
        await super()._write(address, data)


class ErrAxiRam(AxiRam):
    """AxiRam with read and write error windows [lo, hi) (byte addresses).

    ``bus.read`` or ``bus.write`` may be None (a read-only or write-only master): the matching
    ``read_if`` / ``write_if`` is then None and its error windows cannot be set.
    """

    def __init__(self, bus, clock, reset=None, reset_active_level=True, size=2**64, mem=None,
                 **kwargs):
        # Same as AxiRam.__init__, with the error-injecting interfaces (calling AxiRam's own
        # __init__ would start a second pair of bus drivers)
        self.write_if = None
        self.read_if = None
        Memory.__init__(self, size, mem, **kwargs)
        if bus.write is not None:
            self.write_if = _ErrWrite(bus.write, clock, reset, reset_active_level, mem=self.mem)
        if bus.read is not None:
            self.read_if = _ErrRead(bus.read, clock, reset, reset_active_level, mem=self.mem)

    def add_read_error(self, lo: int, hi: int):
        self.read_if.errors.windows.append((lo, hi))

    def add_write_error(self, lo: int, hi: int):
        self.write_if.errors.windows.append((lo, hi))

    def clear_read_errors(self):
        if self.read_if is not None:
            self.read_if.errors.windows.clear()

    def clear_write_errors(self):
        if self.write_if is not None:
            self.write_if.errors.windows.clear()

    def clear_errors(self):
        self.clear_read_errors()
        self.clear_write_errors()

    def read_error_at(self, addr: int, length: int = 1) -> bool:
        """Whether a read of [addr, addr + length) touches a read-error window."""
        return self.read_if is not None and self.read_if.errors.hit(addr % self.size, length)

    def write_error_at(self, addr: int, length: int = 1) -> bool:
        """Whether a write of [addr, addr + length) touches a write-error window."""
        return self.write_if is not None and self.write_if.errors.hit(addr % self.size, length)

    @property
    def read_error_hits(self) -> int:
        return self.read_if.errors.hits if self.read_if is not None else 0

    @property
    def write_error_hits(self) -> int:
        return self.write_if.errors.hits if self.write_if is not None else 0


class ErrAxiRamRead(_ErrRead):
    """Read-only AXI RAM (e.g. an instruction port) with read error windows."""

    def add_read_error(self, lo: int, hi: int):
        self.errors.windows.append((lo, hi))

    def clear_errors(self):
        self.errors.windows.clear()


class ErrAxiRamWrite(_ErrWrite):
    """Write-only AXI RAM with write error windows."""

    def add_write_error(self, lo: int, hi: int):
        self.errors.windows.append((lo, hi))

    def clear_errors(self):
        self.errors.windows.clear()


def random_pause(seed, p: float):
    """Pause generator: pauses each cycle with probability ``p`` (deterministic per seed)."""
    rng = random.Random(seed)
    while True:
        yield rng.random() < p


class AxiBurstMonitor:
    """Checks the AR or AW channel ``<prefix>_<ch>*`` of a full-width INCR master.

    Every handshake: INCR, size = the data-bus width, address aligned to it, at most
    ``max_burst`` beats, no 4 KB crossing. While valid waits for ready, valid stays high and
    the request does not change. Accepted bursts are appended to ``bursts`` as (addr, beats).
    ``sample()`` checks the values of one clock edge; with ``start=True`` the monitor samples
    every rising edge by itself, else the owner calls ``sample()`` right after each edge (to
    order it against its own checks).
    """

    def __init__(self, dut, prefix: str, ch: str, clock, beat_bytes: int, max_burst: int,
                 reset=None, reset_active_level=False, start=True):
        self.ch = ch
        self.clock = clock
        self.reset = reset
        self.reset_active_level = reset_active_level
        self.beat_bytes = beat_bytes
        self.max_burst = max_burst
        self.sig = {n: getattr(dut, f"{prefix}_{ch}{n}") for n in
                    ("valid", "ready", "addr", "len", "size", "burst")}
        self.bursts: list[tuple[int, int]] = []
        self.beats = 0          # beats of all accepted bursts
        self._held = None       # request seen waiting for ready at the previous edge
        if start:
            cocotb.start_soon(self._run())

    def in_reset(self) -> bool:
        return self.reset is not None and \
            str(self.reset.value) == str(int(self.reset_active_level))

    def sample(self):
        """Check one edge; returns (addr, beats) of a burst accepted at this edge, or None."""
        if self.in_reset():
            self._held = None
            return None
        valid = self.sig["valid"].value == 1
        req = None
        if valid:
            req = tuple(int(self.sig[n].value) for n in ("addr", "len", "size", "burst"))
        if self._held is not None:
            assert valid, f"{self.ch}valid dropped before {self.ch}ready"
            assert req == self._held, \
                f"{self.ch} request changed while waiting: {self._held} -> {req}"
        if not valid:
            self._held = None
            return None
        if self.sig["ready"].value != 1:
            self._held = req
            return None
        self._held = None
        addr, alen, size, burst = req
        n = alen + 1
        ch = self.ch.upper()
        assert burst == 1, f"{ch} burst type {burst}, expected INCR"
        assert 1 << size == self.beat_bytes, f"{ch} size {size}: not a full-width burst"
        assert n <= self.max_burst, f"{ch} burst of {n} beats > MAX_BURST {self.max_burst}"
        assert addr % self.beat_bytes == 0, f"{ch} burst address 0x{addr:x} not aligned"
        assert addr // 4096 == (addr + n * self.beat_bytes - 1) // 4096, \
            f"{ch} burst 0x{addr:x} + {n} beats crosses a 4 KB boundary"
        self.bursts.append((addr, n))
        self.beats += n
        return addr, n

    async def _run(self):
        while True:
            await RisingEdge(self.clock)
            self.sample()
