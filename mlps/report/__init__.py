"""Reports for auditors and pipelines: one model, several formats."""

from mlps.report.model import ControlResult, Report, Section, build_section
from mlps.report.render import FORMATS, render

__all__ = ["FORMATS", "ControlResult", "Report", "Section", "build_section", "render"]
