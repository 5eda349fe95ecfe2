"""``mlps exit``: leave the cloud (下云) as a drill — plan, run, verify, purge (CLD-MIG-01, CLD-CSP-04)."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from mlps.cli import app
from mlps.cli.common import EXIT_FINDINGS, EXIT_OK, Command, user_errors
from mlps.errors import InputError
from mlps.progress import stderr_console, steps

if TYPE_CHECKING:
    from rich.console import Console

exit_app = typer.Typer(help="Leave the cloud (下云) as a repeatable drill: plan, run, verify, purge.",
                       no_args_is_help=True, rich_markup_mode=None)
app.add_typer(exit_app, name="exit")

Url = Annotated[str, typer.Option(metavar="URL", help="S3 endpoint URL.")]
Buckets = Annotated[list[str] | None, typer.Option(
    "--bucket", metavar="BUCKET", help="Bucket to move (repeat; default: every source bucket).")]
Profile = Annotated[str | None, typer.Option(
    metavar="NAME", help="AWS profile holding the keys (default: the AWS_* variables).")]


@exit_app.command("plan", cls=Command)
@user_errors
def plan(
    spec: Annotated[Path, typer.Option(metavar="SPEC", help="Pulumi.<env>.yaml of the hybrid environment.")],
    to: Annotated[str, typer.Option(metavar="SIDE", help="Where to move: onprem (leave the cloud) "
                                    "or cloud (on-prem buckets into the cloud).")] = "onprem",
    bucket: Annotated[list[str] | None, typer.Option(
        "--bucket", metavar="BUCKET", help="With --to cloud: on-prem bucket to move (repeat; "
        "default: every on-prem bucket).")] = None,
    out: Annotated[Path | None, typer.Option(metavar="DIR", help="Output directory.")] = None,
    source_endpoint: Annotated[str | None, typer.Option(
        metavar="URL", help="S3 endpoint of the side the data leaves, to count objects, versions "
        "and bytes.")] = None,
    source_profile: Profile = None,
    capacity_gb: Annotated[float | None, typer.Option(
        metavar="GIB", help="Raw capacity of the target object storage, in GiB (overrides the "
        "spec's hosts[].capacity_gb when leaving the cloud).")] = None,
) -> None:
    """Write the target spec, validate it at the spec's level, and print the drill estimate."""
    from mlps.exit.drill import plan_drill

    if to not in ("onprem", "cloud"):
        raise InputError("--to", f"'{to}' is not a side mlps can move to", "use --to onprem or --to cloud")
    if bucket and to != "cloud":
        raise InputError("--bucket", "leaving the cloud moves every cloud bucket",
                         "use --bucket with --to cloud")
    if capacity_gb is not None and not capacity_gb > 0:
        raise InputError("--capacity-gb", f"{capacity_gb:g} is not a capacity", "give GiB above 0")
    raise typer.Exit(plan_drill(spec, out, source_endpoint, source_profile, capacity_gb, to, bucket))


@exit_app.command("run", cls=Command)
@user_errors
def run(
    source_endpoint: Url,
    target_endpoint: Url,
    journal: Annotated[Path, typer.Option(metavar="FILE", help="SQLite journal (resume: same file).")],
    bucket: Buckets = None,
    max_mbps: Annotated[float | None, typer.Option(metavar="N", help="Read at most N Mbit/s.")] = None,
    concurrency: Annotated[int, typer.Option(metavar="N", help="Keys copied at once.")] = 4,
    part_size_mib: Annotated[int, typer.Option(
        metavar="MIB", help="Versions larger than this go by multipart upload in parts of this "
        "size (5 to 5120 MiB).")] = 64,
    source_profile: Profile = None,
    target_profile: Profile = None,
) -> None:
    """Copy every object version into the target; a killed run resumes from the journal."""
    from mlps.exit.copy import (
        MIB,
        Copier,
        RateLimit,
        bucket_bytes,
        copy_bucket,
        prepare_target,
        source_settings,
    )
    from mlps.exit.journal import Journal
    from mlps.exit.s3 import errors

    if concurrency < 1 or concurrency > 64 or (max_mbps is not None and max_mbps <= 0):
        raise InputError("--concurrency/--max-mbps", "out of range", "concurrency 1 to 64, max-mbps above 0")
    if not 5 <= part_size_mib <= 5120:
        raise InputError("--part-size-mib", f"{part_size_mib} is out of range",
                         "give 5 to 5120 (S3 parts are 5 MiB to 5 GiB)")
    src, dst, names = _clients(source_endpoint, target_endpoint, source_profile, target_profile, bucket)
    if journal.is_symlink() or (journal.exists() and not journal.is_file()):
        raise InputError(str(journal), "is not a regular file", "give a journal file name")
    book = Journal(journal)
    limit = RateLimit(max_mbps)
    try:
        book.bind(source_endpoint, target_endpoint)
        with errors(f"{source_endpoint} → {target_endpoint}", "copy"):
            for name in names:
                settings = source_settings(src, name)
                prepare_target(dst, name, settings, target_endpoint)
                for note in settings.notes:
                    print(f"mlps: note: {note}", file=sys.stderr)
                console = stderr_console()
                total = bucket_bytes(src, name) if console is not None else None
                with _progress(name, total, console) as advance:
                    copier = Copier(src, dst, name, book, settings, limit, advance,
                                    part_size_mib * MIB)
                    copy_bucket(copier, concurrency)
                for note in copier.notes:
                    print(f"mlps: note: {note}", file=sys.stderr)
                print(f"{name}: {copier.copied} version(s) copied, {copier.recovered} recovered "
                      f"from an interrupted run, {copier.skipped} already done")
    finally:
        book.close()


@exit_app.command("verify", cls=Command)
@user_errors
def verify(
    source_endpoint: Url,
    target_endpoint: Url,
    out: Annotated[Path, typer.Option(metavar="DIR", help="Where the manifest goes.")],
    bucket: Buckets = None,
    source_profile: Profile = None,
    target_profile: Profile = None,
) -> None:
    """Compare every version on both sides; write the manifest and its SHA-256. Exit 0 when all
    match, 1 naming each missing, extra, duplicated, altered or weakened version."""
    import hashlib

    from mlps.exit.copy import source_settings
    from mlps.exit.purge import DIGEST, MANIFEST
    from mlps.exit.s3 import errors
    from mlps.exit.verify import HEADER, Tally, verify_bucket
    from mlps.safe_output import output_dir, write_marker

    src, dst, names = _clients(source_endpoint, target_endpoint, source_profile, target_profile, bucket)
    tally = Tally()
    with output_dir(out, "exit-verify") as staging, \
            errors(f"{source_endpoint} ↔ {target_endpoint}", "verify"):
        with open(staging / MANIFEST, "w", encoding="utf-8", newline="\n") as manifest:
            manifest.write(f"{HEADER}\tsource={source_endpoint}\ttarget={target_endpoint}\t"
                           f"buckets={','.join(names)}\n")
            with steps() as step:  # on a terminal only; gone before the result lines
                for n, name in enumerate(names, 1):
                    step(f"verifying {name} ({n}/{len(names)}): every version on both sides")
                    verify_bucket(src, dst, name, source_settings(src, name).lock, manifest, tally)
        digest = hashlib.sha256((staging / MANIFEST).read_bytes()).hexdigest()
        (staging / DIGEST).write_text(f"{digest}  {MANIFEST}\n", encoding="utf-8")
        write_marker(staging, "exit-verify", [MANIFEST, DIGEST])
    counts = ", ".join(f"{n} {status}" for status, n in sorted(tally.counts.items())) or "0 versions"
    for line in tally.problems[:100]:
        print(line)
    if len(tally.problems) > 100:
        print(f"… and {len(tally.problems) - 100} more in {out / MANIFEST}")
    print(f"verify: {counts}; manifest {out / MANIFEST} sha256 {digest}")
    raise typer.Exit(EXIT_FINDINGS if tally.problems else EXIT_OK)


@exit_app.command("purge", cls=Command)
@user_errors
def purge(
    source_endpoint: Url,
    target_endpoint: Url,
    manifest: Annotated[Path, typer.Option(metavar="DIR", help="--out directory of a passing verify.")],
    out: Annotated[Path, typer.Option(metavar="DIR", help="Where the record of deletions goes.")],
    yes_delete_source: Annotated[bool, typer.Option(
        "--yes-delete-source/--keep-source",
        help="Confirm: delete the source versions the manifest lists (default: keep).")] = False,
    source_profile: Profile = None,
    target_profile: Profile = None,
) -> None:
    """Delete the source versions a passing verify vouched for; record what is locked until when."""
    from mlps.exit.purge import check_unchanged, load_manifest, purge_bucket
    from mlps.exit.s3 import errors
    from mlps.safe_output import output_dir

    checked = load_manifest(manifest)
    if (checked.source, checked.target) != (source_endpoint, target_endpoint):
        raise InputError(str(manifest), f"verified {checked.source} → {checked.target}, not these "
                         "endpoints", "verify these endpoints first")
    if not yes_delete_source:
        raise InputError("mlps exit purge", "deleting the source needs confirmation",
                         "add --yes-delete-source")
    names = sorted({r["bucket"] for r in checked.rows})
    src, dst, _ = _clients(source_endpoint, target_endpoint, source_profile, target_profile, names)
    status: dict[str, int] = {}
    with output_dir(out, "exit-purge") as staging, errors(source_endpoint, "purge"):
        lines: list[str] = []
        with steps() as step, open(staging / "purge.tsv", "w", encoding="utf-8",
                                   newline="\n") as record:
            current = {}
            for name in names:
                step(f"checking {name} against the manifest")
                current[name] = check_unchanged(src, dst, checked, name)
            for n, name in enumerate(names, 1):
                step(f"purging {name} ({n}/{len(names)})")
                for state, line in purge_bucket(src, checked, name, current[name], record):
                    status[state] = status.get(state, 0) + 1
                    if state in ("locked", "refused"):
                        lines.append(line)
        for line in lines:
            print(line)
    print("purge: " + ", ".join(f"{n} {s}" for s, n in sorted(status.items())) + f"; record {out}")
    raise typer.Exit(EXIT_FINDINGS if status.get("locked") or status.get("refused") else EXIT_OK)


def _clients(source: str, target: str, source_profile: str | None, target_profile: str | None,
             wanted: list[str] | None) -> tuple[Any, Any, list[str]]:
    """Both clients, checked to answer with their credentials, and the buckets to move."""
    from mlps.exit.s3 import buckets, client, errors

    src = client(source, source_profile, option="--source-endpoint")
    dst = client(target, target_profile, option="--target-endpoint")
    with errors(source, "the source"):
        present = buckets(src)
    with errors(target, "the target"):
        buckets(dst)
    missing = [b for b in wanted or [] if b not in present]
    if missing:
        raise InputError(source, f"no bucket {missing[0]} at the source", "check --bucket")
    return src, dst, list(wanted or present)


@contextmanager
def _progress(name: str, total: int | None,
              console: Console | None) -> Iterator[Callable[[int], None]]:
    """A rich progress bar (bytes/s, ETA) on standard error when it is a terminal; nothing
    otherwise, so standard output carries only the per-bucket result lines."""
    if total is None or console is None:
        yield lambda _size: None
        return
    from rich.progress import (
        BarColumn,
        DownloadColumn,
        Progress,
        TimeRemainingColumn,
        TransferSpeedColumn,
    )

    with Progress("[progress.description]{task.description}", BarColumn(), DownloadColumn(),
                  TransferSpeedColumn(), TimeRemainingColumn(), console=console) as bar:
        task = bar.add_task(name, total=total)
        yield lambda size: bar.advance(task, size)

