"""Spec secrets as Pulumi secrets: never a plaintext input, masked in every output.

Each secret has one name from the spec to the host (docs/stacks.md, "Secrets"): the extra
variable a component hands to Ansible is the role variable that uses it, declared
``no_log: true`` in that role's ``meta/argument_specs.yml`` (tests/unit/test_secret_names.py).
"""

from __future__ import annotations

from typing import Any, Literal

import pulumi
import pulumi_command as command

from stacks.model import Secret

Kind = Literal["token", "hex256", "access_key", "secret_key"]

_PY = "python3 -c 'import secrets, string; {body}'"
_PICK = '"".join(secrets.choice({chars}) for _ in range({n}))'
GENERATORS: dict[str, str] = {
    # 256 random bits, URL-safe text (passwords such as the BGP TCP MD5 keys).
    "token": _PY.format(body='print(secrets.token_urlsafe(32), end="")'),
    # 256 random bits as 64 hex digits (the SeaweedFS SSE-S3 key-encryption key).
    "hex256": _PY.format(body='print(secrets.token_hex(32), end="")'),
    # S3 credentials in the shape S3 clients expect: 20 upper-case letters and digits, and
    # 40 letters and digits (about 238 bits).
    "access_key": _PY.format(
        body=f'print({_PICK.format(chars="string.ascii_uppercase + string.digits", n=20)}, end="")'
    ),
    "secret_key": _PY.format(
        body=f'print({_PICK.format(chars="string.ascii_letters + string.digits", n=40)}, end="")'
    ),
}


def secret_value(
    value: Secret, name: str, parent: pulumi.Resource, kind: Kind = "token"
) -> pulumi.Output[str]:
    """The secret as a Pulumi secret Output.

    Under the engine a ``secure:`` value arrives decrypted (a string); offline it stays
    ``{"secure": …}``. ``{"generated": true}`` or an absent value is generated at deploy
    time (``kind`` says its shape) by a local command whose output Pulumi keeps encrypted in
    the state; it is never written to a file.
    """
    if isinstance(value, str):
        return pulumi.Output.secret(value)
    if isinstance(value, dict) and "secure" in value:
        return pulumi.Output.secret(str(value["secure"]))
    generated = command.local.Command(
        name,
        create=GENERATORS[kind],
        logging=command.local.Logging.NONE,
        opts=pulumi.ResourceOptions(parent=parent, additional_secret_outputs=["stdout"]),
    )
    return pulumi.Output.secret(generated.stdout)


def secret_map(values: dict[str, pulumi.Input[Any]]) -> pulumi.Output[dict[str, Any]]:
    """One secret Output holding a mapping (empty included) of secret values."""
    if not values:
        return pulumi.Output.secret({})
    return pulumi.Output.secret(pulumi.Output.all(**values))
