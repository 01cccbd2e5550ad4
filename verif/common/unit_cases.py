"""Test-case helpers shared by the unit test modules (verif/tests/test_{mp,gap,lc,loss}_unit.py):
the cocotb timeout, the seeded item generator, the bad-input list (each bad command followed
by a good one, the high-bits cases of every command field), reset-mid-command items and the
check that a wrong expectation is reported.

Every helper draws from the ``random.Random`` it is given in the order the tests always drew
(same seed, same items).
"""

from __future__ import annotations

import random
from typing import Callable, Iterable, Sequence

from verif.common.unit_env import run_items
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
