"""Engine-array projection for issue 14 (a model of a design that is NOT built; docs/uc_unit.md
"Toward an engine array").

    python -m bench.array_projection          (writes build/bench/array_projection.md)

E engines of L pixel lanes each (the UC unit's lane mapping, docs/uc_unit.md), the work of a conv
command spread over the engines: filters n in FWD and WGRAD, input channels c in BWD_DATA (stride
2: a channel's four parity lists together), each engine taking the largest remaining item count
next (greedy, a host-side schedule). A command then takes the largest engine's items plus the
12 fixed cycles of a checked-list command (docs/uc_unit.md "Pipeline and cycle count"); no pre-scan
(checked lists), UPDATE and the pooling / linear / loss units left out. Efficiency = non-zero MACs
(FWD + BWD_DATA + WGRAD of the convs) / (E * L * cycles). The per-item formulas are
bench/cycle_formulas.py's (``uc_formula``), the non-zero counts its ``counts`` (seed 1).

What it leaves out, and why it is an upper bound: the engines' memory ports (each engine reads
its own index / weight bank and its own copy of the input map: a replicated stack), their
output-write arbitration, and the pre-scan of the first image. It says which E x L shapes could
reach the issue's targets, not that a design does.
"""

from __future__ import annotations

import numpy as np

from bench.cycle_formulas import NETWORKS, counts, out_size, work_items

#: (engines, lanes per engine) shapes to project: today's 1 x 8, then 64 / 256 / 1,024 lanes
SHAPES = ((1, 8), (8, 8), (16, 4), (64, 4), (256, 4))
SPARSITY = 0.925
FIXED = 12          # cycles of a checked-list command beyond its items (docs/uc_unit.md)


def items(mode: str, layer: dict, h: int, w: int, cnt, lanes: int) -> list[int]:
    """Items (cycles) of each work unit: a filter (FWD, WGRAD) or an input channel (BWD_DATA; at
    stride 2 its four parity lists together), bench/cycle_formulas.py's :func:`work_items`."""
    per = work_items(mode, layer, h, w, cnt, cnt, lanes)
    if mode == "BWD_DATA" and layer["s"] == 2:
        return [sum(per[i:i + 4]) for i in range(0, len(per), 4)]
    return per


def spread(work: list[int], engines: int) -> int:
    """Cycles of the busiest engine when work units go largest first to the least loaded."""
    loads = [0] * engines
    for v in sorted(work, reverse=True):
        i = loads.index(min(loads))
        loads[i] += v
    return max(loads)


def network(name: str, engines: int, lanes: int, rule: str, sparsity: float = SPARSITY) -> tuple[float, int]:
    """(efficiency, conv cycles per training image) of ``name`` on ``engines`` x ``lanes``."""
    shape, layers = NETWORKS[name]
    rng = np.random.default_rng(1)
    c, h, w = shape
    cycles = macs = 0
    for i, L in enumerate(layers):
        if L["t"] == "conv":
            f, b = counts(L, sparsity if i > 0 else 0.0, rule, rng)
            ho, wo = out_size(h, L["k"], L["s"], L["p"]), out_size(w, L["k"], L["s"], L["p"])
            for mode, cnt in (("FWD", f), ("WGRAD", f)) + ((("BWD_DATA", b),) if i > 0 else ()):
                cycles += spread(items(mode, L, h, w, cnt, lanes), engines) + FIXED
                macs += int(f.sum()) * ho * wo
            c, h, w = L["n"], ho, wo
        elif L["t"] == "mp":
            h, w = h // 2, w // 2
        elif L["t"] == "gap":
            h = w = 1
    return macs / (engines * lanes * cycles), cycles


def main() -> int:
    from pathlib import Path
    lines = ["# Engine-array projection (model only: the array is not built)", "",
             f"Conv layers at {SPARSITY:.1%} sparsity, checked lists; bench/array_projection.py says what it "
             "leaves out.", "",
             "| network | engines x lanes | lanes | threshold: efficiency | conv cycles / image | balanced: efficiency | conv cycles / image |",
             "|---|---|---|---|---|---|---|"]
    for name in ("VGG16", "AlexNet", "MobileNetV1"):
        for e, lanes in SHAPES:
            t, tc = network(name, e, lanes, "threshold")
            b, bc = network(name, e, lanes, "balanced")
            lines.append(f"| {name} | {e} x {lanes} | {e * lanes} | {t:.3f} | {tc:,} | {b:.3f} | {bc:,} |")
    text = "\n".join(lines) + "\n"
    out = Path(__file__).resolve().parent.parent / "build" / "bench" / "array_projection.md"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text)
    print(text)
    print(f"written: {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
