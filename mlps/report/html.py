"""One self-contained bilingual HTML page an auditor can open offline."""

from __future__ import annotations

from jinja2 import Environment, PackageLoader, select_autoescape

from mlps.controls import FAMILY_TITLES
from mlps.report.model import STATUSES, Report

STATUS_TITLES = {
    "fail": ("不符合", "fail"),
    "waived": ("已豁免", "waived"),
    "pass": ("符合", "pass"),
    "not_checkable": ("无法核验", "not checkable"),
    "not_applicable": ("不适用", "not applicable"),
    "not_checked": ("未检查", "not checked"),
    "manual": ("人工核查", "manual"),
}


def render_html(report: Report) -> str:
    env = Environment(loader=PackageLoader("mlps.report", "templates"),
                      autoescape=select_autoescape(["html", "j2"]), trim_blocks=True,
                      lstrip_blocks=True)
    template = env.get_template("report.html.j2")
    totals = {s: sum(section.counts()[s] for section in report.sections) for s in STATUSES}
    return template.render(report=report, summary=report.summary(), statuses=STATUSES,
                           status_titles=STATUS_TITLES, families=FAMILY_TITLES, totals=totals)
