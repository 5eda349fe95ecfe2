"""Plain-text report: a summary table per environment, then one line per finding."""

from __future__ import annotations

from io import StringIO

from rich.console import Console
from rich.table import Table

from mlps.controls import FAMILY_TITLES
from mlps.report.model import STATUSES, Report, unknowable


def render_text(report: Report, width: int = 130) -> str:
    out = StringIO()
    console = Console(file=out, width=width, force_terminal=False, color_system=None,
                      highlight=False, soft_wrap=True)
    for section in report.sections:
        verdict = "compliant 符合" if not section.failed else "NOT compliant 不符合"
        scope = section.verdict_scope()
        console.print(f"{section.name} ({section.file}) — 等保 level {section.level}: {verdict} "
                      f"({scope['automated']} of {scope['total']} controls checked automatically, "
                      f"{scope['manual']} manual, {scope['not_checked']} not checked)")
        console.print(f"checkpoints: {', '.join(section.checkpoints) or 'none'}")
        table = Table(show_edge=False, pad_edge=False)
        table.add_column("family 类别")
        for status in STATUSES:
            table.add_column(status, justify="right")
        for family, counts in section.by_family().items():
            zh, en = FAMILY_TITLES.get(family, (family, family))
            table.add_row(f"{en} {zh}", *(str(counts[s]) for s in STATUSES))
        totals = section.counts()
        table.add_row("total 合计", *(str(totals[s]) for s in STATUSES))
        console.print(table)
        for r in section.controls:
            if r.status == "not_checkable":
                for why in unknowable(r):
                    console.print(f"  {r.control.id} ({r.clause}) [not checkable 无法核验] {why}",
                                  markup=False)
        for n in section.notices:
            console.print(f"  {n.pointer}: {n.control} [compensated 补偿] {n.message_en}", markup=False)
            console.print(f"      {n.message_zh}", markup=False)
        for f in section.findings:
            place = f"{f.file}:{f.line}" if f.file and f.line else (f.file or f.pointer)
            tag = "WAIVED" if f.status == "waived" else f.severity.upper()
            console.print(f"  {place}: {f.control} ({f.clause}) [{tag}] {f.message_en}")
            console.print(f"      {f.message_zh}")
            if f.status == "waived" and f.waiver:
                console.print(f"      waived by {f.waiver['approver']} until "
                              f"{f.waiver['expires']}: {f.waiver['reason']}")
            elif f.remediation_en:
                console.print(f"      fix: {f.remediation_en}")
        console.print()
    s = report.summary()["findings"]
    console.print(f"{s['fail']} failing, {s['waived']} waived finding(s) in "
                  f"{len(report.sections)} environment(s)")
    return out.getvalue()
