"""Output directories that never destroy what mlps did not write.

Every command that writes a directory builds it in a staging directory beside the target and
publishes it by rename. An existing target is replaced only when it is empty or carries the
marker file the same command wrote there; anything else is refused before it is touched:
``/``, the home directory (and its parents), the current directory and its parents, the
project root, a symbolic link (never followed), an existing file, a non-empty directory
without the marker.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import stat
import tempfile
from collections.abc import Iterator, Mapping
from pathlib import Path, PurePosixPath

from mlps.errors import InputError

MARKER = ".mlps-output"
_MARKER_MAX = 1 << 20


def _refuse(target: Path, why: str, option: str) -> InputError:
    return InputError(str(target), why, f"choose a new or empty directory for {option}")


def _protected() -> dict[Path, str]:
    """Directories never to be replaced, and the ones above them, each with its reason."""
    places: dict[Path, str] = {Path("/"): "is the root directory"}
    with contextlib.suppress(RuntimeError, KeyError):  # $HOME, else the password database
        places[Path.home().resolve()] = "is the home directory"
    starts = [Path(__file__).resolve().parent]
    with contextlib.suppress(OSError):  # a removed current directory has no path
        starts.append(Path.cwd().resolve())
        places[starts[-1]] = "is the current directory"
    for start in starts:
        for candidate in (start, *start.parents):
            if (candidate / "Pulumi.yaml").is_file() and (candidate / "mlps").is_dir():
                places.setdefault(candidate, "is the project root")
    out: dict[Path, str] = {}
    for place, why in places.items():
        out.setdefault(place, why)
        for parent in place.parents:
            out.setdefault(parent, f"holds {place} ({why.removeprefix('is ')})")
    return out


def read_marker(directory: Path) -> dict[str, object] | None:
    """The marker of an mlps output directory (a regular file, never a link), or None."""
    try:
        fd = os.open(directory / MARKER, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError:
        return None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return None
        data = os.read(fd, _MARKER_MAX)
    finally:
        os.close(fd)
    try:
        marker = json.loads(data)
    except (ValueError, RecursionError):
        return None
    return marker if isinstance(marker, dict) and isinstance(marker.get("mlps"), str) else None


def check_target(target: Path, kind: str, option: str = "--out") -> bool:
    """Raise InputError unless ``target`` may become ``kind``'s output; True if it exists."""
    try:
        info = os.lstat(target)
    except FileNotFoundError:
        info = None
    except OSError as exc:
        raise _refuse(target, f"cannot be inspected: {exc.strerror}", option) from None
    if info is not None and stat.S_ISLNK(info.st_mode):
        raise _refuse(target, "is a symbolic link (never followed)", option)
    special = target.name in ("", ".", "..")
    resolved = target.resolve() if special else target.parent.resolve() / target.name
    why = _protected().get(resolved)
    if why:
        raise _refuse(target, why, option)
    if info is None:
        return False
    if not stat.S_ISDIR(info.st_mode):
        raise _refuse(target, "exists and is not a directory", option)
    marker = read_marker(target)
    if marker is not None and marker.get("mlps") == kind:
        listed = marker.get("files")
        known = {f for f in listed if isinstance(f, str)} if isinstance(listed, list) else set()
        foreign = sorted(set(_tree_files(target)) - known)
        if foreign:
            shown = ", ".join(foreign[:3]) + (", …" if len(foreign) > 3 else "")
            raise _refuse(target, f"holds files mlps {kind} did not write ({shown})", option)
        return True
    try:
        empty = not any(os.scandir(target))
    except OSError as exc:
        raise _refuse(target, f"cannot be listed: {exc.strerror}", option) from None
    if not empty:
        raise _refuse(target, f"is not empty and was not written by mlps {kind}", option)
    return True


def _tree_files(root: Path, top: bool = True) -> list[str]:
    """Every entry below ``root`` that is not a directory (links not followed), relative to it;
    the top-level marker left out."""
    out: list[str] = []
    try:
        entries = list(os.scandir(root))
    except OSError:
        return ["(unreadable)"]  # cannot be listed: never taken for the output it claims to be
    for entry in entries:
        if entry.is_dir(follow_symlinks=False):
            out += [f"{entry.name}/{rel}" for rel in _tree_files(Path(entry.path), top=False)]
        elif not (top and entry.name == MARKER):
            out.append(entry.name)
    return out


def write_marker(directory: Path, kind: str, files: list[str]) -> None:
    """Mark ``directory`` as ``kind``'s output, listing the files it wrote there."""
    body = json.dumps({"mlps": kind, "files": sorted(files)}, indent=1) + "\n"
    write_new(directory / MARKER, body.encode("utf-8"))


def marked_files(directory: Path, kind: str) -> list[str] | None:
    """The files ``kind`` listed in its marker in ``directory``, or None when not its output."""
    marker = read_marker(directory)
    listed = marker.get("files") if marker is not None else None
    if marker is None or marker.get("mlps") != kind or not isinstance(listed, list):
        return None
    return [f for f in listed if isinstance(f, str) and _inside(f)]


def _inside(rel: str) -> bool:
    pure = PurePosixPath(rel)
    return bool(rel) and not pure.is_absolute() and ".." not in pure.parts and rel != MARKER


def write_new(path: Path, data: bytes, mode: int = 0o644) -> None:
    """Create ``path`` (it must not exist; a link there is not followed) holding ``data``."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, mode)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)


def write_files(root: Path, files: Mapping[str, bytes | str], kind: str) -> None:
    """Write ``files`` (relative path → content) under the fresh ``root``, then its marker."""
    for rel, content in sorted(files.items()):
        if not _inside(rel):
            raise ValueError(f"output path {rel!r} leaves its directory")
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        write_new(path, content.encode("utf-8") if isinstance(content, str) else content)
    write_marker(root, kind, list(files))


def replace_file(path: Path, data: bytes, option: str = "--output", mode: int = 0o600) -> None:
    """Write the file ``path`` completely or not at all (a new file renamed over it).

    Only a regular file is replaced: a directory, link, device, FIFO or socket is refused.
    """
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        info = None
    except OSError as exc:
        raise InputError(str(path), f"cannot be inspected: {exc.strerror}",
                         f"choose another {option}") from None
    if info is not None and not stat.S_ISREG(info.st_mode):
        kind = "a directory" if stat.S_ISDIR(info.st_mode) else "not a regular file"
        raise InputError(str(path), f"is {kind}", f"give a file name for {option}")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    except OSError as exc:
        raise InputError(str(path), f"cannot write here: {exc.strerror}",
                         f"choose a writable place for {option}") from None
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)  # our own mkstemp file
        raise


def _copy_tree(source: Path, dest: Path) -> None:
    """Copy the regular files and directories of a marked output (links are left out)."""
    for entry in os.scandir(source):
        if entry.name == MARKER:
            continue
        if entry.is_dir(follow_symlinks=False):
            (dest / entry.name).mkdir(mode=0o700)
            _copy_tree(Path(entry.path), dest / entry.name)
        elif entry.is_file(follow_symlinks=False):
            info = entry.stat(follow_symlinks=False)
            fd = os.open(entry.path, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
            with os.fdopen(fd, "rb") as handle:
                write_new(dest / entry.name, handle.read(), stat.S_IMODE(info.st_mode))


def _publish(staging: Path, target: Path, existed: bool) -> None:
    """Put ``staging`` at ``target`` by rename; a replaced output is removed only after."""
    if not existed:
        os.rename(staging, target)  # fails if something appeared there meanwhile
        return
    trash = Path(tempfile.mkdtemp(prefix=f".{target.name}.old.", dir=target.parent))
    os.rename(target, trash / "previous")
    try:
        os.rename(staging, target)
    except OSError:
        os.rename(trash / "previous", target)
        raise
    shutil.rmtree(trash, ignore_errors=True)  # the marked output renamed away just above


@contextlib.contextmanager
def output_dir(target: Path, kind: str, *, option: str = "--out", mode: int = 0o755,
               keep: bool = False) -> Iterator[Path]:
    """Yield a staging directory beside ``target``; publish it there when the block succeeds.

    ``keep`` starts the staging directory as a copy of the previous output (for outputs that
    grow, such as the PKI directory). The block writes its own marker with write_files or
    write_marker; one listing every file it left is written if it did not. A previous output
    holding a file its marker does not list (something a person added) is refused, not lost.
    """
    existed = check_target(target, kind, option)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.new.", dir=target.parent))
    except OSError as exc:
        raise _refuse(target, f"cannot write here: {exc.strerror}", option) from None
    try:
        if keep and existed:
            _copy_tree(target, staging)
        yield staging
        if read_marker(staging) is None:
            write_marker(staging, kind, _tree_files(staging))
        os.chmod(staging, mode)
        check_target(target, kind, option)  # unchanged while we built
        _publish(staging, target, existed)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)  # our own mkdtemp directory
        raise
