"""Throwaway Debian 12 lab hosts (systemd-nspawn) for testing roles with real Ansible runs."""

from mlps.lab.errors import LabError, LabUnavailable
from mlps.lab.lab import CommandFailed, Lab, LabHost

__all__ = ["CommandFailed", "Lab", "LabError", "LabHost", "LabUnavailable"]
