"""The chip's clock for time projections (issue 16): the measured one first, the assumed one apart.

``ECP5_MHZ`` is measured: ``make pnr QUICK=1`` (Yosys ``synth_ecp5`` + nextpnr-ecp5) places and
routes the whole top (LANES = 8, the regression's small memories) on a Lattice ECP5 LFE5UM-85F,
speed grade 6, placer seed 1; docs/performance.md section 7 gives the run, the critical path and
the lone 16x16 MAC's Fmax on the same part. ``ULTRASCALE_MHZ`` is *assumed* for the deck's
UltraScale+ VU9P, where no open timing tool runs: its basis is the Yosys ``synth_xilinx`` LUT depth
of the worst register-to-register path (docs/performance.md section 7a), not a timing report.
Units: MHz.  A projection in seconds is ``cycles / (mhz * 1e6)``.
"""

from __future__ import annotations

#: measured Fmax of the whole top on ECP5 LFE5UM-85F grade 6 (make pnr QUICK=1, seed 1, RTL of
#: 1 Dec: docs/performance.md section 7, step 9), MHz
ECP5_MHZ = 53.87
ECP5_BASIS = "ECP5 LFE5UM-85F grade 6, make pnr (measured)"
#: assumed clock on the deck's UltraScale+ (not timing-closed), MHz
ULTRASCALE_MHZ = 200.0
ULTRASCALE_BASIS = "UltraScale+ VU9P, assumed (Yosys LUT depth only, docs/performance.md 7a)"


def seconds(cycles: float, mhz: float) -> float:
    """Time in seconds of ``cycles`` clock cycles at ``mhz`` MHz (``mhz > 0``; ValueError else)."""
    if mhz <= 0:
        raise ValueError(f"clock must be positive, got {mhz} MHz")
    return cycles / (mhz * 1e6)
