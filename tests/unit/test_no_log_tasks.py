"""Every task that touches a secret variable hides its output (``no_log: true``).

A variable is secret when a role's ``meta/argument_specs.yml`` declares it (or one of its
sub-options) ``no_log: true``, or when a default, a ``vars`` entry, a ``set_fact`` key or a
registered result is computed from a secret. A task references a variable when the variable
appears in one of its Jinja expressions (parsed with Jinja itself, not searched as text), or in
the template file a ``template`` task renders. Such a task must carry ``no_log: true`` itself or
inherit it from its block: otherwise a failure, ``-v`` or ``--diff`` prints the secret.

Two exact exceptions: a parameter of the role's own module (``library/``) that the module declares
``no_log`` (Ansible masks it everywhere), and the facts in :data:`DECLASSIFIED`, computed from a
secret but holding none of it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2
import jinja2.meta
import pytest
import yaml

ROLES = Path(__file__).resolve().parents[2] / "roles"


class _AnyName(dict[str, Any]):
    """Every filter and test name exists (Ansible's and collections' included): parsing only."""

    def __contains__(self, key: object) -> bool:
        return True

    def __missing__(self, key: str) -> Any:
        return _any

    def get(self, key: str, default: Any = None) -> Any:
        return self[key]


def _any(*args: Any, **kwargs: Any) -> None:
    """Stands for any filter or test while parsing."""


_ENV = jinja2.Environment()  # noqa: S701 - parsed only, never rendered
_ENV.filters = _AnyName(_ENV.filters)
_ENV.tests = _AnyName(_ENV.tests)
_BARE = ("when", "changed_when", "failed_when", "until")
_TEMPLATE = ("template", "ansible.builtin.template")
_SET_FACT = ("set_fact", "ansible.builtin.set_fact")
_ASSERT = ("assert", "ansible.builtin.assert")
_BLOCKS = ("block", "rescue", "always")
_MODULE_NO_LOG = re.compile(r'"(\w+)":\s*\{[^}]*"no_log":\s*True')

# Facts computed from a secret that hold none of it (reviewed one by one).
DECLASSIFIED = {
    "link_failover__bad_passwords": "names of the lines whose password is unusable",
    "object_storage__kek_ok": "whether the given key-encryption key is 64 hex digits",
}


def module_no_log_params(role: str, module: str) -> set[str]:
    """Parameters the role's own module declares no_log (Ansible masks their values)."""
    path = ROLES / role / "library" / f"{module}.py"
    return set(_MODULE_NO_LOG.findall(path.read_text(encoding="utf-8"))) if path.is_file() else set()


def names_in(text: str, bare: bool = False) -> set[str]:
    """Variables a Jinja template (or a bare conditional expression) reads."""
    source = "{{ " + text + " }}" if bare else text
    if not bare and "{" not in source:
        return set()
    return set(jinja2.meta.find_undeclared_variables(_ENV.parse(source)))


def _strings(node: Any) -> Iterator[str]:
    if isinstance(node, str):
        yield node
    elif isinstance(node, dict):
        for value in node.values():
            yield from _strings(value)
    elif isinstance(node, list):
        for item in node:
            yield from _strings(item)


def _bare_list(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [v for v in value if isinstance(v, str)]
    return []


def _has_no_log(spec: dict[str, Any]) -> bool:
    if spec.get("no_log") is True:
        return True
    return any(_has_no_log(sub) for sub in (spec.get("options") or {}).values())


def declared_secrets() -> dict[str, str]:
    """Variable -> role, for every argument_specs option that is (or holds) a no_log value."""
    found: dict[str, str] = {}
    for specs in sorted(ROLES.glob("*/meta/argument_specs.yml")):
        role = specs.parent.parent.name
        for entry in (yaml.safe_load(specs.read_text()) or {})["argument_specs"].values():
            for name, option in (entry.get("options") or {}).items():
                if _has_no_log(option):
                    found[name] = role
    return found


@dataclass(frozen=True)
class Task:
    role: str
    file: str
    name: str
    body: dict[str, Any]
    no_log: bool

    def reads(self) -> set[str]:
        """Every variable this task's expressions (and its rendered template) read."""
        found: set[str] = set()
        for key, value in self.body.items():
            if key in _BARE:
                for expr in _bare_list(value):
                    found |= names_in(expr, bare=True)
            elif key in _ASSERT and isinstance(value, dict):
                for expr in _bare_list(value.get("that")):
                    found |= names_in(expr, bare=True)
                found |= {n for s in _strings({k: v for k, v in value.items() if k != "that"})
                          for n in names_in(s)}
            elif key != "name":
                masked = module_no_log_params(self.role, key)
                if masked and isinstance(value, dict):
                    value = {k: v for k, v in value.items() if k not in masked}
                found |= {n for s in _strings(value) for n in names_in(s)}
        for key in _TEMPLATE:
            args = self.body.get(key)
            src = args.get("src", "") if isinstance(args, dict) else ""
            path = ROLES / self.role / "templates" / src
            if src and "{" not in src and path.is_file():
                found |= names_in(path.read_text(encoding="utf-8"))
        return found

    def defines(self) -> set[str]:
        """Facts and registered results this task sets."""
        out: set[str] = set()
        for key in _SET_FACT:
            if isinstance(self.body.get(key), dict):
                out |= {k for k in self.body[key] if k != "cacheable"}
        if isinstance(self.body.get("register"), str):
            out.add(self.body["register"])
        return out


def _walk(role: str, file: str, tasks: Any, inherited: bool) -> Iterator[Task]:
    for body in tasks or []:
        if not isinstance(body, dict):
            continue
        no_log = inherited or body.get("no_log") is True
        if any(key in body for key in _BLOCKS):
            for key in _BLOCKS:
                yield from _walk(role, file, body.get(key), no_log)
            continue
        yield Task(role, file, str(body.get("name", "")), body, no_log)


def all_tasks() -> list[Task]:
    tasks: list[Task] = []
    for path in sorted([*ROLES.glob("*/tasks/*.yml"), *ROLES.glob("*/handlers/*.yml")]):
        role = path.parent.parent.name
        rel = str(path.relative_to(ROLES))
        tasks.extend(_walk(role, rel, yaml.safe_load(path.read_text(encoding="utf-8")), False))
    return tasks


def secret_variables(tasks: list[Task]) -> set[str]:
    """Declared secrets and everything computed from them (defaults, vars, facts, results)."""
    secret = set(declared_secrets())
    computed: dict[str, set[str]] = {}
    for path in [*ROLES.glob("*/defaults/*.yml"), *ROLES.glob("*/vars/*.yml")]:
        for name, value in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).items():
            computed.setdefault(name, set()).update(n for s in _strings(value) for n in names_in(s))
    for task in tasks:
        for name in task.defines():
            computed.setdefault(name, set()).update(task.reads())
        for name, value in (task.body.get("vars") or {}).items():
            computed.setdefault(name, set()).update(n for s in _strings(value) for n in names_in(s))
    while True:
        more = {name for name, reads in computed.items() if reads & secret} - secret - set(DECLASSIFIED)
        if not more:
            return secret
        secret |= more


def test_the_reference_finder_is_exact() -> None:
    assert names_in("{{ a.b | default(c) }} and d") == {"a", "c"}
    assert names_in("x is defined and y | length > 0", bare=True) == {"x", "y"}
    assert names_in("object_storage_encryption_key is a word here") == set()
    assert names_in("{% for p in ps %}{{ p.x }}{{ k[p.name] }}{% endfor %}") == {"ps", "k"}


def test_declared_secrets_are_found() -> None:
    assert {"link_failover_bgp_passwords", "object_storage_encryption_key",
            "object_storage_identity_keys"} <= set(declared_secrets())


TASKS = all_tasks()
SECRETS = secret_variables(TASKS)


@pytest.mark.parametrize("role", sorted(p.name for p in ROLES.iterdir() if (p / "tasks").is_dir()))
def test_tasks_reading_a_secret_have_no_log(role: str) -> None:
    exposed = [f"{t.file}: {t.name} reads {sorted(t.reads() & SECRETS)}"
               for t in TASKS if t.role == role and not t.no_log and t.reads() & SECRETS]
    assert exposed == []
