"""Cycle model of a whole program, descriptor by descriptor: accel_top's counters (UC, pool, LC +
loss, DMA, total; docs/registers.md CNT_*) predicted from the descriptors and the host's lists,
without simulating (issue 14: the VGG16 top run, bench/vgg16_top.py, against the model).

The program is interpreted as the sequencer runs it (LOOP / ENDLOOP repeat their body, a LOAD or
STORE uses ``host_addr + iteration * host_step``), and each descriptor is costed with the
formulas the network tables use:

* UC: :func:`bench.array_model.array_cycles` (one engine: :func:`bench.cycle_formulas.uc_formula`),
  with the unit's checked-list records followed as the RTL keeps them (docs/uc_unit.md "Checked
  lists": a FWD / WGRAD / BWD_DATA scan records its list's identity, first in first out, LISTS
  records; UPDATE uses the forward list's record and makes none; a LOAD of PTR / FIDX / BIDX drops
  every record). The lists come from the run (:class:`sparsetrain.driver.AccelRun`): the UC
  command's ``fptr_base`` names its list (a conv's, or that of a Linear the driver runs on the
  UC unit: its dense list or the empty list of its bias-gradient WGRAD).
* MP / GAP: :func:`bench.cycle_formulas.pool_cycles` at the top's LANES (the MP unit with two
  read ports on an engine array); LC and loss:
  :func:`~bench.cycle_formulas.lc_cycles`, :func:`~bench.cycle_formulas.loss_cycles`.
* DMA (rtl/top/dma.v, ldst_mover.v): INCR bursts of at most 16 beats that never cross a 4 KB
  boundary, one in flight. A LOAD of ``B`` 32-bit beats in ``R`` bursts costs
  ``DMA_O + B + LOAD_BURST * R``; a STORE of ``n`` memory words (``B`` beats, ``R`` bursts)
  ``DMA_O + B + STORE_WORD * n + STORE_BURST * R`` (the mover's 2 cycles a word before its beats,
  the B response a burst); the program fetch is a LOAD of 16 beats a descriptor with ``FETCH_O``
  in place of ``DMA_O``. The constants
  reproduce every single-transfer program of the top bench exactly (:func:`check_dma`).
* Sequencer: the cycles of the total no unit or the DMA counts, per executed descriptor by kind
  (:data:`SEQ`, least squares over the top bench's programs, :func:`fit_sequencer`).

Public entry: :func:`predict` (counters of one program), :func:`compare` (against measured
counters, signed errors in per cent of the measured value).
"""

from __future__ import annotations

import numpy as np

from sparsetrain.driver import linear_lists
from sparsetrain.program import FIELDS, Mem, Op, beats_of
from sparsetrain.sparse import split_dil
from sparsetrain.uc import Sel

from bench.array_model import array_cycles
from bench.cycle_formulas import lc_cycles, loss_cycles, pool_cycles, uc_formula

#: DMA: cycles of a transfer beyond its beats and bursts, and of the program fetch beyond its own
#: (the bench's one-transfer programs give their sum, 4; the VGG16 run's 163 and 110 transfers
#: split it 2 + 2: with 4 + 0 the model was 2 cycles a transfer high)
DMA_O = 2
FETCH_O = 2
#: DMA: cycles a read burst costs beyond its beats (burst sizing, address handshake, first beat)
LOAD_BURST = 4
#: DMA: cycles a write burst costs beyond its beats (address handshake, B response)
STORE_BURST = 3
#: ldst_mover: cycles a STORE spends per memory word before its beats
STORE_WORD = 2
#: UC checked-list records (uc_unit parameter LISTS)
LISTS = 64
#: sequencer cycles per executed descriptor, by kind (fitted: :func:`fit_sequencer`; the bench's
#: programs give these integers exactly, 1 Dec)
SEQ = {"xfer": 9, "unit": 4, "loop": 3, "end": 5}

_KIND = {Op.LOAD: "xfer", Op.STORE: "xfer", Op.UC: "unit", Op.MP: "unit", Op.GAP: "unit", Op.LC: "unit",
         Op.LOSS: "unit", Op.LOOP: "loop", Op.ENDLOOP: "loop", Op.END: "end"}
_UC_MODES = ("FWD", "BWD_DATA", "WGRAD", "UPDATE")
#: (MP_BWD_RELU runs as MP_BWD: the ReLU mask is a bit of the argmax word it reads anyway)
_MP_MODES = ("MP_FWD", "MP_BWD", "RELU_BWD", "MP_BWD")
_GAP_MODES = ("GAP_FWD", "GAP_BWD")


def decode(desc) -> dict:
    """The fields of one descriptor (16 32-bit words) by :data:`sparsetrain.program.FIELDS`;
    ValueError on an unknown opcode."""
    op = int(desc[0]) & 0xFF
    if op not in FIELDS:
        raise ValueError(f"unknown opcode {op:#x}")
    return {f.name: (int(desc[f.word]) >> f.lsb) & ((1 << f.width) - 1) for f in FIELDS[op]}


def bursts(addr: int, beats: int) -> int:
    """AXI bursts of a run of ``beats`` 32-bit words from byte address ``addr``: at most 16 beats,
    never across a 4 KB boundary (rtl/top/dma.v)."""
    n, a, left = 0, int(addr) & ~3, int(beats)
    while left > 0:
        step = min(16, left, (4096 - (a & 4095)) // 4)
        a += 4 * step
        left -= step
        n += 1
    return n


def dma_cycles(store: bool, words: int, beats_per_word: int, addr: int) -> int:
    """DMA counter cycles of one LOAD / STORE of ``words`` memory words of ``beats_per_word``
    32-bit beats from / to host byte address ``addr`` (module docstring)."""
    beats = int(words) * int(beats_per_word)
    r = bursts(addr, beats)
    if store:
        return DMA_O + beats + STORE_WORD * int(words) + STORE_BURST * r
    return DMA_O + beats + LOAD_BURST * r


def fetch_cycles(n_desc: int, addr: int) -> int:
    """DMA cycles of the program fetch: ``n_desc`` descriptors of 16 beats from ``addr``."""
    return FETCH_O + 16 * int(n_desc) + LOAD_BURST * bursts(addr, 16 * int(n_desc))


def _layer_dict(f: dict) -> dict:
    k_eff = f["dil"] * (f["k"] - 1) + 1
    return {"t": "conv", "c": f["cin"], "n": f["cout"], "k": k_eff, "s": f["stride"], "p": f["pad"],
            "flat": bool(f["flat"]),
            # BWD_DATA with relu: the ReLU backward's mask item, one more a dX vector
            "rmask": f["mode"] == 1 and bool(f["relu"])}


def predict(run, prog_addr: int = 0x1000, engines: int | None = None, uc_cal=None) -> dict:
    """Counters of ``run.prog`` (a :class:`sparsetrain.driver.AccelRun`) on a top with the run's
    :class:`~sparsetrain.uc.UcParams` (``engines`` overrides its ENGINES): a dict of cycles
    ``uc``, ``pool``, ``lc`` (LC + loss), ``dma``, ``sequencer``, ``total``, and ``executed``
    (descriptors run, by opcode name). ``uc_cal``: a :class:`bench.cycle_calib.Calib` whose
    per-mode UC terms are added on one engine (the one-engine formula alone is 0.1-0.7 % short on
    the top bench's programs; the array formula has its own constants). ``prog_addr``: the
    program's host address (its fetch's
    bursts; the program is fetched once, whole: a program longer than PROG_DEPTH is refused
    with ERR PROG, docs/registers.md). Raises ValueError on a descriptor it cannot cost (an unknown
    opcode, a UC command whose ``fptr_base`` is no conv layer of the run)."""
    p = run.p
    eng = int(engines or p.engines)
    lanes = p.lanes
    # the list behind each forward-pointer table: a conv's, or a Linear's on the UC unit (its
    # dense list, and the empty list of its bias-gradient WGRAD)
    by_fptr, wb_fptr = {}, {}
    w_bases = getattr(run.lay, "w_base", {})    # (each list's first weight: UPDATE's banks)
    for i, base in run.lay.fptr.items():
        by_fptr[base] = run.q.convs[i] if i in run.q.convs else linear_lists(run.q, i)
        wb_fptr[base] = w_bases.get(i, 0)
        if i in run.lay.bias_ptr:
            by_fptr[run.lay.bias_ptr[i]] = linear_lists(run.q, i, empty=True)
            wb_fptr[run.lay.bias_ptr[i]] = w_bases.get(i, 0)
    descs = run.prog.descs
    out = {"uc": 0, "pool": 0, "lc": 0, "dma": fetch_cycles(len(descs), prog_addr), "sequencer": 0.0}
    executed: dict[str, int] = {}
    records: list[tuple] = []           # the UC unit's checked-list identities, oldest first
    loops: list[list[int]] = []         # [body start, count, iteration]
    pc = 0
    while pc < len(descs):
        f = decode(descs[pc])
        op = Op(f["opcode"])
        executed[op.name] = executed.get(op.name, 0) + 1
        out["sequencer"] += SEQ[_KIND[op]]
        it = loops[-1][2] if loops else 0
        if op == Op.END:
            break
        if op == Op.LOOP:
            loops.append([pc + 1, f["count"], 0])
        elif op == Op.ENDLOOP:
            top = loops[-1]
            top[2] += 1
            if top[2] < top[1]:
                pc = top[0]
                continue
            loops.pop()
        elif op in (Op.LOAD, Op.STORE):
            mem = f["mem"]
            bpw = 1 if mem == int(Mem.LABEL) else beats_of(p.width(Sel(mem)))
            out["dma"] += dma_cycles(op == Op.STORE, f["count"], bpw, f["host_addr"] + it * f["host_step"])
            if op == Op.LOAD and mem in (int(Sel.PTR), int(Sel.FIDX), int(Sel.BIDX)):
                records.clear()
        elif op == Op.UC:
            mode = _UC_MODES[f["mode"]]
            sw = by_fptr.get(f["fptr_base"])
            if sw is None:
                raise ValueError(f"UC command at {pc}: fptr_base {f['fptr_base']} is no conv or Linear list of the run")
            fwd = np.asarray(sw.fwd_count)
            bwd = np.asarray(sw.bwd_lists(split_dil(f["stride"], f["dil"]))[2])
            L = _layer_dict(f)
            fid = (False, f["fptr_base"], f["cin"], f["cout"], f["k"])
            ident = (True, f["bptr_base"], f["cin"], f["cout"], f["k"]) if mode == "BWD_DATA" else fid
            checked = (fid if mode == "UPDATE" else ident) in records
            if eng > 1:
                cyc = array_cycles(mode, L, f["h"], f["w"], fwd, bwd, lanes, eng, bgrad=f["bgrad"], checked=checked,
                                   upd_banks=getattr(p, "upd_banks", 1), w_base=wb_fptr[f["fptr_base"]])
            elif uc_cal is not None:
                cyc = uc_cal.uc_cycles(mode, L, f["h"], f["w"], fwd, bwd, lanes, checked=checked)
            else:
                cyc = uc_formula(mode, L, f["h"], f["w"], fwd, bwd, lanes, bgrad=f["bgrad"], checked=checked)
            out["uc"] += int(round(cyc))
            if mode != "UPDATE" and not checked:
                records.append(ident)
                del records[:-LISTS]
        elif op == Op.MP:
            # the MP unit reads several stack copies a cycle on an engine array (accel_top's
            # RD_PORTS: 2, from 4 engines 4, from 8 engines 8)
            out["pool"] += pool_cycles(_MP_MODES[f["mode"]], f["c"], f["h"], f["w"], lanes,
                                       read_ports=8 if eng > 7 else 4 if eng > 3 else 2 if eng > 1 else 1,
                                       xarg=bool(f.get("xarg", 0)))
        elif op == Op.GAP:
            out["pool"] += pool_cycles(_GAP_MODES[f["mode"]], f["c"], f["h"], f["w"], lanes, p.hmax * p.wmax)
        elif op == Op.LC:
            # two weight read ports on an engine array (WPORTS = 2: FWD / BWD_DATA pairs)
            out["lc"] += lc_cycles(_UC_MODES[f["mode"]], f["cin"], f["cout"], wports=2 if eng > 1 else 1)
        elif op == Op.LOSS:
            out["lc"] += loss_cycles(f["classes"])
        pc += 1
    out["sequencer"] = round(out["sequencer"])
    out["total"] = out["uc"] + out["pool"] + out["lc"] + out["dma"] + out["sequencer"]
    out["executed"] = executed
    return out


def compare(model: dict, measured: dict) -> dict:
    """Per counter (uc, pool, lc, dma, total): ``[model, measured, error %]``, the error signed and
    in per cent of the measured value (None where the measured counter is 0)."""
    out = {}
    for k in ("uc", "pool", "lc", "dma", "total"):
        m, r = int(model[k]), int(measured[k])
        out[k] = [m, r, round(100.0 * (m - r) / r, 3) if r else None]
    return out


def check_dma(records: list[dict]) -> list[dict]:
    """The DMA formula against the top bench's single-transfer programs (bench/top.py records of
    kind ``dma``: one LOAD or STORE of ``words`` 32-bit GRAD words, plus the 2-descriptor fetch):
    each record with the model's ``dma`` and the difference (0 when the model is exact).
    The bench puts its host buffers at 4 KB-aligned addresses (no boundary inside 1,024 words
    but every 4 KB), which :func:`bursts` reproduces from address 0."""
    out = []
    for r in records:
        if r.get("kind") != "dma":
            continue
        m = fetch_cycles(2, 0) + dma_cycles(r["op"] == "store", r["words"], 1, 0)
        out.append({"op": r["op"], "words": r["words"], "measured": r["dma"], "model": m, "diff": m - r["dma"]})
    return out


def fit_sequencer(records: list[dict]) -> dict:
    """Least-squares sequencer cycles per executed descriptor by kind (xfer, unit, loop, end) from
    the top bench's records (``total - uc - pool - lc - dma`` against the ``executed`` counts; a
    single-transfer program runs one LOAD / STORE and END)."""
    rows, ys = [], []
    kinds = ("xfer", "unit", "loop", "end")
    for r in records:
        ex = r.get("executed") or ({"LOAD": 1, "END": 1} if r.get("kind") == "dma" else None)
        if not ex:
            continue
        cnt = dict.fromkeys(kinds, 0)
        for name, n in ex.items():
            cnt[_KIND[Op[name]]] += n
        rows.append([cnt[k] for k in kinds])
        ys.append(r["total"] - r["uc"] - r["pool"] - r["lc"] - r["dma"])
    sol = np.linalg.lstsq(np.array(rows, float), np.array(ys, float), rcond=None)[0]
    return {k: round(float(v), 2) for k, v in zip(kinds, sol)}
