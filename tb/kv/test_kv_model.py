"""KV model (model/kv.py): reuse semantics, storage accounting, token-wise/interleaved mapping
and the invariance-buffer read schedule, checked against their definitions on random routing
masks (properties, not typed-in numbers)."""

import numpy as np
import pytest

from model import kv as K


def random_masks(rng, layers, tokens, skip=0.25):
    e = rng.random((layers, tokens)) >= skip
    e[0] = True
    return e


@pytest.mark.parametrize("seed", range(5))
def test_reuse_falls_back_to_last_executed_layer(seed):
    rng = np.random.default_rng(seed)
    e = random_masks(rng, 12, 40)
    src = K.source_layers(e, "reuse")
    for l in range(e.shape[0]):
        for t in range(e.shape[1]):
            s = src[l, t]
            assert s <= l and e[s, t] and not e[s + 1:l + 1, t].any()
    assert (K.source_layers(e, "partial") == np.arange(12)[:, None]).all()


def test_layer0_policy_enforced():
    e = np.ones((3, 4), dtype=bool)
    e[0, 2] = False
    with pytest.raises(ValueError):
        K.source_layers(e, "reuse")


def test_storage_saving_tracks_skip_rate():
    rng = np.random.default_rng(1)
    e = random_masks(rng, 32, 512, skip=0.25)
    st = K.storage(e, "reuse", 4096)
    skipped = (~e).sum() / e.size
    assert st["saved"] == pytest.approx(skipped)
    assert 0.2 < st["saved"] < 0.25                  # layer 0 always executes
    assert K.storage(e, "partial", 4096)["saved"] == 0


@pytest.mark.parametrize("mapping", ["token", "interleaved"])
def test_mapping_disjoint_and_complete(mapping):
    rng = np.random.default_rng(2)
    e = random_masks(rng, 6, 50)
    m = K.KvMap(ports=4, entry_bytes=1024, max_tokens=64, layers=6, mapping=mapping)
    seen = {}
    for l in range(6):
        ports_used = []
        for t in np.flatnonzero(e[l]):
            pieces = m.locate(e, l, t)
            assert sum(n for _, _, n in pieces) == 1024
            for p, a, n in pieces:
                for b in range(a, a + n, 256):
                    assert (p, b) not in seen, f"overlap at port {p} 0x{b:x}"
                    seen[(p, b)] = (l, t)
            ports_used.append(pieces[0][0])
        if mapping == "token":
            # consecutive writers of a layer rotate over the ports
            assert ports_used == [i % 4 for i in range(len(ports_used))]


def check_rounds(sch, e, cur, kvmap, buf, mode="reuse"):
    src = K.source_layers(e, mode)
    n_t = e.shape[1]
    for s in sch:
        l = s.layer
        assert cur[l]
        assert sorted(s.order) == list(range(n_t)), "every entry exactly once"
        prev_exec = l > 0 and cur[l - 1]
        assert s.case == (1 if prev_exec and buf.enabled else 2)
        for rnd in s.rounds:
            assert rnd, "empty round"
            b = [f for f in rnd if f.source == "buf"]
            h = [f for f in rnd if f.source == "hbm"]
            assert len(b) <= buf.read_ports
            assert len(h) <= kvmap.ports and len({f.port for f in h}) == len(h)
            assert sum(f.keep for f in h) <= buf.write_ports
            for f in rnd:
                assert f.layer == src[l, f.token]
            for f in h:
                w = K.writes(e, mode)
                assert f.port == kvmap.locate(w, f.layer, f.token)[0][0]
        nbuf = sum(f.source == "buf" for r in s.rounds for f in r)
        assert nbuf <= buf.capacity
        if s.case == 2:
            assert nbuf == 0
        else:
            # served from the buffer = reused at l and held (the entry is the one HBM would give)
            for r in s.rounds:
                for f in r:
                    if f.source == "buf":
                        assert not e[l, f.token] and src[l, f.token] == src[l - 1, f.token]


@pytest.mark.parametrize("seed", range(8))
@pytest.mark.parametrize("capacity", [1024, 5])
def test_schedule_rules(seed, capacity):
    rng = np.random.default_rng(seed)
    e = random_masks(rng, 8, 16 + 4 * seed)
    cur = rng.random(8) >= 0.25
    kvmap = K.KvMap(ports=4, entry_bytes=1024, max_tokens=64, layers=8)
    buf = K.BufferConfig(capacity=capacity)
    sch = K.KvScheduler(kvmap, buf).schedule(e, cur)
    assert [s.layer for s in sch] == list(np.flatnonzero(cur))
    check_rounds(sch, e, cur, kvmap, buf)
    # deterministic
    again = K.KvScheduler(kvmap, buf).schedule(e, cur)
    assert [[(f.token, f.source, f.port) for r in s.rounds for f in r] for s in sch] == \
        [[(f.token, f.source, f.port) for r in s.rounds for f in r] for s in again]


def test_case1_hbm_reads_only_current_layer_entries():
    """With enough capacity and consecutive attention, HBM serves only entries written at the
    current layer (each port its own region, no cross-layer reads)."""
    rng = np.random.default_rng(3)
    e = random_masks(rng, 6, 64)
    cur = np.ones(6, dtype=bool)
    kvmap = K.KvMap(ports=4, entry_bytes=1024, max_tokens=64, layers=6)
    sch = K.KvScheduler(kvmap, K.BufferConfig()).schedule(e, cur)
    for s in sch[1:]:
        assert s.case == 1
        for r in s.rounds:
            for f in r:
                if f.source == "hbm":
                    assert f.layer == s.layer


def test_buffer_reduces_rounds_and_hbm_reads():
    rng = np.random.default_rng(4)
    e = random_masks(rng, 16, 128)
    cur = np.ones(16, dtype=bool)
    kvmap = K.KvMap(ports=4, entry_bytes=1024, max_tokens=128, layers=16)
    on = K.schedule_stats(K.KvScheduler(kvmap, K.BufferConfig()).schedule(e, cur))
    off = K.schedule_stats(K.KvScheduler(kvmap, K.BufferConfig(enabled=False)).schedule(e, cur))
    assert on["hbm_reads"] < off["hbm_reads"]
    assert on["rounds"] < off["rounds"]
    assert on["hbm_reads"] + on["buf_reads"] == off["hbm_reads"]


@pytest.mark.parametrize("seed", range(10))
@pytest.mark.parametrize("capacity", [1024, 7, 2])
def test_buffer_slots_hold_the_right_entries(seed, capacity):
    """Replay the schedule on a slot-addressed buffer: every buffer read finds the entry
    (token, source layer) a keep wrote there, a keep never overwrites a slot read in the same
    layer, and at most ``capacity`` slots are used."""
    rng = np.random.default_rng(100 + seed)
    e = random_masks(rng, 10, 24 + seed, skip=rng.choice([0.25, 0.6]))
    cur = rng.random(10) >= 0.2
    kvmap = K.KvMap(ports=4, entry_bytes=1024, max_tokens=64, layers=10)
    sch = K.KvScheduler(kvmap, K.BufferConfig(capacity=capacity)).schedule(e, cur)
    store: dict[int, tuple[int, int]] = {}
    prev_layer = None
    for s in sch:
        if s.case == 2:
            store.clear()
        assert prev_layer is None or s.case == 2 or prev_layer == s.layer - 1
        read_slots = {f.slot for r in s.rounds for f in r if f.source == "buf"}
        for r in s.rounds:
            for f in r:
                assert 0 <= f.slot < capacity if (f.source == "buf" or f.keep) else f.slot == -1
                if f.source == "buf":
                    assert store[f.slot] == (f.token, f.layer)
        for r in s.rounds:
            for f in r:
                if f.keep:
                    assert f.slot not in read_slots
                    store[f.slot] = (f.token, f.layer)
        prev_layer = s.layer


def test_interleaved_schedule_one_token_per_round():
    rng = np.random.default_rng(9)
    e = random_masks(rng, 5, 20)
    cur = np.ones(5, dtype=bool)
    kvmap = K.KvMap(ports=4, entry_bytes=1024, max_tokens=64, layers=5, mapping="interleaved")
    sch = K.KvScheduler(kvmap, K.BufferConfig()).schedule(e, cur)
    src = K.source_layers(e, "reuse")
    for s in sch:
        assert s.case == 2
        assert [[(f.token, f.source, f.port, f.hslot, f.layer) for f in r] for r in s.rounds] == \
            [[(t, "hbm", 0, t, int(src[s.layer, t]))] for t in range(20)]
