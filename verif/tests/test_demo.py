"""`make demo` (the demo package, demo/) without a simulator: knobs, DATA files, float pre-training,
pruning, and the per-command tag list the RTL side relies on."""

from __future__ import annotations

import numpy as np
import pytest

from demo import data, knobs, run
from sparsetrain.float_train import accuracy_float, train_float  # noqa: F401
from sparsetrain.net import Conv, Gap, Linear, MaxPool, Net  # noqa: F401
from verif.common.checks import central_difference


# ---------------------------------------------------------------------------------- knobs
def test_knob_defaults():
    k = knobs.read_knobs({})
    assert (k.epochs, k.images, k.sparsity, k.pruning, k.sim, k.data) == (2, None, 0.85, "threshold",
                                                                           "verilator", "")


@pytest.mark.parametrize("env, msg", [
    ({"DEMO_EPOCHS": "two"}, "DEMO_EPOCHS='two': not an integer"),
    ({"DEMO_EPOCHS": "0"}, "DEMO_EPOCHS=0: out of range"),
    ({"DEMO_SPARSITY": "1.5"}, "DEMO_SPARSITY=1.5: out of range"),
    ({"DEMO_SPARSITY": "x"}, "not a number"),
    ({"DEMO_PRUNING": "random"}, "must be threshold or balanced"),
    ({"SIM": "vcs"}, "SIM='vcs': must be one of verilator, icarus, none"),
    ({"DEMO_IMAGES": "-3"}, "DEMO_IMAGES=-3: out of range"),
    ({"DATA_LAYOUT": "chw"}, "DATA_LAYOUT='chw': must be nchw or nhwc"),
    ({"DATA_LAYOUT": "NHWC"}, "DATA_LAYOUT='NHWC': must be nchw or nhwc"),
])
def test_bad_knobs_one_clear_line(env, msg):
    with pytest.raises(knobs.KnobError) as e:
        knobs.read_knobs(env)
    assert msg in str(e.value) and "\n" not in str(e.value)


def test_good_knobs():
    k = knobs.read_knobs({"DEMO_EPOCHS": "3", "DEMO_SPARSITY": "0.9", "DEMO_PRUNING": "balanced",
                         "SIM": "icarus", "DEMO_IMAGES": "64", "DATA_LAYOUT": "nhwc"})
    assert (k.epochs, k.sparsity, k.pruning, k.sim, k.images, k.data_layout) == (3, 0.9, "balanced", "icarus",
                                                                                 64, "nhwc")
    assert knobs.read_knobs({}).data_layout == "" and knobs.read_knobs({"DATA_LAYOUT": "nchw"}).data_layout == "nchw"


# ------------------------------------------------------------------------------- DATA files
def _npz(tmp_path, name="d.npz", **arrays):
    p = tmp_path / name
    np.savez(p, **arrays)
    return str(p)


def test_data_nhw_uint8_scaled_and_split(tmp_path):
    rng = np.random.default_rng(0)
    x = rng.integers(0, 256, (50, 12, 12), dtype=np.uint8)
    y = np.arange(50) % 5
    ds = data.load_npz(_npz(tmp_path, x=x, y=y), 1)
    assert ds.x_train.shape[1:] == (1, 12, 12) and ds.classes == 5
    assert len(ds.y_train) + len(ds.y_test) == 50
    assert 0.0 <= ds.x_train.min() and ds.x_train.max() <= 1.0


def test_data_nhwc_is_transposed_and_net_fits(tmp_path):
    x = np.random.default_rng(1).random((40, 32, 32, 3)) * 7 - 2    # not in [0, 1]: min-max scaled
    ds = data.load_npz(_npz(tmp_path, x=x, y=np.arange(40) % 10), 1)
    assert ds.x_train.shape[1:] == (3, 32, 32)
    assert ds.x_train.min() >= 0 and ds.x_train.max() <= 1
    net = run.make_net(ds.x_train.shape[1:], ds.classes)
    from sparsetrain.driver import check_fits, plan
    from sparsetrain.net import quantize_params
    from sparsetrain.uc import UcParams
    p = UcParams.from_hdl(knobs.DEMO_PARAMS)
    check_fits(net, p)
    plan(net, quantize_params(net, net.init_float(np.random.default_rng(0)), 0.0), p)


@pytest.mark.parametrize("arrays, msg", [
    ({"x": np.zeros((30, 8, 8))}, "missing array(s) y"),
    ({"x": np.zeros((30, 8)), "y": np.zeros(30, int)}, "x must be (N,H,W), (N,C,H,W) or (N,H,W,C)"),
    ({"x": np.zeros((30, 8, 8)), "y": np.zeros(29, int)}, "y must be (N,) = (30,)"),
    ({"x": np.zeros((30, 8, 8)), "y": np.full(30, 0.5)}, "integer labels"),
    ({"x": np.zeros((30, 8, 8)), "y": np.arange(30) - 1}, "labels must be 0..K-1"),
    ({"x": np.zeros((30, 8, 8)), "y": np.arange(30)}, "30 classes"),
    ({"x": np.zeros((30, 8, 8)), "y": np.zeros(30, int)}, "1 classes"),
    ({"x": np.zeros((30, 64, 64)), "y": np.arange(30) % 2}, "images of 64x64"),
    ({"x": np.zeros((10, 8, 8)), "y": np.arange(10) % 2}, "need at least 20"),
    ({"x": np.full((30, 8, 8), np.nan), "y": np.arange(30) % 2}, "NaN"),
    ({"x": np.array([["a"] * 8] * 30), "y": np.arange(30) % 2}, "x must be numeric"),
])
def test_bad_data_files(tmp_path, arrays, msg):
    with pytest.raises(knobs.KnobError) as e:
        data.load_npz(_npz(tmp_path, **arrays), 1)
    assert msg in str(e.value) and "\n" not in str(e.value)


def _pattern(shape):
    """uint8 images (N, *shape) whose pixel at index (a, b, d) of every image is 16a + 4b + d + 1
    (distinct for a, b, d < 4): where a value lands tells which file axes became (c, y, x)."""
    a, b, d = np.indices(shape)
    return np.broadcast_to((16 * a + 4 * b + d + 1).astype(np.uint8), (20, *shape)).copy()


def _all_images(ds):
    return np.concatenate([ds.x_train, ds.x_test]) * 255


def test_data_nhwc_4x4_rgb_uint8_read_as_nhwc(tmp_path, capsys):
    # the example: (20, 4, 4, 3) uint8 channels last was refused ("images of 4x3")
    path = _npz(tmp_path, x=_pattern((4, 4, 3)), y=np.arange(20) % 2)
    ds = data.load_npz(path, 1)
    x = _all_images(ds)
    assert x.shape == (20, 3, 4, 4) and ds.classes == 2
    c, yy, xx = np.indices((3, 4, 4))
    np.testing.assert_allclose(x, np.broadcast_to(16 * yy + 4 * xx + c + 1, x.shape))   # file [y, x, c]
    assert capsys.readouterr().out.strip() == f"demo: DATA={path}: 20 images 3x4x4 (read as NHWC)"
    # the knob may say so too; the other reading (4 channels of 4x3) is refused
    np.testing.assert_allclose(_all_images(data.load_npz(path, 1, "nhwc")), x)
    with pytest.raises(knobs.KnobError) as e:
        data.load_npz(path, 1, "nchw")
    assert str(e.value) == (f"DATA={path}: DATA_LAYOUT=nchw reads x of shape (20, 4, 4, 3) as NCHW: images of "
                            "4x3 (the demo takes 1 to 4 channels of 4x4 up to 32x32 pixels); as NHWC it would "
                            "be 3x4x4")


def test_data_nchw_read_as_nchw(tmp_path, capsys):
    path = _npz(tmp_path, x=_pattern((3, 4, 4)), y=np.arange(20) % 2)
    x = _all_images(data.load_npz(path, 1))
    c, yy, xx = np.indices((3, 4, 4))
    np.testing.assert_allclose(x, np.broadcast_to(16 * c + 4 * yy + xx + 1, x.shape))    # file [c, y, x]
    assert "20 images 3x4x4 (read as NCHW)" in capsys.readouterr().out
    with pytest.raises(knobs.KnobError, match=r"DATA_LAYOUT=nhwc reads x of shape \(20, 3, 4, 4\) as NHWC: images "
                                             r"of 3x4 \(.*\); as NCHW it would be 3x4x4$"):
        data.load_npz(path, 1, "nhwc")


def test_data_ambiguous_shape_needs_data_layout(tmp_path, capsys):
    path = _npz(tmp_path, x=_pattern((4, 4, 4)), y=np.arange(20) % 2)
    with pytest.raises(knobs.KnobError) as e:
        data.load_npz(path, 1)
    assert str(e.value) == (f"DATA={path}: x of shape (20, 4, 4, 4) is valid as NCHW (4x4x4) and as NHWC "
                            "(4x4x4); say which with DATA_LAYOUT=nchw or DATA_LAYOUT=nhwc")
    c, yy, xx = np.indices((4, 4, 4))
    nchw = _all_images(data.load_npz(path, 1, "nchw"))
    np.testing.assert_allclose(nchw, np.broadcast_to(16 * c + 4 * yy + xx + 1, nchw.shape))
    nhwc = _all_images(data.load_npz(path, 1, "nhwc"))
    np.testing.assert_allclose(nhwc, np.broadcast_to(16 * yy + 4 * xx + c + 1, nhwc.shape))
    assert not np.array_equal(nchw, nhwc)
    out = capsys.readouterr().out.splitlines()
    assert out == [f"demo: DATA={path}: 20 images 4x4x4 (read as NCHW)",
                   f"demo: DATA={path}: 20 images 4x4x4 (read as NHWC)"]


@pytest.mark.parametrize("shape, msg", [
    ((20, 8, 8, 8), "x of shape (20, 8, 8, 8) fits no layout: as NCHW 8 channels, as NHWC 8 channels"),
    ((20, 4, 2, 5), "x of shape (20, 4, 2, 5) fits no layout: as NCHW images of 2x5, as NHWC 5 channels and "
                    "images of 4x2"),
    ((20, 3, 40, 3), "fits no layout: as NCHW images of 40x3, as NHWC images of 3x40"),
])
def test_data_shape_valid_in_neither_layout(tmp_path, shape, msg):
    path = _npz(tmp_path, x=np.zeros(shape, np.uint8), y=np.arange(20) % 2)
    for layout in ("", "nchw", "nhwc"):
        with pytest.raises(knobs.KnobError) as e:
            data.load_npz(path, 1, layout)
        assert str(e.value).startswith(f"DATA={path}: ") and "\n" not in str(e.value)
        if not layout:
            assert msg in str(e.value) and "crop or resize" in str(e.value)


def test_data_layout_errors_through_main(tmp_path, monkeypatch, capsys):
    """``make demo DATA=... [DATA_LAYOUT=...]``: one line on stderr, exit status 2; the knob reaches
    the loader."""
    path = _npz(tmp_path, x=_pattern((4, 4, 4)), y=np.arange(20) % 2)
    # should the loader not refuse, stop before the demo trains or builds anything (exit status 1)
    def not_refused(*_):
        raise RuntimeError("the loader did not refuse the file")
    monkeypatch.setattr(run, "make_net", not_refused)
    monkeypatch.setattr(run, "OUT", tmp_path / "out")
    monkeypatch.setenv("SIM", "none")
    monkeypatch.setenv("DATA", path)
    monkeypatch.delenv("DATA_LAYOUT", raising=False)
    assert run.main() == 2
    err = capsys.readouterr().err
    assert err.startswith(f"demo: DATA={path}: x of shape (20, 4, 4, 4) is valid as NCHW") and err.count("\n") == 1
    monkeypatch.setenv("DATA_LAYOUT", "hwc")
    assert run.main() == 2
    assert capsys.readouterr().err == "demo: DATA_LAYOUT='hwc': must be nchw or nhwc\n"
    seen = []

    def fake_load(p, seed, layout=""):
        seen.append((p, layout))
        raise knobs.KnobError(f"DATA={p}: stop here")
    monkeypatch.setattr(run, "load_npz", fake_load)
    monkeypatch.setenv("DATA_LAYOUT", "nhwc")
    assert run.main() == 2 and seen == [(path, "nhwc")]


def test_data_missing_and_unreadable(tmp_path):
    with pytest.raises(knobs.KnobError, match="no such file"):
        data.load_npz(str(tmp_path / "nope.npz"), 1)
    bad = tmp_path / "bad.npz"
    bad.write_text("not a zip")
    with pytest.raises(knobs.KnobError, match="not a readable .npz"):
        data.load_npz(str(bad), 1)


# ------------------------------------------------------------------- pre-training and pruning
def test_float_pretraining_learns_digits():
    ds = data.load_digits_data(1)
    net = run.make_net((1, 8, 8), 10)
    p0 = net.init_float(np.random.default_rng(1))
    before = accuracy_float(net, p0, ds.x_test, ds.y_test)
    p1, losses = train_float(net, p0, ds.x_train, ds.y_train, 5, 32, 0.05, 0.9, np.random.default_rng(2))
    after = accuracy_float(net, p1, ds.x_test, ds.y_test)
    assert losses[-1] < losses[0] and after > 0.7 > before + 0.2, (before, after, losses)


def test_float_gradients_match_finite_differences():
    from sparsetrain.float_train import backward_float, forward_float, softmax_xent_float
    rng = np.random.default_rng(3)
    net = Net((2, 6, 6), [Conv(3), MaxPool(), Conv(4, stride=1), Gap(), Linear(3)])
    p = net.init_float(rng)
    x, y = rng.random((4, 2, 6, 6)), np.array([0, 1, 2, 1])

    def loss():
        return softmax_xent_float(forward_float(net, p, x)[0], y)[0]
    logits, cache = forward_float(net, p, x)
    g = backward_float(net, p, cache, softmax_xent_float(logits, y)[1])
    for i in (0, 2, 4):
        w = p[i][0]
        for idx in [tuple(rng.integers(0, s) for s in w.shape) for _ in range(3)]:
            assert abs(central_difference(loss, w, idx) - g[i][0][idx]) < 1e-5


def test_masked_finetune_keeps_pruned_weights_zero_and_first_conv_dense():
    ds = data.load_digits_data(1)
    net = run.make_net((1, 8, 8), 10)
    p = net.init_float(np.random.default_rng(0))
    q, qdense = run.prune_quantize(net, p, 0.85, "threshold")
    assert q.convs[0].nnz == qdense.convs[0].nnz                        # first conv dense
    assert abs(run.sparsity_of(q)["pruned_convs"] - 0.85) < 0.01
    from sparsetrain.net import dequantize_params, masks_of
    masks = masks_of(q, net)
    p2, _ = train_float(net, dequantize_params(net, q), ds.x_train[:64], ds.y_train[:64], 1, 32, 0.05, 0.0,
                        masks=masks)
    assert np.all(p2[2][0][masks[2] == 0] == 0)


def test_command_tags_match_build_program():
    from sparsetrain.driver import build_program
    from demo.tb import command_tags
    from sparsetrain.program import HostHeap, Op
    from sparsetrain.uc import UcParams
    net = run.make_net((1, 8, 8), 10)
    q, _ = run.prune_quantize(net, net.init_float(np.random.default_rng(0)), 0.85, "threshold")
    mem = {}
    for params in (knobs.DEMO_PARAMS, {**knobs.DEMO_PARAMS, "ENGINES": 1}):
        p = UcParams.from_hdl(params)
        prog_run = build_program(net, q, p, np.zeros((1, 1, 8, 8), np.int16), [3],
                                 lambda a, d: mem.update({a: d}), HostHeap(size=1 << 22), debug=False)
        ops = [d[0] & 0xFF for d in prog_run.prog.descs]
        compute = [o for o in ops if o in (Op.UC, Op.MP, Op.GAP, Op.LC, Op.LOSS)]
        assert len(compute) == len(command_tags(net, p)), params
