"""Validation of a spec against the 等保 level rules of the catalog."""

from mlps.validate.engine import ValidationResult, validate

__all__ = ["ValidationResult", "validate"]
