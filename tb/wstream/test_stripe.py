"""model/stripe.py on its own: the layout functions agree with each other (the RTL side is
tb/wstream/tb_wstream.py, whose scoreboard reads every chunk through ``stripe.word_addr``)."""

from __future__ import annotations

import random

import pytest

from model import stripe as S


class Mem:
    def __init__(self):
        self.d: dict[int, int] = {}

    def write(self, addr: int, data: bytes) -> None:
        for k, b in enumerate(data):
            self.d[addr + k] = b

    def read(self, addr: int, n: int) -> bytes:
        return bytes(self.d.get(addr + k, 0) for k in range(n))


CFGS = [S.Stripe(), S.Stripe(ports=8, chunk_words=16), S.Stripe(ports=3, chunk_words=6),
        S.Stripe(ports=2, word_bytes=16, chunk_words=2, pc_bytes=1 << 20)]


@pytest.mark.parametrize("st", CFGS, ids=lambda s: f"p{s.ports}w{s.word_bytes}c{s.chunk_words}")
def test_stripe_layout(st):
    rng = random.Random(st.ports * 100 + st.chunk_words)
    for _ in range(20):
        n = rng.randint(1, 5 * st.chunk_bytes)
        data = rng.randbytes(n)
        base = rng.randrange(0, 4096) * st.word_bytes
        mem = Mem()
        chunks = S.write_stream(mem, base, data, st)
        assert chunks == S.chunks_for(n, st)
        padded = data + bytes(chunks * st.chunk_bytes - n)
        # pack/unpack round trip, and the stream read back through the ports
        runs = S.pack(data, st)
        assert [len(r) for r in runs] == [S.port_bytes(chunks, st)] * st.ports
        assert S.unpack(runs, st) == padded
        assert S.read_stream(mem, base, chunks, st) == padded
        # every word where word_addr says, in stream order
        words = S.stripe_words(base, chunks, st)
        assert len(words) == chunks * st.chunk_words
        for i, (p, a) in enumerate(words):
            assert p == i % st.ports and a == p * st.pc_bytes + base + (i // st.ports) * \
                st.word_bytes
            assert mem.read(a, st.word_bytes) == padded[i * st.word_bytes:(i + 1) * st.word_bytes]
        # chunk c as the RTL's chunk_data_o
        c = rng.randrange(chunks)
        v = S.chunk_words(padded, c, st)
        for w in range(st.chunk_words):
            i = c * st.chunk_words + w
            want = int.from_bytes(padded[i * st.word_bytes:(i + 1) * st.word_bytes], "little")
            assert (v >> (w * 8 * st.word_bytes)) & ((1 << (8 * st.word_bytes)) - 1) == want


def test_stripe_checks():
    with pytest.raises(ValueError):
        S.Stripe(ports=3, chunk_words=8)
    st = S.Stripe()
    with pytest.raises(ValueError):
        st.check(16, 1)                                   # not word aligned
    with pytest.raises(ValueError):
        st.check(st.pc_bytes - 32, 1)                     # leaves the PC window
    st.check(st.pc_bytes - S.port_bytes(4, st), 4)        # ends exactly at the window's end
