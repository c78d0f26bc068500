"""Striped operand streams over the HBM ports (issue 15; rtl/skipopu_wstream.sv, docs/weights.md).

A *stream* is a sequence of core words (``word_bytes`` = DATA_W/8 bytes each) consumed in
*chunks* of ``chunk_words`` words (one INT4 weight tile on the core: KDIM * NCOL / 2 bytes).
It is striped over ``ports`` HBM ports: stream word i lives at port ``i % ports``, AXI byte
address ``port * pc_bytes + base + (i // ports) * word_bytes`` (``pc_bytes``: port p's home
pseudo-channel is [p * pc_bytes, (p + 1) * pc_bytes)). ``base`` is the same byte offset in every
port's pseudo-channel. Each port therefore holds one contiguous run of
``chunks * chunk_words / ports`` words, which the weight access unit reads with plain INCR
bursts, and chunk c is words ``c * chunk_words ..`` of the stream, ``chunk_words / ports`` from
each port.

The compiler lays a stream out with :func:`pack` (or :func:`write_stream` into a memory); the
testbenches check the RTL with :func:`stripe_words` / :func:`read_stream`; :func:`port_bytes`
gives the bytes each port delivers (the per-port byte counters).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

PC_BYTES = 1 << 28          # 256 MB: one U280 pseudo-channel (docs/memory-map.md)


class Memory(Protocol):
    def read(self, addr: int, n: int) -> bytes: ...

    def write(self, addr: int, data: bytes) -> None: ...


@dataclass(frozen=True)
class Stripe:
    """The striping of one core configuration (the skipopu_wstream parameters, in bytes)."""

    ports: int = 4              # NUM_PORTS
    word_bytes: int = 32        # DATA_W / 8
    chunk_words: int = 8        # CHUNK_W / DATA_W
    pc_bytes: int = PC_BYTES    # PC_BYTES

    def __post_init__(self):
        if self.ports < 1 or self.word_bytes < 1 or self.chunk_words < 1:
            raise ValueError(f"bad stripe {self}")
        if self.chunk_words % self.ports:
            raise ValueError(f"chunk_words {self.chunk_words} is not a multiple of ports "
                             f"{self.ports}")

    @property
    def chunk_bytes(self) -> int:
        return self.chunk_words * self.word_bytes

    @property
    def words_per_port(self) -> int:
        """Words each port supplies per chunk."""
        return self.chunk_words // self.ports

    def check(self, base: int, chunks: int) -> None:
        """A stream of ``chunks`` chunks at ``base`` must be word aligned and stay inside the
        pseudo-channel window."""
        if base % self.word_bytes:
            raise ValueError(f"base 0x{base:x} not aligned to {self.word_bytes} B")
        if chunks < 0:
            raise ValueError(f"chunks {chunks} < 0")
        if base < 0 or base + port_bytes(chunks, self) > self.pc_bytes:
            raise ValueError(f"stream 0x{base:x} + {port_bytes(chunks, self)} B per port "
                             f"leaves the {self.pc_bytes} B pseudo-channel window")


DEFAULT = Stripe()


def chunks_for(nbytes: int, s: Stripe = DEFAULT) -> int:
    """Chunks holding ``nbytes`` bytes (the last one padded)."""
    return -(-nbytes // s.chunk_bytes)


def port_bytes(chunks: int, s: Stripe = DEFAULT) -> int:
    """Bytes each port reads for a stream of ``chunks`` chunks (all ports read the same)."""
    return chunks * s.words_per_port * s.word_bytes


def word_addr(base: int, i: int, s: Stripe = DEFAULT) -> tuple[int, int]:
    """(port, AXI byte address) of stream word ``i``."""
    p = i % s.ports
    return p, p * s.pc_bytes + base + (i // s.ports) * s.word_bytes


def stripe_words(base: int, chunks: int, s: Stripe = DEFAULT) -> list[tuple[int, int]]:
    """(port, AXI byte address) of every word of the stream, in stream order."""
    return [word_addr(base, i, s) for i in range(chunks * s.chunk_words)]


def pack(data: bytes, s: Stripe = DEFAULT) -> list[bytes]:
    """Split a stream's bytes (zero-padded to whole chunks) into the contiguous run each port
    holds at ``base``: element p goes to ``p * pc_bytes + base``."""
    n = chunks_for(len(data), s) * s.chunk_bytes
    data = bytes(data) + bytes(n - len(data))
    wb, P = s.word_bytes, s.ports
    words = [data[k:k + wb] for k in range(0, n, wb)]
    return [b"".join(words[p::P]) for p in range(P)]


def unpack(per_port: list[bytes], s: Stripe = DEFAULT) -> bytes:
    """Inverse of :func:`pack`: the stream from the ports' runs (equal lengths)."""
    wb, P = s.word_bytes, s.ports
    if len(per_port) != P or len({len(x) for x in per_port}) != 1 or len(per_port[0]) % wb:
        raise ValueError("need one run of whole words per port, all of the same length")
    n = len(per_port[0]) // wb
    return b"".join(per_port[i % P][(i // P) * wb:(i // P + 1) * wb] for i in range(n * P))


def write_stream(mem: Memory, base: int, data: bytes, s: Stripe = DEFAULT) -> int:
    """Lay ``data`` out striped at ``base`` in a flat HBM memory; returns the chunk count."""
    chunks = chunks_for(len(data), s)
    s.check(base, chunks)
    for p, run in enumerate(pack(data, s)):
        mem.write(p * s.pc_bytes + base, run)
    return chunks


def read_stream(mem: Memory, base: int, chunks: int, s: Stripe = DEFAULT) -> bytes:
    """The stream of ``chunks`` chunks at ``base``, as the weight access unit delivers it."""
    runs = [mem.read(p * s.pc_bytes + base, port_bytes(chunks, s)) for p in range(s.ports)]
    return unpack(runs, s)


def chunk_words(stream: bytes, c: int, s: Stripe = DEFAULT) -> int:
    """Chunk ``c`` of a stream as the RTL's chunk_data_o: word w at bits [w*DATA_W +: DATA_W]
    (little-endian bytes, so simply the chunk's bytes as a little-endian integer)."""
    cb = s.chunk_bytes
    return int.from_bytes(stream[c * cb:(c + 1) * cb], "little")
