"""Registers every sub-command on the app; one import per command module."""

from mlps.cli import controls, report, validate  # noqa: F401
from mlps.cli import exit as _exit  # noqa: F401
from mlps.cli import kbundle as _kbundle  # noqa: F401
from mlps.cli import lab as _lab  # noqa: F401
from mlps.cli import pki as _pki  # noqa: F401
from mlps.cli import synth as _synth  # noqa: F401
