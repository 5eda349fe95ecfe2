"""Render a report as text, json, sarif, junit or html."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict
from typing import Any

from mlps.report.model import Report


def _json(report: Report) -> str:
    data: dict[str, Any] = {
        "findings": [f.to_dict() for f in report.findings],
        "notices": [{"environment": s.name, **asdict(n)} for s in report.sections for n in s.notices],
        "summary": report.summary(),
        "controls": [
            {"environment": s.name, "id": r.control.id, "clause": r.clause, "status": r.status,
             "family": r.control.family, "title": {"zh": r.control.title.zh,
                                                   "en": r.control.title.en},
             "checkpoints": list(r.checkpoints), "evidence": r.evidence}
            for s in report.sections for r in s.controls
        ],
    }
    return json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True) + "\n"


def _text(report: Report) -> str:
    from mlps.report.text import render_text

    return render_text(report)


def _sarif(report: Report) -> str:
    from mlps.report.sarif import render_sarif

    return render_sarif(report)


def _junit(report: Report) -> str:
    from mlps.report.junit import render_junit

    return render_junit(report)


def _html(report: Report) -> str:
    from mlps.report.html import render_html

    return render_html(report)


RENDERERS: dict[str, Callable[[Report], str]] = {
    "text": _text, "json": _json, "sarif": _sarif, "junit": _junit, "html": _html,
}
FORMATS = tuple(RENDERERS)


def render(report: Report, fmt: str) -> str:
    return RENDERERS[fmt](report)
