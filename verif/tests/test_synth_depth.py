"""``make synth``'s logic-depth measurement (bench/logic_depth.py ``logic_depth``) on designs of known depth.

The worst register-to-register path of a ``synth_xilinx -family xcup`` netlist is counted in
LUT levels between FD* / RAMB* / URAM / SRL / registered-DSP boundaries (Yosys ``ltp -noff`` does
not cut at the Xilinx FD* primitives, so the count is our own).  Checked here:

* hand-built netlists (no Yosys): an FDRE cuts the path, ports start no reg-to-reg path, a DSP48E2
  without registers is logic and one with a register is a boundary, a LUTRAM's read is a LUT level
  from its addresses and its write ends a path;
* with Yosys (skipped when it is missing): instantiated LUT6 / LUT2 / FDRE primitives with a
  known 3-level chain beside a 2 + 2 chain split by a register (7 levels through both registers
  if they were not cut); and inferred logic run through the same script as ``make synth``: a
  6-input XOR (1 level), a 36-input XOR (2 levels), a 16-bit add (1 LUT + 4 CARRY4), a
  port-to-register XOR (no reg-to-reg path).  About 20 s.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from bench.logic_depth import logic_depth
from bench.synth import script
from flow.yosys import find_yosys


# ------------------------------------------------------------------ hand-built netlists (no Yosys)
def _cell(typ: str, ins: dict, outs: dict, params: dict | None = None) -> dict:
    conns = {**ins, **outs}
    dirs = {**{p: "input" for p in ins}, **{p: "output" for p in outs}}
    return {"type": typ, "parameters": params or {}, "port_directions": dirs, "connections": conns}


def _netlist(cells: dict, ports: dict, names: dict) -> dict:
    return {"modules": {"m": {"ports": ports, "cells": cells,
                              "netnames": {n: {"hide_name": 0, "bits": [b]} for n, b in names.items()}}}}


def _ff(d: int, q: int) -> dict:
    return _cell("FDRE", {"C": [2], "CE": ["1"], "R": ["0"], "D": [d]}, {"Q": [q]})


def _lut(i: list, o: int) -> dict:
    return _cell(f"LUT{len(i)}", {f"I{k}": [b] for k, b in enumerate(i)}, {"O": [o]})


def test_ff_cuts_the_path_and_ports_are_not_reg_to_reg():
    # in(3) -> L -> L -> L -> L (port path, 4) -> f1 ; f1(10) -> L -> L -> f2 ; f2(20) -> L -> f3
    cells = {
        "p1": _lut([3], 4), "p2": _lut([4], 5), "p3": _lut([5], 6), "p4": _lut([6], 7),
        "f1": _ff(7, 10), "a1": _lut([10], 11), "a2": _lut([11, 10], 12), "f2": _ff(12, 20),
        "b1": _lut([20, 10], 21), "f3": _ff(21, 30),
    }
    ports = {"clk": {"direction": "input", "bits": [2]}, "i": {"direction": "input", "bits": [3]},
             "o": {"direction": "output", "bits": [30]}}
    d = logic_depth(_netlist(cells, ports, {"r1": 10, "r2": 20, "r3": 30, "n11": 11, "n12": 12}), "m")
    assert (d["lut"], d["carry"], d["dsp"]) == (2, 0, 0)
    assert d["start"] == "r1 (FDRE)" and d["end"] == "r2 (FDRE)"
    assert d["path"] == ["r1", "n11", "n12"]
    assert d["port_lut"] == 4          # the input port's chain: measured, but not reg-to-reg
    assert (d["endpoints"], d["endpoints_over_4"], d["endpoints_over_6"]) == (3, 0, 0)
    assert d["loops"] == 0


def test_endpoints_over_4_and_6_levels():
    # f0 -> chains of 3, 5 and 7 LUTs -> f3, f5, f7: worst 7; one endpoint over 6, two over 4
    cells = {"f0": _ff(3, 10)}
    nxt = 100
    for n in (3, 5, 7):
        prev = 10
        for k in range(n):
            cells[f"c{n}_{k}"] = _lut([prev], nxt)
            prev, nxt = nxt, nxt + 1
        cells[f"f{n}"] = _ff(prev, 200 + n)
    ports = {"clk": {"direction": "input", "bits": [2]}, "i": {"direction": "input", "bits": [3]}}
    d = logic_depth(_netlist(cells, ports, {"r0": 10, "r7": 207}), "m")
    assert d["lut"] == 7 and d["start"] == "r0 (FDRE)" and d["end"] == "r7 (FDRE)"
    assert (d["endpoints"], d["endpoints_over_4"], d["endpoints_over_6"]) == (4, 2, 1)
    assert d["over_6_regs"] == [["r7", 7, "r0", 1]]   # register, depth, start, bits
    assert d["over_4_regs"] == [["r7", 7, "r0", 1], ["bit205", 5, "r0", 1]]


@pytest.mark.parametrize("mreg,expect", [("0", (2, 1)), ("1", (1, 0))])
def test_dsp_without_registers_is_logic(mreg, expect):
    # f1 -> L -> DSP48E2 -> L -> f2: a combinational DSP joins both LUTs, a registered one cuts
    dsp = _cell("DSP48E2", {"A": [11]}, {"P": [12]},
                {"AREG": "0", "BREG": "0", "MREG": mreg, "PREG": "0"})
    cells = {"f1": _ff(3, 10), "l1": _lut([10], 11), "d": dsp, "l2": _lut([12], 13), "f2": _ff(13, 20)}
    ports = {"clk": {"direction": "input", "bits": [2]}, "i": {"direction": "input", "bits": [3]}}
    d = logic_depth(_netlist(cells, ports, {"r1": 10, "r2": 20}), "m")
    assert (d["lut"], d["dsp"]) == expect


def test_lutram_read_is_logic_and_its_write_a_register():
    # f0 -> 4 LUTs -> the RAM's WE / DIA; f1 -> 1 LUT -> its read address; the RAM's output -> 1
    # LUT -> f2. The read path is 1 + 1 (the RAM's read as a LUT) + 1 = 3 levels; the write side
    # ends at the RAM with 4, not at f2 through the RAM (4 + 1 + 1 = 6: the write is a register)
    ram = _cell("RAM32M", {"WCLK": [2], "WE": [12], "DIA": [12], "ADDRA": [21], "ADDRD": [21]},
                {"DOA": [30]})
    cells = {"f0": _ff(3, 10), "w1": _lut([10], 11), "w2": _lut([11], 13), "w3": _lut([13], 14),
             "w4": _lut([14], 12), "f1": _ff(3, 20), "a1": _lut([20], 21), "ram": ram,
             "o1": _lut([30], 31), "f2": _ff(31, 40)}
    ports = {"clk": {"direction": "input", "bits": [2]}, "i": {"direction": "input", "bits": [3]}}
    d = logic_depth(_netlist(cells, ports, {"r0": 10, "r1": 20, "r2": 40, "ram_q": 30}), "m")
    assert (d["lut"], d["start"], d["end"]) == (4, "r0 (FDRE)", "ram#write (RAM32M)")
    assert (d["endpoints"], d["endpoints_over_4"]) == (4, 0)   # f0, f1, f2 and the RAM's write


def test_cell_without_port_directions_is_an_error():
    cells = {"f1": _ff(3, 10), "x": {"type": "MYSTERY", "parameters": {}, "connections": {"A": [10]}}}
    with pytest.raises(ValueError, match="port directions"):
        logic_depth(_netlist(cells, {}, {}), "m")


# ------------------------------------------------------------------ real Yosys netlists
YOSYS = find_yosys()
needs_yosys = pytest.mark.skipif(YOSYS is None, reason="no yosys (apt-get install yosys or the synth extra)")

PRIMS = """
module prims(input wire clk, input wire [5:0] a, output wire y, output wire z);
  wire [5:0] q;
  genvar i;
  generate for (i = 0; i < 6; i = i + 1) begin : g
    FDRE #(.INIT(1'b0)) src (.C(clk), .CE(1'b1), .R(1'b0), .D(a[i]), .Q(q[i]));
  end endgenerate
  wire l1, l2, l3;
  LUT6 #(.INIT(64'h6996966996696996)) u1 (.I0(q[0]),.I1(q[1]),.I2(q[2]),.I3(q[3]),.I4(q[4]),.I5(q[5]),.O(l1));
  LUT6 #(.INIT(64'h6996966996696996)) u2 (.I0(l1),.I1(q[1]),.I2(q[2]),.I3(q[3]),.I4(q[4]),.I5(q[5]),.O(l2));
  LUT6 #(.INIT(64'h6996966996696996)) u3 (.I0(l2),.I1(q[1]),.I2(q[2]),.I3(q[3]),.I4(q[4]),.I5(q[5]),.O(l3));
  FDRE #(.INIT(1'b0)) dst (.C(clk), .CE(1'b1), .R(1'b0), .D(l3), .Q(y));
  wire m0, m1, m2, m3, mq;
  LUT2 #(.INIT(4'h6)) v1 (.I0(y),.I1(q[0]),.O(m1));
  LUT2 #(.INIT(4'h6)) v0 (.I0(m1),.I1(q[3]),.O(m0));
  FDRE #(.INIT(1'b0)) mid (.C(clk), .CE(1'b1), .R(1'b0), .D(m0), .Q(mq));
  LUT2 #(.INIT(4'h6)) v2 (.I0(mq),.I1(q[1]),.O(m2));
  LUT2 #(.INIT(4'h6)) v3 (.I0(m2),.I1(q[2]),.O(m3));
  FDRE #(.INIT(1'b0)) zz (.C(clk), .CE(1'b1), .R(1'b0), .D(m3), .Q(z));
endmodule
"""

INFERRED = """
module x6(input wire clk, input wire [5:0] a, output reg y);
  reg [5:0] r;
  always @(posedge clk) begin r <= a; y <= ^r; end
endmodule
module x36(input wire clk, input wire [35:0] a, output reg y);
  reg [35:0] r;
  always @(posedge clk) begin r <= a; y <= ^r; end
endmodule
module add16(input wire clk, input wire [15:0] a, input wire [15:0] b, output reg [15:0] s);
  reg [15:0] ar, br;
  always @(posedge clk) begin ar <= a; br <= b; s <= ar + br; end
endmodule
module pin(input wire clk, input wire [35:0] a, output reg y);
  always @(posedge clk) y <= ^a;
endmodule
"""


def _run(tmp: Path, ys: str, out: Path) -> dict:
    (tmp / "run.ys").write_text(ys)
    subprocess.run(YOSYS + ["-q", str(tmp / "run.ys")], check=True, cwd=tmp,
                   stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=300)
    return json.loads(out.read_text())


@needs_yosys
def test_instantiated_chain_of_three_luts(tmp_path):
    src = tmp_path / "prims.v"
    src.write_text(PRIMS)
    out = tmp_path / "prims.json"
    net = _run(tmp_path, "read_verilog -lib +/xilinx/cells_sim.v\n"
               f"read_verilog {src}\nsynth_xilinx -family xcup -top prims -flatten -noiopad -noclkbuf\n"
               f"write_json {out}\n", out)
    d = logic_depth(net, "prims")
    # 3 (u1-u3); v1-v0 and v2-v3 are 2 + 2 split by `mid` (3 + 2 + 2 = 7 through `dst` and `mid`
    # if the FDREs were not cut)
    assert d["lut"] == 3, d
    assert d["start"] == "q (FDRE)" and d["end"] == "y (FDRE)"
    assert d["path"] == ["q", "l1", "l2", "l3"]
    assert d["endpoints"] == 9 and d["endpoints_over_4"] == 0


@needs_yosys
@pytest.mark.parametrize("top,lut,carry,port_lut", [
    ("x6", 1, 0, 1), ("x36", 2, 0, 2), ("add16", 1, 4, 1), ("pin", 0, 0, 2)])
def test_inferred_logic_through_the_make_synth_script(tmp_path, top, lut, carry, port_lut):
    src = tmp_path / "inferred.v"
    src.write_text(INFERRED)
    out = tmp_path / f"{top}.json"
    ys = script([src], top, {}, []).replace("{stat}", str(tmp_path / "stat.txt")).replace("{json}", str(out))
    d = logic_depth(_run(tmp_path, ys, out), top)
    assert (d["lut"], d["carry"], d["port_lut"]) == (lut, carry, port_lut), d
    if lut:
        assert d["start"].endswith("(FDRE)") and d["end"].endswith("(FDRE)")
    else:
        assert d["start"] is None      # no register-to-register logic at all



KEPT = """
module andm #(parameter W = 1) (input wire [W-1:0] a, input wire [W-1:0] b, output wire [W-1:0] y);
  assign y = a & b;
endmodule
module two(input wire clk, input wire [1:0] a, input wire [1:0] b, input wire [1:0] c, output reg [1:0] y);
  reg [1:0] ar, br, cr;
  wire [1:0] t;
  andm #(.W(1)) u0 (.a(ar[0]), .b(br[0]), .y(t[0]));
  andm #(.W(1)) u1 (.a(ar[1]), .b(br[1]), .y(t[1]));
  always @(posedge clk) begin ar <= a; br <= b; cr <= c; y <= t ^ cr; end
endmodule
"""


@needs_yosys
@pytest.mark.parametrize("keep,lut", [((), 1), (("andm",), 2)])
def test_kept_module_is_mapped_alone_and_its_boundary_counted_whole(tmp_path, keep, lut):
    """SYNTH_KEEP (bench/synth.py ``script(keep=...)``): a kept module (here parameterised, so
    Yosys names it $paramod...andm, and instantiated twice) is mapped on its own and the netlist
    flattened after mapping: (a & b) ^ c is one LUT flattened, two through the kept boundary."""
    src = tmp_path / "kept.v"
    src.write_text(KEPT)
    out = tmp_path / "two.json"
    ys = script([src], "two", {}, [], keep=keep).replace("{stat}", str(tmp_path / "stat.txt")) \
        .replace("{json}", str(out))
    d = logic_depth(_run(tmp_path, ys, out), "two")
    assert d["lut"] == lut, d
    assert d["endpoints_over_4"] == 0 and d["end"].endswith("(FDRE)")
