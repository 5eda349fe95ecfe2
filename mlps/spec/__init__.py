"""The environment spec: loading it from a file or from Pulumi config, with line numbers."""

from mlps.spec.defaults import apply_defaults
from mlps.spec.load import LoadedSpec, load_spec, spec_from_config
from mlps.spec.shape import check_shape, environment_schema

__all__ = [
    "LoadedSpec",
    "apply_defaults",
    "check_shape",
    "environment_schema",
    "load_spec",
    "spec_from_config",
]
