"""Plan-time policies over the resource graph (Pulumi CrossGuard pack and ``mlps synth``)."""
