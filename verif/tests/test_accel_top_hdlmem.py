"""The HDL-memory path (verif/hdl/accel_top_hdlmem.v, verif/common/hdl_tb.py) against the
cocotbext-axi path (verif/common/top_tb.py): one program, both ways, same results.

The cocotb test below runs on both toplevels (``accel_top``, whose host memory is cocotbext-axi's
AxiRam, and ``accel_top_hdlmem``, whose host memory is the AXI4 RAM verif/hdl/axi_host_ram.v loaded
through the backdoor): a training step of the small test CNN on 4 digits (sparsetrain.driver, with the
debug STOREs of every layer's output and gradient), then an inference program. It writes, per
program, every counter register and a digest of the whole host memory region the programs use
(program, parameters, images and everything the chip stored) to ``HDLMEM_OUT`` (JSON); then a
training step of a CNN with a stride-2 conv (its BWD_DATA reads the backward list split by parity). On the
harness it runs the programs a second time with the harness's random AXI stalls on; the reference
runs them a second time too (no stalls), and the stall pass is compared with that second pass: the
chip's memories carry over from the first pass (a debug STORE of a map also stores its rows' slack
pixels, which no command writes), so each pass is compared with one from the same chip state.

The pytest entry runs the reference on accel_top's build and the harness's own build (Verilator
only: the harness exists for Verilator speed) and requires: identical host memory, identical
counters (CNT_TOTAL, CNT_UC, CNT_POOL, CNT_LC, CNT_DMA, N_CORRECT, LOSS_SUM: the RAM has
AxiRam's cycle timing), the updated parameters equal to the model's; with stalls the same
memory and compute counters, more DMA and total cycles (the stalls cost). ``compare`` is shown to fail on a
doctored record.
"""

from __future__ import annotations

import hashlib
import json
import os

import cocotb
import pytest

from sparsetrain.program import HostHeap, Reg
from verif.common.hdl_tb import HdlTB, is_hdlmem
from verif.common.top_stimulus import digits_batch, small_cnn, stride2_cnn

COUNTERS = (Reg.CNT_TOTAL, Reg.CNT_UC, Reg.CNT_POOL, Reg.CNT_LC, Reg.CNT_DMA, Reg.N_CORRECT, Reg.LOSS_SUM)
#: the counters that depend on the memory's timing (the others must not change under stalls)
TIMED = ("cnt_total", "cnt_dma")


async def _programs(tb, dut) -> list[dict]:
    """The training step and the inference of the small CNN, and a training step of a CNN with a
    stride-2 conv; one record per program."""
    from sparsetrain.driver import build_program
    from verif.models.network import train_step_model
    images, labels = digits_batch(4, 11)
    recs = []
    for kind, (net, q), train in (("train", small_cnn(), True), ("infer", small_cnn(), False),
                                  ("train_stride2", stride2_cnn(), True)):
        tb.heap = HostHeap(base=0x1000, size=0x8_0000 - 0x1000)
        run = build_program(net, q, tb.p, images, labels, tb.ram.write, tb.heap, lr=0.05, train=train)
        await run.start(tb.axil, tb.ram.write, tb.heap)
        err, pc = await tb.wait_done(2_000_000)
        assert err == 0, f"program stopped with error {err:#x} at descriptor {pc}"
        rec = {r.name.lower(): await tb.rd(r) for r in COUNTERS}
        mem = tb.ram.read(0x1000, tb.heap.next - 0x1000)
        rec["mem_sha1"] = hashlib.sha1(mem).hexdigest()
        rec["mem_bytes"] = len(mem)
        if train:
            got = run.read_params(tb.ram.read)
            model = train_step_model(net, q, images, labels, lr=0.05)
            rec["params_equal_model"] = not got.differences(model.params)
        rec["kind"] = kind
        recs.append(rec)
        dut._log.info("%s: %s", rec["kind"], rec)
    return recs


@cocotb.test(timeout_time=60, timeout_unit="sec")
async def one_program_both_ways(dut):
    """Run the programs (and on the harness again with AXI stalls); write the records."""
    out = {"toplevel": dut._name, "runs": {}}
    if is_hdlmem(dut):
        tb = HdlTB(dut)
        for stalls in (False, True):
            tb.set_stalls(stalls, int(os.environ.get("COCOTB_RANDOM_SEED", "1")))
            await tb.reset()
            # zeros over the programs' region: the stall pass must write every result itself
            tb.ram.write(0x1000, bytes(0x8_0000 - 0x1000))
            out["runs"]["stalls" if stalls else "plain"] = await _programs(tb, dut)
    else:
        from verif.common.top_tb import TB
        tb = TB(dut)
        for name in ("plain", "again"):
            await tb.reset()
            tb.ram.write(0x1000, bytes(0x8_0000 - 0x1000))
            out["runs"][name] = await _programs(tb, dut)
    with open(os.environ.get("HDLMEM_OUT", "hdlmem.json"), "w") as f:
        json.dump(out, f, indent=1)


# ---- comparison and pytest entry ---------------------------------------------------------------
def compare(ref: dict, hdl: dict) -> list[str]:
    """Differences between the AxiRam run (``ref``) and the harness's runs (``hdl``): empty when
    the host memory, every counter (plain) and the memory and compute counters (stalls) agree
    and both updated the parameters as the model did."""
    bad = []
    for name, rname, timed_equal in (("plain", "plain", True), ("stalls", "again", False)):
        for r, h in zip(ref["runs"].get(rname, ref["runs"]["plain"]), hdl["runs"][name]):
            for key, rv in r.items():
                hv = h.get(key)
                if key in TIMED and not timed_equal:
                    # the stalls must cost cycles (else the gate did nothing)
                    if hv is None or hv <= rv:
                        bad.append(f"{name} {r['kind']}: {key} {hv} <= {rv} (AxiRam): no stall cost")
                elif hv != rv:
                    bad.append(f"{name} {r['kind']}: {key} {hv} != {rv} (AxiRam)")
            if r["kind"].startswith("train") and not (r.get("params_equal_model") and h.get("params_equal_model")):
                bad.append(f"{name} train: updated parameters differ from the model's")
    return bad


@pytest.mark.sim
@pytest.mark.verilator
def test_accel_top_hdlmem(tmp_path, monkeypatch):
    """The same programs on accel_top (AxiRam) and accel_top_hdlmem (HDL RAM): same memory,
    same counters and cycles.

    No coverage is collected from either run (the cocotbext-axi tests own the top's coverage):
    the reference run shares accel_top's build as it is (with coverage when make test builds it
    so, no rebuild), the harness builds without."""
    from flow.blocks import BLOCKS
    from flow.runner import run_block
    monkeypatch.delenv("RTL_COV_DIR", raising=False)
    outs = {}
    for tag, name in (("ref", "accel_top_hdlmem_ref"), ("hdl", "accel_top_hdlmem")):
        block = BLOCKS[name]
        if tag == "hdl":
            monkeypatch.setenv("RTL_COVERAGE", "0")
        out = tmp_path / f"{tag}.json"
        n_pass, n_fail = run_block(block, "verilator", paramset="l8", extra_env={"HDLMEM_OUT": str(out)})
        assert n_fail == 0 and n_pass == 1, f"{block.name}: {n_fail} failed, {n_pass} passed"
        outs[tag] = json.loads(out.read_text())
    assert outs["hdl"]["toplevel"] == "accel_top_hdlmem" and outs["ref"]["toplevel"] == "accel_top"
    bad = compare(outs["ref"], outs["hdl"])
    assert not bad, "; ".join(bad)


def test_compare_catches_differences():
    """compare() fails on a changed memory digest, a changed cycle count, a stall run that took
    no more DMA cycles and a parameter mismatch; passes on equal records."""
    rec = {"kind": "train", "cnt_total": 100, "cnt_uc": 50, "cnt_pool": 10, "cnt_lc": 5, "cnt_dma": 20,
           "n_correct": 3, "loss_sum": 7, "mem_sha1": "ab", "mem_bytes": 8, "params_equal_model": True}
    ref = {"runs": {"plain": [rec]}}

    def hdl(plain=None, stalls=None):
        return {"runs": {"plain": [{**rec, **(plain or {})}],
                         "stalls": [{**rec, "cnt_total": 130, "cnt_dma": 50, **(stalls or {})}]}}
    assert compare(ref, hdl()) == []
    assert compare(ref, hdl(plain={"mem_sha1": "cd"}))
    assert compare(ref, hdl(plain={"cnt_total": 101}))
    assert compare(ref, hdl(plain={"cnt_dma": 19}))
    assert compare(ref, hdl(stalls={"cnt_dma": 19}))
    assert compare(ref, hdl(stalls={"cnt_dma": 20, "cnt_total": 100}))     # stalls that cost nothing
    assert compare(ref, hdl(stalls={"cnt_uc": 51}))
    assert compare(ref, hdl(stalls={"mem_sha1": "cd"}))
    # the stall pass against the reference's second pass when it has one
    ref2 = {"runs": {"plain": [rec], "again": [{**rec, "mem_sha1": "ef"}]}}
    assert compare(ref2, hdl(stalls={"mem_sha1": "ef"})) == []
    assert compare(ref2, hdl())
    assert compare(ref, hdl(plain={"params_equal_model": False}))

