"""Coverage merging for ``make cov`` (:mod:`flow.cov`): Verilator .dat files merged per design
unit, waivers (patterns and checked bound waivers) from docs/testplan.md, functional coverage
(cocotb-coverage YAML) merged over runs, and the per-unit figures and holes (:class:`BlockCov`).
What a unit, a waiver and a bound waiver are: the docstring of :mod:`flow.cov`.
"""

from __future__ import annotations

import fnmatch
import functools
import re
import sys
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from flow.blocks import BLOCKS, ROOT

TESTPLAN = ROOT / "docs" / "testplan.md"
GOALS = {"line": 95.0, "toggle": 90.0, "func": 100.0}


# ------------------------------------------------------------------------------- code coverage
@functools.lru_cache(maxsize=None)
def rebase(path: str) -> str:
    """Source path relative to the repository (dat files from other machines/checkouts too).
    Cached: a run's points name a few dozen files, hundreds of thousands of times."""
    p = Path(path)
    try:
        return str(p.resolve().relative_to(ROOT))
    except ValueError:
        parts = p.parts
        for anchor in ("rtl", "verif"):
            if anchor in parts:
                return str(Path(*parts[len(parts) - 1 - parts[::-1].index(anchor):]))
        return path


def read_dat(path: Path) -> dict[str, tuple[dict, int]]:
    """Verilator coverage.dat -> {key: (fields, count)}."""
    out = {}
    for line in path.read_text(errors="replace").splitlines():
        m = re.match(r"C '(.*)' (\d+)$", line)
        if not m:
            continue
        key = m.group(1)
        fields = dict(f.split("\x02", 1) for f in key.split("\x01") if "\x02" in f)
        out[key] = (fields, int(m.group(2)))
    return out


@dataclass
class Point:
    kind: str      # line | toggle
    file: str      # relative to the repo
    line: int
    what: str      # Verilator's comment: "if", "else", "block", "s_acc[3]:0->1", ...
    hier: str
    count: int = 0
    bound_runs: int = 0     # runs in which a bound waiver says this bit is constant
    runs: int = 0           # runs that contain the point
    bound_by: "Waiver | None" = None
    violated: list = field(default_factory=list)   # runs where a bound bit toggled

    @property
    def harness(self) -> bool:
        return self.file.startswith("verif/")

    @property
    def desc(self) -> str:
        return f"{self.file}:{self.line}:{self.what}"


def _point_kind(fields: dict) -> str | None:
    page = fields.get("page", "")
    return ("toggle" if page.startswith("v_toggle") else
            "line" if page.startswith(("v_line", "v_branch")) else None)


#: Headers whose points keep a row of their own: accel_defs.vh's fixed-point functions, which every
#: unit includes and which are measured once. Every other header (.vh: the port groups, parameter
#: lists, connection lists and generated command fields the units share, rtl/common; the
#: harnesses' shared nets and host port, verif/hdl) declares ports or nets inside the module that
#: includes it: Verilator files their points under the header, so they are filed under the
#: including module's source (named by the point's page, ``v_toggle/<module>``) and each unit or
#: harness keeps its own rows and waivers.
OWN_ROW_HEADERS = ("accel_defs.vh",)


def is_decl_header(file: str) -> bool:
    """A header whose points belong to the module that includes it (not :data:`OWN_ROW_HEADERS`)."""
    return file.endswith(".vh") and Path(file).name not in OWN_ROW_HEADERS


_MODULE_FILES: dict[str, str] = {}


def _module_file(module: str) -> str | None:
    """The repository file (rtl/**/*.v, verif/hdl/*.v) that declares ``module``."""
    if not _MODULE_FILES:
        for f in [*sorted((ROOT / "rtl").rglob("*.v")), *sorted((ROOT / "verif" / "hdl").glob("*.v"))]:
            for m in re.finditer(r"^\s*module\s+(\w+)", f.read_text(), re.M):
                _MODULE_FILES.setdefault(m.group(1), str(f.relative_to(ROOT)))
    return _MODULE_FILES.get(module)


def owner_file(file: str, page: str) -> str:
    """``file`` of a point, or for a point of a declaring header (:func:`is_decl_header`) the file of the
    module that includes it (``page`` ``v_toggle/<module>``, or ``v_toggle/<module>__<params>``
    for a module Verilator specialised by its parameters; ``file`` when that is unknown)."""
    if is_decl_header(file) and "/" in page:
        module = page.split("/", 1)[1]
        return _module_file(module) or _module_file(module.split("__", 1)[0]) or file
    return file


def unit_of(path: str) -> str:
    """Design unit owning an RTL file: rtl/common/<m>.v -> m, rtl/top/* -> accel_top, rtl/<u>/* -> u."""
    parts = Path(path).parts
    if len(parts) >= 3 and parts[0] == "rtl":
        if parts[1] == "common":
            return Path(parts[2]).stem
        return "accel_top" if parts[1] == "top" else parts[1]
    if len(parts) >= 3 and parts[:2] == ("verif", "hdl"):
        return Path(parts[2]).stem.removesuffix("_harness")
    return "?"


def _run_params(dat: Path) -> tuple[str, dict]:
    """(block, parameters) of a run's .dat (``dat/<block>/<paramset>-<sim>-<seed>.dat``)."""
    block = dat.parent.name
    paramset = dat.name.split("-")[0]
    b = BLOCKS.get(block)
    return block, dict(b.paramsets.get(paramset, {})) if b else {}


# parameters a block passes under another name to an instance (instance name -> {inner: outer})
INSTANCE_PARAMS = {"accel_top": {"u_loss": {"KMAX": "CLASSES_MAX"}}}


def _instance_params(block: str, params: dict, hier: str) -> dict:
    out = dict(params)
    b = BLOCKS.get(block)
    base = (b.build_name if b else None) or block
    for inst, ren in INSTANCE_PARAMS.get(base, {}).items():
        if f".{inst}" in f".{hier}":
            out.update({inner: params[outer] for inner, outer in ren.items() if outer in params})
    return out


_TOGGLE_RE = re.compile(r"(.*?)(?:\[(\d+)\])?:([01])->([01])$")


def merge_units(dats: list[Path], waivers: list["Waiver"]) -> dict[str, list[Point]]:
    """Every run's points merged per design unit at module level (hierarchy dropped).

    Bound waivers are evaluated per run with the run's parameters: a point is bound-waived when
    every run that has it says so; a bound bit that toggled is recorded as a violation."""
    points: dict[tuple, Point] = {}
    bounds = _Bounds([w for w in waivers if w.kind == "bound"])
    for d in dats:
        block, params = _run_params(d)
        seen: set[tuple] = set()
        for fields, count in read_dat(d).values():
            kind = _point_kind(fields)
            if kind is None:
                continue
            f = owner_file(rebase(fields.get("f", "?")), fields.get("page", ""))
            what = fields.get("o", "")
            k = (kind, f, fields.get("l", "0"), fields.get("n", ""), what)
            p = points.get(k)
            if p is None:
                p = points[k] = Point(kind, f, int(fields.get("l", 0)), what, "")
            p.count += count
            if k not in seen:
                seen.add(k)
                p.runs += 1
                if kind == "toggle" and bounds.rows:
                    w = bounds.waiver(f, what, _instance_params(block, params, fields.get("h", "")))
                    if w is not None:
                        p.bound_runs += 1
                        p.bound_by = w
                        if count:
                            p.violated.append(f"{d.parent.name}/{d.name}")
    by_unit: dict[str, list[Point]] = defaultdict(list)
    for p in points.values():
        by_unit[unit_of(p.file)].append(p)
    return by_unit


class _Bounds:
    """The bound waivers, asked once per toggle point of every run (hundreds of thousands): the
    rows that match a (file, signal) and each row's limit for a run's parameters are computed
    once and kept."""

    def __init__(self, rows: list["Waiver"]):
        self.rows = rows
        self._parts = [w.bound_parts() for w in rows]
        self._cands: dict[tuple[str, str], list[int]] = {}
        self._limits: dict[tuple[int, tuple], int | None] = {}

    def waiver(self, file: str, what: str, params: dict) -> "Waiver | None":
        """The first row (table order) whose file glob and signal regex match the toggle point
        ``what`` of ``file`` and whose limit, evaluated with ``params``, is at most 2**bit (the
        bit can never toggle); None when no row says so. A row whose expression names a
        parameter the run lacks does not apply."""
        m = _TOGGLE_RE.match(what)
        if not m:
            return None
        sig, bit = m.group(1), int(m.group(2) or 0)
        cands = self._cands.get((file, sig))
        if cands is None:
            cands = self._cands[(file, sig)] = [
                i for i, (wf, rx, _) in enumerate(self._parts)
                if fnmatch.fnmatchcase(file, wf) and re.fullmatch(rx, sig)]
        if not cands:
            return None
        pkey = tuple(sorted(params.items()))
        for i in cands:
            lk = (i, pkey)
            if lk not in self._limits:
                self._limits[lk] = _limit(self._parts[i][2], params)
            limit = self._limits[lk]
            if limit is not None and (1 << bit) >= limit:
                self.rows[i].used += 1
                return self.rows[i]
        return None


def _limit(expr: str, params: dict) -> int | None:
    """A bound row's expression evaluated with a run's parameters (None: it names a parameter the
    run does not have)."""
    try:
        ns = {"__builtins__": {}, "max": max, "min": min,
              "p": lambda name, default: params.get(name, default)}
        return int(eval(expr, ns, dict(params)))
    except Exception:       # a parameter this run does not have: the row does not apply
        return None


# ---------------------------------------------------------------------------------- waivers
@dataclass
class Waiver:
    block: str
    kind: str      # line | toggle | func
    pattern: str
    reason: str
    used: int = 0

    def bound_parts(self) -> tuple[str, str, str]:
        """``<file glob>:<signal regex> < <expr>`` -> (file glob, regex, expr)."""
        lhs, _, expr = self.pattern.rpartition(" < ")
        file, _, rx = lhs.partition(":")
        rx = rx.strip()
        return file.strip(), rx[3:] if rx.startswith("re:") else re.escape(rx), expr.strip()


def read_waivers(path: Path = TESTPLAN) -> list[Waiver]:
    """Rows of the table under a "## Waivers" heading: | block | kind | pattern | reason |."""
    if not path.is_file():
        return []
    out, in_section = [], False
    for line in path.read_text().splitlines():
        if line.startswith("## "):
            in_section = line.strip().lower().startswith("## waivers")
            continue
        if not in_section or not line.startswith("|"):
            continue
        # cells split on unescaped pipes ("\\|" is a literal pipe, e.g. in a regex)
        cells = [c.strip().replace("\\|", "|")
                 for c in re.split(r"(?<!\\)\|", line.strip().strip("|"))]
        if len(cells) < 4 or cells[0].lower() in ("block", "") or set(cells[0]) <= set("-: "):
            continue
        out.append(Waiver(cells[0].strip("`"), cells[1].strip("`").lower(), cells[2].strip("`"), cells[3]))
    return out


def _match(pattern: str, desc: str) -> bool:
    """``re:<regex>`` (full match), else a glob where only ``*`` and ``?`` are wildcards."""
    if pattern.startswith("re:"):
        return re.fullmatch(pattern[3:], desc) is not None
    glob = pattern.replace("[", "\0").replace("]", "\1").replace("\0", "[[]").replace("\1", "[]]")
    return fnmatch.fnmatchcase(desc, glob)


def _waived(waivers: list[Waiver], block: str, kind: str, desc: str) -> Waiver | None:
    for w in waivers:
        if w.block in (block, "*") and w.kind == kind and _match(w.pattern, desc):
            w.used += 1
            return w
    return None


# ---------------------------------------------------------------------- functional coverage
def merge_func(files: list[Path]) -> dict[str, dict]:
    """Merge cocotb-coverage YAML exports: hits of each bin summed over runs."""
    import yaml
    merged: dict[str, dict] = {}
    for f in files:
        try:
            db = yaml.safe_load(f.read_text()) or {}
        except yaml.YAMLError as e:
            print(f"cov: skipping unreadable {f}: {e}", file=sys.stderr)
            continue
        for name, item in db.items():
            if not isinstance(item, dict) or "bins:_hits" not in item:
                continue
            m = merged.setdefault(name, {"type": item.get("type", ""), "at_least": item.get("at_least", 1),
                                         "weight": item.get("weight", 1), "bins:_hits": {}})
            for b, h in (item["bins:_hits"] or {}).items():
                m["bins:_hits"][str(b)] = m["bins:_hits"].get(str(b), 0) + int(h)
    for m in merged.values():
        hits = m["bins:_hits"]
        m["size"] = len(hits)
        m["coverage"] = sum(1 for h in hits.values() if h >= m["at_least"])
        m["cover_percentage"] = round(100.0 * m["coverage"] / m["size"], 2) if m["size"] else 100.0
    return dict(sorted(merged.items()))


# --------------------------------------------------------------------------------- per block
@dataclass
class BlockCov:
    block: str
    runs: int = 0
    func_files: int = 0
    figures: dict = field(default_factory=dict)     # kind -> (hit, total)
    harness: dict = field(default_factory=dict)
    holes: dict = field(default_factory=lambda: defaultdict(list))   # kind -> [desc]
    waived: dict = field(default_factory=lambda: defaultdict(list))  # kind -> [(desc, reason)]
    func: dict = field(default_factory=dict)
    violations: list = field(default_factory=list)  # bound waivers contradicted by a toggle

    def pct(self, kind: str, src: str = "figures") -> float | None:
        hit, tot = getattr(self, src).get(kind, (0, 0))
        return round(100.0 * hit / tot, 2) if tot else None

    def goals_met(self) -> dict[str, bool | None]:
        out = {k: (None if self.pct(k) is None else self.pct(k) >= g) for k, g in GOALS.items()}
        if self.violations:
            out["bounds"] = False
        return out


def _toggle_signal(what: str) -> str:
    return re.sub(r"(\[\d+\])?:[01]->[01]$", "", what)


def analyse_unit(name: str, points: list[Point], runs: int, funcs: list[Path],
                 waivers: list[Waiver]) -> BlockCov:
    bc = BlockCov(name, runs=runs, func_files=len(funcs))
    counts = {("rtl", k): [0, 0] for k in ("line", "toggle")}
    counts.update({("harness", k): [0, 0] for k in ("line", "toggle")})
    toggle_holes: dict[str, int] = defaultdict(int)
    for p in points:
        src = "harness" if p.harness else "rtl"
        if p.violated:
            bc.violations.append(f"{p.desc} toggled in {', '.join(p.violated[:3])}: "
                                 f"above the bound of waiver `{p.bound_by.pattern}`")
        if src == "rtl" and p.count == 0:
            w = (p.bound_by if p.runs and p.bound_runs == p.runs else
                 _waived(waivers, name, p.kind, p.desc))
            if w:
                bc.waived[p.kind].append((p.desc, w.reason))
                continue
        c = counts[(src, p.kind)]
        c[1] += 1
        if p.count:
            c[0] += 1
        elif src == "rtl":
            if p.kind == "toggle":
                toggle_holes[f"{p.file}:{p.line}:{_toggle_signal(p.what)}"] += 1
            else:
                bc.holes["line"].append(f"{p.file}:{p.line} ({p.what})")
    for kind in ("line", "toggle"):
        if counts[("rtl", kind)][1]:
            bc.figures[kind] = tuple(counts[("rtl", kind)])
        if counts[("harness", kind)][1]:
            bc.harness[kind] = tuple(counts[("harness", kind)])
    bc.holes["toggle"] = [f"{sig} ({n} bit-direction(s) never toggled)"
                          for sig, n in sorted(toggle_holes.items())]
    bc.holes["line"] = sorted(set(bc.holes["line"]), key=lambda s: (s.split(":")[0], int(s.split(":")[1].split()[0])))
    if funcs:
        bc.func = merge_func(funcs)
        hit = tot = 0
        for pname, item in bc.func.items():
            wt = item.get("weight", 1) or 1
            for b, h in item["bins:_hits"].items():
                if h < item["at_least"]:
                    w = _waived(waivers, name, "func", f"{pname}: {b}")
                    if w:
                        bc.waived["func"].append((f"{pname}: {b}", w.reason))
                        continue
                    bc.holes["func"].append(f"{pname}: {b}")
                else:
                    hit += wt
                tot += wt
        bc.figures["func"] = (hit, tot)
    return bc
