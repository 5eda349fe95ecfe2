"""mlps: hospital infrastructure that meets GB/T 22239-2019 (等保 2.0) by construction."""

__version__ = "0.1.0"
