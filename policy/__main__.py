"""CrossGuard entry point: ``MLPS_LEVEL=3 pulumi preview -s <env> --policy-pack policy``."""

import sys
from pathlib import Path

_ROOT = str(Path(__file__).resolve().parent.parent)
if _ROOT not in sys.path:
    sys.path.insert(0, _ROOT)

from policy.crossguard import build_pack, pack_level  # noqa: E402

build_pack(pack_level())
