"""Test-case helpers shared by the unit test modules (verif/tests/test_{mp,gap,lc,loss}_unit.py):
the cocotb timeout, the seeded item generator, the bad-input list (each bad command followed
by a good one, the high-bits cases of every command field), reset-mid-command items, the
check that a wrong expectation is reported, and the cocotb tests every unit module has
(:func:`unit_tests`, :func:`coverage_test`).

Every helper draws from the ``random.Random`` it is given in the order the tests always drew
(same seed, same items).
"""

from __future__ import annotations

import random
from typing import Callable, Iterable, Sequence

import cocotb

from verif.common.unit_env import run_items
from verif.common.units.common import BAD_BUFFER, BAD_MODE, BAD_SHAPE, assert_coverage_closed
from verif.common.units.table import UnitItem, bad_item


def timeout(ms: int, base: int = 2) -> dict:
    """``cocotb.test`` keyword arguments: a timeout of ``base + ms`` milliseconds (sim time)."""
    return {"timeout_time": base + ms, "timeout_unit": "ms"}


def seeded_rnd() -> random.Random:
    """A generator seeded from cocotb's seeded ``random`` (reproducible from the test seed)."""
    return random.Random(random.getrandbits(32))


class BadItems(list):
    """Bad-input items, each followed by a good command (which must work).

    ``good(name, kind, *args)`` makes the legal item that :meth:`add` spoils (``args``: what the
    unit's test passes, e.g. the mode); ``make_item(name, rnd, kind=...)`` makes the good
    command after it. Errors: AssertionError from :meth:`high_bits` when a command field has no
    high-bits case or a case names no field.
    """

    def __init__(self, rnd: random.Random, make_item: Callable[..., UnitItem],
                 good: Callable[..., UnitItem]):
        super().__init__()
        self.rnd, self.make_item, self.good = rnd, make_item, good

    def add(self, name: str, expect: int, *args, hb=None, kind: str = "bad", **kw) -> None:
        """The item ``good(name, kind, *args)`` with the fields ``kw`` (or the high bits ``hb``
        = (field, largest legal value)) expecting status ``expect``, then a good command."""
        it = bad_item(self.good(name, kind, *args), expect, hb, **kw)
        if it is not None:
            self.extend([it, self.make_item(f"after_{name}", self.rnd, kind="after_bad")])

    def high_bits(self, hb: dict, fields: Iterable[str], exempt: Iterable[str] = (),
                  modes: Sequence | None = None) -> None:
        """High bits: every command field of ``hb`` (field -> (largest legal value, status[,
        modes])), all bits above its largest legal value set on a legal command of a random
        mode of the field's own ``modes`` or else ``modes`` (no mode argument when neither).
        Every field of ``fields`` but ``exempt`` (fields with no illegal value) needs a case."""
        missing = set(fields) - set(hb) - set(exempt)
        assert not missing, f"command fields without a high-bits case: {missing}"
        assert set(hb) <= set(fields), f"high-bits cases of no command field: {set(hb) - set(fields)}"
        for f, (max_legal, expect, *own) in hb.items():
            ms = own[0] if own else modes
            args = () if ms is None else (self.rnd.choice(list(ms)),)
            self.add(f"high_bits_{f}", expect, *args, hb=(f, max_legal), kind="high_bits")

    def map_shapes(self, p: dict, bad_modes: Iterable[int], first: int, modes: Sequence) -> None:
        """The bad mode and map-shape classes of a unit with command fields mode, c, h, w (the
        pooling units), in this order: each value of ``bad_modes`` in the mode field (BAD_MODE,
        on the good command of mode ``first``); then C = 0, C = CMAX + 1, H = 0, W = 0,
        H = HMAX + 1, W = WMAX + 1 (BAD_SHAPE; maxima from the parameters ``p``) on the good
        commands of the six ``modes`` (None: the good command's default mode)."""
        for m in bad_modes:
            self.add(f"mode{m}", BAD_MODE, first, mode=m)
        cases = [("c0", "c", 0), ("c_above", "c", p["CMAX"] + 1), ("h0", "h", 0), ("w0", "w", 0),
                 ("h_above", "h", p["HMAX"] + 1), ("w_above", "w", p["WMAX"] + 1)]
        assert len(modes) == len(cases), "one mode a map-shape class"
        for (name, f, v), m in zip(cases, modes):
            self.add(name, BAD_SHAPE, *(() if m is None else (m,)), **{f: v})

    def map_high_bits(self, p: dict, fields: Iterable[str], top_mode: int, bases: Sequence[str],
                      modes: Sequence, exempt: Iterable[str] = ()) -> None:
        """:meth:`high_bits` of a unit with the command fields mode, c, h, w and the stack bases
        ``bases`` (the pooling units): largest legal values ``top_mode``, CMAX, HMAX, WMAX and
        FM_DEPTH - 1 (from the parameters ``p``), statuses in the RTL's check order (BAD_MODE,
        BAD_SHAPE, BAD_BUFFER), each on a legal command of a random mode of ``modes``; ``exempt``:
        fields with no illegal value (the MP unit's one-bit layout flags)."""
        hb = {"mode": (top_mode, BAD_MODE), "c": (p["CMAX"], BAD_SHAPE), "h": (p["HMAX"], BAD_SHAPE),
              "w": (p["WMAX"], BAD_SHAPE), **{b: (p["FM_DEPTH"] - 1, BAD_BUFFER) for b in bases}}
        self.high_bits(hb, fields, exempt=exempt, modes=modes)


def reset_items(rnd: random.Random, make_item: Callable[..., UnitItem],
                killed: Callable[[int], UnitItem], n: int, max_delay: int) -> list[UnitItem]:
    """``n`` items ``killed(i)`` each reset 1..``max_delay`` cycles after its accept, each
    followed by a good command."""
    items: list[UnitItem] = []
    for i in range(n):
        it = killed(i)
        it.reset_after = rnd.randint(1, max_delay)
        items += [it, make_item(f"after_reset{i}", rnd)]
    return items


async def wrong_expectations_caught(spec, items: list[UnitItem], marks: Sequence[str]) -> None:
    """Runs ``items`` with a deliberately wrong expectation each; every one must be reported,
    its message naming the element ``marks[i]`` (e.g. ``Y[c=0, y=0, x=0]``), the seed and the
    expected value."""
    for it in items:
        it.wrong = True
    sb = await run_items(spec, items, raise_in_check=False)
    assert len(sb.errors) == len(items), f"wrong expectations went unnoticed: {sb.errors}"
    for mark, e in zip(marks, sb.errors):
        assert mark in e and "seed" in e and "expected" in e, e


# ========================================================== the cocotb tests every unit has
BAD_DOC = ("Every bad-input class answers its status, writes no {0}, does not hang, and the next "
           "good command works.")


def unit_test(module: str, name: str, doc: str, body: Callable, ms: int | None = None, base: int = 2,
              stall: bool = False):
    """The cocotb test ``module.name`` (docstring ``doc``) awaiting ``body(**kw)``: what
    ``@cocotb.test(**timeout(ms, base))`` on ``async def name(dut)`` in ``module`` would make
    (same name and module, so cocotb seeds it the same), parametrized over ``stall`` (False, True)
    when ``stall``; no timeout when ``ms`` is None. Assign it to ``name`` in ``module``."""
    async def test(dut, **kw):
        await body(**kw)
    test.__module__, test.__name__, test.__qualname__, test.__doc__ = module, name, name, doc
    gen = cocotb.test(**({} if ms is None else timeout(ms, base)))(test)
    return cocotb.parametrize(stall=[False, True])(gen) if stall else gen


def unit_tests(module: str, spec: Callable, make_item: Callable[..., UnitItem], *, cases: int,
               per_case: int, random_doc: str, directed: Callable[[random.Random], list[UnitItem]],
               directed_doc: str, bad: Callable[[random.Random], list[UnitItem]],
               killed: Callable[[random.Random, int], UnitItem], resets: int, max_delay: int,
               wrong: Callable[[random.Random], list[UnitItem]] | None = None,
               marks: Sequence[str] = (), ms: int = 2000, short_ms: int = 500, base: int = 2,
               written: str = "stack word") -> tuple:
    """The tests of a unit module (each awaiting :func:`verif.common.unit_env.run_items` on
    ``spec()``), in this order:

    - ``random_commands`` (stall False / True): ``cases`` items ``make_item(f"rand{i}", rnd)``,
      timeout ``per_case * cases`` ms;
    - ``directed_edges`` (stall False / True): ``directed(rnd)``, timeout ``ms``;
    - ``bad_inputs`` (stalled): ``bad(rnd)``, timeout ``ms`` (docstring: writes no ``written``);
    - ``reset_mid_command``: ``resets`` items ``killed(rnd, i)`` reset 1..``max_delay`` cycles
      after their accept (:func:`reset_items`), timeout ``short_ms``;
    - ``checker_catches_wrong_expectation`` (only when ``wrong`` is given): the items
      ``wrong(rnd)`` with a wrong expectation each, reported naming ``marks``
      (:func:`wrong_expectations_caught`), timeout ``short_ms``.

    ``rnd`` is :func:`seeded_rnd` of each test; timeouts are ``base`` ms more (:func:`timeout`).
    Returns the cocotb tests (:func:`unit_test`) as a tuple in that order, for the unit module
    to assign to those names (cocotb finds them there)."""
    def t(name, doc, body, m, stall=False):
        return unit_test(module, name, doc, body, m, base, stall)

    async def random_commands(stall):
        rnd = seeded_rnd()
        await run_items(spec(), [make_item(f"rand{i}", rnd) for i in range(cases)], stall=stall)

    async def reset_mid_command():
        rnd = seeded_rnd()
        await run_items(spec(), reset_items(rnd, make_item, lambda i: killed(rnd, i), resets, max_delay))

    tests = (t("random_commands", random_doc, random_commands, per_case * cases, stall=True),
             t("directed_edges", directed_doc,
               lambda stall: run_items(spec(), directed(seeded_rnd()), stall=stall), ms, stall=True),
             t("bad_inputs", BAD_DOC.format(written),
               lambda: run_items(spec(), bad(seeded_rnd()), stall=True), ms),
             t("reset_mid_command", "Reset while a command runs (its response is lost, nothing stale "
               "comes out), then good commands work.", reset_mid_command, short_ms))
    if wrong is None:
        return tests
    return tests + (t("checker_catches_wrong_expectation", "A deliberately wrong expectation must be "
                      "reported, naming the element and the seed.",
                      lambda: wrong_expectations_caught(spec(), wrong(seeded_rnd()), marks), short_ms),)


def coverage_test(module: str, prefix: str, block: str):
    """The unit module's last test, ``coverage_closed``: every coverage bin of ``prefix`` was hit
    by the tests before it (:func:`verif.common.units.common.assert_coverage_closed`)."""
    async def body():
        assert_coverage_closed(prefix, block)
    return unit_test(module, "coverage_closed",
                     "Every coverage bin was hit by the tests above (run the whole module).", body)
