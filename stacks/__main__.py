"""Pulumi entry point (``Pulumi.yaml`` → ``main: stacks/``)."""

import sys
from pathlib import Path

_ROOT = str(Path(__file__).resolve().parent.parent)
if _ROOT not in sys.path:
    sys.path.insert(0, _ROOT)

from stacks.program import main  # noqa: E402

main()
