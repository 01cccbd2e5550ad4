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
