"""``mlps synth``: the stack program run offline under Pulumi's mock runtime."""

from mlps.synth.run import SynthResult, synthesize

__all__ = ["SynthResult", "synthesize"]
