"""Spec secrets as Pulumi secrets: never a plaintext input, masked in every output."""

from __future__ import annotations

import pulumi
import pulumi_command as command

from stacks.model import Secret

_GENERATE = "python3 -c 'import secrets; print(secrets.token_urlsafe(32), end=\"\")'"


def secret_value(value: Secret, name: str, parent: pulumi.Resource) -> pulumi.Output[str]:
    """The secret as a Pulumi secret Output.

    Under the engine a ``secure:`` value arrives decrypted (a string); offline it stays
    ``{"secure": …}``. ``{"generated": true}`` or an absent value is generated at deploy
    time by a local command whose output Pulumi keeps encrypted in the state.
    """
    if isinstance(value, str):
        return pulumi.Output.secret(value)
    if isinstance(value, dict) and "secure" in value:
        return pulumi.Output.secret(str(value["secure"]))
    generated = command.local.Command(
        name,
        create=_GENERATE,
        logging=command.local.Logging.NONE,
        opts=pulumi.ResourceOptions(parent=parent, additional_secret_outputs=["stdout"]),
    )
    return pulumi.Output.secret(generated.stdout)
