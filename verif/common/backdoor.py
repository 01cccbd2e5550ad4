"""Backdoor snapshots of a unit harness's block RAMs, for the no-write check of bad inputs.

A command refused with a bad status must write nothing. Reading every memory back through the
harness's host port costs two simulator triggers a word (about 2,400 words a snapshot on the UC
unit's test parameters, the suite's slowest part); here every RAM array of the harness is read
through the simulator interface instead, with no clock cycle spent: every physical word of every
memory copy, including words the host port cannot address, so the check is at least as strict as
the host-port dump it replaces.

The arrays are the ``mem`` of each ``sdp_ram`` and of each ``fm_stack`` bank inside the harness's
``g_mem[e].u_mem`` (``mem_core``, one an engine). :func:`ram_arrays` finds them;
:func:`snapshot` waits ``settle`` cycles (a write still in flight after the response lands
first), reads them in the read-only phase and returns to the next rising edge; :func:`diff` names
the first words that changed.
"""

from __future__ import annotations

from cocotb.handle import Immediate
from cocotb.triggers import ClockCycles, ReadOnly, RisingEdge

#: the single-port-pair RAMs of mem_core (rtl/common/mem_core.v) by host-port name
SDP_RAMS: dict[str, str] = {"WGT": "u_wgt", "GRAD": "u_grad", "BIAS": "u_bias", "BGRAD": "u_bgrad",
                            "FIDX": "u_fidx", "BIDX": "u_bidx", "PTR": "u_ptr"}

#: cycles waited before an "after" snapshot: far more than any unit's write pipeline
SETTLE_CYCLES = 64


#: mem_core's banked RAMs (bank_ram: ``g_bank[k].mem``, ``UPD_BANKS`` banks by the address's low bits)
BANKED = ("WGT", "GRAD")


def ram_arrays(dut, engines: int, lanes: int, upd_banks: int = 1) -> dict[str, object]:
    """``{name: array handle}`` of every RAM in the harness's ``engines`` memory copies;
    names read ``e<e>.WGT`` or ``e<e>.STACK.bank<b>`` (``2 * lanes`` stack banks a copy), and
    with ``upd_banks > 1`` ``e<e>.WGT.bank<k>`` / ``e<e>.GRAD.bank<k>`` (:func:`word`).
    Raises AttributeError when the harness has no such hierarchy."""
    out: dict[str, object] = {}
    for e in range(engines):
        core = dut.g_mem[e].u_mem
        for b in range(2 * lanes):
            out[f"e{e}.STACK.bank{b}"] = core.u_stack.g_bank[b].mem
        for sel, inst in SDP_RAMS.items():
            ram = getattr(core, inst)
            if sel not in BANKED:
                out[f"e{e}.{sel}"] = ram.mem
            elif upd_banks == 1:
                out[f"e{e}.{sel}"] = ram.g_bank[0].mem
            else:
                for k in range(upd_banks):
                    out[f"e{e}.{sel}.bank{k}"] = ram.g_bank[k].mem
    return out


def word(name: str, addr: int, upd_banks: int = 1) -> tuple[str, int]:
    """The array name and index of word ``addr`` of memory ``name`` (``e<e>.<SEL>``) in
    :func:`ram_arrays`: a banked memory's word ``addr`` is word ``addr // upd_banks`` of bank
    ``addr % upd_banks``."""
    if upd_banks > 1 and name.split(".")[-1] in BANKED:
        return f"{name}.bank{addr % upd_banks}", addr // upd_banks
    return name, addr


#: the simulator objects of each array's words, by array path (made once: a word's handle costs
#: far more than its value)
_WORDS: dict[str, list] = {}


def _words(arr) -> list:
    key = arr._path
    if key not in _WORDS:
        _WORDS[key] = [arr[i]._handle for i in arr.range]
    return _WORDS[key]


def read_arrays(arrays: dict[str, object]) -> dict[str, list[int]]:
    """Every word of every array now (call in a read-only phase for settled values). Reads the
    simulator objects' binary strings directly (``ArrayObject.value`` builds a LogicArray a word:
    about ten times slower on the engine arrays' 100 K words); an X or Z bit raises ValueError."""
    return {name: [int(h.get_signal_val_binstr(), 2) for h in _words(arr)]
            for name, arr in arrays.items()}


async def snapshot(arrays: dict[str, object], clk, settle: int = 0) -> dict[str, list[int]]:
    """Wait ``settle`` clock cycles, read every array in the read-only phase of that edge, then
    return at the next rising edge (so the caller may drive signals again)."""
    if settle:
        await ClockCycles(clk, settle)
    await ReadOnly()
    words = read_arrays(arrays)
    await RisingEdge(clk)
    return words


def diff(before: dict[str, list[int]], after: dict[str, list[int]], limit: int = 4) -> list[str]:
    """The first ``limit`` changed words as ``"<array>[<index>]: <old> -> <new>"`` (physical
    index inside that RAM), then a count of the rest; empty when nothing changed."""
    changed = [(name, i, old, new) for name in before
               for i, (old, new) in enumerate(zip(before[name], after[name])) if old != new]
    msgs = [f"{n}[{i}]: {o:#x} -> {w:#x}" for n, i, o, w in changed[:limit]]
    if len(changed) > limit:
        msgs.append(f"... {len(changed) - limit} more word(s)")
    return msgs


def poke(arrays: dict[str, object], name: str, index: int, value: int) -> None:
    """Write one word behind the design's back (the checkers' self-tests only)."""
    arrays[name][index].set(Immediate(value))
