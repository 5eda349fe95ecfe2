"""JUnit XML: one testsuite per environment, one testcase per applicable control."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from mlps.report.model import Report


def render_junit(report: Report) -> str:
    root = ET.Element("testsuites", name="mlps")
    totals = {"tests": 0, "failures": 0, "skipped": 0}
    for section in report.sections:
        suite = ET.SubElement(root, "testsuite", name=f"{section.name} (等保 level {section.level})",
                              file=section.file)
        counts = {"tests": 0, "failures": 0, "skipped": 0}
        for r in section.controls:
            case = ET.SubElement(suite, "testcase", classname=f"mlps.{r.control.family}",
                                 name=f"{r.control.id} {r.clause} {r.control.title.en}")
            counts["tests"] += 1
            if r.status == "fail":
                counts["failures"] += 1
                failing = [f for f in r.findings if f.status == "fail"]
                lines = [f"{f.file or ''}:{f.line or ''} {f.pointer} {f.message_en} / {f.message_zh}"
                         for f in failing]
                failure = ET.SubElement(case, "failure", message=failing[0].message_en,
                                        type=r.control.severity)
                failure.text = "\n".join(lines) + f"\nfix: {r.control.remediation.en}"
            elif r.status in ("manual", "not_checked"):
                counts["skipped"] += 1
                reason = ("manual: checked by the auditor, not by mlps" if r.status == "manual"
                          else "not checked: no checkpoint that covers it ran")
                ET.SubElement(case, "skipped", message=reason)
            elif r.status == "waived":
                out = ET.SubElement(case, "system-out")
                out.text = "\n".join(
                    f"waived: {f.message_en} — {f.waiver['reason']} ({f.waiver['approver']}, "
                    f"until {f.waiver['expires']})" for f in r.findings if f.waiver)
        for key, value in counts.items():
            suite.set(key, str(value))
            totals[key] += value
    for key, value in totals.items():
        root.set(key, str(value))
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
