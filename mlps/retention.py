"""How long audit records are kept at least, wherever the project builds or judges a store of
them (log stores, flow logs, trail archives, access logs): the minimum the catalog's SMC-CEN-04
sets on ``log_audit.retention_days``, which restates the Cybersecurity Law's six months (art. 21).
"""

from __future__ import annotations

from typing import Final

from mlps.controls import catalog

CONTROL = "SMC-CEN-04"
POINTER = "/log_audit/retention_days"


def _from_catalog() -> int:
    control = catalog().get(CONTROL)
    for rule in control.spec_rules if control else ():
        if rule.pointer == POINTER:
            try:
                return int(rule.schema["properties"]["log_audit"]["properties"]["retention_days"]["minimum"])
            except (KeyError, TypeError, ValueError):
                break
    raise LookupError(f"the catalog's {CONTROL} sets no plain minimum on {POINTER}: the stacks and the "
                      "plan policies need it to keep and judge audit records")


LOG_MIN_DAYS: Final = _from_catalog()
"""The least number of days audit records are kept."""
