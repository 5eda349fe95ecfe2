"""JUnit XML as Jenkins' junit-10.xsd reads it: one testsuite per environment, one testcase
per applicable control; manual, unchecked and not checkable controls are skipped (the last
with the hosts' reasons), none is an error; a control met by a compensating part (a plan
notice) says so in its ``system-out``."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from mlps.report.model import Report, unknowable

COUNTS = ("tests", "failures", "errors", "skipped")


def seconds(value: float) -> str:
    """A duration as junit-10.xsd's SUREFIRE_TIME allows (no exponent, three decimals)."""
    return f"{max(value, 0.0):.3f}"


def render_junit(report: Report) -> str:
    root = ET.Element("testsuites", name="mlps")
    totals = dict.fromkeys(COUNTS, 0)
    timestamp = report.started.strftime("%Y-%m-%dT%H:%M:%S")  # UTC, the form JUnit writers use
    for section in report.sections:
        suite = ET.SubElement(root, "testsuite", name=f"{section.name} (等保 level {section.level})")
        counts = dict.fromkeys(COUNTS, 0)
        properties = ET.SubElement(suite, "properties")
        for key, text in (("hospital", section.hospital), ("level", str(section.level)),
                          ("mlps.version", report.version)):
            ET.SubElement(properties, "property", name=key, value=text)
        compensated: dict[str, list[str]] = {}
        for n in section.notices:
            compensated.setdefault(n.control, []).append(
                f"compensating part: {n.pointer} {n.message_en} / {n.message_zh}")
        for r in section.controls:
            case = ET.SubElement(suite, "testcase", classname=f"mlps.{r.control.family}",
                                 name=f"{r.control.id} {r.clause} {r.control.title.en}")
            said = compensated.get(r.control.id, [])
            counts["tests"] += 1
            if r.status == "fail":
                counts["failures"] += 1
                failing = [f for f in r.findings if f.status == "fail"]
                lines = [f"{f.file or ''}:{f.line or ''} {f.pointer} {f.message_en} / {f.message_zh}"
                         for f in failing]
                failure = ET.SubElement(case, "failure", message=failing[0].message_en,
                                        type=r.control.severity)
                failure.text = "\n".join(lines) + f"\nfix: {r.control.remediation.en}"
            elif r.status == "not_checkable":
                counts["skipped"] += 1
                ET.SubElement(case, "skipped", message="not checkable: " + "; ".join(unknowable(r)))
            elif r.status == "not_applicable":
                counts["skipped"] += 1
                ET.SubElement(case, "skipped",
                              message="not applicable: the layout has no part this control is about")
            elif r.status in ("manual", "not_checked"):
                counts["skipped"] += 1
                reason = ("manual: checked by the auditor, not by mlps" if r.status == "manual"
                          else "not checked: no checkpoint that covers it ran")
                ET.SubElement(case, "skipped", message=reason)
            elif r.status == "waived":
                said = [f"waived: {f.message_en} — {f.waiver['reason']} ({f.waiver['approver']}, "
                        f"until {f.waiver['expires']})" for f in r.findings if f.waiver] + said
            if said:  # junit-10.xsd: system-out follows failure or skipped
                ET.SubElement(case, "system-out").text = "\n".join(said)
        for key, value in counts.items():
            suite.set(key, str(value))
            totals[key] += value
        suite.set("time", seconds(section.seconds))
        suite.set("timestamp", timestamp)
        suite.set("file", section.file)
    for key in ("tests", "failures", "errors"):  # junit-10.xsd has no skipped on testsuites
        root.set(key, str(totals[key]))
    root.set("time", seconds((report.finished - report.started).total_seconds()))
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
