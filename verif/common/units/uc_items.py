"""Directed and bad-input stimulus of the UC unit: lists of :class:`UcItem` for the tests in
verif/tests/test_uc_unit.py (each mode on every directed kind, one command per bin of the
stride x dilation x padding cross, every bad-input class of the status table including the
"high bits" family)."""

from __future__ import annotations

import random

from sparsetrain.uc import CMD_FIELDS, Mode, Sel, Status, UcParams
from verif.common.uc_random import Constraints, random_layer
from verif.common.units.common import high_bits
from verif.common.units.uc import UcItem, params, small_cons
from verif.common.units.uc_cov import SAMPLE_BINS

KINDS = ["pointwise", "depthwise", "kmax", "atrous", "stride2", "stride2_one_row", "pad_edges",
         "empty_filters", "all_zero", "dense", "saturation", "output_beyond_wmax", "array_uneven",
         "flat", "flat_rows"]


def kind_cons(kind: str, mode: int, rnd: random.Random) -> Constraints:
    p = params()
    c = dict(mode=mode)
    if kind == "pointwise":
        c.update(k=1, dil=1, pad=0, cmax=6)
    elif kind == "depthwise":
        c.update(depthwise=True, k=3, cmax=6)
    elif kind == "kmax":
        c.update(k=p.kmax, cmax=2, hmax=p.kmax + 3, dil=1, cycle_budget=8000)
    elif kind == "atrous":
        c.update(k=3, dil=rnd.randint(2, 4))
    elif kind == "stride2":
        c.update(stride=2, k=rnd.choice([1, 2, 3, 5]))
    elif kind == "stride2_one_row":
        # H = 1 at stride 2 with an odd padding: the parity lists of odd rows have no row (the
        # generator skips them) and the others run one row (docs/uc_unit.md, stride 2)
        d = rnd.choice([1, 3])
        c.update(stride=2, k=3, dil=d, pad=d, hmax=1, sparsity=rnd.choice([0.0, 0.5]), depthwise=False)
    elif kind == "pad_edges":
        k = rnd.choice([3, 5])
        d = rnd.choice([1, 2])
        c.update(k=k, dil=d, pad=d * (k // 2), hmax=min(6, d * (k - 1) + 1))
    elif kind == "empty_filters":
        c.update(empty_filters=rnd.randint(1, 3), sparsity=0.5, depthwise=False)
    elif kind == "all_zero":
        c.update(sparsity=1.0)
    elif kind == "dense":
        c.update(sparsity=0.0, depthwise=False)
    elif kind == "saturation":
        c.update(saturate=True)
    elif kind == "output_beyond_wmax":
        # W = WMAX, even K, the largest padding: Wo = W + dil = WMAX + 4 (and Ho = H + 4), so
        # output columns (and BWD_DATA / WGRAD dY columns) run past WMAX: the stack, the
        # generator and the checks must take them (docs/uc_unit.md, shape limits)
        c.update(k=2, dil=4, pad=4, stride=1, cmax=1, depthwise=False, sparsity=0.0, largest_map=True,
                 wmax=p.wmax, hmax=p.hmax if p.lanes > 1 else min(p.hmax, 24), cycle_budget=8000)
    elif kind == "flat":
        # flat maps (docs/uc_unit.md "Flat small maps"): W = 2^j <= LANES, the lanes span rows
        c.update(flat=True, k=rnd.choice([1, 3, 3, 5]), dil=rnd.choice([1, 1, 2]), depthwise=False)
    elif kind == "flat_rows":
        # flat, W = 1 or 2 and H up to the budget: every lane on another row, padding rows above
        # and below each vector
        c.update(flat=True, k=3, dil=rnd.choice([1, 2]), wmax=min(2, p.lanes), hmax=min(24, p.hmax),
                 depthwise=False, cycle_budget=8000)
    elif kind == "array_uneven":
        # an engine array's split with engines of different channel counts and none idle:
        # C = N = E + E/2 + 1 (e.g. 4 engines: chunks 2, 2, 2, 1; docs/uc_unit.md "Engine array")
        # (within CMAX / NMAX and the pointer memory's two tables, stride 1: e4x2 draws the uneven
        # case; e16x4's 14 channels leave engines idle)
        ch = min(p.engines + p.engines // 2 + 1, p.cmax, p.nmax, p.pdepth // 2 - 2)
        # (a 3x3 kernel when its non-zeros fit half the weight memory, else 1x1)
        k = rnd.choice([1, 3]) if ch * ch * 9 * 0.4 < p.wdepth // 2 else 1
        c.update(channels=ch, cmax=ch, hmax=4, wmax=8, k=k, stride=1, sparsity=0.6, depthwise=False,
                 cycle_budget=30000)
    return small_cons(**c)


def geometry_items() -> list[UcItem]:
    """One command per bin of the stride x dilation x padding cross (k = 3, or 5 when a middle
    padding needs it), the mode rotating: the cross closes whatever the seed."""
    items = []
    modes = list(Mode)
    i = 0
    for stride in SAMPLE_BINS["stride"]:
        for dil in SAMPLE_BINS["dil"]:
            for pad_bin in SAMPLE_BINS["pad"]:
                k = 5 if (pad_bin == "mid" and dil == 1) else 3
                pmax = dil * (k // 2)
                pad = {"0": 0, "mid": pmax // 2 if pmax > 1 else 1, "max": pmax}[pad_bin]
                span = dil * (k - 1) + 1
                mode = modes[i % len(modes)]
                i += 1
                cons = small_cons(mode=mode, k=k, stride=stride, dil=dil, pad=pad, cmax=2,
                                  hmax=max(span - 2 * pad + 2, 6), wmax=None, cycle_budget=8000)
                items.append(UcItem(f"geometry_s{stride}_d{dil}_p{pad_bin}_{mode.name}", cons=cons,
                                    kind="geometry"))
    return items


def directed_items() -> list[UcItem]:
    items = []
    for kind in KINDS:
        for mode in Mode:
            cons = kind_cons(kind, mode, random)
            items.append(UcItem(f"{kind}_{mode.name}", cons=cons, kind=kind))
    return items + geometry_items()


#: command fields without an illegal value (every value of the field width is legal)
FULL_WIDTH_FIELDS = ("relu", "bgrad", "gacc", "lr_mult", "lr_shift", "lr_mult_b", "lr_shift_b")
#: one-bit fields legal only with some geometry: bad_items has their cases (flat_*)
GEOMETRY_FLAGS = ("flat",)


def high_bits_table(p: UcParams) -> list[tuple[str, int, tuple, Status]]:
    """``(field, largest legal value, modes that check the field, status)`` for every command
    field with illegal values.  The status follows the RTL's check order (rtl/uc_unit/uc_unit.v,
    check step 0: mode, then stride/dil, then the shape fields; the buffer checks last) with every
    other field legal; a base is only checked in the modes that use its region (docs/uc_unit.md:
    UPDATE uses no map, BWD_DATA only the backward pointer table, bias in FWD/UPDATE/WGRAD+bgrad)."""
    every = tuple(Mode)
    maps = (Mode.FWD, Mode.BWD_DATA, Mode.WGRAD)
    return [
        ("mode", max(Mode), every, Status.BAD_MODE),
        ("stride", 2, every, Status.BAD_GEOMETRY),
        ("dil", 4, every, Status.BAD_GEOMETRY),
        ("cin", p.cmax, every, Status.BAD_SHAPE),
        ("cout", p.nmax, every, Status.BAD_SHAPE),
        ("h", p.hmax, every, Status.BAD_SHAPE),
        ("w", p.wmax, every, Status.BAD_SHAPE),
        ("k", p.kmax, every, Status.BAD_SHAPE),
        ("pad", 4 * (p.kmax // 2), every, Status.BAD_SHAPE),      # dil * (K / 2) at its largest
        ("shift", 31, every, Status.BAD_SHAPE),
        ("x_base", p.fm_depth - 1, maps, Status.BAD_BUFFER),
        ("y_base", p.fm_depth - 1, maps, Status.BAD_BUFFER),
        ("fptr_base", p.pdepth - 1, (Mode.FWD, Mode.WGRAD, Mode.UPDATE), Status.BAD_BUFFER),
        ("bptr_base", p.pdepth - 1, (Mode.BWD_DATA,), Status.BAD_BUFFER),
        ("bias_base", p.bdepth - 1, (Mode.FWD, Mode.WGRAD, Mode.UPDATE), Status.BAD_BUFFER),
        # (checked in BWD_DATA with relu only: the ReLU backward's mask map)
        ("m_base", p.fm_depth - 1, (Mode.BWD_DATA,), Status.BAD_BUFFER),
    ]


def high_bits_items(rnd: random.Random, base) -> list[UcItem]:
    """The "high bits" family: for every command field with illegal values, a legal command
    (``base(mode)``, in a random mode that checks the field) with every bit of that one field
    above the largest legal value's bit length set.  Each must answer its status, write nothing
    and not hang; the commands after it drive the bits low again.  First, one legal UPDATE with
    the full-width fields (learning rates, flags) all ones, so their every bit is driven too."""
    p = params()
    table = high_bits_table(p)
    covered = {f for f, *_ in table} | set(FULL_WIDTH_FIELDS) | set(GEOMETRY_FLAGS)
    assert covered == set(CMD_FIELDS), \
        f"command fields without a high-bits case: {set(CMD_FIELDS) - covered}"
    full = base(Mode.UPDATE).with_cmd(relu=1, bgrad=1, gacc=1, lr_mult=0xFFFF, lr_shift=63,
                                      lr_mult_b=0xFFFF, lr_shift_b=63)
    items = [UcItem("full_width_lr_flags", layer=full, kind="full_width")]
    for fld, max_legal, modes, expect in table:
        mode = rnd.choice(modes)
        lay = base(mode)
        if fld == "bias_base" and mode == Mode.WGRAD:
            lay = lay.with_cmd(bgrad=1)           # WGRAD checks the bias range only with bgrad
        if fld == "m_base":
            lay = lay.with_cmd(relu=1)            # BWD_DATA reads the mask map only with relu
        old = getattr(lay.cmd, fld)
        v = high_bits(old, max_legal, CMD_FIELDS[fld])
        if v == old:
            continue        # no bit above the legal range at these parameters
        it = UcItem(f"high_bits_{fld}", layer=lay.with_cmd(**{fld: v}), expect=expect,
                    snapshot=True, kind="high_bits")
        it.note = f"high bits: {fld}={v:#x} (legal {old}, max legal {max_legal}) in {Mode(mode).name}"
        items.append(it)
    return items


def bad_items(rnd: random.Random) -> list[UcItem]:
    """One item per bad-input class of the status table (each must answer its status, write
    nothing, and not hang)."""
    p = params()
    fmt = p.fmt
    items: list[UcItem] = []

    def base(mode=Mode.FWD, **kw):
        # (row layout: each case breaks one field of a legal row-layout command)
        kw.setdefault("flat", False)
        lay = random_layer(rnd, p, small_cons(mode=mode, cmax=3, hmax=6, k=3, depthwise=False,
                                              sparsity=0.3, empty_filters=0, **kw))
        return lay

    def add(name, expect, lay, corrupt=None):
        items.append(UcItem(name, layer=lay, expect=expect, snapshot=True, corrupt=corrupt, kind="bad"))

    for m in (4, 5, 6, 7):
        add(f"bad_mode_{m}", Status.BAD_MODE, base().with_cmd(mode=m))
    # shape: zero / above the maximum, output < 1, pad too big
    for mode in (Mode.FWD, Mode.BWD_DATA, Mode.WGRAD):
        add(f"shape_cin0_{mode.name}", Status.BAD_SHAPE, base(mode).with_cmd(cin=0))
    add("shape_cout0", Status.BAD_SHAPE, base().with_cmd(cout=0))
    add("shape_h0", Status.BAD_SHAPE, base(Mode.BWD_DATA).with_cmd(h=0))
    add("shape_w0", Status.BAD_SHAPE, base(Mode.WGRAD).with_cmd(w=0))
    add("shape_k0", Status.BAD_SHAPE, base().with_cmd(k=0, pad=0))
    add("shape_cin_above_max", Status.BAD_SHAPE, base().with_cmd(cin=p.cmax + 1))
    add("shape_cout_above_max", Status.BAD_SHAPE, base().with_cmd(cout=p.nmax + 1))
    add("shape_h_above_max", Status.BAD_SHAPE, base().with_cmd(h=p.hmax + 1))
    add("shape_w_above_max", Status.BAD_SHAPE, base().with_cmd(w=p.wmax + 1))
    add("shape_k_above_max", Status.BAD_SHAPE, base().with_cmd(k=p.kmax + 1, pad=0))
    add("shape_no_output", Status.BAD_SHAPE, base().with_cmd(h=2, w=2, k=3, pad=0, dil=1))
    add("shape_no_output_dil", Status.BAD_SHAPE, base().with_cmd(h=6, w=6, k=3, pad=0, dil=4))
    add("shape_pad_too_big", Status.BAD_SHAPE, base().with_cmd(pad=2, k=3, dil=1))
    # geometry
    add("geometry_stride0", Status.BAD_GEOMETRY, base().with_cmd(stride=0))
    add("geometry_stride3", Status.BAD_GEOMETRY, base(Mode.BWD_DATA).with_cmd(stride=3))
    add("geometry_dil0", Status.BAD_GEOMETRY, base().with_cmd(dil=0, pad=0))
    add("geometry_dil5", Status.BAD_GEOMETRY, base(Mode.WGRAD).with_cmd(dil=5, pad=0))
    # flat maps: a legal flat layer, then one of its conditions broken (BAD_GEOMETRY)
    def flat_base(mode=Mode.FWD):
        return random_layer(rnd, p, small_cons(mode=mode, cmax=3, hmax=6, k=3, dil=1, flat=True,
                                               depthwise=False, sparsity=0.3, empty_filters=0))

    add("flat_stride2", Status.BAD_GEOMETRY, flat_base().with_cmd(stride=2))
    add("flat_w_not_pow2", Status.BAD_GEOMETRY, flat_base(Mode.WGRAD).with_cmd(w=3))
    add("flat_w_above_lanes", Status.BAD_GEOMETRY, flat_base(Mode.BWD_DATA).with_cmd(w=2 * p.lanes))
    if p.lanes >= 2:
        # (W = 2, K = 2 without padding: Wo = 1; at LANES = 1 the only flat W, 1, has no output)
        add("flat_output_smaller", Status.BAD_GEOMETRY, flat_base().with_cmd(w=2, h=4, k=2, dil=1, pad=0))
    add("flat_output_larger", Status.BAD_GEOMETRY, flat_base(Mode.WGRAD).with_cmd(k=2, dil=1, pad=1))
    add("flat_output_larger_update", Status.BAD_GEOMETRY, flat_base(Mode.UPDATE).with_cmd(k=2, dil=2, pad=2))
    # buffers
    lay = base()
    xw = lay.regions()["x"].nwords
    add("buffer_x_beyond_stack", Status.BAD_BUFFER, lay.with_cmd(x_base=p.fm_depth - xw + 1))
    lay = base(Mode.BWD_DATA)
    yw = lay.regions()["y"].nwords
    add("buffer_y_beyond_stack", Status.BAD_BUFFER, lay.with_cmd(y_base=p.fm_depth - yw + 1))
    lay = base(Mode.FWD)
    xw, yw = lay.regions()["x"].nwords, lay.regions()["y"].nwords
    add("buffer_x_y_overlap", Status.BAD_BUFFER, lay.with_cmd(y_base=lay.cmd.x_base + xw - 1)
        if lay.cmd.x_base + xw - 1 + yw <= p.fm_depth
        else lay.with_cmd(y_base=lay.cmd.x_base - yw + 1))
    lay = base(Mode.BWD_DATA)
    add("buffer_same_base", Status.BAD_BUFFER, lay.with_cmd(y_base=lay.cmd.x_base))
    # BWD_DATA with relu: the mask map (X, as large as dX) beyond the stack, or overlapping dX
    lay = base(Mode.BWD_DATA).with_cmd(relu=1)
    mw = lay.regions()["m"].nwords
    add("buffer_m_beyond_stack", Status.BAD_BUFFER, lay.with_cmd(m_base=p.fm_depth - mw + 1))
    add("buffer_m_x_overlap", Status.BAD_BUFFER, lay.with_cmd(m_base=lay.cmd.x_base + mw - 1)
        if lay.cmd.x_base + 2 * mw - 1 <= p.fm_depth
        else lay.with_cmd(m_base=lay.cmd.x_base - mw + 1))
    lay = base(Mode.FWD)
    add("buffer_fptr_beyond", Status.BAD_BUFFER, lay.with_cmd(fptr_base=p.pdepth - lay.cmd.cout + 1))
    lay = base(Mode.BWD_DATA)
    add("buffer_bptr_beyond", Status.BAD_BUFFER, lay.with_cmd(bptr_base=p.pdepth - lay.cmd.cin + 1))
    lay = base(Mode.FWD)
    add("buffer_bias_beyond", Status.BAD_BUFFER, lay.with_cmd(bias_base=p.bdepth - lay.cmd.cout + 1))
    add("buffer_x_base_huge", Status.BAD_BUFFER, base().with_cmd(x_base=0xFFFFFFF0))
    items.extend(high_bits_items(rnd, base))
    # lists: a pointer (start + count) beyond the weight memory
    aw = fmt.addr_w
    for mode, tab in ((Mode.FWD, "fptr"), (Mode.BWD_DATA, "bptr"), (Mode.WGRAD, "fptr"), (Mode.UPDATE, "fptr")):
        lay = base(mode)
        r = lay.regions()[tab]
        ent = rnd.randrange(r.nwords)
        word = (p.wdepth - 2) | (5 << aw)
        add(f"list_beyond_{mode.name}", Status.BAD_LIST, lay, {Sel.PTR: {r.base + ent: word}})
    lay = base(Mode.FWD)
    add("list_count_max", Status.BAD_LIST, lay,
        {Sel.PTR: {lay.cmd.fptr_base: 1 | (p.wdepth << aw)}})
    # indices: corrupt one FIDX / BIDX word
    kw, nw = fmt.k_w, fmt.n_w

    def fidx(lay, field_, value):
        a = rnd.randrange(lay.nnz)
        word = lay.packed().fwd_idx[a]
        sh = {"kx": 0, "ky": kw, "c": 2 * kw}[field_]
        width = {"kx": kw, "ky": kw, "c": fmt.c_w}[field_]
        word = (word & ~(((1 << width) - 1) << sh)) | (value << sh)
        return {Sel.FIDX: {lay.w_base + a: word}}

    def bidx(lay, field_, value):
        b = rnd.randrange(lay.nnz)
        word = lay.packed().bwd_idx[b]
        sh = {"kx": 0, "ky": kw, "n": 2 * kw}[field_]
        width = {"kx": kw, "ky": kw, "n": nw}[field_]
        word = (word & ~(((1 << width) - 1) << sh)) | (value << sh)
        return {Sel.BIDX: {lay.b_base + b: word}}

    # UPDATE reads no index entry (only the pointers' ranges are checked): not an index error
    for mode in (Mode.FWD, Mode.WGRAD):
        lay = base(mode)
        add(f"index_fwd_kx_{mode.name}", Status.BAD_INDEX, lay, fidx(lay, "kx", lay.cmd.k))
    lay = base(Mode.FWD)
    add("index_fwd_ky", Status.BAD_INDEX, lay, fidx(lay, "ky", min(lay.cmd.k + 1, p.kmax)))
    lay = base(Mode.FWD)
    add("index_fwd_c", Status.BAD_INDEX, lay, fidx(lay, "c", lay.cmd.cin))
    lay = base(Mode.BWD_DATA)
    add("index_bwd_n", Status.BAD_INDEX, lay, bidx(lay, "n", lay.cmd.cout))
    lay = base(Mode.BWD_DATA)
    add("index_bwd_kx", Status.BAD_INDEX, lay, bidx(lay, "kx", lay.cmd.k))
    lay = base(Mode.BWD_DATA)
    add("index_bwd_ky", Status.BAD_INDEX, lay, bidx(lay, "ky", (1 << kw) - 1))
    # stride 2, odd dilation: an entry of the split list moved to the other column parity
    # (kx 0 <-> 1, inside the kernel, so only its parity class is wrong)
    lay = base(Mode.BWD_DATA, stride=2, dil=1, min_nnz=1)
    pk = lay.packed()
    b = rnd.choice([i for i, w in enumerate(pk.bwd_idx) if w & ((1 << kw) - 1) < 2])
    word = pk.bwd_idx[b] ^ 1
    add("index_bwd_parity", Status.BAD_INDEX, lay, {Sel.BIDX: {lay.b_base + b: word}})
    return items


