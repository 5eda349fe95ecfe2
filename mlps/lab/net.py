"""Network namespaces of a lab: one lab namespace holding a bridge per network, and one
namespace per host joined to those bridges by veth pairs. The lab namespace has no link
to the machine's own namespace, so nothing in the lab can route off the machine.
"""

from __future__ import annotations

import hashlib

from mlps.lab.names import NETNS_DIR, LabNames
from mlps.lab.proc import run
from mlps.lab.topology import Topology

NFT_TABLE = "mlps_lab_cuts"


def bridge(topo: Topology, network: str) -> str:
    return f"br{[n.name for n in topo.networks].index(network)}"


def port(topo: Topology, host: str, network: str) -> str:
    """Name of ``host``'s port on ``network``'s bridge, in the lab namespace (<= 15 chars)."""
    hidx = topo.hosts.index(host) + 1
    nidx = [n.name for n in topo.networks].index(network)
    return f"h{hidx}n{nidx}"


def ports(topo: Topology, network: str) -> list[str]:
    return [port(topo, h, network) for h in topo.network(network).members]


def mac(*parts: str) -> str:
    """A fixed, locally administered MAC address: a host keeps its MACs across restarts,
    so neighbours' ARP caches stay right (as with real network cards)."""
    digest = hashlib.sha256("/".join(parts).encode()).digest()[:5]
    return ":".join(f"{b:02x}" for b in (0x02, *digest))


def _ip(args: list[str], what: str) -> None:
    run(["ip", *args], what)


def owned_netns(names: LabNames) -> list[str]:
    if not NETNS_DIR.is_dir():
        return []
    return sorted(p.name for p in NETNS_DIR.iterdir() if names.owns_netns(p.name))


def create_lab(names: LabNames, topo: Topology, relays: int) -> None:
    """The lab namespace: loopback, one bridge per network, lab and relay addresses on mgmt."""
    ns = names.lab_netns
    _ip(["netns", "add", ns], f"creating network namespace {ns}")
    _ip(["-n", ns, "link", "set", "lo", "up"], "loopback up")
    for net in topo.networks:
        br = bridge(topo, net.name)
        _ip(
            [
                "-n",
                ns,
                "link",
                "add",
                br,
                "address",
                mac(names.lab, net.name),
                "type",
                "bridge",
                "forward_delay",
                "0",
            ],
            f"creating bridge for network {net.name}",
        )
        _ip(["-n", ns, "link", "set", br, "up"], f"bridge of {net.name} up")
    mgmt = topo.management
    br0 = bridge(topo, mgmt.name)
    addresses = [topo.lab_address] + [topo.relay_address(i) for i in range(relays)]
    for addr in addresses:
        _ip(
            ["-n", ns, "addr", "add", mgmt.interface(addr), "dev", br0],
            "address of the lab on the management network",
        )


def create_host(names: LabNames, topo: Topology, host: str, cuts: dict[str, str]) -> None:
    """``host``'s namespace with eth0 (mgmt), eth1… joined to the bridges; cut links stay down."""
    ns, lab = names.host_netns(host), names.lab_netns
    _ip(["netns", "add", ns], f"creating network namespace {ns}")
    _ip(["-n", ns, "link", "set", "lo", "up"], f"loopback of {host} up")
    for ifname, net in topo.interfaces(host):
        p = port(topo, host, net.name)
        # The previous boot's veth pair dies with its namespace, asynchronously: a quick
        # restart can still find the old port, so remove it first (no error if it is gone).
        run(["ip", "-n", lab, "link", "delete", p], f"removing stale {p}", check=False)
        _ip(
            [
                "-n",
                lab,
                "link",
                "add",
                p,
                "type",
                "veth",
                "peer",
                "name",
                ifname,
                "address",
                mac(names.lab, host, net.name),
                "netns",
                ns,
            ],
            f"creating {host}'s {ifname} on {net.name}",
        )
        _ip(["-n", lab, "link", "set", p, "master", bridge(topo, net.name)], f"attaching {p}")
        _ip(
            ["-n", ns, "addr", "add", net.interface(net.members[host]), "dev", ifname],
            f"address of {host} on {net.name}",
        )
        _ip(["-n", ns, "link", "set", ifname, "up"], f"{host}'s {ifname} up")
        if cuts.get(net.name) != "down":
            _ip(["-n", lab, "link", "set", p, "up"], f"{p} up")
    if host in topo.routers:
        run(
            ["ip", "netns", "exec", ns, "sysctl", "-qw", "net.ipv4.ip_forward=1"],
            f"forwarding on {host}",
        )
    for to, via in topo.routes.get(host, []):
        _ip(["-n", ns, "route", "add", str(to), "via", str(via)], f"route of {host} to {to}")


def delete(ns: str) -> None:
    run(["ip", "netns", "delete", ns], f"deleting network namespace {ns}", check=False)


def apply_cuts(names: LabNames, topo: Topology, cuts: dict[str, str]) -> None:
    """Make the lab's links match ``cuts`` (network -> 'down' | 'drop'), atomically for drops."""
    lab = names.lab_netns
    for net in topo.networks:
        state = "down" if cuts.get(net.name) == "down" else "up"
        for p in ports(topo, net.name):
            run(["ip", "-n", lab, "link", "set", p, state], f"setting {p} {state}", check=False)
    rules = []
    for name, mode in sorted(cuts.items()):
        if mode == "drop":
            group = ", ".join(f'"{p}"' for p in ports(topo, name))
            rules.append(f'  iifname {{ {group} }} drop comment "cut {name}"')
    script = [f"table bridge {NFT_TABLE}", f"delete table bridge {NFT_TABLE}"]
    if rules:
        script.append(f"table bridge {NFT_TABLE} {{")
        for hook in ("forward", "input"):
            script.append(f"  chain {hook} {{ type filter hook {hook} priority 0; policy accept;")
            script += [f"  {r}" for r in rules]
            script.append("  }")
        script.append("}")
    run(
        ["ip", "netns", "exec", lab, "nft", "-f", "-"],
        "applying nftables drop rules",
        input="\n".join(script) + "\n",
    )
