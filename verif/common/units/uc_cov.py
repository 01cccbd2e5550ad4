"""Functional coverage of the UC unit (cocotb-coverage points ``uc.*``), sampled by the
environment's coverage subscriber through :class:`verif.common.units.uc.UcUnit`; exported to
``uc_unit_coverage.yml`` in the test directory at the end of every run (``make cov`` merges it)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from cocotb_coverage.coverage import CoverCross, CoverPoint, coverage_db

from sparsetrain.uc import Mode, Status, engine_chunk, engine_ranges
from verif.common.units.common import coverage_holes, status_points


def _spbin(sp: float) -> str:
    return "0" if sp == 0 else "100" if sp >= 1 else "1-49" if sp < 0.5 else "50-89" if sp < 0.9 else "90-99"


def _kbin(k: int) -> str:
    return "1" if k == 1 else "2" if k == 2 else "3" if k == 3 else "4-5" if k <= 5 else "6+"


def _padbin(c) -> str:
    pmax = c.dil * (c.k // 2)
    return "0" if c.pad == 0 else "max" if c.pad == pmax else "mid"


MODES = [m.name for m in Mode]
SAMPLE_BINS = dict(
    mode=MODES, stride=[1, 2], dil=[1, 2, 3, 4], pad=["0", "mid", "max"],
    kernel=["1", "2", "3", "4-5", "6+"], sparsity=["0", "1-49", "50-89", "90-99", "100"],
)


@CoverPoint("uc.mode", xf=lambda f: f["mode"], bins=MODES)
@CoverPoint("uc.stride", xf=lambda f: f["stride"], bins=SAMPLE_BINS["stride"])
@CoverPoint("uc.dilation", xf=lambda f: f["dil"], bins=SAMPLE_BINS["dil"])
@CoverPoint("uc.pad", xf=lambda f: f["pad"], bins=SAMPLE_BINS["pad"])
@CoverPoint("uc.kernel", xf=lambda f: f["kernel"], bins=SAMPLE_BINS["kernel"])
@CoverPoint("uc.sparsity", xf=lambda f: f["sparsity"], bins=SAMPLE_BINS["sparsity"])
@CoverPoint("uc.pruning", xf=lambda f: f["pruning"], bins=["threshold", "balanced"])
@CoverCross("uc.mode_x_stride", items=["uc.mode", "uc.stride"])
@CoverCross("uc.mode_x_dilation", items=["uc.mode", "uc.dilation"])
@CoverCross("uc.mode_x_pad", items=["uc.mode", "uc.pad"])
@CoverCross("uc.mode_x_kernel", items=["uc.mode", "uc.kernel"])
@CoverCross("uc.mode_x_sparsity", items=["uc.mode", "uc.sparsity"])
@CoverCross("uc.stride_x_dilation_x_pad", items=["uc.stride", "uc.dilation", "uc.pad"])
@CoverPoint("uc.flags.saturation", xf=lambda f: f["sat"], bins=[True])
@CoverPoint("uc.flags.empty_filter", xf=lambda f: f["empty"], bins=[True])
@CoverPoint("uc.flags.all_zero", xf=lambda f: f["nnz"] == 0, bins=[True])
@CoverPoint("uc.flags.depthwise", xf=lambda f: f["depthwise"], bins=[True])
@CoverPoint("uc.flags.relu", xf=lambda f: f["relu"], bins=[True])
# BWD_DATA with the ReLU backward (docs/uc_unit.md "ReLU backward in BWD_DATA"): the mask item's
# read at stride 1 and at stride 2 (every other column of X)
@CoverPoint("uc.flags.relu_bwd", xf=lambda f: f["relu_bwd"], bins=["s1", "s2"])
@CoverPoint("uc.flags.wgrad_gacc_bgrad", xf=lambda f: f["wgrad_flags"],
            bins=[(0, 0), (0, 1), (1, 0), (1, 1)])
@CoverPoint("uc.flags.wo_not_multiple_of_lanes", xf=lambda f: f["ragged"], bins=[True])
@CoverPoint("uc.flags.multiword_rows", xf=lambda f: f["multiword"], bins=[True])
# BWD_DATA at stride 2 (backward list split by parity) with one row: the lists of odd rows are
# skipped (directed kind stride2_one_row)
@CoverPoint("uc.flags.bwd_s2_one_row", xf=lambda f: f["s2_one_row"], bins=[True])
# flat maps (docs/uc_unit.md "Flat small maps"): every conv mode; vectors spanning several rows
# (W < LANES) and a last vector only partly inside the map (H*W not a multiple of LANES)
@CoverPoint("uc.flat.mode", xf=lambda f: f["flat_mode"], bins=["FWD", "BWD_DATA", "WGRAD"])
@CoverPoint("uc.flat.rows_a_vector", xf=lambda f: f["flat_rows"], bins=["1", "2+"])
@CoverPoint("uc.flat.ragged", xf=lambda f: f["flat_ragged"], bins=[True])
@CoverPoint("uc.stall", xf=lambda f: f["stall"], bins=[False, True])
# an engine array (ENGINES > 1, docs/uc_unit.md "Engine array"): every mode; the channels spread
# evenly, unevenly (the last engine has fewer) or leaving engines without any; an UPDATE whose
# gradients come from other engines' copies
@CoverPoint("uc.array.mode", xf=lambda f: f["array_mode"], bins=MODES)
@CoverPoint("uc.array.share", xf=lambda f: f["share"], bins=["even", "uneven", "idle_engines"])
@CoverPoint("uc.array.update_from_copies", xf=lambda f: f["upd_copies"], bins=[True])
def _sample_ok(f):
    pass


sample_status, sample_reset = status_points("uc", [s.name for s in Status])

#: the checked-list record (rtl/uc_unit/uc_lcache.v): a list scanned, its scan skipped on a
#: later command, scanned again after a list-memory write, refused after being corrupted, scanned
#: again after its record was replaced (more lists than records)
LIST_CHECK_BINS = ["scanned", "skipped", "rechecked_after_write", "refused_after_write",
                   "rescanned_after_replacement"]
sample_list_check = CoverPoint("uc.list_check", xf=lambda k: k, bins=LIST_CHECK_BINS)(lambda k: None)


def saturated(layer, exp: dict) -> bool:
    """Did any output hit a saturation limit?"""
    lim = {"y": 16, "dx": 16, "wgt": 16, "grad": 32, "bgrad": 32, "bias": 32}
    for k, v in exp.items():
        if v is None or k not in lim or not np.size(v):
            continue
        if layer.mode == Mode.UPDATE and k in ("grad", "bgrad"):
            continue
        hi = (1 << (lim[k] - 1)) - 1
        if (np.asarray(v, dtype=np.int64) >= hi).any() or (np.asarray(v, dtype=np.int64) <= -hi - 1).any():
            return True
    return False


def _share(nch: int, engines: int) -> str:
    """How ``nch`` channels spread over the engines (sparsetrain.uc.engine_ranges)."""
    lens = [len(r) for r in engine_ranges(nch, engines)]
    return "idle_engines" if 0 in lens else "uneven" if len(set(lens)) > 1 else "even"


def sample_ok(res) -> None:
    lay = res.item.layer
    c = lay.cmd
    e = lay.params.engines
    arr = e > 1
    nch = c.cin if c.mode == Mode.BWD_DATA else c.cout
    _sample_ok(dict(
        array_mode=Mode(c.mode).name if arr else None,
        share=_share(nch, e) if arr and c.mode != Mode.UPDATE else None,
        upd_copies=arr and c.mode == Mode.UPDATE and c.cout > engine_chunk(c.cout, e),
        mode=Mode(c.mode).name, stride=c.stride, dil=c.dil, pad=_padbin(c), kernel=_kbin(c.k),
        sparsity=_spbin(lay.sw.sparsity), pruning=lay.tags.get("pruning", "threshold"),
        sat=saturated(lay, lay.expected()), empty=bool((lay.sw.fwd_count == 0).any()) and lay.nnz > 0,
        nnz=lay.nnz, depthwise=bool(lay.tags.get("depthwise")), relu=bool(c.relu and c.mode == 0),
        relu_bwd=(f"s{c.stride}" if c.relu and c.mode == Mode.BWD_DATA else None),
        wgrad_flags=(c.gacc, c.bgrad) if c.mode == Mode.WGRAD else None,
        ragged=c.mode != Mode.UPDATE and c.wo % lay.params.lanes != 0,
        multiword=c.mode != Mode.UPDATE and c.w > lay.params.banks,
        s2_one_row=c.mode == Mode.BWD_DATA and c.stride == 2 and c.h == 1,
        flat_mode=Mode(c.mode).name if c.flat and c.mode != Mode.UPDATE else None,
        flat_rows=(("2+" if c.w < lay.params.lanes and c.h > 1 else "1")
                   if c.flat and c.mode != Mode.UPDATE else None),
        flat_ragged=bool(c.flat) and c.mode != Mode.UPDATE and (c.h * c.w) % lay.params.lanes != 0,
        stall=res.stall))


def report(logger) -> None:
    """Export ``uc_unit_coverage.yml`` (cumulative over this simulation) and log the holes."""
    path = Path.cwd() / "uc_unit_coverage.yml"
    holes = coverage_holes("uc", path)
    logger.info("coverage %.1f%% (cumulative over this run) -> %s", coverage_db["uc"].cover_percentage, path)
    for h in holes:
        logger.info("coverage hole: %s", h)
