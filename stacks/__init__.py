"""The mlps Pulumi program: one environment spec in, one hardened environment out."""
