"""Findings: what every checkpoint (spec, plan, host) reports against a control id."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

Checkpoint = Literal["spec", "plan", "host"]
Status = Literal["fail", "waived"]
Severity = Literal["high", "medium", "low"]


@dataclass(frozen=True)
class Finding:
    """One failed (or waived) requirement at one place.

    ``pointer`` is a JSON pointer into the spec for ``spec`` findings, a resource URN or
    ``type::name`` for ``plan`` findings and ``host:<name>`` for ``host`` findings.
    """

    control: str
    clause: str
    severity: Severity
    checkpoint: Checkpoint
    pointer: str
    message_zh: str
    message_en: str
    remediation_zh: str = ""
    remediation_en: str = ""
    file: str | None = None
    line: int | None = None
    status: Status = "fail"
    waiver: dict[str, Any] | None = field(default=None, compare=False)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        if d["waiver"] is None:
            del d["waiver"]
        return d

    def sort_key(self) -> tuple[str, str, str, str]:
        return (self.control, self.checkpoint, self.pointer, self.message_en)
