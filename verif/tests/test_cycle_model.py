"""The bench's cycle model (bench/cycle_model.py, bench/cycle_calib.py) runs, and its UC formula
agrees with the stimulus driver's estimate (make bench relies on both; nothing else runs them in
the suite).  Figures are not asserted here (they belong in make bench), only consistency."""

from __future__ import annotations

import pytest

import numpy as np

from bench import array_model as am
from bench import cycle_model as cm
from bench.cycle_calib import Calib, check_formula_against_driver
from bench.cycle_formulas import conv, counts, lc_cycles, uc_formula, work_items
from sparsetrain import clocks


def test_uc_formula_matches_driver_estimate():
    check_formula_against_driver()


@pytest.mark.parametrize("name", list(cm.NETWORKS))
def test_network_rows_add_up(name):
    r = cm.network(name, 0.925, "threshold", 8, Calib(uc={}, uc_err={}))
    assert r["cycles_per_image"] > 0 and 0 < r["efficiency"] <= 1
    # the phases and the per-layer rows describe the same image
    assert sum(x["cycles"] for x in r["layers"]) == pytest.approx(
        sum(r["phases"][p] for p in ("FWD", "BWD_DATA", "WGRAD", "UPDATE")), abs=len(r["layers"]) + 4)
    # times follow the stated clocks: the measured one first, the assumed one apart
    assert r["epoch100_s"] == pytest.approx(
        clocks.seconds(r["cycles_per_image"] * cm.TRAIN_IMAGES * cm.EPOCHS, clocks.ECP5_MHZ), rel=1e-3)
    assert r["epoch100_s_ultrascale_assumed"] < r["epoch100_s"]


def test_clock_seconds_refuses_a_non_positive_clock():
    with pytest.raises(ValueError):
        clocks.seconds(1000, 0)


def test_largest_first_alternative_spreads():
    """bench/array_projection.py's largest-first alternative (not the RTL's rule): its busiest
    engine; one engine = the sum of the items."""
    from bench import array_projection as ap
    assert ap.largest_first([5, 3, 3, 1], 2) == 6 and ap.largest_first([5, 3, 3, 1], 1) == 12
    assert ap.largest_first([7], 4) == 7


_LAYERS = [conv(8, 12, 3, 1, 1), conv(6, 10, 5, 2, 2), conv(8, 8, 3, 2, 1, dw=True), conv(16, 4, 1, 1, 0),
           conv(3, 64, 3, 1, 1), conv(64, 5, 3, 1, 1)]


def _counts(L, sp=0.8, rule="threshold"):
    return counts(L, sp, rule, np.random.default_rng(7))


@pytest.mark.parametrize("li", range(len(_LAYERS)))
def test_array_formula_is_the_one_engine_formula_at_one_engine(li):
    """ENGINES=1: the array formula is uc_formula unchanged, in every mode and list state."""
    L = _LAYERS[li]
    f, b = _counts(L)
    for mode in ("FWD", "BWD_DATA", "WGRAD", "UPDATE"):
        for checked in (False, True):
            assert am.array_cycles(mode, L, 9, 9, f, b, 4, 1, checked=checked) == \
                uc_formula(mode, L, 9, 9, f, b, 4, checked=checked)


@pytest.mark.parametrize("engines", [2, 4, 16, 64])
def test_array_split_is_the_rtl_rule(engines):
    """Engine channels = sparsetrain.uc.engine_ranges (FWD / WGRAD over N, BWD_DATA over C; UPDATE
    all on engine 0), every channel owned once by its engine_owner, and the engines' items add up
    to the one-engine items (at stride 2 a channel's four parity lists stay on one engine)."""
    from sparsetrain.uc import engine_owner, engine_ranges
    for L in _LAYERS:
        f, b = _counts(L)
        for mode, nch in (("FWD", L["n"]), ("WGRAD", L["n"]), ("BWD_DATA", L["c"])):
            rs = am.engine_channels(mode, L, engines)
            assert rs == engine_ranges(nch, engines)
            for e, r in enumerate(rs):
                assert all(engine_owner(ch, nch, engines) == e for ch in r)
            assert sum(am.engine_items(mode, L, 9, 9, f, b, 4, engines)) == sum(work_items(mode, L, 9, 9, f, b, 4))
        up = am.engine_channels("UPDATE", L, engines)
        assert list(up[0]) == list(range(L["n"])) and not any(len(r) for r in up[1:])
    with pytest.raises(ValueError):
        am.engine_channels("FWD", _LAYERS[0], 0)


def test_array_write_bound_term():
    """Few non-zeros per filter on many engines: more than one output vector a cycle, so the
    command takes at least every write (one a cycle) and is marked write-bound; a dense layer on
    the same engines is engine-bound and the write term changes nothing; WGRAD writes no stack word."""
    dw = conv(64, 64, 3, 1, 1, dw=True)
    f, b = counts(dw, 0.925, "threshold", np.random.default_rng(1))
    assert sum(am.engine_writes("FWD", dw, 16, 16, 4, 16)) == 64 * 16 * 4
    # two adjacent vectors of a row leave as one write (uc_wq's pairs): 4 vectors a row, 2 writes
    writes = sum(am.engine_write_cycles("FWD", dw, 16, 16, 4, 16))
    assert writes == 64 * 16 * 2
    cyc = am.array_cycles("FWD", dw, 16, 16, f, b, 4, 16, checked=True)
    alone = am.array_cycles("FWD", dw, 16, 16, f, b, 4, 16, checked=True, write_bound=False)
    assert cyc >= writes and cyc > alone
    assert am.bound("FWD", dw, 16, 16, f, b, 4, 16) == "write"
    assert am.bound("WGRAD", dw, 16, 16, f, b, 4, 16) == "engine"
    assert am.engine_writes("WGRAD", dw, 16, 16, 4, 16) == [0] * 16
    big = conv(64, 64, 3, 1, 1)
    f, b = counts(big, 0.0, "threshold", np.random.default_rng(1))
    assert am.bound("FWD", big, 16, 16, f, b, 4, 16) == "engine"
    assert am.array_cycles("FWD", big, 16, 16, f, b, 4, 16, checked=True) == \
        am.array_cycles("FWD", big, 16, 16, f, b, 4, 16, checked=True, write_bound=False)
    # stride-2 BWD_DATA writes each channel's four parity classes' vectors of L pixels: the whole
    # dX map, H * ceil(W / L) vectors a channel as at stride 1
    s2 = conv(8, 8, 3, 2, 1)
    assert sum(am.engine_writes("BWD_DATA", s2, 16, 16, 4, 4)) == 8 * 16 * 4
    # ... and every one of them is a write cycle (stride-2 writes: no pairs); at stride 1 a row's
    # 4 vectors take 2, an odd count rounds up (5 vectors of a 17-wide row: 3)
    assert am.engine_write_cycles("BWD_DATA", s2, 16, 16, 4, 4) == am.engine_writes("BWD_DATA", s2, 16, 16, 4, 4)
    s1 = conv(8, 8, 3, 1, 1)
    assert sum(am.engine_write_cycles("BWD_DATA", s1, 16, 16, 4, 4)) == 8 * 16 * 2
    assert sum(am.engine_write_cycles("FWD", s1, 17, 17, 4, 4)) == 8 * 17 * 3
    # engines that finish together queue their last writes: 16 equal engines, 15 cycles more
    assert am.last_writes([100] * 16) == 115 and am.last_writes([100, 10, 10]) == 100


def test_array_idle_engines_when_channels_are_few():
    """Fewer channels than engines: the extra engines get no channel and the busiest engine's
    cost does not fall below one channel's."""
    L = conv(64, 3, 3, 1, 1)   # 3 output channels
    f, b = _counts(L, 0.5)
    rs = am.engine_channels("FWD", L, 16)
    assert sum(1 for r in rs if len(r)) == 3
    assert max(am.engine_cost("FWD", L, 8, 8, f, b, 4, 16)) >= max(work_items("FWD", L, 8, 8, f, b, 4))


@pytest.mark.parametrize("name", ["VGG16", "MobileNetV1"])
def test_array_network_rows(name):
    """bench/array_projection.py: every shape runs, efficiencies in (0, 1], the parts add up to
    the image's cycles, and 16 x 4 beats one engine of 8 lanes on cycles."""
    from bench import array_projection as ap
    rows = {(e, lanes): ap.network(name, e, lanes, "threshold") for e, lanes in ap.SHAPES}
    for r in rows.values():
        assert 0 < r["efficiency"] <= 1 and 0 < r["largest_first_efficiency"] <= 1
        parts = r["uc_conv_cycles"] + r["uc_update_cycles"] + r["pool_lc_loss_cycles"] + r["dma_seq_cycles"]
        assert parts == pytest.approx(r["cycles_per_image"], abs=4)
    assert rows[(16, 4)]["cycles_per_image"] < rows[(1, 8)]["cycles_per_image"]


# Yosys synth_xilinx DSP48E2 counts of uc_unit (SYNTH_UNTIL=coarse, docs/performance.md 8d)
@pytest.mark.parametrize("engines,lanes,upd_banks,dsp", [(1, 4, 1, 9), (1, 8, 1, 13), (4, 4, 1, 29), (8, 8, 1, 85),
                                                         (16, 4, 1, 101), (64, 4, 1, 389),
                                                         # UPDATE on 4 engines: their step products
                                                         (4, 4, 4, 35), (16, 4, 4, 107)])
def test_uc_dsp_rule_matches_the_synthesis_counts(engines, lanes, upd_banks, dsp):
    assert am.uc_dsp48e2(engines, lanes, upd_banks) == dsp


def test_uc_dsp_rule_refuses_an_empty_array():
    with pytest.raises(ValueError, match="engines and lanes"):
        am.uc_dsp48e2(0, 4)
    with pytest.raises(ValueError, match="upd_banks"):
        am.uc_dsp48e2(4, 4, 8)


def test_ecp5_clock_of_one_engine_and_of_an_array():
    assert clocks.ecp5_mhz(1) == (clocks.ECP5_MHZ, clocks.ECP5_BASIS)
    assert clocks.ecp5_mhz(8) == (clocks.ECP5_ARRAY_MHZ, clocks.ECP5_ARRAY_BASIS)
    with pytest.raises(ValueError, match="engines"):
        clocks.ecp5_mhz(0)


def test_pool_read_ports_only_shorten_read_bound_modes():
    """Two stack copies read a cycle (the MP unit's RD_PORTS = 2 on an array) halve MP_FWD and
    RELU_BWD down to their writes (MP_FWD: Y and argmax, 2 a vector); four (RD_PORTS = 4) halve
    RELU_BWD and MP_FWD again (2L pixels a write) on rows wider than L; more ports gain MP
    nothing else; GAP_FWD's what-if divides its reads."""
    from bench.cycle_formulas import pool_cycles
    c, h, w, lanes = 8, 16, 16, 4
    for mode in ("MP_FWD", "MP_BWD", "RELU_BWD", "GAP_FWD", "GAP_BWD"):
        assert pool_cycles(mode, c, h, w, lanes, read_ports=1) == pool_cycles(mode, c, h, w, lanes)
    fx = pool_cycles("MP_FWD", 0, h, w, lanes)     # the MP unit's fixed cycles (no channel)
    for rp in (2, 4, 16):
        assert pool_cycles("MP_FWD", c, h, w, lanes, read_ports=rp) - fx == \
            (pool_cycles("MP_FWD", c, h, w, lanes) - fx) // (2 if rp < 4 else 4)
        assert pool_cycles("RELU_BWD", c, h, w, lanes, read_ports=rp) - fx == \
            (pool_cycles("RELU_BWD", c, h, w, lanes) - fx) // (2 if rp < 4 else 4)
    # a row of at most L pixels gains nothing from the upper half
    assert pool_cycles("RELU_BWD", c, 4, 4, lanes, read_ports=4) == pool_cycles("RELU_BWD", c, 4, 4, lanes, read_ports=2)
    assert pool_cycles("MP_FWD", c, 8, 8, lanes, read_ports=4) == pool_cycles("MP_FWD", c, 8, 8, lanes, read_ports=2)
    for mode in ("MP_BWD", "GAP_BWD"):   # write-bound: no change
        assert pool_cycles(mode, c, h, w, lanes, read_ports=16) == pool_cycles(mode, c, h, w, lanes)


def test_stack_writes_by_hand_and_the_relu_fused_under_a_pool():
    """The stack-write count of an image (the lower bound of array_projection's "cap" column) on
    conv(1->2)-MP-conv(2->2)-GAP-LC(2->3), 4x4 input, 4 lanes, counted by hand: conv 0 FWD 8
    (no BWD_DATA: first layer; its ReLU done by the pool's MP_BWD_RELU), MP_FWD 8 + MP_BWD 8 (an
    input row of 2L = 8 pixels a write: 2 rows of 2 windows' vector, 2 channels),
    conv 2 FWD 4 + BWD_DATA 4 + RELU_BWD 4 (under the GAP), GAP 2 + 4, LC 3 + 2, loss 3."""
    from bench.cycle_formulas import MP, GAP, lin, relu_fused_above
    layers = [conv(1, 2), MP, conv(2, 2), GAP, lin(2, 3)]
    assert [relu_fused_above(layers, i) for i in range(5)] == [True, False, False, False, False]
    sw = am.stack_writes(layers, (1, 4, 4), 4)
    assert sw == {"uc": 16, "relu": 4, "pool": 22, "lc_loss": 8, "total": 50}
    # without the pool's fusion (a conv without ReLU under it) conv 0 has no RELU_BWD either
    layers[0] = conv(1, 2, relu=False)
    assert am.stack_writes(layers, (1, 4, 4), 4)["relu"] == 4


def test_lc_pairs_halve_fwd_and_bwd_data_only():
    """The LC unit's second weight port (WPORTS = 2, an array's top): FWD two outputs an item
    when K >= 2, BWD_DATA two inputs' gradients when M >= 2; WGRAD / UPDATE and the one-port
    unit unchanged (the formulas measured on lc_unit's w2 / l8 block tests)."""
    assert lc_cycles("FWD", 512, 10, wports=2) == 5 * 512 + 14
    assert lc_cycles("FWD", 512, 11, wports=2) == 6 * 512 + 14
    assert lc_cycles("FWD", 1, 11, wports=2) == lc_cycles("FWD", 1, 11) == 11 + 14
    assert lc_cycles("BWD_DATA", 7, 10, wports=2) == 10 * 4 + 14
    assert lc_cycles("BWD_DATA", 7, 1, wports=2) == 7 + 14
    for mode, base in (("WGRAD", 10 * 512 + 14), ("UPDATE", 10 * 512 + 10 + 14)):
        assert lc_cycles(mode, 512, 10, wports=2) == lc_cycles(mode, 512, 10) == base
    with pytest.raises(ValueError):
        lc_cycles("FWD", 4, 4, wports=3)
    with pytest.raises(ValueError):
        lc_cycles("LOSS", 4, 4)



@pytest.mark.parametrize("lanes", [2, 4, 8])
@pytest.mark.parametrize("name", ["VGG16", "AlexNet", "MobileNetV1", "cifar_mini"])
def test_flat_layers_are_the_drivers_flat_maps(name, lanes):
    """The network model flags as flat exactly the convs whose maps the driver's memory plan
    stores flat, and as converted the convs whose output the driver copies into the next conv's
    layout (one rule, sparsetrain.driver.flat_chain; MobileNetV1's stride-2 depth-wise convs
    cannot run flat, their outputs are converted)."""
    from bench.cycle_formulas import NETWORKS, flat_layers
    from sparsetrain.driver import flat_maps
    from sparsetrain.net import Conv, Gap, Linear, MaxPool, Net
    from sparsetrain.uc import UcParams
    in_shape, layers = NETWORKS[name]
    net = Net(in_shape, [MaxPool() if L["t"] == "mp" else Gap() if L["t"] == "gap" else Linear(L["m"])
                         if L["t"] == "lin" else Conv(L["n"], k=L["k"], stride=L["s"], pad=L["p"],
                                                      groups=L["c"] if L["dw"] else 1) for L in layers])
    fm = flat_maps(net, UcParams(lanes=lanes))
    drv = [isinstance(L, Conv) and fm[i][0] for i, L in enumerate(net.layers)]
    cvt = [isinstance(L, Conv) and fm[i][0] != fm[i][1] for i, L in enumerate(net.layers)]
    run = flat_layers(in_shape, layers, lanes)
    assert [bool(L.get("flat")) for L in run] == drv
    assert [bool(L.get("cvt")) for L in run] == cvt
    if name == "MobileNetV1" and lanes == 4:
        # the 2 x 2 convs: the last depth-wise conv's (stride 2) output converted for the pointwise
        assert sum(drv) == 3 and sum(cvt) == 1
    if name == "VGG16" and lanes == 4:
        assert sum(drv) == 3 and not any(cvt)          # the three 2 x 2 convs, between pools
    # the model with flat maps never costs more than the row layout
    on = cm.network(name, 0.925, "threshold", lanes, Calib(uc={}, uc_err={}))["cycles_per_image"]
    off = cm.network(name, 0.925, "threshold", lanes, Calib(uc={}, uc_err={}, flat_small=False))["cycles_per_image"]
    assert on <= off and (on < off) == any(drv)


def test_wq_levels_follow_the_rtl(monkeypatch):
    """bench.array_model.wq_levels is uc_wq's NLV (rtl/uc_unit/uc_wq.v ``levels_of``): one node
    level up to 16 engines, then one more each factor of four; each level past the first is one
    cycle more a FWD / BWD_DATA command, none in WGRAD (no stack write)."""
    want = {1: 1, 2: 1, 4: 1, 8: 1, 16: 1, 32: 2, 64: 2, 128: 3, 256: 3, 512: 4, 1024: 4}
    assert {e: am.wq_levels(e) for e in want} == want
    L = conv(64, 64)
    f = b = np.full(64, 40)
    cyc = {m: am.array_cycles(m, L, 8, 8, f, b, 4, 64, checked=True) for m in ("FWD", "BWD_DATA", "WGRAD")}
    monkeypatch.setattr(am, "wq_levels", lambda e: 1)
    one = {m: am.array_cycles(m, L, 8, 8, f, b, 4, 64, checked=True) for m in cyc}
    assert {m: cyc[m] - one[m] for m in cyc} == {"FWD": 1, "BWD_DATA": 1, "WGRAD": 0}


def test_update_run_on_banks():
    """UPDATE on UPD_BANKS engines (bench.array_model.update_run, rtl/uc_unit/uc_gen.v): engine k
    walks each filter's weights of bank k (address mod B) and its bias item, one cycle more for a
    filter where it has none. One bank is the one-engine walk, nnz + N + empty filters; the
    filters' addresses decide each engine's share; with banks the pointers pass the prefetch
    registers: one cycle at the start and one for each filter but the last whose share has at
    most one weight."""
    fwd = np.array([5, 0, 3, 8])
    assert am.update_run(fwd) == 16 + 4 + 1
    # B = 4 from address 0: filter starts 0, 5, 5, 8; per engine [2,0,0,2], [1,0,1,2], [1,0,1,2],
    # [1,0,1,2] weights, + 4 bias items, + the filters with none (2, 1, 1, 1), + 1 at the start,
    # + the filters but the last with at most one weight (2, 3, 3, 3)
    assert am.update_run(fwd, 4) == max(4 + 4 + 2 + 1 + 2, 4 + 4 + 1 + 1 + 3) == 13
    # from address 3: filter starts 3, 8, 8, 11; engine 3 takes weights 3 and 7 of filter 0 and
    # 11, 15 of filter 3: [2,0,0,2]; engines 0-2 [1,0,1,2]: 4 + 4 + 1 + 1 + 3
    assert am.update_run(fwd, 4, w_base=3) == 13
    # every weight is walked by exactly one engine, whatever the base
    for base in range(4):
        starts = base + np.concatenate([[0], np.cumsum(fwd)[:-1]])
        total = sum(int(((fwd - (k - starts) % 4 + 3) // 4).sum()) for k in range(4))
        assert total == fwd.sum()
    # on an array, UPDATE is its busiest engine's walk plus the fixed terms
    L = conv(4, 4, 3, 1, 1)
    assert (am.array_cycles("UPDATE", L, 8, 8, fwd, fwd, 4, 4, checked=True, upd_banks=4)
            - am.array_cycles("UPDATE", L, 8, 8, fwd, fwd, 4, 4, checked=True)) == am.update_run(fwd, 4) - am.update_run(fwd)
