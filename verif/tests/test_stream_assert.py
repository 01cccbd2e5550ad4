"""cocotb tests for the RTL's contract checkers (rtl/common/stream_assert.v, cmd_rsp_assert.v,
fm_stack.v's port-B write rule and rtl/top/mem_subsys.v's port-mux rules) through verif/hdl/stream_assert_harness.v: legal traffic raises no report, and each kind of
violation makes the simulator report the failing assertion and stop.

A failing Verilator assertion stops the simulation, so cocotb scores the running test with
``SimFailure`` (and every later test of the same run too). Each violation test therefore expects
``SimFailure`` and runs in a simulation of its own: the pytest entry at the bottom runs
``legal_traffic`` once and every variant of ``violation_fires`` (one a rule) alone, and checks the simulator's log for the
assertion's message (``Assertion failed in ...u_<checker>: <module>: <rule>``). On Icarus
(ACCEL_ASSERTS undefined: the checkers are empty) the violation tests are skipped.
"""

from __future__ import annotations

import os
import random

import cocotb
import pytest
from cocotb.clock import Clock
from cocotb.regression import SimFailure
from cocotb.triggers import ClockCycles, RisingEdge

N_CYCLES = int(os.environ.get("N_CASES", "3000"))
#: mem_subsys's units in the order of the harness's ms_busy / ms_fm_en bits from the top (unit i
#: is bit 0x10 >> i): rule prefix, and its name and what it accesses in the assertions' messages
MS_UNITS = (("uc", "UC", "memory"), ("mp", "MP", "stack"), ("gap", "GAP", "stack"),
            ("lc", "LC", "memory"), ("loss", "loss", "stack"))
#: broken rule -> (checker instance, message the simulator must report, the inputs of each cycle
#: that break it after a reset; ``violation_fires/rule=<rule>`` drives them)
VIOLATIONS = {
    # an offer (valid, not ready) withdrawn before it is taken
    "hold": ("u_stream", "stream_assert: hold: valid dropped before ready",
             [dict(s_valid=1, s_ready=0, s_data=0x5A), dict(s_valid=0, s_ready=0)]),
    # an offer whose payload changes while not ready
    "stable": ("u_stream", "stream_assert: stable: payload changed while not ready",
               [dict(s_valid=1, s_ready=0, s_data=0x5A), dict(s_valid=1, s_ready=0, s_data=0xA5)]),
    # a command pulse while the receiver is not ready
    "pulse": ("u_pulse", "stream_assert: pulse: valid raised while not ready",
              [dict(p_valid=1, p_ready=1), dict(p_valid=1, p_ready=0)]),
    # a response with no command in flight
    "no_orphan": ("u_txn", "cmd_rsp_assert: no_orphan: response without a command",
                  [dict(cmd_fire=1), dict(cmd_fire=0, rsp_fire=1), dict(rsp_fire=1)]),
    # a second command before the first one's response
    "one_deep": ("u_txn", "cmd_rsp_assert: one_deep: command while one is in flight",
                 [dict(cmd_fire=1), dict(cmd_fire=0), dict(cmd_fire=1)]),
    # a stack port-B read right after a port-B write (the registered write owns the RAM port)
    "wq_port": ("u_fm", "fm_stack: wq_port: port-B read in the cycle after a port-B write",
                [dict(fb_en=1, fb_we=1), dict(fb_en=1, fb_we=0), dict(fb_en=0)]),
    # a stride-2 port-B write with a lane >= LANES enabled (it would meet a bank twice)
    "b_wide_s2": ("u_fm", "fm_stack: b_wide_s2: a stride-2 write enables a lane >= LANES",
                  [dict(fb_en=1, fb_we=1, fb_s2=1, fb_hi=1), dict(fb_en=0, fb_we=0, fb_s2=0, fb_hi=0)]),
    # mem_subsys (ms_busy / ms_fm_en bits: MS_UNITS, uc 0x10 .. loss 0x01)
    # two units busy at once
    "one_unit": ("u_ms", "mem_subsys: one_unit: more than one unit busy",
                 [dict(ms_busy=0x0C), dict(ms_busy=0)]),
    # a unit's memory access while it is not busy
    **{f"{u}_ports": ("u_ms", f"mem_subsys: {u}_ports: {name} {what} access while not busy",
                      [dict(ms_fm_en=0x10 >> i), dict(ms_fm_en=0)])
       for i, (u, name, what) in enumerate(MS_UNITS)},
    # a host write while a unit is busy
    "host_we": ("u_ms", "mem_subsys: host_we: host port write while a unit is busy",
                [dict(ms_busy=0x10, ms_hp_we=1), dict(ms_busy=0, ms_hp_we=0)]),
    # the UC unit's access in the cycle after another unit's (the muxes still select that one)
    "uc_owner": ("u_ms", "mem_subsys: uc_owner: UC stack / RAM access while another unit owns the ports",
                 [dict(ms_busy=0x08), dict(ms_busy=0x10, ms_fm_en=0x10), dict(ms_busy=0, ms_fm_en=0)]),
    # a unit's access in its first busy cycle (the registered owner is still the UC unit)
    **{f"{u}_owner": ("u_ms", f"mem_subsys: {u}_owner: {name} {what} access while another unit owns the ports",
                      [dict(ms_busy=0x10 >> i, ms_fm_en=0x10 >> i), dict(ms_busy=0, ms_fm_en=0)])
       for i, (u, name, what) in enumerate(MS_UNITS) if u != "uc"},
    # a host write in the cycle after a unit's busy falls (the registered host flag is still low)
    "host_own": ("u_ms", "mem_subsys: host_own: host port write while the memories are the units' (host_reg)",
                 [dict(ms_busy=0x10), dict(ms_busy=0, ms_hp_we=1), dict(ms_hp_we=0)]),
    # the UC unit's access in its first busy cycle after idle (its owner flag is already set, the
    # registered host flag still high)
    "unit_own": ("u_ms", "mem_subsys: unit_own: unit memory access while the host port owns the memories (host_reg)",
                 [dict(ms_busy=0x10, ms_fm_en=0x10), dict(ms_busy=0, ms_fm_en=0)]),
    # bank_ram: port 1 writes (reads) a word of bank 0; port 0 and port 1 write (read) bank 1 at once
    "x_bank_wr": ("u_br.g_bank[1]", "bank_ram: x_bank: a port-k write outside bank k",
                  [dict(br_wx=1, br_wx_odd=0), dict(br_wx=0)]),
    "x_bank_rd": ("u_br.g_bank[1]", "bank_ram: x_bank: a port-k read outside bank k",
                  [dict(br_rx=1, br_rx_odd=0), dict(br_rx=0)]),
    "x_meet_wr": ("u_br.g_bank[1]", "bank_ram: x_meet: port 0 and port k write bank k at once",
                  [dict(br_w0=1, br_w0_odd=1, br_wx=1, br_wx_odd=1), dict(br_w0=0, br_wx=0)]),
    "x_meet_rd": ("u_br.g_bank[1]", "bank_ram: x_meet: port 0 and port k read bank k at once",
                  [dict(br_r0=1, br_r0_odd=1, br_rx=1, br_rx_odd=1), dict(br_r0=0, br_rx=0)]),
}


class TB:
    def __init__(self, dut):
        self.dut = dut
        for n in ("s_valid", "s_ready", "s_data", "p_valid", "p_ready", "p_data", "cmd_fire",
                  "rsp_fire", "fb_en", "fb_we", "fb_s2", "fb_hi", "fh_en", "ms_busy", "ms_fm_en", "ms_hp_we",
                  "br_w0", "br_w0_odd", "br_wx", "br_wx_odd", "br_r0", "br_r0_odd", "br_rx", "br_rx_odd"):
            getattr(dut, n).value = 0
        dut.rst.value = 1
        Clock(dut.clk, 10, unit="ns").start()

    async def reset(self) -> None:
        await ClockCycles(self.dut.clk, 2)
        self.dut.rst.value = 0
        await RisingEdge(self.dut.clk)

    def require_asserts(self) -> None:
        if not int(self.dut.asserts_on.value):
            pytest.skip("no assertions in this build (ACCEL_ASSERTS undefined: Icarus)")

    async def cycle(self, **values) -> None:
        """Drive these inputs for one clock cycle (from just after a rising edge to the next)."""
        for k, v in values.items():
            getattr(self.dut, k).value = v
        await RisingEdge(self.dut.clk)


@cocotb.test()
async def legal_traffic(dut):
    """Random traffic that keeps every rule (offers held and stable while not ready, pulses only
    with ready, one command in flight, resets that cut offers): no assertion fires."""
    tb = TB(dut)
    await tb.reset()
    rnd = random.Random(cocotb.RANDOM_SEED)
    w = len(dut.s_data.value)
    s_wait, s_data, busy = False, 0, False
    counts = {"held": 0, "pulses": 0, "txns": 0, "resets": 0, "stack_writes": 0, "stack_reads": 0,
              "unit_runs": 0, "unit_switches": 0, "unit_accesses": 0, "host_writes": 0, "wide_writes": 0, "s2_writes": 0,
              "bank_ram_both": 0}
    wrote = False                           # the stack's port B wrote last cycle
    ms_unit, ms_prev = None, None           # mem_subsys: the busy unit now and in the last cycle
    for _ in range(N_CYCLES):
        rst = rnd.random() < 0.01
        ready = rnd.random() < 0.5
        if s_wait and not rst:
            valid = 1                       # an offer not taken stays, unchanged
            counts["held"] += 1
        else:
            valid = int(rnd.random() < 0.6)
            s_data = rnd.getrandbits(w)
        p_ready = rnd.random() < 0.5
        p_valid = int(p_ready and rnd.random() < 0.5)
        counts["pulses"] += p_valid
        cmd = rsp = 0
        if not rst:
            if busy:
                rsp = int(rnd.random() < 0.3)
                cmd = int(rsp and rnd.random() < 0.3)   # a new command as the response is taken
            else:
                cmd = int(rnd.random() < 0.3)
            counts["txns"] += rsp
            busy = bool(cmd) or (busy and not rsp)
        else:
            busy = False                    # a reset cuts the command in flight
            counts["resets"] += 1
        # the stack: writes back to back, idle or a host access after a write (the host wins over
        # the pending write); a port-B read only after a cycle without a write
        op = rnd.choice(("idle", "write", "read", "host"))
        if wrote and op == "read":
            op = "idle"
        counts["stack_writes"] += op == "write"
        counts["stack_reads"] += op in ("read", "host")
        wrote = op == "write"
        # port-B writes at stride 1 use both lanes (2*LANES) or one, at stride 2 only lane 0
        s2 = rnd.random() < 0.5
        hi = not s2 and rnd.random() < 0.5
        counts["wide_writes"] += wrote and hi
        counts["s2_writes"] += wrote and s2
        # mem_subsys: one unit busy at a time (runs of a few cycles, another unit straight after
        # or idle between), its memory access only from its second busy cycle (the owner is
        # registered) and while it is busy; host writes only while no unit is busy, nor was in
        # the cycle before (the host flag is registered)
        if ms_unit is not None and rnd.random() < 0.2:
            nxt = rnd.choice((None, None, *range(len(MS_UNITS))))
            counts["unit_switches"] += nxt is not None and nxt != ms_unit
            ms_unit = nxt
        elif ms_unit is None and rnd.random() < 0.2:
            ms_unit = rnd.randrange(len(MS_UNITS))
        counts["unit_runs"] += ms_unit is not None and ms_unit != ms_prev
        access = ms_unit is not None and ms_unit == ms_prev and rnd.random() < 0.7
        counts["unit_accesses"] += access
        hp_we = ms_unit is None and ms_prev is None and rnd.random() < 0.3
        counts["host_writes"] += hp_we
        ms_bit = 0 if ms_unit is None else 0x10 >> ms_unit
        ms_prev = ms_unit
        # bank_ram: port 1 always in bank 1; port 0 anywhere, but in bank 0 while port 1 is busy
        br = {"br_wx": rnd.random() < 0.5, "br_rx": rnd.random() < 0.5, "br_wx_odd": 1, "br_rx_odd": 1}
        br["br_w0"], br["br_r0"] = rnd.random() < 0.5, rnd.random() < 0.5
        br["br_w0_odd"] = int(not br["br_wx"] and rnd.random() < 0.5)
        br["br_r0_odd"] = int(not br["br_rx"] and rnd.random() < 0.5)
        counts["bank_ram_both"] += br["br_w0"] and br["br_wx"]
        br = {k: int(v) for k, v in br.items()}
        await tb.cycle(rst=int(rst), s_valid=valid, s_ready=int(ready), s_data=s_data,
                       p_valid=p_valid, p_ready=int(p_ready), p_data=rnd.getrandbits(w),
                       cmd_fire=cmd, rsp_fire=rsp, fb_en=int(op in ("write", "read")),
                       fb_we=int(op == "write"), fb_s2=int(s2), fb_hi=int(hi), fh_en=int(op == "host"),
                       ms_busy=ms_bit, ms_fm_en=ms_bit if access else 0, ms_hp_we=int(hp_we), **br)
        s_wait = bool(valid and not ready) and not rst
    # end the pending offer by a reset (withdrawing it would break the rule)
    await tb.cycle(rst=1, s_valid=0, p_valid=0, cmd_fire=0, rsp_fire=0, ms_busy=0, ms_fm_en=0,
                   ms_hp_we=0)
    await ClockCycles(dut.clk, 2)
    dut._log.info("legal traffic: %s", counts)
    assert all(counts.values()), f"some situation never happened: {counts}"


@cocotb.test(expect_error=SimFailure)
@cocotb.parametrize(rule=list(VIOLATIONS))
async def violation_fires(dut, rule):
    """The inputs of VIOLATIONS[rule] break that rule (hold: an offer withdrawn before it is
    taken; stable: its payload changed while not ready; pulse: a command pulse while not ready;
    no_orphan: a response with no command in flight; one_deep: a second command before the
    first one's response; wq_port: a stack port-B read right after a port-B write; mem_subsys:
    one_unit: two units busy, <unit>_ports: a unit's access while not busy, host_we: a host write
    while a unit is busy, <unit>_owner: a unit's access while the registered owner is another,
    host_own: a host write the cycle after a unit's busy falls, unit_own: a unit's access in its
    first busy cycle after idle; bank_ram: x_bank_*: port 1 outside bank 1, x_meet_*: port 0 in
    bank 1 beside port 1):
    its assertion must fire and stop the simulation."""
    tb = TB(dut)
    await tb.reset()
    tb.require_asserts()
    for values in VIOLATIONS[rule][2]:
        await tb.cycle(**values)
    await ClockCycles(dut.clk, 5)


# ---- pytest entry: legal traffic on both simulators; each violation alone on Verilator --------
from flow.blocks import BLOCKS  # noqa: E402
from flow.runner import run_block  # noqa: E402

_BLOCK = BLOCKS["stream_assert"]


@pytest.mark.sim
@pytest.mark.parametrize("paramset", list(_BLOCK.paramsets))
@pytest.mark.parametrize("sim", ["icarus", "verilator"])
def test_stream_assert(sim, paramset, capfd):
    n_pass, n_fail = run_block(_BLOCK, sim, paramset=paramset, testcase="legal_traffic")
    assert n_fail == 0 and n_pass == 1, f"legal traffic: {n_fail} failed, {n_pass} passed"
    assert "Assertion failed" not in capfd.readouterr().out, "an assertion fired on legal traffic"
    if sim != "verilator":
        return
    for rule, (inst, msg, _) in VIOLATIONS.items():
        test = f"violation_fires/rule={rule}"
        n_pass, n_fail = run_block(_BLOCK, sim, paramset=paramset, testcase=test)
        out = capfd.readouterr().out
        # the test passes only by the simulator stopping (expect_error=SimFailure) ...
        assert n_fail == 0 and n_pass == 1, f"{test}: {n_fail} failed, {n_pass} passed"
        # ... and the stop must be this checker's assertion
        assert f"Assertion failed in stream_assert_harness.{inst}: {msg}" in out, \
            f"{test}: the simulator did not report {inst}: {msg!r}"
