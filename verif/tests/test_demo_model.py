"""`make demo MODEL=<file.onnx>`: a user's ONNX model through the demo (import, refusals with one
line and exit 2, the example writers), end to end without a simulator and on the RTL (Verilator)."""

from __future__ import annotations

import numpy as np
import pytest

from demo import run
from sparsetrain.float_train import train_float
from sparsetrain.net import Conv, Gap, Linear, MaxPool, Net


# ------------------------------------------------------------------- MODEL=<file.onnx>
def _tiny_onnx(path, classes=10, shape=(1, 8, 8), k=3):
    """A small pruned CNN as an ONNX file (export_onnx of a random net, 60% zeros in conv2)."""
    from sparsetrain.onnx_io import export_onnx
    net = Net(shape, [Conv(4), MaxPool(), Conv(8, k=k, pad=k // 2), Gap(), Linear(classes)])
    rng = np.random.default_rng(4)
    p = net.init_float(rng)
    p[2] = (p[2][0] * (rng.random(p[2][0].shape) > 0.6), p[2][1])
    export_onnx(net, p, path)
    return net


def _demo_env(monkeypatch, tmp_path, model, sim: str, images: int, rtl_test: int | None = None):
    """The environment of ``make demo MODEL=<model> SIM=<sim>`` for one epoch of ``images``
    training images (``rtl_test``: test images also classified on the RTL), the user's DATA and
    pruning knobs cleared, outputs under ``tmp_path/out`` (returned)."""
    from demo import report
    out = tmp_path / "out"
    monkeypatch.setattr(run, "OUT", out)
    monkeypatch.setattr(report, "OUT", out)
    for n in ("DATA", "DATA_LAYOUT", "DEMO_SPARSITY", "DEMO_PRETRAIN_EPOCHS"):
        monkeypatch.delenv(n, raising=False)
    monkeypatch.setenv("SIM", sim)
    monkeypatch.setenv("MODEL", str(model))
    monkeypatch.setenv("DEMO_IMAGES", str(images))
    monkeypatch.setenv("DEMO_EPOCHS", "1")
    if rtl_test is not None:
        monkeypatch.setenv("DEMO_RTL_TEST", str(rtl_test))
    return out


def test_demo_model_end_to_end_sim_none(tmp_path, monkeypatch, capsys):
    """make demo MODEL=tiny.onnx SIM=none: import, fine-tune on the model, finetuned.onnx written,
    onnxruntime's test-split predictions checked against the integer model's."""
    pytest.importorskip("onnxruntime")
    from sparsetrain.onnx_io import import_onnx
    path = tmp_path / "tiny.onnx"
    net = _tiny_onnx(path)
    out = _demo_env(monkeypatch, tmp_path, path, sim="none", images=64)
    calls = []

    def counting_train_float(*a, **kw):
        calls.append(kw)
        return train_float(*a, **kw)
    monkeypatch.setattr(run, "train_float", counting_train_float)
    assert run.main() == 0
    assert len(calls) == 1 and "masks" in calls[0]        # only the float fine-tuning: no pre-training
    text = capsys.readouterr().out
    assert "imported from" in text and "ONNX export:" in text
    import json
    res = json.loads((out / "results.json").read_text())
    ox = res["onnx_export"]
    assert ox["n"] == res["test_images"] == 360 and ox["beyond_margin"] == 0 and ox["agree"] >= 0.95 * ox["n"]
    net2, p2 = import_onnx(out / "finetuned.onnx")
    _, p_in = import_onnx(path)
    assert net2 == net
    assert np.all(p2[2][0][p_in[2][0] == 0] == 0)                 # the model's zeros stayed the mask
    assert not np.array_equal(p2[4][0], np.float32(p_in[4][0]))   # and it was fine-tuned
    assert abs(res["sparse_ratio_pruned_convs"] - 0.6) < 0.05      # no further pruning by default


def _set_conv_attr(path, node: str, **attrs):
    """Rewrite attributes of the Conv node ``node`` of the ONNX file at ``path``."""
    import onnx
    from onnx import helper
    m = onnx.load(str(path))
    n = next(x for x in m.graph.node if x.name == node)
    keep = [a for a in n.attribute if a.name not in attrs]
    del n.attribute[:]
    n.attribute.extend(keep + [helper.make_attribute(k, v) for k, v in attrs.items()])
    onnx.save(m, str(path))


@pytest.mark.parametrize("case", ["missing", "garbage", "classes", "shape", "too_big", "unsupported",
                                  "dilation5", "grouped", "pad_beyond_dilation"])
def test_demo_model_errors(tmp_path, monkeypatch, capsys, case):
    pytest.importorskip("onnx")
    path = tmp_path / "m.onnx"
    if case == "garbage":
        path.write_bytes(b"\x00junk")
    elif case == "classes":
        _tiny_onnx(path, classes=3)
    elif case == "shape":
        _tiny_onnx(path, shape=(3, 8, 8))
    elif case == "too_big":
        _tiny_onnx(path, k=9)                          # KMAX of the demo's parameter set is 7
    elif case == "dilation5":                          # the UC command's dil field takes 1..4
        _tiny_onnx(path)
        _set_conv_attr(path, "conv2", dilations=[5, 5])
    elif case == "grouped":                            # group 2 of 4 input channels: neither 1 nor depth-wise
        _tiny_onnx(path)
        _set_conv_attr(path, "conv2", group=2)
    elif case == "pad_beyond_dilation":                # imports, but the UC unit takes pad <= dil*(k//2)
        _tiny_onnx(path)
        _set_conv_attr(path, "conv2", pads=[3] * 4, dilations=[2, 2])
    elif case == "unsupported":
        import onnx
        _tiny_onnx(path)
        m = onnx.load(str(path))
        m.graph.node[1].op_type = "Sigmoid"            # the Relu after conv0
        onnx.save(m, str(path))
    monkeypatch.setattr(run, "OUT", tmp_path / "out")
    for n in ("DATA", "DATA_LAYOUT"):
        monkeypatch.delenv(n, raising=False)
    monkeypatch.setenv("SIM", "none")
    monkeypatch.setenv("MODEL", str(path))
    assert run.main() == 2
    err = capsys.readouterr().err
    assert err.startswith(f"demo: MODEL={path}: ") and err.count("\n") == 1, err
    assert {"missing": "no such file", "garbage": "not an ONNX model", "classes": "the model has 3 classes, the data 10",
            "shape": "the model takes 3x8x8 images, the data has 1x8x8", "too_big": "does not fit the accelerator",
            "unsupported": "'relu0' (Sigmoid): unsupported op",
            "dilation5": "'conv2' (Conv): dilations [5, 5]: must be equal on both axes and 1..4",
            "grouped": "'conv2' (Conv): grouped convolution (group=2) is not supported",
            "pad_beyond_dilation": "layer 2: conv pad 3 above dilation*(k//2) = 2 (the UC unit's limit)"}[case] in err, err


def test_example_onnx_writer(tmp_path):
    """python -m demo.onnx_model: the example MODEL file imports, second conv 85% zeros, first dense."""
    pytest.importorskip("onnx")
    from demo.onnx_model import write_example
    from sparsetrain.onnx_io import import_onnx
    path = tmp_path / "ex.onnx"
    assert "float test accuracy" in write_example(str(path), epochs=2)
    net, p = import_onnx(path)
    assert net == run.make_net((1, 8, 8), 10)
    assert abs((p[2][0] == 0).mean() - 0.85) < 0.01 and not (p[0][0] == 0).any()


def test_demo_model_dilated_depthwise_sim_none(tmp_path, monkeypatch):
    """The dilated + depth-wise example (python -m demo.onnx_model <file> dilated_depthwise) through
    make demo MODEL=... SIM=none: imported (dilation 2, group 4 as the block-diagonal kernel), the
    model's zeros the mask, fine-tuned on the bit-exact model, written back and checked in
    onnxruntime (360 test images, nothing beyond the Q8 margin)."""
    pytest.importorskip("onnxruntime")
    import json
    from sparsetrain.onnx_io import import_onnx
    path = tmp_path / "dwdil.onnx"
    net = _dilated_depthwise_onnx(path)
    net_in, p_in = import_onnx(path)
    assert net_in == net and not p_in[1][0][net.structure_mask(1) == 0].any()
    assert abs((p_in[3][0] == 0).mean() - 0.6) < 0.01
    out = _demo_env(monkeypatch, tmp_path, path, sim="none", images=32)
    assert run.main() == 0
    res = json.loads((out / "results.json").read_text())
    assert res["onnx_export"]["beyond_margin"] == 0 and res["onnx_export"]["n"] == 360
    assert abs(res["sparse_ratio_pruned_convs"] - (1 - (4 * 9 * 1 + 8 * 4 * 9 * 0.4) / (4 * 9 + 8 * 4 * 9))) < 0.02
    net2, p2 = import_onnx(out / "finetuned.onnx")
    assert net2 == net and np.all(p2[3][0][p_in[3][0] == 0] == 0)


@pytest.fixture
def shared_sim_build(tmp_path_factory, monkeypatch):
    """The demo's accel_top build shared by the RTL tests of this module: one Verilator build of
    the session (under xdist: of all workers, in the session's temporary root) instead of one a
    test; a file lock keeps two workers from building or simulating in it at the same time.
    Verilator skips an identical rebuild, so only the first test pays for the build. Built
    without profile-guided compilation (HDLMEM_PGO=0, flow/pgo.py): its instrumented build and
    training run would only make the regression longer."""
    import fcntl
    monkeypatch.setenv("HDLMEM_PGO", "0")
    root = tmp_path_factory.getbasetemp()
    if root.name.startswith("popen-gw"):
        root = root.parent

    class SharedSimRun(run.SimRun):
        def __init__(self, sim, out):
            super().__init__(sim, out)
            self.dir = (root / f"demo-sim-{sim}").resolve()
    monkeypatch.setattr(run, "SimRun", SharedSimRun)
    with open(root / "demo-sim.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield
        fcntl.flock(lock, fcntl.LOCK_UN)


@pytest.mark.sim
@pytest.mark.verilator
def test_demo_model_on_the_rtl(tmp_path, monkeypatch, capsys, shared_sim_build):
    """make demo MODEL=example.onnx on the RTL, small (1 epoch x 32 images, 16 test images also
    classified by an inference program): a user's pruned ONNX CNN is imported, fine-tuned on
    accel_top under Verilator bit for bit like the model, and comes back as ONNX whose
    onnxruntime predictions agree with the integer model's on the test split."""
    pytest.importorskip("onnxruntime")
    import json
    from demo import onnx_model
    path = tmp_path / "example.onnx"
    onnx_model.write_example(str(path), epochs=3)
    out = _demo_env(monkeypatch, tmp_path, path, sim="verilator", images=32, rtl_test=16)
    assert run.main() == 0, capsys.readouterr().out[-2000:]
    res = json.loads((out / "results.json").read_text())
    assert res["rtl_matches_model"] is True
    ox = res["onnx_export"]
    assert ox["n"] == res["test_images"] and ox["beyond_margin"] == 0
    assert (out / "finetuned.onnx").is_file()


def _dilated_depthwise_onnx(path):
    """demo.onnx_model's second example: conv3x3(4)-ReLU, depth-wise conv3x3 dilation 2 (group
    4)-ReLU, MP, conv3x3 dilation 2 (8)-ReLU (60% zeros), GAP, Gemm(10), 8 float epochs."""
    from demo.onnx_model import dilated_depthwise_net, write_example_dilated_depthwise
    assert "float test accuracy" in write_example_dilated_depthwise(str(path))
    return dilated_depthwise_net()


@pytest.mark.sim
@pytest.mark.verilator
def test_demo_model_dilated_depthwise_on_the_rtl(tmp_path, monkeypatch, capsys, shared_sim_build):
    """make demo MODEL=<a CNN with a depth-wise dilated conv and a dilated conv> on the RTL,
    small (1 epoch x 32 images, 16 test images also classified by an inference program): the UC
    commands run with dil 2 and the block-diagonal depth-wise list, bit for bit like the model
    (weights, counters, accuracy), and the fine-tuned ONNX (group, dilations written back) agrees
    with the integer model in onnxruntime up to the Q8 margin."""
    pytest.importorskip("onnxruntime")
    import json
    from sparsetrain.onnx_io import import_onnx
    path = tmp_path / "dwdil.onnx"
    net = _dilated_depthwise_onnx(path)
    out = _demo_env(monkeypatch, tmp_path, path, sim="verilator", images=32, rtl_test=16)
    assert run.main() == 0, capsys.readouterr().out[-2000:]
    res = json.loads((out / "results.json").read_text())
    assert res["rtl_matches_model"] is True
    assert "dwconv3x3d2(4->4)" in res["network"] and "conv3x3d2(4->8)" in res["network"]
    ox = res["onnx_export"]
    assert ox["n"] == res["test_images"] and ox["beyond_margin"] == 0
    net2, p2 = import_onnx(out / "finetuned.onnx")
    assert net2 == net                                     # group and dilations written back
    _, p_in = import_onnx(path)
    assert np.all(p2[3][0][p_in[3][0] == 0] == 0)          # the mask kept
    assert not np.array_equal(p2[1][0], np.float32(p_in[1][0]))   # the depth-wise conv was fine-tuned
