"""sparsetrain/driver.py without a simulator: the host refuses labels the chip would not take.

A label must be an integer in 0..classes-1 (classes = the last Linear layer's outputs); the
chip's label field is 16 bits wide and its loss unit answers BAD_LABEL for label >= classes, but
build_program raises ValueError (image index and value named) before it writes anything.
"""

from __future__ import annotations

import numpy as np
import pytest

from sparsetrain.driver import build_program, check_labels
from sparsetrain.net import Conv, Gap, Linear, MaxPool, Net, quantize_params
from sparsetrain.program import HostHeap
from sparsetrain.uc import UcParams

PARAMS = UcParams.from_hdl({"LANES": 8, "KMAX": 7, "CMAX": 64, "NMAX": 64, "HMAX": 64, "WMAX": 64,
                            "FM_DEPTH": 8192, "WDEPTH": 16384, "PDEPTH": 256, "BDEPTH": 256,
                            "PROG_DEPTH": 128, "CLASSES_MAX": 16})
CLASSES = 10


@pytest.fixture(scope="module")
def net_q():
    net = Net((1, 8, 8), [Conv(8), MaxPool(), Conv(16), Gap(), Linear(CLASSES)])
    return net, quantize_params(net, net.init_float(np.random.default_rng(0)), 0.5)


def _build(net, q, labels, train=True):
    """build_program into a dict {host address: bytes written}."""
    mem = {}
    images = np.zeros((len(labels), 1, 8, 8), np.int16)
    run = build_program(net, q, PARAMS, images, labels, lambda a, d: mem.__setitem__(a, bytes(d)),
                        HostHeap(size=1 << 22), train=train, debug=False)
    return run, mem


@pytest.mark.parametrize("bad, shown", [(-1, "-1 (-0x1)"), (CLASSES, "10 (0xa)"),
                                        (0x10002, "65538 (0x10002)"), (0xFFFF, "65535 (0xffff)")])
@pytest.mark.parametrize("train", [True, False])
def test_out_of_range_label_refused_before_any_write(net_q, bad, shown, train):
    net, q = net_q
    for labels in ([3, 0, bad], np.array([3, 0, bad], dtype=np.int64)):
        with pytest.raises(ValueError) as e:
            _build(net, q, labels, train)
        assert str(e.value) == f"label of image 2: {shown} out of range 0..9 (the net has 10 classes)"
    # nothing reached host memory
    writes = []
    with pytest.raises(ValueError):
        build_program(net, q, PARAMS, np.zeros((2, 1, 8, 8), np.int16), [bad, 1], lambda a, d: writes.append(a),
                      HostHeap(size=1 << 22), train=train)
    assert writes == []


@pytest.mark.parametrize("bad", [2.0, 2.5, True, "3", None])
def test_non_integer_label_refused(net_q, bad):
    net, q = net_q
    with pytest.raises(ValueError, match=r"^label of image 1: .* is not an integer \(labels are 0\.\.9\)$"):
        _build(net, q, [0, bad])


@pytest.mark.parametrize("train", [True, False])
def test_valid_labels_build_and_land_in_host_memory(net_q, train):
    net, q = net_q
    for labels in ([0, 9, 4], np.array([0, 9, 4], dtype=np.uint8), np.array([0, 9, 4], dtype=np.int64)):
        run, mem = _build(net, q, labels, train)
        assert run.batch == 3 and len(run.prog) > 0
        # the label words: one 32-bit little-endian word an image, right after the images
        want = b"".join(v.to_bytes(4, "little") for v in (0, 9, 4))
        assert sum(d == want for d in mem.values()) == 1
    assert check_labels(net, np.arange(CLASSES)) == list(range(CLASSES))
    assert all(type(v) is int for v in check_labels(net, np.array([1, 2], np.int16)))


def test_pool_over_conv_relu_runs_mp_bwd_relu_and_no_relu_bwd():
    """The backward of a max pool over a Conv + ReLU is one MP_BWD_RELU (mode 3) and that conv
    gets no RELU_BWD (mode 2); a pool over a conv without ReLU runs MP_BWD (mode 1); a conv + ReLU
    under a GAP keeps its RELU_BWD."""
    from sparsetrain.program import Op
    net = Net((1, 8, 8), [Conv(4), MaxPool(), Conv(4, relu=False), MaxPool(), Conv(4), Gap(),
                          Linear(CLASSES)])
    assert [net.pool_fuses_relu(i) for i in range(7)] == [False, True, False, False, False, False, False]
    assert [net.relu_fused_above(i) for i in range(7)] == [True, False, False, False, False, False, False]
    assert [net.relu_bwd_needed(i) for i in range(7)] == [False, False, False, False, True, False, False]
    q = quantize_params(net, net.init_float(np.random.default_rng(0)), 0.5)
    run, _ = _build(net, q, [1, 2])
    mp = [(int(d[0]) >> 8) & 0xFF for d in run.prog.descs if int(d[0]) & 0xFF == Op.MP]
    assert mp == [0, 0, 2, 1, 3], mp    # MP_FWD x2; backward: RELU_BWD conv 4, MP_BWD, MP_BWD_RELU


# ---------------------------------------------------------------------- flat small maps (issue 14)
def test_flat_chain_drops_convs_next_to_a_row_layout_conv():
    """A conv runs flat only when every conv sharing a map with it does: one refusal spreads
    along a run of convs, and stops at a pool (which takes either layout)."""
    from sparsetrain.driver import flat_chain
    conv, pool = True, False
    assert flat_chain([conv, conv, conv], [True, True, True]) == [True, True, True]
    # a stride-2 conv (no flat) in front of two that could: neither may
    assert flat_chain([conv, conv, conv], [False, True, True]) == [False, False, False]
    # ... unless a pool stands between
    assert flat_chain([conv, pool, conv, conv], [False, False, True, True]) == [False, False, True, True]
    assert flat_chain([conv, conv, pool, conv], [True, False, False, True]) == [False, False, False, True]
    # a non-conv never runs flat, whatever it is asked
    assert flat_chain([pool, conv], [True, True]) == [False, True]
    with pytest.raises(ValueError):
        flat_chain([conv], [True, True])
    # a map that can be converted (its writer's output copied into the other layout) keeps both
    assert flat_chain([conv, conv, conv], [False, True, True], [True, False, False]) == [False, True, True]
    assert flat_chain([conv, conv, conv], [True, True, False], [False, True, False]) == [True, True, False]
    # ... but only that map: conv 1 -> conv 2 cannot, so conv 1 drops out, and conv 0 stays flat
    # across its converted map
    assert flat_chain([conv, conv, conv], [True, True, False], [True, False, False]) == [True, False, False]


def _pool_cnn():
    return Net((1, 8, 8), [Conv(8), MaxPool(), Conv(16, relu=False), MaxPool(), Conv(8), Gap(), Linear(CLASSES)])


@pytest.mark.parametrize("lanes, flat", [(8, {1, 2, 3, 4}), (4, {3, 4}), (2, set())])
def test_flat_maps_of_a_pool_cnn(lanes, flat):
    """Maps narrower than the lanes next to a conv that may run flat are flat; the others not:
    at 8 lanes the 4 x 4 and 2 x 2 maps, at 4 lanes the 2 x 2 ones, at 2 lanes none (W = 2 is
    not below LANES)."""
    from sparsetrain.driver import flat_maps
    p = UcParams(lanes=lanes)
    fm = flat_maps(_pool_cnn(), p)
    assert {j for j, (fw, fr) in fm.items() if fw} == flat
    assert all(fw == fr for fw, fr in fm.values())        # conv - pool - conv: nothing to convert
    assert not any(any(f) for f in flat_maps(_pool_cnn(), p, enable=False).values())


def test_flat_maps_convert_after_stride_2_or_refuse():
    """conv - conv/2 - conv on 8 x 8 at 8 lanes: the last conv (4 x 4, stride 1) runs flat; the
    stride-2 conv cannot, so its output (a ReLU output) is written in the row layout and read
    flat through a copy. Without the ReLU there is no exact copy: nothing is flat."""
    from sparsetrain.driver import flat_maps
    net = Net((1, 8, 8), [Conv(4), Conv(8, stride=2), Conv(8), Gap(), Linear(CLASSES)])
    fm = flat_maps(net, UcParams(lanes=8))
    assert [fm[j] for j in range(-1, 4)] == [(False, False), (False, False), (False, True), (True, True),
                                             (False, False)]
    net = Net((1, 8, 8), [Conv(4), Conv(8, stride=2, relu=False), Conv(8), Gap(), Linear(CLASSES)])
    assert not any(any(f) for f in flat_maps(net, UcParams(lanes=8)).values())
    # a flat row above WMAX: not flat (GAP takes the map as (C, 1, H*W))
    net = Net((1, 8, 4), [Conv(4), Gap(), Linear(CLASSES)])
    assert flat_maps(net, UcParams(lanes=8, wmax=32))[0] == (True, True)
    assert not any(any(f) for f in flat_maps(net, UcParams(lanes=8, wmax=31)).values())


def _fields(desc):
    from bench.program_model import decode
    return decode(desc)


def test_flat_program_sets_every_flag_and_buffer():
    """The pool CNN at 4 lanes: the 2 x 2 maps (outputs of layers 3 and 4) are flat. Their
    buffers take C * ceil(H*W / 2L) words; conv 4's UC commands carry ``flat``, the pool above
    conv 2 writes its pooled side flat (``flat_y``), the RELU_BWD of conv 4 has both sides flat,
    GAP sees (C, 1, H*W); with ``flat=False`` none of it."""
    from sparsetrain.driver import plan
    from sparsetrain.program import Op
    net = _pool_cnn()
    q = quantize_params(net, net.init_float(np.random.default_rng(0)), 0.5)
    p = UcParams.from_hdl({**PARAMS.to_hdl(), "LANES": 4})
    lay, row = plan(net, q, p), plan(net, q, p, flat=False)
    assert [lay.is_flat(j) for j in range(-1, 7)] == [False] * 4 + [True, True, False, False]
    assert not lay.cvt and not row.cvt
    assert lay.store_shape(3, (16, 2, 2)) == (16, 1, 4) and lay.store_shape(2, (16, 4, 4)) == (16, 4, 4)
    # flat 2 x 2 map of 16 channels at 2L = 8 pixels a word: 16 words (row layout: 32)
    assert lay.out[4] - lay.out[3] == 2 * 16 + 16 and row.out[4] - row.out[3] == 2 * 32 + 32
    for flat in (True, False):
        mem = {}
        run = build_program(net, q, p, np.zeros((1, 1, 8, 8), np.int16), [1],
                            lambda a, d: mem.__setitem__(a, bytes(d)), HostHeap(size=1 << 22), flat=flat)
        descs = [_fields(d) for d in run.prog.descs]
        uc = [(d["fptr_base"], d["flat"]) for d in descs if d["opcode"] == Op.UC]
        want = {run.lay.fptr[4]} if flat else set()
        assert {b for b, f in uc if f} == want and sum(f for _, f in uc) == (4 if flat else 0)  # FWD WGRAD BWD UPDATE
        mp = [(d["mode"], d["flat_x"], d["flat_y"]) for d in descs if d["opcode"] == Op.MP]
        # MP_FWD x2, RELU_BWD (conv 4), MP_BWD (pool 3), MP_BWD_RELU (pool 1)
        assert mp == ([(0, 0, 0), (0, 0, 1), (2, 1, 1), (1, 0, 1), (3, 0, 0)] if flat else
                      [(0, 0, 0), (0, 0, 0), (2, 0, 0), (1, 0, 0), (3, 0, 0)])
        gap = [(d["c"], d["h"], d["w"]) for d in descs if d["opcode"] == Op.GAP]
        assert gap == ([(8, 1, 4)] * 2 if flat else [(8, 2, 2)] * 2)
        # the debug STORE of a flat map counts its flat words; read_tensor gives (C, H, W) back
        assert run.debug[("out", 4)][2:] == ((8, 2, 2), (8, 1, 4) if flat else (8, 2, 2))


def test_read_tensor_unpacks_a_flat_map():
    """A flat map written to a debug buffer as the chip stores it (the row layout of (C, 1, H*W))
    comes back from AccelRun.read_tensor as (C, H, W)."""
    from sparsetrain.program import words_to_bytes
    from sparsetrain.uc import map_to_words
    net = _pool_cnn()
    q = quantize_params(net, net.init_float(np.random.default_rng(0)), 0.5)
    p = UcParams.from_hdl({**PARAMS.to_hdl(), "LANES": 4})
    mem = {}
    run = build_program(net, q, p, np.zeros((2, 1, 8, 8), np.int16), [1, 2],
                        lambda a, d: mem.__setitem__(a, bytes(d)), HostHeap(size=1 << 22))
    x = np.arange(8 * 2 * 2, dtype=np.int16).reshape(8, 2, 2) - 7
    addr, step, shape, stored = run.debug[("out", 4)]
    data = words_to_bytes(map_to_words(x.reshape(stored), p.lanes), p.width(0))
    assert len(data) == step
    np.testing.assert_array_equal(run.read_tensor(lambda a, n: data[a - addr - step:][:n], "out", 4, 1), x)


def test_converted_map_program():
    """conv - conv/2 - conv at 8 lanes: conv 2 runs flat. In forward, after the stride-2 conv, a
    RELU_BWD copies its row-layout output into a flat buffer (dY = Y = the output; X the copy),
    which conv 2 reads in FWD and WGRAD; in backward conv 2's BWD_DATA writes the gradient flat,
    masked by the flat copy (the ReLU backward of conv 1, BWD_DATA with relu), and conv 1's
    RELU_BWD reads it with the flat copy as Y and writes it in the row layout (masking again:
    the conversion); conv 1's BWD_DATA does conv 0's ReLU backward, so conv 0 runs no RELU_BWD.
    The debug STOREs take each buffer's own layout."""
    from sparsetrain.program import Op
    net = Net((1, 8, 8), [Conv(4), Conv(8, stride=2), Conv(8), Gap(), Linear(CLASSES)])
    q = quantize_params(net, net.init_float(np.random.default_rng(0)), 0.5)
    mem = {}
    run = build_program(net, q, PARAMS, np.zeros((1, 1, 8, 8), np.int16), [1],
                        lambda a, d: mem.__setitem__(a, bytes(d)), HostHeap(size=1 << 22))
    lay = run.lay
    assert list(lay.cvt) == [1] and lay.src(1) == lay.cvt[1] != lay.out[1]
    cmds = [_fields(d) for d in run.prog.descs if _fields(d)["opcode"] in (Op.UC, Op.MP)]
    got = [("uc", d["mode"], d["flat"], d["x_base"], d["y_base"]) if d["opcode"] == Op.UC else
           ("mp", d["mode"], d["flat_x"], d["flat_y"], d["x_base"], d["y_base"], d["a_base"]) for d in cmds]
    o, dout, cv, dr = lay.out, lay.dout, lay.cvt[1], lay.drelu
    assert got == [
        ("uc", 0, 0, lay.x0, o[0]), ("uc", 0, 0, o[0], o[1]),
        ("mp", 2, 1, 0, cv, o[1], o[1]),                       # the copy, row -> flat
        ("uc", 0, 1, cv, o[2]),
        ("mp", 2, 1, 1, dr[2], dout[2], o[2]),                 # conv 2's ReLU backward, flat
        ("uc", 2, 1, cv, dr[2]), ("uc", 1, 1, dout[1], dr[2]),
        ("mp", 2, 0, 1, dr[1], dout[1], cv),                   # conv 1's, flat in, row out
        ("uc", 2, 0, o[0], dr[1]), ("uc", 1, 0, dout[0], dr[1]),
        ("uc", 2, 0, lay.x0, dout[0]),
        ("uc", 3, 0, 0, 0), ("uc", 3, 0, 0, 0), ("uc", 3, 1, 0, 0)], got
    # the BWD_DATAs' ReLU backward: conv 2's masked by the flat copy it reads, conv 1's by o[0]
    bwd = [(d["relu"], d["m_base"]) for d in cmds if d["opcode"] == Op.UC and d["mode"] == 1]
    assert bwd == [(1, cv), (1, o[0])] and 0 not in dr, (bwd, dr)
    # buffers: the flat copy and the gradient of map 1 take the flat words (8 x 16 pixels at 16 a
    # word: 8), the row-layout output 8 x 4 rows
    assert PARAMS.map_words(8, 1, 16) == 8 and PARAMS.map_words(8, 4, 4) == 32
    assert run.debug[("out", 1)][3] == (8, 4, 4) and run.debug[("din", 2)][3] == (8, 1, 16)
    assert run.debug[("drelu", 1)][3] == (8, 4, 4) and run.debug[("drelu", 2)][3] == (8, 1, 16)


# ---- channel order on an engine array (issue 14: the static split's balance) ---------------------
def test_engine_balanced_order_evens_the_split():
    """Largest first to the least-loaded engine with a free position: a permutation, each engine
    its split's number of channels, the busiest engine's load at most the identity order's (here
    strictly less), ties in channel order; one engine: the identity."""
    from sparsetrain.uc import engine_balanced_order, engine_ranges
    counts = np.array([9, 8, 7, 6, 1, 1, 1, 1, 5, 5, 0])
    for engines in (2, 3, 4, 16):
        o = engine_balanced_order(counts, engines)
        assert sorted(o) == list(range(counts.size))
        busiest = max(int(counts[o[r.start:r.stop]].sum()) for r in engine_ranges(counts.size, engines))
        before = max(int(counts[r.start:r.stop].sum()) for r in engine_ranges(counts.size, engines))
        assert busiest <= before
    o = engine_balanced_order(counts, 2)
    assert [int(counts[o[r.start:r.stop]].sum()) for r in engine_ranges(11, 2)] == [22, 22]
    assert list(engine_balanced_order(counts, 1)) == list(range(11))
    assert list(engine_balanced_order([3, 3, 3, 3], 2)) == [0, 1, 2, 3]


def test_permuted_params_compute_the_permuted_network():
    """conv - conv/2 - MP - depth-wise conv - conv - GAP - Linear with the chip's channel orders
    of a 4-engine array: every map of the model run on the permuted parameters is the model's map
    in that channel order, the logits are the same, and ``back=True`` restores the parameters."""
    from sparsetrain.driver import channel_orders, permute_params
    from verif.models.network import forward_model
    net = Net((2, 8, 8), [Conv(8), Conv(8, stride=2), MaxPool(), Conv(8, groups=8), Conv(12), Gap(),
                          Linear(CLASSES)])
    q = quantize_params(net, net.init_float(np.random.default_rng(3)), 0.6)
    orders = channel_orders(net, q, 4)
    assert any(list(o) != list(range(len(o))) for o in orders.values())
    assert list(orders[2]) == list(orders[1]) and list(orders[3]) == list(orders[2])   # pool, dw
    qc = permute_params(net, q, orders)
    assert not permute_params(net, qc, orders, back=True).differences(q)
    x = np.random.default_rng(4).integers(-200, 200, size=(2, 8, 8)).astype(np.int16)
    acts, _ = forward_model(net, q, x)
    acts_c, _ = forward_model(net, qc, x)
    for i in range(len(net.layers)):
        np.testing.assert_array_equal(acts_c[i], acts[i][np.asarray(orders[i])], err_msg=f"layer {i}")
    assert list(channel_orders(net, q, 1)[4]) == list(range(12))


def test_linear_runs_on_the_uc_unit_of_an_array():
    """On an engine array the Linear classifier is a UC 1 x 1 convolution of its (C, 1, 1)
    input: FWD, WGRAD (weights, then the bias gradient on the empty list at shift 0), BWD_DATA,
    UPDATE, and no LC command; its dense list and the empty list's pointers are loaded. On one
    engine, and where C or M exceed CMAX / NMAX, the LC unit runs it."""
    from sparsetrain.driver import linear_lists, linear_on_uc
    from sparsetrain.net import W_FRAC
    from sparsetrain.program import Op
    from sparsetrain.uc import Mode
    net = Net((1, 8, 8), [Conv(8), MaxPool(), Conv(16), Gap(), Linear(CLASSES)])
    q = quantize_params(net, net.init_float(np.random.default_rng(0)), 0.5)
    for engines, on_uc in ((1, False), (4, True)):
        p = UcParams.from_hdl({**PARAMS.to_hdl(), "ENGINES": engines})
        assert linear_on_uc(net, p, 4) is on_uc
        mem = {}
        run = build_program(net, q, p, np.zeros((2, 1, 8, 8), np.int16), [1, 2],
                            lambda a, d: mem.__setitem__(a, bytes(d)), HostHeap(size=1 << 22))
        descs = [_fields(d) for d in run.prog.descs]
        lc = [d["mode"] for d in descs if d["opcode"] == Op.LC]
        lin = [(d["mode"], d["bgrad"], d["shift"], d["fptr_base"] == run.lay.bias_ptr.get(4))
               for d in descs if d["opcode"] == Op.UC and d["fptr_base"] in (run.lay.fptr.get(4), run.lay.bias_ptr.get(4))
               and 4 in run.lay.fptr]
        if on_uc:
            assert not lc
            assert lin == [(Mode.FWD, 0, W_FRAC, False), (Mode.WGRAD, 0, net.layers[4].wgrad_shift, False),
                           (Mode.WGRAD, 1, 0, True), (Mode.BWD_DATA, 0, W_FRAC, False),
                           (Mode.UPDATE, 0, W_FRAC, False)]
            assert linear_lists(q, 4).nnz == 16 * CLASSES and linear_lists(q, 4, empty=True).nnz == 0
        else:
            assert lc == [0, 2, 1, 3] and not lin
    p = UcParams.from_hdl({**PARAMS.to_hdl(), "ENGINES": 4, "CMAX": 8})
    assert not linear_on_uc(net, p, 4)


def test_pools_run_without_the_argmax_map_from_8_engines():
    """From 8 engines (the top's MP unit reads 8 stack copies) every MP_FWD and MP_BWD /
    MP_BWD_RELU carries ``xarg``: no argmax map is planned, MP_BWD reads the pool's input X at
    the base MP_FWD read it from (in dX's layout); below 8 engines the argmax map as before."""
    from sparsetrain.driver import pool_xarg
    from sparsetrain.program import Op
    net = Net((1, 8, 8), [Conv(8), MaxPool(), Conv(16), Gap(), Linear(CLASSES)])
    q = quantize_params(net, net.init_float(np.random.default_rng(0)), 0.5)
    for engines, xarg in ((4, False), (8, True), (16, True)):
        p = UcParams.from_hdl({**PARAMS.to_hdl(), "ENGINES": engines})
        assert pool_xarg(p) is xarg
        run = build_program(net, q, p, np.zeros((2, 1, 8, 8), np.int16), [1, 2],
                            lambda a, d: None, HostHeap(size=1 << 22))
        mp = [_fields(d) for d in run.prog.descs if _fields(d)["opcode"] == Op.MP]
        fwd = [d for d in mp if d["mode"] == 0]
        bwd = [d for d in mp if d["mode"] in (1, 3)]
        assert fwd and bwd and all(d["xarg"] == int(xarg) for d in fwd + bwd)
        assert (1 in run.lay.arg) is not xarg
        # MP_BWD's A: the argmax map, or X where MP_FWD read it
        assert {d["a_base"] for d in bwd} == ({fwd[0]["x_base"]} if xarg else {run.lay.arg[1]})


def test_linear_on_the_uc_model_is_the_lc_model():
    """The UC unit's model of the driver's Linear commands (dense 1 x 1 list, one pixel) gives the
    LC unit's results bit for bit: the output, the input gradient, the weight gradient, the bias
    gradient (the empty list's WGRAD at shift 0: dY unshifted) and the SGD step, on random int16
    data over the whole range. At the weight gradient's shift the bias gradient would differ (why
    the driver sends the second WGRAD)."""
    from sparsetrain.driver import linear_lists
    from sparsetrain.net import QParams
    from sparsetrain.uc import Mode, UcCommand
    from verif.models import uc_expected
    from verif.models.layers import linear_backward, linear_forward, sgd_update
    rng = np.random.default_rng(7)
    m, c, shift, wsh = 10, 24, 8, 4
    w = rng.integers(-32768, 32768, size=(m, c)).astype(np.int16)
    w[0, :3] = 0                                    # zero weights stay entries
    q = QParams(convs={}, lin_w={0: w}, biases={0: rng.integers(-2**20, 2**20, size=m).astype(np.int32)})
    x = rng.integers(-300, 300, size=c).astype(np.int16)
    dy = rng.integers(-32768, 32768, size=m).astype(np.int16)
    sw, sw0 = linear_lists(q, 0), linear_lists(q, 0, empty=True)
    np.testing.assert_array_equal(sw.values, w.ravel())
    geo = dict(cin=c, cout=m, h=1, w=1, k=1)
    y = uc_expected(UcCommand(mode=Mode.FWD, shift=shift, **geo), sw, x=x[:, None, None], bias=q.biases[0])["y"]
    np.testing.assert_array_equal(y[:, 0, 0], linear_forward(x, w, q.biases[0], shift))
    dx_ref, dw_ref, db_ref = linear_backward(dy, x, w, shift, wsh)
    dx = uc_expected(UcCommand(mode=Mode.BWD_DATA, shift=shift, **geo), sw, dy=dy[:, None, None])["dx"]
    np.testing.assert_array_equal(dx[:, 0, 0], dx_ref)
    g = uc_expected(UcCommand(mode=Mode.WGRAD, shift=wsh, **geo), sw, x=x[:, None, None], dy=dy[:, None, None])
    np.testing.assert_array_equal(g["grad"], dw_ref.ravel())
    gb = uc_expected(UcCommand(mode=Mode.WGRAD, shift=0, bgrad=1, **geo), sw0, x=x[:, None, None],
                     dy=dy[:, None, None])
    np.testing.assert_array_equal(gb["bgrad"], db_ref)
    gb_w = uc_expected(UcCommand(mode=Mode.WGRAD, shift=wsh, bgrad=1, **geo), sw0, x=x[:, None, None],
                       dy=dy[:, None, None])
    assert not np.array_equal(gb_w["bgrad"], db_ref)
    u = uc_expected(UcCommand(mode=Mode.UPDATE, lr_mult=40000, lr_shift=20, lr_mult_b=30000, lr_shift_b=12, **geo),
                    sw, bias=q.biases[0], grad=dw_ref.ravel(), bgrad=db_ref)
    np.testing.assert_array_equal(u["wgt"], sgd_update(w, dw_ref, 40000, 20).ravel())
    np.testing.assert_array_equal(u["bias"], sgd_update(q.biases[0], db_ref, 30000, 12, bits=32))


def test_joint_order_evens_both_commands():
    """Two commands split by the same channels (a conv's FWD / WGRAD by its filters, the next
    conv's BWD_DATA by the same channels as its inputs): the order of ``(C, 2)`` work lowers the
    sum of the two busiest engines' loads below both the identity's and the order that looks at the
    first command alone; a column of equal work leaves the second to decide; 1-D work is dealt as
    before; order_work refuses counts of different lengths."""
    from sparsetrain.uc import engine_balanced_order, engine_ranges, order_work

    def peaks(work, order, engines):
        return sum(max(int(work[order[r.start:r.stop], k].sum()) for r in engine_ranges(len(order), engines))
                   for k in range(work.shape[1]))
    rng = np.random.default_rng(5)
    f = rng.integers(20, 40, size=32)
    b = rng.integers(5, 60, size=32)
    work = order_work(f, 16, b, 64)
    assert work.shape == (32, 2) and list(work[0]) == [2 * f[0] * 16, b[0] * 64]
    joint, alone = engine_balanced_order(work, 8), engine_balanced_order(f, 8)
    assert sorted(joint) == list(range(32))
    assert peaks(work, joint, 8) < min(peaks(work, alone, 8), peaks(work, np.arange(32), 8))
    flat = order_work(np.full(32, 30), 16, b, 64)
    assert peaks(flat, engine_balanced_order(flat, 8), 8) < peaks(flat, np.arange(32), 8)
    assert list(engine_balanced_order(f[:, None], 8)) == list(alone)
    with pytest.raises(ValueError):
        order_work(f, 16, b[:-1], 64)


def test_channel_order_follows_the_reading_conv():
    """A conv's output order also evens the BWD_DATA of the conv that reads the map (through a
    max pool too): with filters of equal non-zero counts (balanced pruning) the order is still
    not the identity when the reader's per-channel counts differ, and its BWD_DATA busiest engine
    is lighter than the identity's; bwd_reader finds the reader past a MaxPool, none past GAP."""
    from sparsetrain.driver import bwd_reader, channel_orders
    from sparsetrain.uc import engine_ranges
    net = Net((2, 8, 8), [Conv(16), MaxPool(), Conv(16), Gap(), Linear(CLASSES)])
    assert bwd_reader(net, 0) == 2 and bwd_reader(net, 2) is None
    q = quantize_params(net, net.init_float(np.random.default_rng(3)), 0.7, rule="balanced")
    assert len(set(q.convs[0].fwd_count.tolist())) == 1            # the filters alone: nothing to even
    o = channel_orders(net, q, 4)[0]
    b = np.asarray(q.convs[2].bwd_count)
    busiest = [max(int(b[order[r.start:r.stop]].sum()) for r in engine_ranges(16, 4))
               for order in (o, np.arange(16))]
    assert busiest[0] < busiest[1], busiest
