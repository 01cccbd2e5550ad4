"""The VGG16 top bench's host-side logic (bench/vgg16_top.py; its simulation runs in make bench
only): the network is the cycle model's VGG16, its memory plan fits the build's parameters (and
would not fit in one word less), and the host image survives the $readmemh / $writememh format."""

from __future__ import annotations

import pytest

from bench import vgg16_top as vt
from bench.cycle_formulas import NETWORKS
from sparsetrain.driver import check_fits, plan
from sparsetrain.net import Conv, Gap, Linear, MaxPool
from sparsetrain.uc import UcParams


@pytest.fixture(scope="module")
def vgg():
    return vt.vgg16_net()


def test_vgg16_net_is_the_cycle_models(vgg):
    net, q = vgg
    in_shape, ref = NETWORKS["VGG16"]
    assert net.in_shape == in_shape and len(net.layers) == len(ref)
    for i, (layer, r) in enumerate(zip(net.layers, ref)):
        c = net.in_shape_of(i)[0]
        if r["t"] == "conv":
            assert isinstance(layer, Conv), i
            assert (c, layer.cout, layer.k, layer.stride, layer.pad, layer.depthwise, layer.relu) == \
                (r["c"], r["n"], r["k"], r["s"], r["p"], r["dw"], r["relu"]), i
        elif r["t"] == "lin":
            assert isinstance(layer, Linear) and (c, layer.cout) == (r["k"], r["m"]), i
        else:
            assert isinstance(layer, {"mp": MaxPool, "gap": Gap}[r["t"]]), i
    # pruned to 92.5 % but the first conv (dense)
    convs = list(q.convs)
    assert q.convs[convs[0]].nnz > 0.99 * net.weight_slots(convs[0])
    for i in convs[1:]:
        assert abs(1 - q.convs[i].nnz / net.weight_slots(i) - vt.SPARSITY) < 0.002, i


@pytest.mark.parametrize("engines,lanes", [(64, 4), (32, 8)])
def test_vgg16_plan_fits_the_build(vgg, engines, lanes):
    net, q = vgg
    hp = vt.params(engines, lanes)
    assert engines * lanes >= 256
    p = UcParams.from_hdl(hp)
    check_fits(net, p)
    used = plan(net, q, p).used
    assert used["stack"] <= hp["FM_DEPTH"] and used["weights"] <= hp["WDEPTH"]
    # the plan checks: one word too few and it refuses
    tight = UcParams.from_hdl({**hp, "WDEPTH": used["weights"] - 1})
    with pytest.raises(ValueError, match="weight memory"):
        plan(net, q, tight)
    assert vt.memory_bytes(hp)["all_copies"] < 4 << 30


def test_host_image_round_trip(tmp_path):
    img = vt.HostImage(64)
    img.write(4, bytes(range(1, 10)))
    path = tmp_path / "m.hex"
    img.save_hex(path)
    assert path.read_text().split() == ["00000000", "04030201", "08070605", "00000009"]
    assert vt.load_dump(path) == bytes(img.buf[:16])
    path.write_text("@10\n00000001\n")
    with pytest.raises(ValueError, match="unexpected"):
        vt.load_dump(path)
