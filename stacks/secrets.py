"""Spec secrets as Pulumi secrets: never a plaintext input, masked in every output.

Each secret has one name from the spec to the host (docs/stacks.md, "Secrets"): the extra
variable a component hands to Ansible is the role variable that uses it, declared
``no_log: true`` in that role's ``meta/argument_specs.yml`` (tests/stacks/test_secret_names.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

import pulumi
import pulumi_random as random

from stacks.model import Secret

Kind = Literal["token", "hex256", "access_key", "secret_key"]

PASSWORDS: dict[str, dict[str, Any]] = {
    # 43 characters of A-Z a-z 0-9 - _ (258 bits), URL-safe (passwords such as the BGP TCP MD5 keys).
    "token": {"length": 43, "special": True, "override_special": "-_"},
    # S3 credentials in the shape S3 clients expect: 20 upper-case letters and digits, and
    # 40 letters and digits (about 238 bits).
    "access_key": {"length": 20, "lower": False, "special": False},
    "secret_key": {"length": 40, "special": False},
}
"""``random.RandomPassword`` arguments per kind; ``hex256`` is 32 ``random.RandomBytes`` in hex."""
HEX_BYTES = 32


def secret_value(
    value: Secret, name: str, parent: pulumi.Resource, kind: Kind = "token"
) -> pulumi.Output[str]:
    """The secret as a Pulumi secret Output.

    Under the engine a ``secure:`` value arrives decrypted (a string); offline it stays
    ``{"secure": …}``. ``{"generated": true}`` or an absent value is generated at deploy
    time (``kind`` says its shape) by the ``random`` provider, whose result Pulumi keeps
    encrypted in the state; it is never written to a file.
    """
    if isinstance(value, str):
        return pulumi.Output.secret(value)
    if isinstance(value, dict) and "secure" in value:
        return pulumi.Output.secret(str(value["secure"]))
    opts = pulumi.ResourceOptions(parent=parent)
    generated: pulumi.Output[str]
    if kind == "hex256":
        generated = random.RandomBytes(name, length=HEX_BYTES, opts=opts).hex
    else:
        generated = random.RandomPassword(name, opts=opts, **PASSWORDS[kind]).result
    return pulumi.Output.secret(generated)


def secret_map(values: Mapping[str, pulumi.Input[Any]]) -> pulumi.Output[dict[str, Any]]:
    """One secret Output holding a mapping (empty included) of secret values."""
    if not values:
        return pulumi.Output.secret({})
    return pulumi.Output.secret(pulumi.Output.all(**values))
