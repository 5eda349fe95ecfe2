"""``mlps exit plan``: write the on-prem (or cloud) spec, validate it, print the drill estimate."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml

from mlps.errors import InputError
from mlps.exit.plan import (
    BucketCensus,
    Capacity,
    capacity_problem,
    capacity_warning,
    cloud_spec,
    declared_capacity,
    duration,
    moving_buckets,
    needed_bytes,
    onprem_spec,
    time_warning,
    transfer_times,
)
from mlps.spec import load_spec
from mlps.spec.load import CONFIG_KEY
from mlps.spec.yamlsource import parse, read_text


def census(s3: Any, bucket: str) -> BucketCensus:
    """Objects, versions, delete markers and bytes of ``bucket``; versions that block deleting
    the source (retention in the future, legal hold), with the last date."""
    from mlps.exit.copy import protection, source_settings
    from mlps.exit.s3 import versions

    found = BucketCensus(bucket)
    lock = source_settings(s3, bucket).lock
    now = datetime.now(UTC)
    for group in versions(s3, bucket):
        found.objects += 0 if group[-1].marker else 1
        for entry in group:
            if entry.marker:
                found.markers += 1
                continue
            found.versions += 1
            found.bytes += entry.size
            if not lock:
                continue
            _, until, hold = protection(s3, bucket, entry)
            if until is not None and until > now:
                found.locked += 1
                found.locked_until = max(found.locked_until or until, until)
            found.held += int(hold)
    return found


def plan_drill(spec_path: Path, out: Path | None, endpoint: str | None, profile: str | None,
               capacity_gb: float | None, to: str = "onprem", names: list[str] | None = None) -> int:
    """Do ``mlps exit plan`` towards ``to`` (``onprem`` or ``cloud``, then only the buckets
    ``names`` when given); return the exit status (0 ready, 1 findings or blockers)."""
    from mlps.safe_output import output_dir, write_files
    from mlps.validate import validate

    loaded = load_spec(spec_path)
    layout = loaded.data.get("layout")
    if to == "onprem" and layout == "onprem":
        raise InputError(str(spec_path), "the spec is already on-prem", "give the hybrid spec")
    if to == "cloud" and layout != "hybrid":
        raise InputError(str(spec_path), f"layout {layout}: --to cloud moves on-prem buckets of a "
                         "hybrid spec", "give a hybrid spec (layout hybrid, with its cloud section)")
    raw, _ = parse(read_text(spec_path), str(spec_path))
    if to == "cloud":
        target, moved, refused = cloud_spec(loaded.data, names)
        if refused:
            raise InputError(str(spec_path), refused[0],
                             more=[f"{spec_path}: {line}" for line in refused[1:]])
        direction, verb = "up", "moved to the cloud"
        summary = f"{', '.join(m for m in moved if m.startswith('bucket '))} {verb}"
    else:
        target, moved = onprem_spec(loaded.data)
        direction, verb = "down", "moved on-prem"
        summary = f"every cloud part {verb}"
    stack: dict[str, Any] = {}
    if loaded.prefix and isinstance(raw, dict) and "encryptionsalt" in raw:
        stack["encryptionsalt"] = raw["encryptionsalt"]  # same passphrase decrypts the secrets
    stack["config"] = {CONFIG_KEY: target}
    name = f"Pulumi.{target['name']}.yaml"
    header = (f"# {'Cloud' if to == 'cloud' else 'On-prem'} successor of {loaded.name}, written "
              f"by mlps exit plan --to {to} (CLD-MIG-01): {summary}.\n")
    text = header + yaml.safe_dump(stack, allow_unicode=True, sort_keys=False, width=100)
    out = out or Path(f"exit-{loaded.name}")
    lines = [f"{verb}: {', '.join(moved) or 'nothing (no part to move)'}"]
    status = 0
    buckets = moving_buckets(loaded.data, to, names)
    total = 0
    sizes: list[tuple[int, int]] = []
    if endpoint:
        from mlps.exit.s3 import client, errors

        s3 = client(endpoint, profile, option="--source-endpoint")
        with errors(endpoint, "the source"):
            for bucket in buckets:
                found = census(s3, str(bucket.get("name")))
                total += found.bytes
                sizes.append((found.bytes, int(bucket.get("replicas", 1))))
                lines.append(f"bucket {found.name}: {found.objects} object(s), {found.versions} "
                             f"version(s), {found.markers} delete marker(s), {found.bytes} bytes")
                if found.locked or found.held:
                    until = found.locked_until.date().isoformat() if found.locked_until else "-"
                    lines.append(f"  cannot purge yet: {found.locked} version(s) under retention "
                                 f"until {until} at the latest, {found.held} under legal hold")
        times = transfer_times(total, loaded.data, direction=direction)
        for time in times:
            lines.append(f"copy over {time.name} ({time.mbps:g} Mbit/s {direction}): "
                         f"{duration(time.seconds)}")
        warning = time_warning(times[0].seconds) if times else None
        if warning:
            lines.append(f"warning: {warning} (primary line alone)")
        if not times:
            lines.append("no dedicated line in the spec (links): the copy time is not estimated")
        capacity = (Capacity(capacity_gb, "--capacity-gb") if capacity_gb is not None
                    else declared_capacity(loaded.data))
        needed = needed_bytes(sizes)
        problem = capacity_problem(needed, capacity)
        if to == "cloud" and capacity_gb is None:
            lines.append(f"capacity: needs {needed} bytes (all versions × replicas) in the cloud "
                         "store; its size is the provider's, not checked (or give --capacity-gb)")
        elif capacity is None:
            lines.append(f"capacity: needs {needed} bytes (all versions × replicas); not checked, "
                         "no object_storage host declares capacity_gb (or give --capacity-gb)")
        elif problem:
            lines.append(f"capacity: {problem}")
            status = 1
        else:
            lines.append(f"capacity: needs {needed} bytes of {capacity.gib:g} GiB ({capacity.source})")
            warning = capacity_warning(needed, capacity)
            if warning:
                lines.append(f"warning: {warning}")
        if to == "onprem" and capacity is not None and capacity.undeclared:
            lines.append(f"  note: {', '.join(capacity.undeclared)} declare no capacity_gb "
                         "(counted as 0)")
    else:
        lines.append("no --source-endpoint: objects, bytes and copy time not counted")
    with output_dir(out, "exit-plan") as staging:
        write_files(staging, {name: text, "drill.txt": "\n".join(lines) + "\n"}, "exit-plan")
    result = validate(load_spec(out / name))
    for finding in result.findings:
        lines.append(f"finding {finding.control} {finding.pointer}: {finding.message_en}")
    lines.append(f"{out / name}: {len(result.findings)} finding(s) at level {result.level}")
    print("\n".join(lines))
    return 1 if result.failed else status
