"""Cycle formula of the UC unit as an engine array (issue 14; rtl/uc_unit/uc_unit.v, uc_split.v,
uc_wq.v), for the array bench (bench/uc_unit.py UC_BENCH_SETS) and the whole-network tables
(:mod:`bench.array_projection`).

The RTL's work split (rtl/uc_unit/uc_split.v; host side :func:`sparsetrain.uc.engine_ranges`):
engine ``e`` of ``E`` takes the contiguous channels ``[e*chunk, min((e+1)*chunk, nch))``,
``chunk = ceil(nch / E)``: output channels ``n`` in FWD and WGRAD, input channels ``c`` in
BWD_DATA (at stride 2 all four parity lists of a channel); UPDATE runs on engine 0 alone. Each
engine runs the one-engine generator over its channels, so its items are
:func:`bench.cycle_formulas.work_items` summed over its range.

One command on ``E > 1`` engines (cycles from accept to response)::

    scan (unless the list is checked: the controller scans the whole list once, as one engine)
    + START_LAT (uc_split's stages before the engines start)
    + run
    + FIXED[mode] (checks, pipeline, drain: fitted on the array bench)

    run = WGRAD:           max_e cost_e
          FWD / BWD_DATA:  max( max_j (cost_(j) + j),              (compute-bound; the engines
                                                                     that finish together queue
                                                                     their last writes)
                                writes + first + WRITE_TAIL )      (write-bound)
          UPDATE:          nnz + N + (filters with no weight)      (engine 0 alone)

``cost_e`` = the engine's items plus PTR_CYCLES a pointer it walks, ``cost_(j)`` sorted from the
largest (j = 0, 1, ...); ``writes`` = port-B write cycles of the command's output vectors (FWD:
``N * Ho * ceil(ceil(Wo/L)/2)``, BWD_DATA at stride 1 likewise, at stride 2 every dX vector), one
a cycle through uc_wq's arbiter, two adjacent vectors of an engine's row as one 2L-lane write
(issue 14, sixteenth session; :func:`engine_write_cycles`);
``first`` = the items before the first write (the smallest first vector over the engines). WGRAD
writes no stack word (each engine's own GRAD copy).

``E = 1`` is exactly :func:`bench.cycle_formulas.uc_formula` (the one-engine unit has neither
uc_split nor uc_wq). The constants are checked against the array bench rows by
:func:`main` (``python -m bench.array_model``: every build/bench/uc_unit_<set>.json of an array,
docs/performance.md "Engine array").
"""

from __future__ import annotations

import numpy as np

from sparsetrain.sparse import parity_rows
from sparsetrain.uc import engine_ranges, scan_cycles

from bench.cycle_formulas import cdiv, flat_view, out_size, relu_bwd_cmd, uc_formula, work_items

#: cycles from the run's start to the engines' start (rtl/uc_unit/uc_unit.v START_LAT)
START_LAT = 7


def engine_channels(mode: str, layer: dict, engines: int) -> list[range]:
    """Each engine's channels (uc_split.v): output channels N in FWD / WGRAD, input channels C in
    BWD_DATA; UPDATE: every filter on engine 0. Raises ValueError on ``engines < 1``."""
    if engines < 1:
        raise ValueError(f"engines must be >= 1, got {engines}")
    if mode == "UPDATE":
        return [range(layer["n"])] + [range(0)] * (engines - 1)
    nch = layer["c"] if mode == "BWD_DATA" else layer["n"]
    return engine_ranges(nch, engines)


def engine_items(mode, layer, h, w, fwd, bwd, lanes, engines, bgrad=1) -> list[int]:
    """Items (cycles) of each engine of a FWD / BWD_DATA / WGRAD command: the one-engine
    :func:`work_items` summed over the engine's channel range (at stride 2 in BWD_DATA, the four
    parity lists ``4c .. 4c+3`` of each of its channels). ``fwd``: non-zeros per filter (N),
    ``bwd``: per backward pointer (C, or 4C at stride 2, :func:`bench.cycle_formulas.counts`)."""
    per = work_items(mode, layer, h, w, fwd, bwd, lanes, bgrad)
    q = 4 if (mode == "BWD_DATA" and layer["s"] == 2) else 1
    return [sum(per[q * r.start:q * r.stop]) for r in engine_channels(mode, layer, engines)]


def _row_vectors(mode, layer, h, w, lanes) -> tuple[int, int, bool]:
    """(rows, vectors a row, whether a row's adjacent vectors may share a write) of one channel's
    output: FWD ``Ho`` rows of ``ceil(Wo/L)``; BWD_DATA ``H`` rows of ``ceil(W/L)`` at stride 1,
    at stride 2 the four parity classes' rows of ``ceil(W/2L)`` (stride-2 writes: no pairs);
    WGRAD / UPDATE no rows. A flat layer: one row of ``ceil(H*W/L)`` vectors a channel."""
    layer, h, w = flat_view(layer, h, w)
    k, s, p = layer["k"], layer["s"], layer["p"]
    if mode == "FWD":
        return out_size(h, k, s, p), cdiv(out_size(w, k, s, p), lanes), True
    if mode == "BWD_DATA":
        if s == 1:
            return h, cdiv(w, lanes), True
        return sum(parity_rows(h, p)), cdiv(w, 2 * lanes), False
    return 0, 0, False


def engine_writes(mode, layer, h, w, lanes, engines) -> list[int]:
    """Stack writes (output vectors) of each engine: FWD ``Ho * ceil(Wo/L)`` a filter, BWD_DATA
    ``H * ceil(W/L)`` a channel (stride 2: the four parity classes' rows times ``ceil(W/2L)``);
    WGRAD / UPDATE none."""
    rows, vecs, _ = _row_vectors(mode, layer, h, w, lanes)
    return [len(r) * rows * vecs for r in engine_channels(mode, layer, engines)]


def engine_write_cycles(mode, layer, h, w, lanes, engines) -> list[int]:
    """Port-B write cycles of each engine through uc_wq: two adjacent vectors of a row (an entry of
    2L lanes, a stride-1 write) leave in one cycle once the engine's queue holds two or more, as
    in a write-bound command; so FWD ``Ho * ceil(ceil(Wo/L) / 2)`` a filter, BWD_DATA at stride 1
    ``H * ceil(ceil(W/L) / 2)`` a channel, at stride 2 every vector (:func:`engine_writes`: its
    parity classes write at stride 2, no pairs); WGRAD / UPDATE none."""
    rows, vecs, pairs = _row_vectors(mode, layer, h, w, lanes)
    per = rows * (cdiv(vecs, 2) if pairs else vecs)
    return [len(r) * per for r in engine_channels(mode, layer, engines)]


def first_write(mode, layer, fwd, bwd, engines) -> int:
    """Items before the first stack write of the command: the smallest first-vector item count
    over the engines with work (FWD: ``max(1, nnz)`` of an engine's first filter; BWD_DATA: of its
    first pointer)."""
    cnt = bwd if mode == "BWD_DATA" else fwd
    q = 4 if (mode == "BWD_DATA" and layer["s"] == 2) else 1
    firsts = [max(1, int(cnt[q * r.start])) for r in engine_channels(mode, layer, engines) if len(r)]
    return min(firsts) if firsts else 0


#: per pointer an engine walks (a filter in FWD / WGRAD, a backward pointer in BWD_DATA): the
#: one-engine calibration's ``a*N`` / ``b*C`` term (bench/cycle_calib.py: 1.0), in each engine
PTR_CYCLES = 1
#: cycles of an array command beyond pre-scan + START_LAT + the busiest engine's items and
#: pointers (checks, pipeline, write queue and drain), per mode and list state: fitted on the
#: array bench (bench/uc_unit.py UC_BENCH_SETS=bench_e16x4; checked by :func:`main`)
FIXED = {"FWD": 26, "BWD_DATA": 26, "WGRAD": 22, "UPDATE": 22}   # FWD / BWD_DATA: + 2 since
# uc_wq registers each write on entry and holds the newest one (issue 14, sixteenth session: pairs);
# + 1 since its two-level arbitration (issue 16, twentieth session: the group buffers); every
# mode + 1 (FWD / BWD_DATA, where the queues drain last) or + 2 (WGRAD / UPDATE, where the
# engines do) since the engines' busy is registered at the array's boundary (issue 16,
# twenty-fifth session: all 264 QUICK bench_e16x4 commands measured before and after)
#: engine count above which UPDATE selects the owner's gradient over two registered stages: one
#: cycle more an UPDATE (rtl/uc_unit/uc_unit.v ``OWN_SEL2``; issue 16, twenty-sixth session)
OWN_SEL2 = 64
#: cycles from the arbiter's first write to the response beyond the writes themselves
WRITE_TAIL = 3


def wq_levels(engines: int) -> int:
    """Node levels of uc_wq's arbitration tree (rtl/uc_unit/uc_wq.v ``NLV``): nodes of four
    children are added until at most four remain on top, at least one level (1 up to 16 engines,
    2 up to 64, 3 up to 256). Each level past the first is one cycle more from a FWD / BWD_DATA
    write to the stack, so one cycle more a command (issue 16, twenty-first session)."""
    lv, n = 1, max(1, engines // 4)
    while n > 4:
        lv, n = lv + 1, n // 4
    return lv


def engine_cost(mode, layer, h, w, fwd, bwd, lanes, engines, bgrad=1) -> list[int]:
    """Each engine's cycles of a FWD / BWD_DATA / WGRAD command without stalls: its items plus
    PTR_CYCLES a pointer it walks. WGRAD without the bias gradient (``bgrad`` 0) loads its
    pointers through the prefetch registers (rtl/uc_unit/uc_gen.v ``reg_q``, issue 16): one cycle
    more at the start and for each filter (the last aside) of at most two items, empty ones
    included (:func:`wnob_extra`)."""
    q = 4 if (mode == "BWD_DATA" and layer["s"] == 2) else 1
    ranges = engine_channels(mode, layer, engines)
    extra = [0] * len(ranges)
    if mode == "WGRAD" and not bgrad:
        extra = wnob_extra(work_items(mode, layer, h, w, fwd, bwd, lanes, bgrad), ranges)
    return [i + PTR_CYCLES * q * len(r) + x for i, r, x in
            zip(engine_items(mode, layer, h, w, fwd, bwd, lanes, engines, bgrad), ranges, extra)]


def wnob_extra(per, ranges) -> list[int]:
    """The cycles a WGRAD without the bias gradient adds to each engine's walk of ``ranges``
    (filter items ``per``): one at the start, one for each of its filters but the last with at
    most two items (its next pointer has not landed in the prefetch registers yet; an empty
    filter's skip waits for it too)."""
    return [(1 + sum(1 for f in list(r)[:-1] if per[f] <= 2)) if len(r) else 0 for r in ranges]


def write_term(mode, layer, h, w, fwd, bwd, lanes, engines) -> int:
    """The write-bound run length of a FWD / BWD_DATA command: every output vector through the
    one write a cycle (two adjacent ones of an engine's row in one: :func:`engine_write_cycles`),
    after the first engine's first vector (0 in WGRAD / UPDATE)."""
    if mode not in ("FWD", "BWD_DATA"):
        return 0
    return (sum(engine_write_cycles(mode, layer, h, w, lanes, engines))
            + first_write(mode, layer, fwd, bwd, engines) + WRITE_TAIL)


def scan_term(mode, layer, fwd, bwd, checked) -> int:
    """Pre-scan cycles of a command (:func:`sparsetrain.uc.scan_cycles` of the forward list, or of
    the backward one in BWD_DATA); 0 when ``checked``."""
    if checked:
        return 0
    return scan_cycles(mode == "UPDATE", bwd if mode == "BWD_DATA" else fwd)


def update_run(fwd, banks: int = 1, w_base: int = 0) -> int:
    """Cycles of the busiest UPDATE engine's walk (rtl/uc_unit/uc_gen.v): ``banks`` engines
    (``UPD_BANKS``) each walk every filter, engine k over the filter's weights of bank k (address
    mod ``banks``; the filters' weights lie one after another from ``w_base``) and the filter's
    bias item, one cycle more for a filter where it has no weight. ``banks = 1``: ``nnz + N``
    plus one a filter with no weight (engine 0 alone, as before issue 14's banks). With banks the
    pointers go through the prefetch registers (issue 16, twenty-seventh session): one cycle more
    at the start, and one more for a filter (the last one aside) whose share has no weight or one."""
    fwd = np.asarray(fwd, dtype=np.int64)
    starts = w_base + np.concatenate([[0], np.cumsum(fwd)[:-1]])
    best = 0
    for k in range(banks):
        off = (k - starts) % banks
        c = (fwd - off + banks - 1) // banks        # ceil((count - off) / B), 0 when count <= off
        run = int(c.sum()) + len(fwd) + int(np.count_nonzero(c == 0))
        if banks > 1:
            # (after the last filter no pointer is loaded)
            run += 1 + int(np.count_nonzero(c[:-1] <= 1))
        best = max(best, run)
    return best


def array_cycles(mode, layer, h, w, fwd, bwd, lanes, engines, bgrad=1, checked=False,
                 write_bound=True, upd_banks=1, w_base=0) -> int:
    """Cycles of one UC command on ``engines`` engines of ``lanes`` lanes (module docstring):
    ``scan + START_LAT + max(busiest engine, writes) + FIXED[mode]`` (FWD / BWD_DATA: + one a
    write-queue tree level past the first, :func:`wq_levels`); UPDATE: the busiest of its
    ``upd_banks`` engines (:func:`update_run`, the layer's weights from ``w_base``; + 1 above
    ``OWN_SEL2`` engines). ``engines == 1``:
    :func:`bench.cycle_formulas.uc_formula` unchanged (the one-engine calibration,
    bench/cycle_calib.py, adds its own terms). ``write_bound=False`` leaves the write term out
    (what the engines alone would take)."""
    fwd, bwd = np.asarray(fwd), np.asarray(bwd)
    if engines == 1:
        return uc_formula(mode, layer, h, w, fwd, bwd, lanes, bgrad=bgrad, checked=checked)
    pre = scan_term(mode, layer, fwd, bwd, checked)
    if mode == "UPDATE":
        return (pre + START_LAT + update_run(fwd, upd_banks, w_base) + FIXED[mode]
                + int(engines > OWN_SEL2))
    cost = engine_cost(mode, layer, h, w, fwd, bwd, lanes, engines, bgrad)
    if mode == "WGRAD":
        run = max(cost)         # no stack write: each engine's GRAD copy
    else:
        run = last_writes(cost)
        if write_bound:
            run = max(run, write_term(mode, layer, h, w, fwd, bwd, lanes, engines))
        run += wq_levels(engines) - 1
    return pre + START_LAT + run + FIXED[mode]


#: DSP48E2 of the accelerator top's other units (MP 6, GAP 7, LC 11, loss 2, the DMA's host
#: address product 4; docs/performance.md section 4): fixed, whatever the UC array
TOP_OTHER_DSP = 30


def uc_dsp48e2(engines: int, lanes: int, upd_banks: int = 1) -> int:
    """DSP48E2 of uc_unit with ``engines`` x ``lanes`` MACs (Yosys 0.23 ``synth_xilinx -family
    xcup`` up to its DSP mapping, docs/performance.md 8d): per engine its ``lanes`` MAC products
    and two address products (the P2 row index, the P3 read address); UPDATE's step product (2)
    in each of its ``upd_banks`` engines; shared, the checks' multiplier (1); with engines,
    uc_split's ``chunk * plane`` (2). Counted at 1 x 4, 1 x 8, 4 x 4, 8 x 8, 16 x 4 and 64 x 4
    (9, 13, 29, 85, 101, 389, one UPDATE engine). Raises ValueError below 1 engine or lane, or
    ``upd_banks`` outside 1 .. engines."""
    if engines < 1 or lanes < 1:
        raise ValueError(f"engines and lanes must be >= 1, got {engines} x {lanes}")
    if not 1 <= upd_banks <= engines:
        raise ValueError(f"upd_banks must be 1 .. {engines}, got {upd_banks}")
    return engines * (lanes + 2) + 2 * upd_banks + 1 + (2 if engines > 1 else 0)


def last_writes(cost) -> int:
    """When the engines' last stack writes are through the one write a cycle: engines that finish
    together queue their last vectors, so the run lasts ``max_j (cost_(j) + j)`` over the costs
    sorted from the largest (j = 0, 1, ...): e.g. 16 equal engines take 15 cycles more than one."""
    srt = sorted((int(c) for c in cost), reverse=True)
    return max(c + j for j, c in enumerate(srt) if c > 0) if srt and srt[0] > 0 else 0


def bound(mode, layer, h, w, fwd, bwd, lanes, engines, bgrad=1) -> str:
    """What limits a command on the array: 'write' (the one stack write a cycle), 'engine' (the
    busiest engine's items), 'update' (engine 0 alone)."""
    if mode == "UPDATE":
        return "update"
    if engines == 1 or mode == "WGRAD":
        return "engine"
    busiest = max(engine_cost(mode, layer, h, w, fwd, bwd, lanes, engines, bgrad))
    return "write" if write_term(mode, layer, h, w, fwd, bwd, lanes, engines) > busiest else "engine"


# ------------------------------------------------------------------------------ against the bench
def stack_writes(layers, in_shape, lanes: int, mp_wide: bool = False) -> dict:
    """Stack writes of one training image (vector writes of ``lanes`` pixels, one a cycle on
    every copy: the top's one stack write port), by command kind, for the layer dicts of
    :data:`bench.cycle_formulas.NETWORKS` as the driver runs them:

    UC FWD ``N*Ho*ceil(ceil(Wo/L)/2)`` and BWD_DATA (every layer but the first) its dX vectors,
    two adjacent vectors of a row a write on an array (:func:`engine_write_cycles`: uc_wq's
    pairs); RELU_BWD ``N*Ho*ceil(Wo/L)`` for each conv + ReLU whose backward runs one
    (not under a max pool's MP_BWD_RELU or a conv's BWD_DATA with relu, unless its map is
    converted: :func:`bench.cycle_formulas.relu_bwd_cmd`); MP_FWD
    Y and argmax ``2*C*Ho*ceil(Wo/L)`` (``ceil(Wo/2L)`` with ``mp_wide``, the MP unit's four read ports); MP_BWD(_RELU) ``2*C*ceil(H/2)*ceil(ceil(W/2)/L)`` (2L
    pixels a write since issue 14's wide port-B write); GAP_FWD
    ``C`` (a pixel a channel), GAP_BWD ``C*H*ceil(W/L)``; LC FWD ``M``, LC BWD_DATA ``K`` and the
    loss ``classes`` (a pixel an output). WGRAD and UPDATE write no stack word.

    Returns ``{"uc": .., "relu": .., "pool": .., "lc_loss": .., "total": ..}`` (writes = cycles
    at the one write a cycle): ``total`` is a lower bound on an image's cycles whatever the
    number of engines, so ``nnz MACs / (E*L) / total`` bounds the efficiency.
    """
    out = {"uc": 0, "relu": 0, "pool": 0, "lc_loss": 0}
    c, h, w = in_shape
    for i, L in enumerate(layers):
        t = L["t"]
        if t == "conv":
            ho, wo = out_size(h, L["k"], L["s"], L["p"]), out_size(w, L["k"], L["s"], L["p"])
            out["uc"] += sum(engine_write_cycles("FWD", L, h, w, lanes, 1))
            if i > 0:
                out["uc"] += sum(engine_write_cycles("BWD_DATA", L, h, w, lanes, 1))
            if relu_bwd_cmd(layers, i):
                out["relu"] += L["n"] * ho * cdiv(wo, lanes)
            if L.get("cvt"):     # the copy into the next conv's layout: a RELU_BWD's writes
                out["relu"] += L["n"] * ho * cdiv(wo, lanes)
            c, h, w = L["n"], ho, wo
        elif t == "mp":
            # (mp_wide: the MP unit's four read ports, from 4 engines: MP_FWD's Y and argmax 2L wide)
            out["pool"] += (2 * c * (h // 2) * cdiv(w // 2, 2 * lanes if mp_wide else lanes)
                            + 2 * c * cdiv(h, 2) * cdiv(cdiv(w, 2), lanes))
            h, w = h // 2, w // 2
        elif t == "gap":
            # a flat map below (the driver's (C, 1, H*W)): ceil(H*W/L) vectors a channel
            out["pool"] += c + c * (cdiv(h * w, lanes) if i > 0 and layers[i - 1].get("flat") else h * cdiv(w, lanes))
            h = w = 1
        else:
            out["lc_loss"] += L["m"] + L["k"]
            c = L["m"]
    out["lc_loss"] += c      # the loss unit's gradient of the logits
    out["total"] = sum(out.values())
    return out


def row_layer(r: dict) -> dict:
    """The layer dict of a UC bench row (bench/uc_unit.py) for the formulas: the dilated kernel's
    extent ``d*(K-1)+1`` stands for K (the formulas use K for the output size only)."""
    k_eff = r["dilation"] * (r["kernel"] - 1) + 1
    pad = {3: 1, 5: 2, 7: 3, 1: 0}.get(r["kernel"], r["kernel"] // 2) * r["dilation"]
    return {"t": "conv", "c": r["in_channels"], "n": r["out_channels"], "k": k_eff, "s": r["stride"],
            "p": pad, "dw": r.get("depthwise", False), "relu": True, "flat": bool(r.get("flat", False))}


def row_counts(r: dict):
    """(fwd, bwd) non-zero counts of a UC bench row, rebuilt from the bench's seeded weights."""
    import zlib
    from sparsetrain.sparse import split_dil
    from bench.uc_bench_tests import build_weights
    spec = {"out_channels": r["out_channels"], "in_channels": r["in_channels"], "kernel": r["kernel"],
            "depthwise": r.get("depthwise", False)}
    rng = np.random.default_rng(zlib.crc32(f"{r['layer']}/{r['sparsity']}/{r['pruning']}".encode()))
    sw = build_weights(rng, spec, r["sparsity"], r["pruning"])
    return np.asarray(sw.fwd_count), np.asarray(sw.bwd_lists(split_dil(r["stride"], r["dilation"]))[2])


def row_formula(r: dict, engines: int, lanes: int, write_bound: bool = True) -> int:
    """:func:`array_cycles` of a UC bench row (bias gradient on in WGRAD, as the bench runs it)."""
    f, b = row_counts(r)
    L = row_layer(r)
    return array_cycles(r["mode"], L, r["size"], r["size"], f, b, lanes, engines,
                        bgrad=1, checked=bool(r.get("checked", False)), write_bound=write_bound)


def check_rows(rows: list[dict], engines: int, lanes: int, upd_banks: int = 1) -> list[dict]:
    """Formula vs measured for every bench row (the bench's weights from address 0): adds
    ``formula``, ``err_pct`` (signed, of the measured cycles) and ``bound`` ('write' / 'engine' /
    'update')."""
    out = []
    for r in rows:
        f, b = row_counts(r)
        L = row_layer(r)
        pred = array_cycles(r["mode"], L, r["size"], r["size"], f, b, lanes, engines,
                            checked=bool(r.get("checked", False)), upd_banks=upd_banks)
        out.append(dict(r, formula=int(pred), err_pct=round(100 * (pred - r["cycles"]) / r["cycles"], 3),
                        err_cycles=int(pred - r["cycles"]),
                        bound=bound(r["mode"], L, r["size"], r["size"], f, b, lanes, engines)))
    return out


def summary(checked_rows: list[dict]) -> dict:
    """Max / mean absolute error (% of measured, and cycles) per mode, and the rows over 1 %."""
    out = {}
    for mode in ("FWD", "BWD_DATA", "WGRAD", "UPDATE"):
        rs = [r for r in checked_rows if r["mode"] == mode]
        if rs:
            e = np.abs([r["err_pct"] for r in rs])
            out[mode] = {"rows": len(rs), "max_pct": round(float(e.max()), 3), "mean_pct": round(float(e.mean()), 4),
                         "max_abs_cycles": int(max(abs(r["err_cycles"]) for r in rs)),
                         "write_bound_rows": sum(r["bound"] == "write" for r in rs)}
    return out


def main() -> int:
    """Check the formula against every array bench result present (build/bench/uc_unit_<set>.json
    with ENGINES > 1); writes build/bench/array_check.{md,json}."""
    import json
    import sys
    from pathlib import Path
    out_dir = Path(__file__).resolve().parent.parent / "build" / "bench"
    lines = ["# Engine-array cycle formula vs the RTL (bench/array_model.py)", ""]
    res = {}
    for path in sorted(out_dir.glob("uc_unit_*.json")):
        if path.name.endswith("_raw.json"):
            continue
        data = json.loads(path.read_text())
        p = data["params"]
        e, lanes = int(p.get("ENGINES", 1)), int(p["LANES"])
        if e == 1:
            continue
        rows = check_rows(data["rows"], e, lanes, int(p.get("UPD_BANKS", 1)))
        summ = summary(rows)
        res[path.stem] = {"engines": e, "lanes": lanes, "summary": summ, "rows": rows}
        lines += [f"## {path.stem}: {e} engines x {lanes} lanes ({len(rows)} commands)", "",
                  "| mode | rows | write-bound rows | max error | mean error | max abs (cycles) |", "|---|---|---|---|---|---|"]
        lines += [f"| {m} | {s['rows']} | {s['write_bound_rows']} | {s['max_pct']}% | {s['mean_pct']}% | {s['max_abs_cycles']} |"
                  for m, s in summ.items()]
        lines += ["", "| layer | sparsity | pruning | mode | list | cycles | formula | error | bound | efficiency |",
                  "|---|---|---|---|---|---|---|---|---|---|"]
        lines += [f"| {r['layer']} | {r['sparsity']} | {r['pruning']} | {r['mode']} | "
                  f"{'checked' if r.get('checked') else 'scanned'} | {r['cycles']} | {r['formula']} | "
                  f"{r['err_pct']:+.3f}% | {r['bound']} | {r['efficiency']:.3f} |" for r in rows]
        lines.append("")
    if not res:
        print("no array bench results (python -m bench.uc_unit with UC_BENCH_SETS=bench_e16x4)", file=sys.stderr)
        return 1
    (out_dir / "array_check.json").write_text(json.dumps(res, indent=1, default=int))
    (out_dir / "array_check.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
