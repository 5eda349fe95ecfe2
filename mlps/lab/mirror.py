"""The package mirror(s) of this machine, read from its own apt sources."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from mlps.errors import InputError

SOURCES_LIST = Path("/etc/apt/sources.list")
SOURCES_DIR = Path("/etc/apt/sources.list.d")


@dataclass(frozen=True)
class AptSource:
    """One ``deb`` entry: a repository URI with its suites and components."""

    uri: str
    suites: tuple[str, ...]
    components: tuple[str, ...]
    signed_by: str = ""

    @property
    def host(self) -> str:
        return urlsplit(self.uri).hostname or ""

    @property
    def port(self) -> int:
        parts = urlsplit(self.uri)
        return parts.port or (443 if parts.scheme == "https" else 80)


@dataclass
class AptSources:
    """The ``deb`` entries found, in file order."""

    entries: list[AptSource] = field(default_factory=list)

    def for_suite(self, suite: str) -> list[AptSource]:
        """Debian entries (http/https, Debian archive key) for ``suite`` and its ``suite-*``."""
        keep = []
        for entry in self.entries:
            suites = tuple(s for s in entry.suites if s == suite or s.startswith(f"{suite}-"))
            web = urlsplit(entry.uri).scheme in ("http", "https")
            if suites and web and (not entry.signed_by or "debian-archive" in entry.signed_by):
                keep.append(AptSource(entry.uri, suites, entry.components, entry.signed_by))
        return keep

    def main_mirror(self, suite: str) -> str:
        """URI of the repository that carries ``suite`` itself (what debootstrap needs)."""
        for entry in self.for_suite(suite):
            if suite in entry.suites:
                return entry.uri
        raise InputError(
            str(SOURCES_DIR),
            f"no apt source for the suite {suite!r} found",
            "add a deb entry for it to /etc/apt/sources.list.d/*.sources or /etc/apt/sources.list",
        )

    def endpoints(self, suite: str) -> list[tuple[str, int]]:
        """Distinct (host, port) pairs the lab's relay has to forward to."""
        seen: list[tuple[str, int]] = []
        for entry in self.for_suite(suite):
            if (entry.host, entry.port) not in seen:
                seen.append((entry.host, entry.port))
        return seen


def parse_one_line(text: str) -> list[AptSource]:
    """Entries of the classic one-line format (``deb [opts] URI suite comp…``)."""
    out = []
    for raw in text.splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line.startswith("deb "):
            continue
        rest = line[4:].strip()
        signed_by = ""
        if rest.startswith("["):
            opts, _, rest = rest[1:].partition("]")
            for opt in opts.split():
                key, _, value = opt.partition("=")
                if key == "signed-by":
                    signed_by = value
        words = rest.split()
        if len(words) >= 2:
            out.append(AptSource(words[0].rstrip("/"), (words[1],), tuple(words[2:]), signed_by))
    return out


def parse_deb822(text: str) -> list[AptSource]:
    """Entries of the deb822 format (``Types: deb`` stanzas)."""
    out = []
    for stanza in _stanzas(text):
        if "deb" not in stanza.get("types", "").split():
            continue
        if stanza.get("enabled", "yes").lower() == "no":
            continue
        suites = tuple(stanza.get("suites", "").split())
        components = tuple(stanza.get("components", "").split())
        for uri in stanza.get("uris", "").split():
            out.append(AptSource(uri.rstrip("/"), suites, components, stanza.get("signed-by", "")))
    return out


def _stanzas(text: str) -> list[dict[str, str]]:
    stanzas: list[dict[str, str]] = []
    current: dict[str, str] = {}
    key = ""
    for raw in [*text.splitlines(), ""]:
        if raw.startswith("#"):
            continue
        if not raw.strip():
            if current:
                stanzas.append(current)
            current, key = {}, ""
        elif raw[0] in " \t" and key:
            current[key] += " " + raw.strip()
        elif ":" in raw:
            key, _, value = raw.partition(":")
            key = key.strip().lower()
            current[key] = value.strip()
    return stanzas


def read_apt_sources(sources_list: Path = SOURCES_LIST, sources_dir: Path = SOURCES_DIR) -> AptSources:
    """All ``deb`` entries of this machine: sources.list, then ``*.list`` and ``*.sources``."""
    found = AptSources()
    if sources_list.is_file():
        found.entries += parse_one_line(sources_list.read_text(encoding="utf-8"))
    if sources_dir.is_dir():
        for path in sorted(sources_dir.iterdir()):
            if path.suffix == ".list":
                found.entries += parse_one_line(path.read_text(encoding="utf-8"))
            elif path.suffix == ".sources":
                found.entries += parse_deb822(path.read_text(encoding="utf-8"))
    return found


def render_deb822(entries: list[AptSource]) -> str:
    """The entries as one deb822 file for a lab host."""
    blocks = []
    for entry in entries:
        lines = [
            "Types: deb",
            f"URIs: {entry.uri}",
            f"Suites: {' '.join(entry.suites)}",
            f"Components: {' '.join(entry.components)}",
            "Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg",
        ]
        blocks.append("\n".join(lines) + "\n")
    return "\n".join(blocks)
