"""KV-cache semantics, memory mapping, invariance buffer and read schedule of SkipOPU (paper
4.4), the reference for the KV readers and the scheduler RTL (docs/kv.md).

Notation: ``exec_[l][t]`` is True when token t executes attention at layer l (its router did not
skip). Layer 0 always executes (docs/kv.md: every token then has a KV entry to fall back to).

Modes:
* ``dense``   every token executes attention at every layer (no routing);
* ``partial`` PartialSkip, SkipGPT's own behaviour: every token writes K/V at every layer, only
              Q and the output projection are skipped; readers use layer l;
* ``reuse``   KV reuse: a skipped token writes no KV at layer l; a reader at layer l uses the
              token's entry from the last layer <= l where it executed.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field, replace

import numpy as np

MODES = ("dense", "partial", "reuse")


def check_masks(exec_: np.ndarray) -> np.ndarray:
    e = np.asarray(exec_, dtype=bool)
    if e.ndim != 2:
        raise ValueError("exec_ must be [layers, tokens]")
    if e.shape[0] and not e[0].all():
        raise ValueError("layer 0 must execute attention for every token (docs/kv.md)")
    return e


def source_layers(exec_: np.ndarray, mode: str) -> np.ndarray:
    """src[l, t]: the layer whose K/V entry of token t a reader at layer l uses."""
    e = check_masks(exec_)
    n_l, n_t = e.shape
    if mode not in MODES:
        raise ValueError(f"unknown KV mode {mode!r}")
    if mode != "reuse":
        return np.repeat(np.arange(n_l)[:, None], n_t, axis=1)
    src = np.zeros((n_l, n_t), dtype=np.int64)
    for l in range(1, n_l):
        src[l] = np.where(e[l], l, src[l - 1])
    return src


def writes(exec_: np.ndarray, mode: str) -> np.ndarray:
    """w[l, t]: token t stores a K/V entry at layer l."""
    e = check_masks(exec_)
    return e.copy() if mode == "reuse" else np.ones_like(e)


def storage(exec_: np.ndarray, mode: str, entry_bytes: int) -> dict:
    """KV bytes stored and the saving against dense (every token, every layer)."""
    w = writes(exec_, mode)
    dense = w.size * entry_bytes
    stored = int(w.sum()) * entry_bytes
    return {"entries": int(w.sum()), "bytes": stored, "dense_bytes": dense,
            "saved": 1.0 - stored / dense if dense else 0.0}


# ------------------------------------------------------------------------------------------
# memory mapping (4.4.1)
# ------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class KvMap:
    """Where K/V entries live. One entry = K and V of one token at one layer for all KV heads:
    ``entry_bytes`` = 2 * kv_heads * head_dim * 2 (FP16).

    token-wise: the entries written at layer l are numbered by their rank r among the tokens
    that wrote at l (token order); entry r goes to port r mod P, slot r div P, at
    ``port_base[p] + (l * max_slots + slot) * entry_bytes``: a whole entry is contiguous in one
    port (long bursts) and consecutive writers use different ports.
    interleaved: every entry is split evenly over the P ports; token t's share at layer l is at
    ``port_base[p] + (l * max_tokens + t) * entry_bytes / P`` in every port."""
    ports: int
    entry_bytes: int
    max_tokens: int
    layers: int
    mapping: str = "token"
    port_base: tuple = ()
    word_bytes: int = 32          # bytes per memory word (DATA_W / 8)

    def __post_init__(self):
        if self.mapping not in ("token", "interleaved"):
            raise ValueError(f"unknown KV mapping {self.mapping!r}")
        if self.mapping == "interleaved" and self.entry_bytes % (self.ports * self.word_bytes):
            raise ValueError("interleaved mapping needs entry_bytes to be a multiple of "
                             "one word per port")
        if not self.port_base:
            object.__setattr__(self, "port_base", tuple(p << 28 for p in range(self.ports)))

    @property
    def max_slots(self) -> int:
        return -(-self.max_tokens // self.ports)

    def ranks(self, w_l: np.ndarray) -> np.ndarray:
        """Rank of each writer among the writers of one layer (-1 for non-writers)."""
        w_l = np.asarray(w_l, dtype=bool)
        r = np.cumsum(w_l) - 1
        return np.where(w_l, r, -1)

    def locate(self, w: np.ndarray, l: int, t: int) -> list[tuple[int, int, int]]:
        """(port, byte address, bytes) pieces of the entry written by token t at layer l."""
        if not w[l, t]:
            raise ValueError(f"token {t} wrote no KV at layer {l}")
        if self.mapping == "token":
            r = int(self.ranks(w[l])[t])
            p, slot = r % self.ports, r // self.ports
            return [(p, self.port_base[p] + (l * self.max_slots + slot) * self.entry_bytes,
                     self.entry_bytes)]
        share = self.entry_bytes // self.ports
        return [(p, self.port_base[p] + (l * self.max_tokens + t) * share, share)
                for p in range(self.ports)]


# ------------------------------------------------------------------------------------------
# invariance buffer and read schedule (4.4.2, 4.4.3)
# ------------------------------------------------------------------------------------------
@dataclass
class Fetch:
    token: int
    layer: int            # source layer of the entry
    source: str           # "hbm" or "buf"
    port: int             # HBM port (token-wise mapping), or buffer read port index
    keep: bool            # written into the buffer for the next layer (proactive update)
    slot: int = -1        # buffer slot read ("buf") or written (keep); -1 otherwise
    hslot: int = 0        # entry index in the source layer's region of its port: rank // P
                          # (token-wise) or the token (interleaved)


@dataclass
class LayerSchedule:
    layer: int
    case: int             # 1: buffer valid (consecutive attention), 2: not valid
    rounds: list = field(default_factory=list)     # list of lists of Fetch

    @property
    def order(self) -> list[int]:
        """Token order in which the entries reach the PE array (permutation-invariant use)."""
        return [f.token for r in self.rounds for f in r]


@dataclass(frozen=True)
class BufferConfig:
    capacity: int = 1024      # entries (tokens' K/V for one layer)
    read_ports: int = 2
    write_ports: int = 2
    enabled: bool = True


class KvScheduler:
    """Decode-step KV read schedule for one new token over the layers, with the invariance
    buffer. ``exec_`` [L, T] holds the routing masks of the T preceding tokens (finalised when
    they were generated); ``cur`` [L] the current token's attention decisions (it executes
    attention at layer l iff cur[l]).

    Rules (deterministic; the RTL must produce the same rounds):
    * At a layer where the current token executes attention, the entries of tokens that
      executed at l come from HBM (port = token-wise port of (l, t)); reused entries
      (src < l) come from the buffer when the buffer is valid for l and holds them (Case 1),
      else from HBM at the port of (src, t) (Case 2 / overflow).
    * The buffer is valid for l iff the current token executed attention at l-1 (the proactive
      update happened during l-1); it is invalidated when attention is skipped.
    * Proactive update and capacity: ``held_l`` is what the buffer holds for layer l. While
      reading layer l the tokens reused at l+1 are walked in token order: one already held
      stays in its slot; one not held is written into the buffer as it passes by ("keep") if a
      slot is free, i.e. while the new keeps of this layer number fewer than
      ``capacity - |held_l|`` (slots being read at l are never overwritten at l; the rest
      overflow to HBM reads at l+1). Held entries not reused at l+1 are evicted: their slots
      join the free list at the end of the walk position, usable from layer l+1 on.
    * Slots: allocated in token order, first never-used slots 0, 1, ..., then from a FIFO of
      evicted slots; invalidation (or a new step) frees everything.
    * Rounds: buffer reads first, in token order, up to read_ports per round; HBM reads in
      token order, a read joins the round while its port is free in this round, fewer than
      P ports are used, and the round's "keep" writes stay within write_ports; the first read
      that does not fit closes the HBM part of the round (no reordering among HBM reads).
    * Interleaved mapping (ablation): every entry is read from all ports at once, so every
      HBM read reports port 0 and each round holds one token; the buffer is not used.
    """

    def __init__(self, kvmap: KvMap, buf: BufferConfig = BufferConfig(), mode: str = "reuse"):
        self.map = kvmap
        self.buf = buf if kvmap.mapping == "token" else replace(buf, enabled=False)
        self.mode = mode

    def schedule(self, exec_: np.ndarray, cur: np.ndarray) -> list[LayerSchedule]:
        """The schedule of one decode step: a ``KvSession`` fed one layer command per layer
        (what the core's KVLD instructions send to the RTL unit)."""
        e = check_masks(exec_)
        n_l, n_t = e.shape
        if self.mode != "reuse":
            e = np.ones_like(e)               # every preceding token wrote at every layer
        sess = KvSession(self.map, self.buf)
        out = []
        for l in range(n_l):
            nxt = l + 1 < n_l
            s = sess.layer(l, n_t, e[l], e[l + 1] if nxt else np.zeros(n_t, bool), nxt,
                           bool(cur[l]))
            if s is not None:
                out.append(s)
        return out


class KvSession:
    """The KV read scheduler of one decode step as the RTL unit sees it: one command per layer
    (layers 0, 1, ... in order), each naming the T preceding tokens' write masks at this layer
    (``exec_l``) and at the next (``exec_next``, finalised when those tokens ran: the
    look-ahead of paper 4.4.2) and whether the current token attends. Between commands it keeps
    every token's source entry (layer, port, index in the port region), the invariance buffer's
    contents, slots and free list, and its validity. PartialSkip/dense: pass all-ones masks
    (every token wrote at every layer; nothing is reused).

    ``layer`` returns the layer's ``LayerSchedule`` (rules in ``KvScheduler``) or None when the
    current token does not attend (the buffer is then invalidated; the source entries are still
    updated)."""

    def __init__(self, kvmap: KvMap, buf: BufferConfig = BufferConfig()):
        self.map = kvmap
        self.buf = buf if kvmap.mapping == "token" else replace(buf, enabled=False)
        self.start()

    def start(self) -> None:
        """A new decode step: nothing held, buffer invalid, no source entries."""
        self.next_layer = 0
        self.src: dict[int, tuple[int, int, int]] = {}   # token -> (layer, port, hslot)
        self._invalidate()
        self.valid = False

    def _invalidate(self) -> None:
        self.buffer: set[int] = set()      # tokens whose entry the buffer holds for this layer
        self.slot: dict[int, int] = {}     # token -> buffer slot of its held entry
        self.fresh, self.freeq = 0, deque()

    def layer(self, l: int, tokens: int, exec_l, exec_next, has_next: bool,
              attend: bool) -> LayerSchedule | None:
        if l != self.next_layer:
            raise ValueError(f"layer {l} out of order (expected {self.next_layer})")
        self.next_layer += 1
        n_t = tokens
        e_l = np.asarray(exec_l, dtype=bool)[:n_t]
        e_n = np.asarray(exec_next, dtype=bool)[:n_t] if has_next else np.zeros(n_t, bool)
        if l == 0 and not e_l.all():
            raise ValueError("layer 0 must execute attention for every token (docs/kv.md)")
        P = self.map.ports
        inter = self.map.mapping == "interleaved"
        ranks = self.map.ranks(e_l)
        for t in np.flatnonzero(e_l):
            r = int(ranks[t])
            self.src[int(t)] = (l, 0 if inter else r % P, int(t) if inter else r // P)
        if not attend:
            self.valid = False
            self._invalidate()
            return None
        case = 1 if (self.valid and self.buf.enabled) else 2
        if case == 2:
            self._invalidate()
        cap = self.buf.capacity
        reused_next = ~e_n if has_next else np.zeros(n_t, bool)
        budget = cap - len(self.buffer)
        new = 0
        held_next: set[int] = set()
        new_slot: dict[int, int] = {}
        buf_q, hbm_q = [], []
        for t in range(n_t):
            s, port, hs = self.src[t]
            in_buf = case == 1 and t in self.buffer
            keep = False
            if self.buf.enabled and reused_next[t]:
                if in_buf:
                    held_next.add(t)
                    new_slot[t] = self.slot[t]
                elif new < budget:
                    held_next.add(t)
                    keep = True
                    new += 1
                    if self.fresh < cap:
                        new_slot[t], self.fresh = self.fresh, self.fresh + 1
                    else:
                        new_slot[t] = self.freeq.popleft()
            if in_buf and t not in held_next:
                self.freeq.append(self.slot[t])       # evicted after its read at l
            if in_buf:
                buf_q.append(Fetch(t, s, "buf", 0, False, self.slot[t]))
            else:
                hbm_q.append(Fetch(t, s, "hbm", port, keep, new_slot[t] if keep else -1, hs))
        rounds = []
        while buf_q or hbm_q:
            rnd = []
            for i in range(min(self.buf.read_ports, len(buf_q))):
                f = buf_q.pop(0)
                f.port = i
                rnd.append(f)
            used, writes_ = set(), 0
            while hbm_q:
                f = hbm_q[0]
                if f.port in used or len(used) >= P or \
                        (f.keep and writes_ >= self.buf.write_ports):
                    break
                used.add(f.port)
                writes_ += f.keep
                rnd.append(hbm_q.pop(0))
            rounds.append(rnd)
        self.buffer, self.slot = held_next, new_slot
        self.valid = True
        return LayerSchedule(l, case, rounds)


def arrival_order(sched: LayerSchedule, ports: int) -> list[Fetch]:
    """The fetches of a layer in the order their entries are numbered when they arrive (the
    KV staging buffer's entry index, docs/kv.md "Arrival order"): round by round, within a
    round by lane: HBM port p = lane p, buffer read port i = lane ports + i."""
    out = []
    for rnd in sched.rounds:
        out += sorted(rnd, key=lambda f: f.port if f.source == "hbm" else ports + f.port)
    return out


def schedule_stats(scheds: list[LayerSchedule]) -> dict:
    """Rounds, HBM entry reads and buffer entry reads over a decode step."""
    rounds = sum(len(s.rounds) for s in scheds)
    hbm = sum(1 for s in scheds for r in s.rounds for f in r if f.source == "hbm")
    buf = sum(1 for s in scheds for r in s.rounds for f in r if f.source == "buf")
    return {"layers": len(scheds), "rounds": rounds, "hbm_reads": hbm, "buf_reads": buf,
            "case1": sum(s.case == 1 for s in scheds), "case2": sum(s.case == 2 for s in scheds)}
