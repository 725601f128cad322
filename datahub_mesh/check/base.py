"""The mesh as it was at the base of a pull request, and which of its files changed.

`--base REF` reads the base from git (`git archive`, so the work tree is left alone);
`--base-dir DIR` takes a directory that holds the base's mesh root.
"""

import functools
import hashlib
import io
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from datahub_mesh.spec.loader import DOMAINS_FILE, GOVERNANCE_FILE, PRODUCT_FILES

GLOBAL_FILES = (DOMAINS_FILE, GOVERNANCE_FILE)


class BaseError(Exception):
    """The base cannot be read: a bad ref, not a git repository, a missing directory."""


@dataclass
class Base:
    """Where the base mesh (and, from git, the base policies) were put; None when absent at the base."""

    label: str
    mesh: Path | None
    rego: Path | None = None
    rego_known: bool = False
    _tmp: tempfile.TemporaryDirectory | None = field(default=None, repr=False)

    def close(self) -> None:
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None


def git_toplevel(path: Path) -> Path | None:
    try:
        out = _git(path, "rev-parse", "--show-toplevel")
    except BaseError:
        return None
    return Path(out.strip()).resolve()


def _git(cwd: Path, *args: str, binary: bool = False):
    try:
        done = subprocess.run(["git", *args], cwd=str(cwd), capture_output=True, check=False)
    except FileNotFoundError as e:
        raise BaseError("git is not installed: install git, or give the base checkout with --base-dir") from e
    if done.returncode != 0:
        raise BaseError(done.stderr.decode("utf-8", "replace").strip() or f"git {' '.join(args)} failed")
    return done.stdout if binary else done.stdout.decode("utf-8", "replace")


def from_git(mesh: Path, ref: str, rego_dir: Path | None = None) -> Base:
    mesh = mesh.resolve()
    top = git_toplevel(mesh)
    if top is None:
        raise BaseError(f"{mesh} is not inside a git work tree: --base needs git; use --base-dir for a checkout of the base")
    try:
        commit = _git(top, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}").strip()
    except BaseError:
        raise BaseError(f"base {ref!r} is not a commit of the repository at {top}: fetch it first "
                        f"(actions/checkout with fetch-depth: 0) or name an existing branch, tag or commit") from None
    wanted: dict[str, str] = {"mesh": _inside(mesh, top) or "."}
    rego = _inside(rego_dir.resolve(), top) if rego_dir is not None else None
    if rego is not None:
        wanted["rego"] = rego
    tmp = tempfile.TemporaryDirectory(prefix="datahub-mesh-base-")
    base = Base(label=f"{ref} ({commit[:12]})", mesh=None, _tmp=tmp, rego_known="rego" in wanted)
    try:
        for key, rel in wanted.items():
            target = Path(tmp.name) / key
            present = _extract(top, commit, rel, target)
            setattr(base, key, (target / rel if rel != "." else target) if present else None)
    except BaseException:
        base.close()
        raise
    return base


def _inside(path: Path, top: Path) -> str | None:
    try:
        rel = path.resolve().relative_to(top)
    except ValueError:
        return None
    return rel.as_posix() or "."


def _extract(top: Path, commit: str, rel: str, target: Path) -> bool:
    """Write the tree at commit:rel under target; False when it did not exist at that commit."""
    kind = subprocess.run(["git", "cat-file", "-t", f"{commit}:{'' if rel == '.' else rel}"], cwd=str(top),
                          capture_output=True, check=False)
    if kind.returncode != 0 or kind.stdout.strip() != b"tree":
        return False
    archive = _git(top, "archive", "--format=tar", commit, "--", rel, binary=True)
    target.mkdir(parents=True, exist_ok=True)
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        if hasattr(tarfile, "data_filter"):  # Python 3.10.12+, 3.11.4+: refuse links and paths leaving target
            tar.extractall(target, filter="data")
        else:
            tar.extractall(target, members=[m for m in tar.getmembers() if m.isfile() or m.isdir()])
    return True


def from_dir(directory: Path) -> Base:
    if not directory.is_dir():
        raise BaseError(f"--base-dir {directory} is not a directory: give the base's mesh root")
    return Base(label=str(directory), mesh=directory.resolve())


# --- what changed ---------------------------------------------------------------------------


def product_files(spec_file: Path) -> list[Path]:
    """A product's files: its spec and the other files beside it (its checks.yml, ...), not sub-folders."""
    siblings = [p for p in spec_file.parent.iterdir() if p.is_file() and p.name not in PRODUCT_FILES]
    return [spec_file, *sorted(siblings)]


def differs(head_root: Path, base_root: Path | None, rel: str) -> bool:
    head, base = head_root / rel, (base_root / rel if base_root else None)
    if base is None or not base.is_file():
        return head.is_file()
    if not head.is_file():
        return True
    return _digest(head) != _digest(base)


def tree_differs(head: Path | None, base: Path | None) -> bool:
    if head is None or base is None:
        return head is not base
    return _tree_digests(head) != _tree_digests(base)


def _tree_digests(root: Path) -> dict[str, str]:
    if not root.is_dir():
        return {}
    return {p.relative_to(root).as_posix(): _digest(p) for p in sorted(root.rglob("*")) if p.is_file()}


def forget_files() -> None:
    """Start a run afresh: files may have changed since the last one in this process."""
    _digest.cache_clear()


@functools.cache
def _digest(path: Path) -> str:
    """Each file is read once per run (see forget_files)."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def changed_global_files(head_root: Path, base_root: Path | None) -> set[str]:
    return {name for name in GLOBAL_FILES if differs(head_root, base_root, name)}
