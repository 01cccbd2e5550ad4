"""The Yosys check of ``make lint`` (flow.lint.yosys_latch_check) fails on what it exists for:
an inferred latch, and a net with two drivers (one ``integer`` loop variable assigned in two
always blocks, which Icarus and Verilator accept); clean code passes."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from flow.lint import yosys_latch_check
from flow.yosys import find_yosys

HEAD = "`timescale 1ns / 1ps\n`default_nettype none\n"

CLEAN = HEAD + """
module t (input wire clk, input wire [3:0] a, output reg [3:0] y, output reg [3:0] q);
integer i, j;
always @* begin
    for (i = 0; i < 4; i = i + 1) y[i] = a[3 - i];
end
always @(posedge clk) begin
    for (j = 0; j < 4; j = j + 1) q[j] <= a[j];
end
endmodule
"""

# y is not assigned when en is low: a latch
LATCH = HEAD + """
module t (input wire en, input wire [3:0] a, output reg [3:0] y);
always @* begin
    if (en) y = a;
end
endmodule
"""

# the loop variable i of both blocks: two drivers (uc_wq had this before the lint caught it)
TWO_DRIVERS = HEAD + """
module t (input wire clk, input wire [3:0] a, output reg [3:0] y, output reg [3:0] q);
integer i;
always @* begin
    for (i = 0; i < 4; i = i + 1) y[i] = a[3 - i];
    i = a + 1;
end
always @(posedge clk) begin
    for (i = 0; i < 4; i = i + 1) q[i] <= a[i];
end
endmodule
"""


@dataclass
class _Block:
    name: str
    sources: tuple[str, ...]
    toplevel: str = "t"


@pytest.mark.parametrize("text,ok", [(CLEAN, True), (LATCH, False), (TWO_DRIVERS, False)],
                         ids=["clean", "latch", "two_drivers"])
def test_yosys_check_fails_on_latch_and_two_drivers(tmp_path: Path, text: str, ok: bool):
    yosys = find_yosys()
    if not yosys:
        pytest.skip("no yosys (make lint reports it)")
    src = tmp_path / "t.v"
    src.write_text(text)
    got, out = yosys_latch_check(yosys, _Block("t", (str(src),)), {}, str(tmp_path))
    assert got == ok, out
