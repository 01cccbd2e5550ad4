"""Network shapes (CIFAR-10 VGG16 / AlexNet / MobileNetV1, the demo CNN) and the per-unit cycle
formulas of the docs, for the cycle model (:mod:`bench.cycle_model`)."""

from __future__ import annotations

import math

import numpy as np

from sparsetrain.sparse import parity_rows

PIPE_DEPTH = 8


def conv(c, n, k=3, s=1, p=None, dw=False, relu=True):
    return {"t": "conv", "c": c, "n": n, "k": k, "s": s, "p": k // 2 if p is None else p, "dw": dw,
            "relu": relu}


MP, GAP = {"t": "mp"}, {"t": "gap"}


def lin(k, m):
    return {"t": "lin", "k": k, "m": m}


def lin_conv(L: dict):
    """A Linear ``k -> m`` as the UC unit runs it on an engine array
    (:func:`sparsetrain.driver.linear_on_uc`): ``(conv dict, forward counts, backward counts)`` of
    a dense 1 x 1 convolution ``k -> m`` (``m`` filters of ``k`` entries, ``k`` channels of
    ``m``). The conv dict is kept in ``L`` (one object a layer: the array model logs by it)."""
    Lc = L.setdefault("conv", conv(L["k"], L["m"], k=1, s=1, p=0, relu=False))
    return Lc, np.full(L["m"], L["k"]), np.full(L["k"], L["m"])


def _vgg16():
    cfg = [64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512, "M"]
    out, c = [], 3
    for v in cfg:
        if v == "M":
            out.append(MP)
        else:
            out.append(conv(c, v))
            c = v
    return out + [GAP, lin(512, 10)]


def _alexnet():
    return [conv(3, 64, 5, 2, 2), MP, conv(64, 192, 5), MP, conv(192, 384), conv(384, 256),
            conv(256, 256), MP, GAP, lin(256, 10)]


def _mobilenet():
    out = [conv(3, 32)]
    c = 32
    for n, s in [(64, 1), (128, 2), (128, 1), (256, 2), (256, 1), (512, 2)] + [(512, 1)] * 5 + \
            [(1024, 2), (1024, 1)]:
        out.append(conv(c, c, 3, s, 1, dw=True))
        out.append(conv(c, n, 1, 1, 0))
        c = n
    return out + [GAP, lin(1024, 10)]


NETWORKS = {
    "demo": ((1, 8, 8), [conv(1, 16), MP, conv(16, 32), GAP, lin(32, 10)]),
    "VGG16": ((3, 32, 32), _vgg16()),
    "AlexNet": ((3, 32, 32), _alexnet()),
    "MobileNetV1": ((3, 32, 32), _mobilenet()),
    # simulated whole on the top (bench/top_bench_tests.py::cifar_net)
    "cifar_mini": ((3, 32, 32), [conv(3, 16), MP, conv(16, 32), MP, conv(32, 64), GAP, lin(64, 10)]),
}
#: networks whose first conv stays dense (as the demo and the top bench build them)
FIRST_DENSE = ("demo", "cifar_mini")
SHAPE_NOTES = {
    "VGG16": "13 conv3x3 (64,64,M,128,128,M,256x3,M,512x3,M,512x3,M), pad 1, ReLU; GAP (1x1); linear 512->10",
    "AlexNet": "conv5x5/2 3->64 (16x16), MP, conv5x5 64->192 (8x8), MP, conv3x3 192->384, 384->256, "
               "256->256 (4x4), MP (2x2), GAP, linear 256->10",
    "MobileNetV1": "conv3x3 3->32 (32x32); 13 x [dw3x3 (stride 1,2,1,2,1,2,1,1,1,1,1,2,1), pw1x1] to "
                   "64,128,128,256,256,512x6,1024,1024 channels (maps 32,16,8,4,2); GAP; linear 1024->10",
    "demo": "digits 1x8x8: conv3x3 1->16 (dense), MP, conv3x3 16->32 (pruned), GAP, linear 32->10",
    "cifar_mini": "3x32x32: conv3x3 3->16 (dense), MP, conv3x3 16->32, MP, conv3x3 32->64 (8x8), GAP, linear 64->10",
}


# ------------------------------------------------------------------------------ unit formulas
def conv_fuses_relu(layers, i) -> bool:
    """Whether conv ``layers[i]`` does the ReLU backward of the conv below it in its BWD_DATA
    (the UC command's ``relu``: one mask item a dX vector, no RELU_BWD): the layer-dict form of
    :meth:`sparsetrain.net.Net.conv_fuses_relu`."""
    return (0 < i < len(layers) and layers[i]["t"] == "conv" and layers[i - 1]["t"] == "conv"
            and layers[i - 1].get("relu", True))


def relu_fused_above(layers, i) -> bool:
    """Whether conv ``layers[i]`` (a layer dict of :data:`NETWORKS`) has its ReLU backward done
    by the layer above it: the max pool's MP_BWD_RELU or the conv's BWD_DATA with relu (no
    RELU_BWD): the layer-dict form of :meth:`sparsetrain.net.Net.relu_fused_above`, the driver's
    rule (which still sends a RELU_BWD where the map is converted: :func:`relu_bwd_cmd`)."""
    return (layers[i]["t"] == "conv" and layers[i].get("relu", True) and i + 1 < len(layers)
            and (layers[i + 1]["t"] == "mp" or conv_fuses_relu(layers, i + 1)))


def relu_bwd_cmd(layers, i) -> bool:
    """Whether conv ``layers[i]``'s backward runs a RELU_BWD command (MP unit): its ReLU
    backward is not done above it, or the conv above does it but reads a converted copy
    (``cvt``, :func:`flat_layers`): :func:`sparsetrain.driver.relu_bwd_cmd`."""
    return (layers[i]["t"] == "conv" and layers[i].get("relu", True)
            and (not relu_fused_above(layers, i) or bool(layers[i].get("cvt"))))


def with_rmask(layers) -> list[dict]:
    """``layers`` with each conv that fuses the ReLU backward below it (:func:`conv_fuses_relu`)
    as a copy flagged ``rmask`` (its BWD_DATA: one mask item more a dX vector)."""
    return [dict(L, rmask=True) if conv_fuses_relu(layers, i) else L for i, L in enumerate(layers)]


def cdiv(a, b):
    return -(-a // b)


def out_size(h, k, s, p):
    return (h + 2 * p - k) // s + 1


def parity_split(layer, bwd):
    """A stride-2 layer's backward counts per (input channel, parity class): ``bwd`` per channel
    (length C) -> length 4C, pointer ``4c + q`` (docs/sparse-format.md), each channel's entries
    spread over the classes in proportion to their kernel positions (a draw seeded by the counts,
    so the caller's random stream is not disturbed). Stride 1: ``bwd`` as it is."""
    if layer["s"] != 2:
        return bwd
    k, d = layer["k"], layer.get("d", 1)
    odd = k // 2 if d % 2 else 0                 # kernel rows (columns) whose offset ky*d is odd
    sizes = np.array([(k - odd) ** 2, (k - odd) * odd, odd * (k - odd), odd * odd], dtype=float)
    rng = np.random.default_rng([int(np.sum(bwd)), len(bwd), k, d])
    return np.concatenate([rng.multinomial(int(b), sizes / sizes.sum()) for b in bwd])


def counts(layer, sparsity, rule, rng):
    """Non-zeros per filter (fwd, length N) and behind each backward pointer (bwd: per input channel,
    length C; stride 2: per channel and parity class, length 4C, :func:`parity_split`) of a pruned
    conv layer."""
    f, b = _counts(layer, sparsity, rule, rng)
    return f, parity_split(layer, b)


def chip_order(layer, f, b, engines: int, prev, work=None):
    """``(f, b, order)`` of a conv layer as the driver holds it on ``engines`` engines
    (:func:`sparsetrain.driver.channel_orders`): its input channels in ``prev`` (the order of the
    map it reads), its filters in :func:`sparsetrain.uc.engine_balanced_order` of ``work``
    (:func:`chip_work`; None: the filters' non-zero counts) (a depth-wise conv: ``prev``,
    channel by channel); ``order`` = its output's order. ``b`` is per input channel, or per
    channel and parity class (4C) at stride 2."""
    from sparsetrain.uc import engine_balanced_order
    f, b, prev = np.asarray(f), np.asarray(b), np.asarray(prev)
    b = b.reshape(len(prev), -1)[prev].ravel()
    if layer["dw"]:
        return f[prev], b, prev
    order = engine_balanced_order(f if work is None else work, engines) if engines > 1 else np.arange(len(f))
    return f[order], b, order


def layer_inputs(in_shape, layers) -> list[tuple[int, int, int]]:
    """The input shape ``(C, H, W)`` of every layer of ``layers``."""
    out, (c, h, w) = [], in_shape
    for L in layers:
        out.append((c, h, w))
        if L["t"] == "conv":
            c, h, w = L["n"], out_size(h, L["k"], L["s"], L["p"]), out_size(w, L["k"], L["s"], L["p"])
        elif L["t"] == "mp":
            h, w = h // 2, w // 2
        elif L["t"] == "gap":
            h = w = 1
        else:
            c = L["m"]
    return out


def chip_work(layers, ins, cnts: dict, i: int):
    """:func:`sparsetrain.uc.order_work` of conv ``i`` as the driver computes it
    (:func:`sparsetrain.driver.channel_orders`): its FWD + WGRAD work and the BWD_DATA work of the
    conv that reads its output (:func:`sparsetrain.driver.bwd_reader`: the next layer, or the one
    after a max pool, not depth-wise). ``ins``: :func:`layer_inputs`; ``cnts``: ``{layer: (f, b)}``
    of every conv (:func:`counts`, in the model's channel order)."""
    from sparsetrain.uc import order_work
    n = len(layers)
    _, ho, wo = ins[i + 1] if i + 1 < n else (0, 1, 1)
    j = i + 2 if i + 1 < n and layers[i + 1]["t"] == "mp" else i + 1
    if j < n and layers[j]["t"] == "conv" and not layers[j]["dw"]:
        cj, hj, wj = ins[j]
        bj = np.asarray(cnts[j][1]).reshape(cj, -1).sum(axis=1)
        return order_work(cnts[i][0], ho * wo, bj, hj * wj)
    return order_work(cnts[i][0], ho * wo)


def _counts(layer, sparsity, rule, rng):
    c, n, kk = layer["c"], layer["n"], layer["k"] ** 2
    if layer["dw"]:
        if sparsity <= 0:
            f = np.full(n, kk)
        elif rule == "balanced":
            f = np.full(n, max(1, round((1 - sparsity) * kk)))
        else:
            f = rng.binomial(kk, 1 - sparsity, n)
        return f, f.copy()
    if sparsity <= 0:
        return np.full(n, c * kk), np.full(c, n * kk)
    if rule == "balanced":
        keep = max(1, round((1 - sparsity) * c * kk))
        f = np.full(n, keep)
        # the kept weights of each filter spread over the input channels
        b = rng.multinomial(int(f.sum()), np.full(c, 1 / c))
        return f, b
    f = rng.binomial(c * kk, 1 - sparsity, n)
    b = rng.multinomial(int(f.sum()), np.full(c, 1 / c))
    return f, b


#: cycles a UC command takes beyond ``UcLayer.est_cycles`` (issue 16's added pipeline stages:
#: FWD / BWD_DATA requantization 3, WGRAD gradient rounding 2, UPDATE step 5, and in every mode
#: the buffer check's region ends and compares registered, 2)
UC_PIPE_EXTRA = {"FWD": 5, "BWD_DATA": 5, "WGRAD": 4, "UPDATE": 7}
#: cycles a pre-scanned (not checked) FWD / BWD_DATA / WGRAD command takes beyond that when its last
#: pointer's list is not empty (issue 16: uc_scan registers an index entry's compares, so the last
#: entry's verdict comes a cycle later; UPDATE reads no index entry)
UC_SCAN_EXTRA = 1
#: ... and when it is empty, or in UPDATE (which reads pointers only): uc_scan registers a
#: pointer's range compare too, so the last pointer's verdict comes a cycle later
UC_SCAN_PTR_EXTRA = 1


def scan_extra(mode, last) -> int:
    """Pre-scan cycles beyond ``UcLayer.est_cycles``'s prescan term (pointers + nnz): the registered
    compares of the last index entry (:data:`UC_SCAN_EXTRA`, its list not empty) or of the last
    pointer (:data:`UC_SCAN_PTR_EXTRA`: its list empty, or UPDATE); ``last``: the last list's count."""
    return UC_SCAN_EXTRA if mode != "UPDATE" and int(last) > 0 else UC_SCAN_PTR_EXTRA


def flat_layers(in_shape, layers, lanes, hmax=256, wmax=256) -> list[dict]:
    """``layers`` (layer dicts of :data:`NETWORKS`) as the driver runs them on ``lanes`` lanes a
    vector: each conv whose maps the driver stores flat (:func:`sparsetrain.driver.flat_chain` of
    :func:`sparsetrain.driver.may_run_flat`, a conv with ReLU converting its output where the next
    conv's layout differs: the memory plan's own rule) as a copy flagged ``flat``, each conv whose
    output is converted flagged ``cvt`` (one more RELU_BWD-sized MP command in forward); every
    other layer the same dict. ``hmax`` / ``wmax``: the unit's HMAX / WMAX."""
    from sparsetrain.driver import flat_chain, may_run_flat
    from sparsetrain.uc import UcCommand, UcParams
    p = UcParams(lanes=int(lanes), hmax=int(hmax), wmax=int(wmax))
    c, h, w = in_shape
    wants = []
    for L in layers:
        if L["t"] == "conv":
            wants.append(may_run_flat(UcCommand(h=int(h), w=int(w), k=L["k"], stride=L["s"], pad=L["p"]), p))
            h, w = out_size(h, L["k"], L["s"], L["p"]), out_size(w, L["k"], L["s"], L["p"])
        else:
            wants.append(False)
            if L["t"] == "mp":
                h, w = h // 2, w // 2
            elif L["t"] == "gap":
                h = w = 1
    is_conv = [L["t"] == "conv" for L in layers]
    flat = flat_chain(is_conv, wants, [c and L.get("relu", True) for c, L in zip(is_conv, layers)])
    out = []
    for i, (L, f) in enumerate(zip(layers, flat)):
        # cvt: the output is copied into the next conv's other layout (one RELU_BWD in forward)
        cvt = is_conv[i] and i + 1 < len(layers) and is_conv[i + 1] and flat[i + 1] != f
        out.append(dict(L, flat=True, cvt=cvt) if f else dict(L, cvt=True) if cvt else L)
    return out


def flat_view(layer, h, w):
    """(layer, h, w) as the UC unit walks them: a flat layer (``layer["flat"]``) is one row of
    H*W pixels a channel, every item on every vector of it (k = 1, no padding, stride 1)."""
    if layer.get("flat"):
        return dict(layer, k=1, p=0, s=1), 1, int(h) * int(w)
    return layer, h, w


def work_items(mode, layer, h, w, fwd, bwd, lanes, bgrad=1) -> list[int]:
    """Items (cycles) of a FWD / BWD_DATA / WGRAD command per unit of work: per filter (FWD, WGRAD:
    ``fwd``) or per backward pointer (BWD_DATA: ``bwd``, a channel or, at stride 2, one of its four
    parity lists, which runs over its class's rows and vectors only)."""
    layer, h, w = flat_view(layer, h, w)
    k, s, p = layer["k"], layer["s"], layer["p"]
    ho, wo = out_size(h, k, s, p), out_size(w, k, s, p)
    if mode == "FWD":
        return [ho * cdiv(wo, lanes) * max(1, int(c)) for c in fwd]
    if mode == "WGRAD":
        # the bias gradient rides on a filter's first weight; an empty filter takes a pass of its own
        return [(int(c) if c else bgrad) * ho * cdiv(wo, lanes) for c in fwd]
    # (BWD_DATA with relu, ``rmask``: a mask item more a vector of a non-empty list)
    m = int(bool(layer.get("rmask")))
    if s == 1:
        return [h * cdiv(w, lanes) * (max(1, int(b)) + (m if b else 0)) for b in bwd]
    rows = parity_rows(h, p)
    return [rows[g % 4] * cdiv(w, 2 * lanes) * (max(1, int(b)) + (m if b else 0)) for g, b in enumerate(bwd)]


def uc_formula(mode, layer, h, w, fwd, bwd, lanes, bgrad=1, checked=False):
    """verif.common.uc_stimulus.UcLayer.est_cycles, from the non-zero counts per filter (``fwd``) and
    behind each backward pointer (``bwd``: per input channel; stride 2: per channel and parity
    class, 4C, as :func:`counts` gives them); ``checked``: the list passed a scan since the last
    list write (no prescan term)."""
    n, c = len(fwd), len(bwd)
    nnz = int(fwd.sum())
    if mode in ("FWD", "BWD_DATA", "WGRAD"):
        items = sum(work_items(mode, layer, h, w, fwd, bwd, lanes, bgrad))
        pre = (c if mode == "BWD_DATA" else n) + nnz
    else:
        items = nnz + n
        pre = n
    # issue 16: FWD / BWD_DATA requantize over 3 registered stages before the stack write, UPDATE
    # runs product, rounding add, shift, difference and saturation a stage each (5 more cycles),
    # WGRAD's gradient takes the requantization's rounding add and shift stages before its
    # saturation and the gradient read-modify-write (2 more cycles); every mode's buffer check
    # takes 2 more steps (region ends, then the compares, registered)
    if not checked:
        pre += scan_extra(mode, bwd[-1] if mode == "BWD_DATA" else fwd[-1])
    if mode == "WGRAD" and not bgrad:
        # its pointers through the prefetch registers (uc_gen reg_q, issue 16): a cycle at the
        # start and for each filter but the last of at most two items
        per = work_items(mode, layer, h, w, fwd, bwd, lanes, bgrad)
        items += 1 + sum(1 for v in per[:-1] if v <= 2)
    return (0 if checked else pre) + items + PIPE_DEPTH + UC_PIPE_EXTRA.get(mode, 0)


def pool_cycles(mode, c, h, w, lanes, hw_max=32 * 32, read_ports=1, xarg=False):
    """Cycles of an MP / GAP unit command (docs/units.md). ``read_ports``: copies of the stack the
    unit reads a cycle (an engine array has one copy an engine), the unit still writing one vector
    a cycle. The MP unit's RD_PORTS: on an engine array's top it reads 2 (rtl/mp_unit: MP_FWD a
    window row a cycle, 2 cycles a vector, which its two writes, Y and argmax, fill; RELU_BWD dY
    and Y at once, 1 cycle a vector); from 4 engines on 4 (RELU_BWD and MP_FWD 2L pixels a
    vector, written 2L lanes wide); from 8 engines on 8 (MP_FWD with ``xarg``, no argmax map: 2L
    pooled pixels a cycle); MP_BWD is write-bound at any port count (with ``xarg`` it reads X
    instead of the argmax words, the same cycles).
    GAP_FWD with ``read_ports`` > 1 is a what-if, not the RTL (the GAP unit reads one copy):
    ``read_ports`` vectors a cycle (a wider adder tree); GAP_BWD is write-bound."""
    n_w = 17 + math.ceil(math.log2(hw_max + 1))
    rp = max(1, int(read_ports))
    # the MP unit's modes (MP_FWD, MP_BWD, RELU_BWD): + 2 since issue 16 (its buffer check's
    # region ends, then its compares, registered); + 1 since its twenty-first session (the read
    # requests leave the unit from registers)
    mp_fixed = 14
    if mode == "MP_FWD":
        # eight read ports and no argmax map (xarg, RD_PORTS = 8): both window rows of 2L pooled
        # pixels in one cycle, Y its only write (with fewer ports xarg drops the argmax write only)
        if rp >= 8 and xarg:
            return c * (h // 2) * cdiv(w // 2, 2 * lanes) + mp_fixed
        # four read ports (RD_PORTS = 4): a vector of 2L pooled pixels in the same 2 cycles, its
        # Y and argmax written 2L lanes wide (twenty-third session)
        if rp >= 4:
            return 2 * c * (h // 2) * cdiv(w // 2, 2 * lanes) + mp_fixed
        return (2 if rp >= 2 else 4) * c * (h // 2) * cdiv(w // 2, lanes) + mp_fixed
    if mode == "MP_BWD":
        # 2 cycles a vector of ``lanes`` windows since issue 14's 2L-lane port-B write (an input
        # row of 2L pixels a write; 4 before: four stride-2 writes of L)
        return 2 * c * cdiv(h, 2) * cdiv(cdiv(w, 2), lanes) + mp_fixed
    if mode == "RELU_BWD":
        # four read ports (an array of 4 engines or more, RD_PORTS = 4): dY and Y of 2L pixels a
        # cycle, one 2L-lane write
        if rp >= 4:
            return c * h * cdiv(w, 2 * lanes) + mp_fixed
        return cdiv(2, min(2, rp)) * c * h * cdiv(w, lanes) + mp_fixed
    if mode == "GAP_FWD":
        # + 4 + log2(lanes) since issue 16: the registered lane adder tree and scaling stages;
        # + 2 since its third round (both GAP modes): the buffer check's region ends, then their
        # compares, registered; + 1 since its fifth round (both: the stack write request leaves
        # the unit registered, and the command ends after it; GAP_BWD + 2, its end now drains)
        return cdiv(c * h * cdiv(w, lanes), rp) + n_w + 19 + (lanes.bit_length() - 1)
    if mode == "GAP_BWD":
        # one write a cycle since issue 14's BWD pipeline (the channels' dy read and scaled ahead
        # of the writes, x M, + 2^(R-1), >> R and sat16 a stage each): the 6 cycles of the first
        # channel once; before, 6 cycles every channel, c * (6 + h * ceil(w/L)) + n_w + 11
        return c * h * cdiv(w, lanes) + n_w + 17
    raise ValueError(mode)


def lc_cycles(mode, k, m, wports=1):
    """Cycles of one LC command (accept to response) of ``mode`` on K = ``k`` inputs and M = ``m``
    outputs, with ``wports`` weight read ports (1, or 2 on an engine array). Raises ValueError on
    an unknown mode or port count. Source: rtl/lc_unit/lc_unit.v, measured on its block test."""
    # measured on the top (1 Dec, one LC command a program, K = 16, M = 10: FWD, BWD_DATA and WGRAD
    # 174 = M*K + 14, UPDATE 184 = M*K + M + 14): lc_unit's 9-stage item pipeline (one multiply or
    # one wide add a stage, issue 16) and its third check step (the buffer compares registered
    # before the decision). The formula had FWD / BWD_DATA at M*K + 15 from the fifth round until
    # this measurement (the whole-program model, bench/program_model.py, showed the extra cycle)
    # wports = 2 (an engine array's top: the LC unit's WPORTS = 2, copy 1's weight and bias read
    # ports as well): FWD computes outputs m, m+1 an item when K >= 2, BWD_DATA outputs k, k+1
    # when M >= 2 (measured: every OK command of the lc_unit w2 block test, 165 of 165, 4 Dec)
    if mode not in ("FWD", "BWD_DATA", "WGRAD", "UPDATE"):
        raise ValueError(mode)
    if wports not in (1, 2):
        raise ValueError(f"wports must be 1 or 2, got {wports}")
    if wports == 2 and mode == "FWD" and k >= 2:
        return cdiv(m, 2) * k + 14
    if wports == 2 and mode == "BWD_DATA" and m >= 2:
        return m * cdiv(k, 2) + 14
    return {"FWD": m * k + 14, "BWD_DATA": m * k + 14, "WGRAD": m * k + 14, "UPDATE": m * k + m + 14}[mode]


def loss_cycles(classes):
    # + 8 since issue 16: the command check over 3 registered steps (+2), the table index's
    # rounding add and shift a stage each (+1 on the sum and the gradient pass), the gradient's
    # product, rounding add, shift, label subtraction and saturation a stage each (+4 more on
    # the gradient pass)
    return 3 * classes + 57


def stack_words32(c, h, w, lanes):
    """32-bit host words of a (C, H, W) map in the stack layout (rows of ceil(W/2L) words of 32L bits)."""
    return c * h * cdiv(w, 2 * lanes) * lanes
