"""Reference model of the KV staging buffer (``rtl/skipopu_kvsb.sv``, docs/kv.md "KV staging
buffer (KVSB)").

``KvsbModel`` is entry-level: a dict ``(entry, word) -> DATA_W-bit word`` with the read rules of
the unit (never-written words and, in tiles, entries ``a >= NK`` read as +0; rows and K^T
columns). It knows nothing about banks, so the RTL's bank mapping, crossbar and rotation are
checked through data. ``bank`` / ``row`` are the documented bank mapping, used only to check the
conflict-freedom argument (``conflict_free``) and to build arbitrary conflict-free lane sets.
"""

from __future__ import annotations


class KvsbModel:
    def __init__(self, data_w: int, kv_tokens: int, entry_max: int):
        self.data_w = data_w
        self.ncol = data_w // 16
        self.kv_tokens = kv_tokens
        self.entry_max = entry_max
        self.words: dict[tuple[int, int], int] = {}

    def clear(self) -> None:
        self.words.clear()

    def write(self, a: int, w: int, data: int) -> None:
        assert 0 <= a < self.kv_tokens and 0 <= w < self.entry_max, (a, w)
        assert 0 <= data < (1 << self.data_w)
        self.words[(a, w)] = data

    def written(self, a: int, w: int) -> bool:
        return (a, w) in self.words

    def word(self, a: int, w: int) -> int:
        """Word read port: the last word written since the clear, else +0 (NK does not apply)."""
        return self.words.get((a, w), 0)

    def tile_rows(self, nt: int, w: int, nk: int) -> list[int]:
        """Word w of entries nt*NCOL + c (c = 0..NCOL-1); entries a >= nk give +0."""
        base = nt * self.ncol
        return [self.word(base + c, w) if base + c < nk else 0 for c in range(self.ncol)]

    def tile(self, nt: int, w: int, nk: int, col: bool) -> list[int]:
        rows = self.tile_rows(nt, w, nk)
        if not col:
            return rows
        # K^T: lane c of word k = lane k of entry c's word
        return [sum(((rows[c] >> (16 * k)) & 0xFFFF) << (16 * c) for c in range(self.ncol))
                for k in range(self.ncol)]


def pack(words: list[int], data_w: int) -> int:
    return sum(v << (i * data_w) for i, v in enumerate(words))


def share_words(log2e: int, ports: int) -> int:
    """EP = max(E / P, 1)."""
    return max((1 << log2e) // ports, 1)


def bank(a: int, w: int, log2e: int, ports: int, ncol: int) -> int:
    return (a + w // share_words(log2e, ports)) % ncol


def row(a: int, w: int, ncol: int, entry_max: int) -> int:
    return (a // ncol) * entry_max + w


def conflict_free(lanes, log2e: int, ports: int, ncol: int) -> bool:
    """``lanes``: iterable of (entry, word) written in one cycle."""
    banks = [bank(a, w, log2e, ports, ncol) for a, w in lanes]
    return len(set(banks)) == len(banks)
