"""The ``Lab``: throwaway Debian hosts (systemd-nspawn) on private networks, with an inventory."""

from __future__ import annotations

import ipaddress
import json
import os
import select
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from mlps.lab import cleanup, host, image, inventory, net, relay
from mlps.lab.claim import Claim
from mlps.lab.errors import LabError
from mlps.lab.mirror import AptSource, read_apt_sources, render_deb822
from mlps.lab.names import LabNames, check_lab_name
from mlps.lab.proc import preflight, raise_machine_limits, run
from mlps.lab.topology import RELAY_SLOTS, Topology, build, default_topology, load_topology
from mlps.progress import Step, quiet

BOOT_TIMEOUT = 120.0


@dataclass(frozen=True)
class LabHost:
    """A lab host: its management address and its address and interface on each network."""

    name: str
    address: str
    addresses: dict[str, str] = field(default_factory=dict)
    interfaces: dict[str, str] = field(default_factory=dict)


class CommandFailed(subprocess.CalledProcessError):
    """A command run in a lab host exited non-zero (message includes its stderr)."""

    def __str__(self) -> str:
        err = (self.stderr or self.output or "").strip()[-500:]
        return f"{super().__str__()} {err}".strip()


class Lab:
    """One named lab; every namespace, cgroup, machine and path carries the name as prefix."""

    def __init__(self, name: str = "mlps") -> None:
        self.names = LabNames(check_lab_name(name))
        self.name = name
        self.log: list[str] = []
        self._topo: Topology | None = None
        self._cuts: dict[str, str] = {}
        self._claim = Claim(self.names)

    # ---- state -------------------------------------------------------------------------
    @property
    def state_file(self) -> Path:
        return self.names.state_dir / "state.json"

    @property
    def inventory_path(self) -> Path:
        return self.names.state_dir / "inventory.yml"

    @property
    def key_path(self) -> Path:
        return self.names.state_dir / "id_ed25519"

    @property
    def topology(self) -> Topology:
        if self._topo is None:
            self._load()
        if self._topo is None:
            raise LabError(f"lab {self.name} has no topology (run: mlps lab up --name {self.name})")
        return self._topo

    @property
    def cuts(self) -> dict[str, str]:
        self.topology  # noqa: B018  (loads the saved state)
        return dict(self._cuts)

    @property
    def hosts(self) -> dict[str, LabHost]:
        topo = self.topology
        out = {}
        for name in topo.hosts:
            ifaces = topo.interfaces(name)
            out[name] = LabHost(
                name=name,
                address=str(topo.management.members[name]),
                addresses={n.name: str(n.members[name]) for _i, n in ifaces},
                interfaces={n.name: i for i, n in ifaces},
            )
        return out

    def _load(self) -> None:
        try:
            data = json.loads(self.state_file.read_text())
        except FileNotFoundError as exc:
            raise LabError(f"lab {self.name} is not up (run: mlps lab up --name {self.name})") from exc
        self._topo = build(data["topology"], str(self.state_file))
        self._cuts = dict(data.get("cuts", {}))

    def _save(self) -> None:
        topo = self.topology
        data = {
            "topology": {
                "hosts": {h: {"address": str(topo.management.members[h])} for h in topo.hosts},
                "management": {"cidr": str(topo.management.cidr)},
                "networks": [
                    {
                        "name": n.name,
                        "cidr": str(n.cidr),
                        "members": {h: str(a) for h, a in n.members.items()},
                    }
                    for n in topo.networks[1:]
                ],
                "groups": topo.groups,
                "routers": topo.routers,
                "routes": {
                    h: [{"to": str(to), "via": str(via)} for to, via in routes]
                    for h, routes in topo.routes.items()
                },
            },
            "cuts": self._cuts,
        }
        self.state_file.write_text(json.dumps(data, indent=2) + "\n")

    # ---- life cycle --------------------------------------------------------------------
    def up(
        self,
        hosts: int | None = None,
        topology: Path | None = None,
        timeout: float = BOOT_TIMEOUT,
        spec: Path | None = None,
        progress: Step = quiet,
    ) -> Lab:
        """Clean leftovers of this name, then boot the hosts and wait until SSH answers.

        With ``spec``, the hosts, zones and inventory are those of an environment spec
        (``mlps.lab.from_spec``). ``progress`` is told each step as it starts. The lab is this
        process's own until ``down`` or the process ends: a lab of the same name that another
        living process holds is refused, never cleaned."""
        if sum(x is not None for x in (hosts, topology, spec)) != 1:
            raise LabError("give one of hosts=N, topology=PATH or spec=PATH")
        spec_lab = None
        if spec is not None:
            from mlps.lab import from_spec

            spec_lab = from_spec.load(spec)
            topo = spec_lab.topology
        else:
            topo = load_topology(topology) if topology is not None else default_topology(hosts or 0)
        preflight()
        self._claim.take()
        try:
            raise_machine_limits(self.log)
            start = time.monotonic()
            progress(f"removing what an earlier lab {self.name} left")
            cleanup.destroy(self.names)
            sources = read_apt_sources()
            progress("preparing the Debian base image (built on first use)")
            base = image.base_rootfs(sources, self.log)
            endpoints = sources.endpoints(image.SUITE)[:RELAY_SLOTS]
        except BaseException:
            self._claim.release()
            raise
        self._topo, self._cuts = topo, {}
        state = self.names.state_dir
        try:
            state.mkdir(parents=True)
            state.chmod(0o700)
            self._save()
            progress("making the SSH key, the networks and the apt relay")
            run(
                [
                    "ssh-keygen",
                    "-q",
                    "-t",
                    "ed25519",
                    "-N",
                    "",
                    "-C",
                    f"mlps-lab-{self.name}",
                    "-f",
                    str(self.key_path),
                ],
                "generating the lab's SSH key",
            )
            net.create_lab(self.names, topo, len(endpoints))
            relay.start(self.names, topo, endpoints)
            guest_sources = _guest_sources(sources.for_suite(image.SUITE), topo, endpoints)
            hosts_file = self._hosts_file(endpoints)
            pubkey = Path(f"{self.key_path}.pub").read_text()
            known = []
            for number, name in enumerate(topo.hosts, 1):
                progress(f"booting {name} ({number}/{len(topo.hosts)})")
                root = host.mount_root(self.names, name, base)
                hostkey = host.personalise(root, name, hosts_file, pubkey, guest_sources)
                known.append(f"{topo.management.members[name]} {hostkey}\n")
                net.create_host(self.names, topo, name, {})
                host.launch(self.names, name)
            (state / "known_hosts").write_text("".join(known))
            if spec_lab is not None:
                self.inventory_path.write_text(from_spec.render_inventory(spec_lab, self.names))
            else:
                inventory.write(self.names, topo)
            progress(f"waiting for SSH on {len(topo.hosts)} host(s)")
            self._wait_ssh(topo.hosts, timeout)
        except LabError as exc:
            tails = self._console_tails()
            self.down()
            raise LabError(f"{exc}\n{tails}" if tails else str(exc)) from exc
        except BaseException:
            self.down()
            raise
        self.log.append(f"{len(topo.hosts)} hosts up in {time.monotonic() - start:.1f} s")
        return self

    def down(self) -> None:
        """Remove everything of this lab (also after a crash); refused while another living
        process holds the lab."""
        self._claim.take()
        try:
            cleanup.destroy(self.names)
            self._topo, self._cuts = None, {}
        finally:
            self._claim.release()

    def leftovers(self) -> list[str]:
        return cleanup.leftovers(self.names)

    def _hosts_file(self, endpoints: list[tuple[str, int]]) -> str:
        topo = self.topology
        lines = ["127.0.0.1\tlocalhost", "::1\tlocalhost ip6-localhost ip6-loopback"]
        lines += [f"{topo.management.members[h]}\t{h}" for h in topo.hosts]
        lines += relay.hosts_lines(topo, endpoints)
        return "\n".join(lines) + "\n"

    def _console_tails(self) -> str:
        tails = []
        for name in self.topology.hosts:
            log = self.names.host_dir(name) / "console.log"
            if log.exists():
                tails.append(f"{name}: " + " | ".join(log.read_text().splitlines()[-5:]))
        return "\n".join(tails)

    # ---- hosts -------------------------------------------------------------------------
    def _check_host(self, name: str) -> None:
        if name not in self.topology.hosts:
            raise LabError(f"no host {name!r} in lab {self.name} (hosts: {', '.join(self.topology.hosts)})")

    def ssh_ready(self, name: str, wait: float = 3.0) -> bool:
        """True when the host's sshd sends its banner on the management address."""
        addr = self.topology.management.members[name]
        cmd = [
            "nsenter",
            f"--net={self.names.netns_path(self.names.lab_netns)}",
            "socat",
            "-u",
            f"TCP:{addr}:22,connect-timeout=1",
            "STDOUT",
        ]
        with subprocess.Popen(  # noqa: S603  fixed tools, lab-made names, argv without a shell
            cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL
        ) as probe:
            out = probe.stdout
            ready = select.select([out], [], [], wait)[0] if out is not None else []
            banner = os.read(out.fileno(), 4) if out is not None and ready else b""
            probe.kill()
        return banner == b"SSH-"

    def _wait_ssh(self, names: list[str], timeout: float) -> None:
        deadline = time.monotonic() + timeout
        waiting = list(names)
        while waiting:
            waiting = [n for n in waiting if not self.ssh_ready(n)]
            if waiting and time.monotonic() > deadline:
                raise LabError(
                    f"SSH on {', '.join(waiting)} did not answer within {timeout:g} s "
                    f"(console logs: {self.names.state_dir}/hosts/*/console.log)"
                )
            if waiting:
                time.sleep(0.1)

    def running(self, name: str) -> bool:
        self._check_host(name)
        return host.running(self.names, name)

    def stop(self, name: str) -> None:
        """Clean power-off; the host's network namespace goes with it."""
        self._check_host(name)
        host.stop(self.names, name)
        net.delete(self.names.host_netns(name))

    def kill(self, name: str) -> None:
        """Power cut: all of the host's processes end at once (its addresses go too)."""
        self._check_host(name)
        host.kill(self.names, name)
        net.delete(self.names.host_netns(name))

    def start(self, name: str, timeout: float = BOOT_TIMEOUT) -> None:
        """Boot a stopped host again (its disk kept) and wait until SSH answers."""
        self._check_host(name)
        if host.running(self.names, name):
            return
        net.delete(self.names.host_netns(name))
        net.create_host(self.names, self.topology, name, self._cuts)
        net.apply_cuts(self.names, self.topology, self._cuts)
        host.launch(self.names, name)
        self._wait_ssh([name], timeout)

    def run(
        self,
        name: str,
        command: str,
        check: bool = True,
        timeout: float = 300,
        input: str | None = None,
    ) -> subprocess.CompletedProcess[str]:
        """Run ``command`` (sh) as root inside the host, without SSH; text output."""
        self._check_host(name)
        proc = host.exec_in(self.names, name, command, timeout, input)
        if check and proc.returncode != 0:
            raise CommandFailed(proc.returncode, f"{name}: {command}", proc.stdout, proc.stderr)
        return proc

    def ssh_command(self, name: str, *remote: str) -> list[str]:
        """argv that runs ``remote`` on the host over SSH from the machine's namespace."""
        self._check_host(name)
        addr = str(self.topology.management.members[name])
        return ["ssh", *inventory.ssh_options(self.names), "-l", "root", addr, *remote]

    # ---- links -------------------------------------------------------------------------
    def cut(self, link: str, mode: str = "drop") -> None:
        """Cut network ``link``: ``down`` pulls the cables, ``drop`` drops silently (both
        ends stay UP, like a failure inside a carrier)."""
        if mode not in ("down", "drop"):
            raise LabError(f"cut mode {mode!r} is not known (use down or drop)")
        self.topology.network(link)
        self._cuts[link] = mode
        net.apply_cuts(self.names, self.topology, self._cuts)
        self._save()

    def heal(self, link: str) -> None:
        """Undo a cut of ``link``."""
        self.topology.network(link)
        self._cuts.pop(link, None)
        net.apply_cuts(self.names, self.topology, self._cuts)
        self._save()

    def status(self) -> list[dict[str, Any]]:
        """One row per host: name, state, management address, networks."""
        rows = []
        for name, lh in self.hosts.items():
            rows.append(
                {
                    "host": name,
                    "state": "running" if host.running(self.names, name) else "stopped",
                    "address": lh.address,
                    "networks": lh.addresses,
                }
            )
        return rows


def _guest_sources(entries: list[AptSource], topo: Topology, endpoints: list[tuple[str, int]]) -> str:
    """The machine's Debian sources; a mirror given by IP address is named by its relay."""
    out = []
    for entry in entries:
        parts = urlsplit(entry.uri)
        try:
            ipaddress.ip_address(entry.host)
        except ValueError:
            out.append(entry)
            continue
        relay_addr = topo.relay_address(endpoints.index((entry.host, entry.port)))
        netloc = f"{relay_addr}:{parts.port}" if parts.port else str(relay_addr)
        uri = urlunsplit(parts._replace(netloc=netloc))
        out.append(AptSource(uri, entry.suites, entry.components, entry.signed_by))
    return render_deb822(out)
