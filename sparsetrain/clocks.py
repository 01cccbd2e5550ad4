"""The chip's clock for time projections (issue 16): the measured one first, the assumed one apart.

``ECP5_MHZ`` is measured: ``make pnr`` (Yosys ``synth_ecp5`` + nextpnr-ecp5) places and
routes the whole top (LANES = 8, the regression's small memories) on a Lattice ECP5 LFE5UM-85F,
speed grade 6 (``make pnr``: the median over placer seeds 1-3); docs/performance.md section 7 gives the run, the critical path and
the lone 16x16 MAC's Fmax on the same part; ``ECP5_ARRAY_MHZ`` is the same measurement of the
smallest engine array (2 x 4), used for every array (``ecp5_mhz``). ``ULTRASCALE_MHZ`` is *assumed* for the deck's
UltraScale+ VU9P, where no open timing tool runs: its basis is the Yosys ``synth_xilinx`` LUT depth
of the worst register-to-register path (docs/performance.md section 7a), not a timing report.
Units: MHz.  A projection in seconds is ``cycles / (mhz * 1e6)``.
"""

from __future__ import annotations

#: measured Fmax of the whole top on ECP5 LFE5UM-85F grade 6: the median over placer seeds 1-3
#: (make pnr, RTL of 3 Dec, commit d57c00c: seeds 65.78 / 65.15 / 59.94 MHz, docs/performance.md
#: section 7, step 15; 57.61 on seed 1 at step 12, 56.33 the median at step 13), MHz
ECP5_MHZ = 65.15
ECP5_BASIS = "ECP5 LFE5UM-85F grade 6, make pnr (measured)"
#: measured Fmax of the smallest engine-array top (ENGINES = 2 x LANES = 4, the same memories;
#: make pnr QUICK=1 PNR_SET="ENGINES=2 LANES=4", seed 1, RTL of 1 Dec, sixth session, commit
#: 01aef51: docs/performance.md section 7b), MHz: the clock of every projection for an array
#: (ENGINES > 1). Larger arrays are not placed here (a 4 x 4 top had not routed after 20 min).
ECP5_ARRAY_MHZ = 58.55
ECP5_ARRAY_BASIS = "ECP5 LFE5UM-85F grade 6, make pnr of a 2 x 4 engine array (measured; larger arrays not placed)"
#: assumed clock on the deck's UltraScale+ (not timing-closed), MHz
ULTRASCALE_MHZ = 200.0
ULTRASCALE_BASIS = "UltraScale+ VU9P, assumed (Yosys LUT depth only, docs/performance.md 7a)"


def ecp5_mhz(engines: int = 1) -> tuple[float, str]:
    """The measured ECP5 clock for a top of ``engines`` UC engines and its basis: the one-engine
    top's (``ECP5_MHZ``) for 1, the 2 x 4 array's (``ECP5_ARRAY_MHZ``) for more. MHz."""
    if engines < 1:
        raise ValueError(f"engines must be >= 1, got {engines}")
    return (ECP5_MHZ, ECP5_BASIS) if engines == 1 else (ECP5_ARRAY_MHZ, ECP5_ARRAY_BASIS)


def seconds(cycles: float, mhz: float) -> float:
    """Time in seconds of ``cycles`` clock cycles at ``mhz`` MHz (``mhz > 0``; ValueError else)."""
    if mhz <= 0:
        raise ValueError(f"clock must be positive, got {mhz} MHz")
    return cycles / (mhz * 1e6)
