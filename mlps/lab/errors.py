"""Errors of the lab."""

from __future__ import annotations


class LabError(Exception):
    """The lab could not do what was asked; the message says what and why, in one line."""


class LabUnavailable(LabError):
    """The lab cannot run on this machine at all (not root, a tool missing)."""
