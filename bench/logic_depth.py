"""`make synth`'s logic depth (bench/synth.py): the worst register-to-register path of a
``synth_xilinx`` netlist in LUT levels, counted on Yosys's JSON netlist.

Yosys ``ltp -noff`` is no use here: after synth_xilinx the flip-flops are Xilinx primitives
(FDRE/FDSE/FDCE/FDPE), not $dff cells, and ``-noff`` only skips Yosys's internal FF types, so
ltp walks straight through every FD* (checked on a hand-written design: clk -> FDRE -> 3 LUTs
-> FDRE -> ... gave one path of length 10).  So the depth is counted here, on ``write_json``.
"""

from __future__ import annotations

import re

#: cells whose outputs start and whose inputs end a path (registers, block RAMs, SRLs)
SEQ_CELL = re.compile(r"FD[A-Z]*|RAMB\d+E\d|URAM288.*|SRL.*|FIFO.*|BUFG.*")
#: combinational cells and what they count as
LUT_CELL = re.compile(r"LUT[1-6](_2)?|RAM\d+[MSX].*|INV")   # a LUT level (LUTRAM read: a LUT)
LUTRAM_CELL = re.compile(r"RAM\d+[MSX].*")
#: a LUTRAM's inputs that reach its outputs in the same cycle: the read (and shared read / write)
#: addresses; its write enable and write data (WE, WCLK, D, DI*) end a path as a register's D does
LUTRAM_READ_PORT = re.compile(r"ADDR[A-H]?|DPRA\d*|A\d*|RADR\d*")
CARRY_CELL = re.compile(r"CARRY\d")
MUXF_CELL = re.compile(r"MUXF\d")
#: DSP48E2 pipeline registers: with any of them set the DSP cuts the path, else it is logic
DSP_REGS = ("AREG", "BREG", "MREG", "PREG", "ADREG", "DREG", "CREG")


def _pval(v) -> int:
    """A JSON parameter value (binary string or int) as an int."""
    if isinstance(v, int):
        return v
    try:
        return int(str(v), 2)
    except ValueError:
        return 0


def logic_depth(netlist: dict, top: str) -> dict:
    """Worst register-to-register path of a mapped ``synth_xilinx`` netlist, in LUT levels.

    netlist: Yosys ``write_json`` output (a dict), flattened; top: the module to measure.
    A path starts at an output of a sequential cell (FD*, RAMB*, URAM288, SRL*, a DSP48E2 with any
    pipeline register) and ends at an input of one; module ports start/end no reg-to-reg path
    (they are measured separately as ``port_*``).  Along it: ``lut`` = LUT1..LUT6 (and LUTRAM /
    INV) cells (a LUTRAM's output depends on its read addresses only; its write enable, data
    and address end a path, as a register's inputs), ``carry`` = CARRY4/CARRY8 cells, ``muxf`` = MUXF7/8/9, ``dsp`` = DSP48E2 without
    any register (combinational).  The worst path maximises (lut, carry, muxf, dsp) in that order.
    Returns {"lut", "carry", "muxf", "dsp", "start", "end", "path" (net names along it),
    "port_lut" (worst path from/to a port, same count), "loops" (cells left on combinational
    loops, normally 0), "endpoints" (sequential cells), "endpoints_over_4" / "endpoints_over_6"
    (of them, those with a reg-to-reg input path of more than 4 / 6 LUT levels), "over_6_where"
    (the instances of the registers over 6 levels, ``[*]`` for any index, most first: at most 12),
    "over_6_regs" (every register over 6 levels, bit indices folded to ``[*]``: its worst depth,
    a start register of that worst path, and how many bits, deepest first), "over_4_regs" (the
    same for every register over 4 levels, the UC engine's target)}.
    Unknown cell types (no port directions) raise ValueError.
    """
    mod = netlist["modules"][top]
    netname: dict = {}
    for name, nn in mod.get("netnames", {}).items():
        for b in nn["bits"]:
            if not isinstance(b, int):
                continue
            old = netname.get(b)
            # prefer a user name (hide_name 0) over a generated one, then the shorter
            if old is None or (nn.get("hide_name", 0), len(name)) < (old[1], len(old[0])):
                netname[b] = (name, nn.get("hide_name", 0))
    name_of = lambda b: netname.get(b, (f"bit{b}", 1))[0]  # noqa: E731
    # per cell: kind and its input / output bits
    kind: dict[str, str] = {}
    ins: dict[str, list] = {}
    outs: dict[str, list] = {}
    driver: dict[int, str] = {}
    for cname, c in mod["cells"].items():
        t = c["type"]
        dirs = c.get("port_directions")
        if not dirs:
            raise ValueError(f"cell {cname} of type {t} has no port directions")
        if SEQ_CELL.fullmatch(t):
            k = "seq"
        elif t == "DSP48E2":
            k = "seq" if any(_pval(c["parameters"].get(r, 0)) for r in DSP_REGS) else "dsp"
        elif LUT_CELL.fullmatch(t):
            k = "lut"
        elif CARRY_CELL.fullmatch(t):
            k = "carry"
        elif MUXF_CELL.fullmatch(t):
            k = "muxf"
        elif t in ("GND", "VCC"):
            k = "const"
        else:
            k = "other"   # counted as a cut-free pass-through of zero cost
        kind[cname] = k
        ins[cname] = [b for p, bits in c["connections"].items() if dirs.get(p) == "input"
                      for b in bits if isinstance(b, int)]
        outs[cname] = [b for p, bits in c["connections"].items() if dirs.get(p) == "output"
                       for b in bits if isinstance(b, int)]
        for b in outs[cname]:
            driver[b] = cname
        if LUTRAM_CELL.fullmatch(t):
            # the read is combinational from the addresses only; the write is a register: its
            # enable, data and address end paths (an extra endpoint, named by the RAM's output)
            ins[cname] = [b for p, bits in c["connections"].items()
                          if dirs.get(p) == "input" and LUTRAM_READ_PORT.fullmatch(p)
                          for b in bits if isinstance(b, int)]
            wr = cname + "#write"
            kind[wr] = "seq"
            ins[wr] = [b for p, bits in c["connections"].items()
                       if dirs.get(p) == "input" and p != "WCLK" for b in bits if isinstance(b, int)]
            outs[wr] = list(outs[cname])   # for its name only: the outputs' driver is the read
    port_in = {b for p in mod["ports"].values() if p["direction"] == "input"
               for b in p["bits"] if isinstance(b, int)}
    port_out = {b for p in mod["ports"].values() if p["direction"] != "input"
                for b in p["bits"] if isinstance(b, int)}
    cost = {"lut": (1, 0, 0, 0), "carry": (0, 1, 0, 0), "muxf": (0, 0, 1, 0),
            "dsp": (0, 0, 0, 1), "other": (0, 0, 0, 0)}
    NEG = None
    # arrival per combinational cell output: two values, from registers only (r2r) and from
    # registers or input ports (any); each (score tuple, previous bit) -- a topological sweep
    comb = [c for c, k in kind.items() if k in cost]
    indeg = {c: 0 for c in comb}
    fanout: dict[str, list] = {}
    for c in comb:
        for b in ins[c]:
            d = driver.get(b)
            if d is not None and d in indeg:
                indeg[c] += 1
                fanout.setdefault(d, []).append(c)
    arr_r: dict[int, tuple] = {}   # bit -> (score, from_bit)
    arr_a: dict[int, tuple] = {}

    def at(b: int, table: dict, any_src: bool):
        d = driver.get(b)
        if d is None:
            return ((0, 0, 0, 0), None) if (any_src and b in port_in) else NEG
        k = kind[d]
        if k == "seq":
            return ((0, 0, 0, 0), None)
        if k == "const":
            return NEG
        return table.get(b, NEG)

    ready = [c for c in comb if indeg[c] == 0]
    done = 0
    while ready:
        c = ready.pop()
        done += 1
        for table, any_src in ((arr_r, False), (arr_a, True)):
            best = NEG
            for b in ins[c]:
                a = at(b, table, any_src)
                if a is not None and (best is None or a[0] > best[0]):
                    best = (a[0], b)
            if best is not None:
                sc = tuple(x + y for x, y in zip(best[0], cost[kind[c]]))
                for ob in outs[c]:
                    table[ob] = (sc, best[1])
        for f in fanout.get(c, ()):
            indeg[f] -= 1
            if indeg[f] == 0:
                ready.append(f)
    # endpoints: inputs of sequential cells (and, for the port figure, output ports)
    best = None
    over = {4: 0, 6: 0}   # endpoint cells whose worst reg-to-reg input exceeds 4 / 6 LUT levels
    where6: dict[str, int] = {}   # of those over 6: the instance of the register (its output net)
    regs6: dict[str, list] = {}   # of those over 6: register -> [depth, start, bits]
    regs4: dict[str, list] = {}   # of those over 4 (the UC engine's target): the same

    def start_of(b: int) -> str:
        while True:
            a = arr_r.get(b)
            if a is None or a[1] is None:
                return name_of(b).lstrip("\\")
            b = a[1]
    for c, k in kind.items():
        if k != "seq":
            continue
        worst_c, worst_b = 0, None
        for b in ins[c]:
            a = at(b, arr_r, False)
            if a is not None and a[0][0] > worst_c:
                worst_c, worst_b = a[0][0], b
            if a is not None and (best is None or a[0] > best[0][0]):
                best = (a, b, c)
        for n in over:
            over[n] += worst_c > n
        if worst_c > 4 and outs[c]:
            reg = re.sub(r"\[\d+\]", "[*]", name_of(outs[c][0]).lstrip("\\"))
            r = regs4.setdefault(reg, [0, "", 0])
            r[2] += 1
            if worst_c > r[0]:
                r[0], r[1] = worst_c, re.sub(r"\[\d+\]", "[*]", start_of(worst_b))
        if worst_c > 6 and outs[c]:
            inst = name_of(outs[c][0]).lstrip("\\").rsplit(".", 1)
            key = re.sub(r"\[\d+\]", "[*]", inst[0] if len(inst) > 1 else "(top)")
            where6[key] = where6.get(key, 0) + 1
            reg = re.sub(r"\[\d+\]", "[*]", name_of(outs[c][0]).lstrip("\\"))
            r = regs6.setdefault(reg, [0, "", 0])
            r[2] += 1
            if worst_c > r[0]:
                r[0], r[1] = worst_c, re.sub(r"\[\d+\]", "[*]", start_of(worst_b))
    best_port = (0, 0, 0, 0)
    ends = [b for c, k in kind.items() if k == "seq" for b in ins[c]] + list(port_out)
    for b in ends:
        a = at(b, arr_a, True)
        if a is not None and a[0] > best_port:
            best_port = a[0]
    out = {"lut": 0, "carry": 0, "muxf": 0, "dsp": 0, "start": None, "end": None, "path": [],
           "port_lut": best_port[0], "port_carry": best_port[1], "loops": len(comb) - done,
           "endpoints_over_4": over[4], "endpoints_over_6": over[6],
           "over_6_where": sorted(where6.items(), key=lambda kv: -kv[1])[:12],
           "over_6_regs": sorted(([k] + v for k, v in regs6.items()), key=lambda r: (-r[1], r[0])),
           "over_4_regs": sorted(([k] + v for k, v in regs4.items()), key=lambda r: (-r[1], r[0])),
           "endpoints": sum(k == "seq" for k in kind.values())}
    if best is None:
        return out
    (score, _), end_bit, end_cell = best
    path = [end_bit]
    b = end_bit
    while True:
        a = arr_r.get(b)
        if a is None or a[1] is None:
            break
        b = a[1]
        path.append(b)
    path.reverse()
    start_cell = driver.get(path[0])
    end_type = mod["cells"][end_cell.split("#", 1)[0]]["type"]   # (a LUTRAM's write: "<cell>#write")
    # a register by its Q net's name; a RAM / DSP by its cell name
    end_name = name_of(outs[end_cell][0]) if end_type.startswith("FD") and outs[end_cell] else end_cell
    out.update(lut=score[0], carry=score[1], muxf=score[2], dsp=score[3],
               start=f"{name_of(path[0])} ({mod['cells'][start_cell]['type'] if start_cell else 'port'})",
               end=f"{end_name} ({end_type})",
               path=[name_of(x) for x in path])
    return out
