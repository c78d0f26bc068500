"""AXI memory models shared by the testbenches.

cocotbext-axi's RAMs answer SLVERR for a beat whose ``_read``/``_write`` raises, so error
injection is an address-window check in those two hooks. A beat written inside a write-error
window leaves memory unchanged; a beat read inside a read-error window returns zeros.
"""

from __future__ import annotations

from cocotbext.axi import AxiRam
from cocotbext.axi.axi_ram import AxiRamRead, AxiRamWrite
from cocotbext.axi.memory import Memory


class InjectedError(Exception):
    pass


class _Windows:
    def __init__(self):
        self.windows: list[tuple[int, int]] = []
        self.hits = 0

    def check(self, addr: int, length: int):
        for lo, hi in self.windows:
            if addr < hi and lo < addr + length:
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
    """AxiRam with read and write error windows [lo, hi) (byte addresses)."""

    def __init__(self, bus, clock, reset=None, reset_active_level=True, size=2**64, mem=None,
                 **kwargs):
        # Same as AxiRam.__init__, with the error-injecting interfaces (calling AxiRam's own
        # __init__ would start a second pair of bus drivers)
        self.write_if = None
        self.read_if = None
        Memory.__init__(self, size, mem, **kwargs)
        self.write_if = _ErrWrite(bus.write, clock, reset, reset_active_level, mem=self.mem)
        self.read_if = _ErrRead(bus.read, clock, reset, reset_active_level, mem=self.mem)

    def add_read_error(self, lo: int, hi: int):
        self.read_if.errors.windows.append((lo, hi))

    def add_write_error(self, lo: int, hi: int):
        self.write_if.errors.windows.append((lo, hi))

    def clear_errors(self):
        self.read_if.errors.windows.clear()
        self.write_if.errors.windows.clear()


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
