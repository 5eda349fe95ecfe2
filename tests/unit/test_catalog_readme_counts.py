"""The counts in mlps/catalog/README.md are the catalog's own, recomputed from its files."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

from mlps.controls import Catalog, load_catalog
from mlps.resources import CATALOG_DIR

README = CATALOG_DIR / "README.md"
COLUMNS = ("controls", "spec", "plan", "host", "manual", "L2", "L3", "L4")


def _row(counter: Counter[str]) -> list[int]:
    return [counter[c] for c in COLUMNS]


def family_counts(cat: Catalog) -> dict[str, list[int]]:
    """One row per family, then the total."""
    per: dict[str, Counter[str]] = {}
    for control in cat:
        row = per.setdefault(control.family, Counter())
        row["controls"] += 1
        for checkpoint in control.checkpoints:
            row[checkpoint] += 1
        for level in control.levels:
            row[f"L{level}"] += 1
    total: Counter[str] = Counter()
    for row in per.values():
        total.update(row)
    return {**{f: _row(row) for f, row in per.items()}, "total": _row(total)}


def manual_per_folder(cat: Catalog) -> dict[str, int]:
    counts: Counter[str] = Counter()
    for control in cat:
        if control.manual:
            counts[Path(control.path).relative_to(CATALOG_DIR).parts[0] + "/"] += 1
    return dict(counts)


def readme_table(text: str, header: str) -> dict[str, list[int]]:
    """The rows of the markdown table whose header line starts with ``header``."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(header))
    rows: dict[str, list[int]] = {}
    for line in lines[start + 2:]:
        if not line.startswith("|"):
            break
        cells = [c.strip().strip("*") for c in line.strip("|").split("|")]
        rows[cells[0]] = [int(c) for c in cells[1:]]
    return rows


def test_family_table_matches_the_catalog() -> None:
    computed = family_counts(load_catalog())
    written = readme_table(README.read_text(encoding="utf-8"), "| family | controls |")
    assert written == computed, (
        "mlps/catalog/README.md counts drifted; the catalog gives:\n" + "\n".join(
            f"| {f} | " + " | ".join(str(n) for n in row) + " |" for f, row in computed.items()))


def test_manual_table_matches_the_catalog() -> None:
    written = readme_table(README.read_text(encoding="utf-8"), "| folder | manual entries |")
    assert {k: v[0] for k, v in written.items()} == {
        k: v for k, v in manual_per_folder(load_catalog()).items() if k in written}
    assert set(manual_per_folder(load_catalog())) <= set(written) | {"kubernetes/", "exceptions/"}


def test_total_in_the_project_readme_matches_the_catalog() -> None:
    root = CATALOG_DIR.parents[1]
    text = (root / "README.md").read_text(encoding="utf-8")
    said = re.search(r"\(`mlps/catalog/`, (\d+) controls", text)
    assert said is not None and int(said.group(1)) == len(load_catalog())
