"""Which code made a result row: the commit, a hash of the library files that change
results, and a refusal to write rows from an uncommitted tree (the experiment scripts of
chapters 5 and 10; the chapters say when their rows are older than the library)."""
import hashlib
import os
import platform
import subprocess
from pathlib import Path

import torch

__all__ = ["RESULT_FILES", "library_hash", "git", "uncommitted", "DirtyTreeError",
           "row_provenance", "stale_rows"]

ROOT = Path(__file__).resolve().parents[1]
#: The library files whose change can change a trained number (plots, widgets, diagrams,
#: prose and checkers cannot).
RESULT_FILES = ("averaging.py", "config.py", "data.py", "feedback.py", "metrics.py",
                "models.py", "rules.py", "training.py")
#: The folders a published row must come from unchanged.
WATCHED = ("dfa_helpers", "experiments")


class DirtyTreeError(RuntimeError):
    """An experiment was asked to write rows from a tree with uncommitted changes."""


def library_hash(folder=None):
    """The first 12 hex digits of a SHA-256 over :data:`RESULT_FILES` (name and bytes)."""
    folder = Path(folder) if folder else Path(__file__).resolve().parent
    digest = hashlib.sha256()
    for name in RESULT_FILES:
        digest.update(name.encode() + b"\0" + (folder / name).read_bytes())
    return digest.hexdigest()[:12]


def git(*args, cwd=ROOT):
    """Output of a git command in the repository; '' when git or the repository is missing."""
    try:
        out = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True,
                             timeout=20)
    except (OSError, subprocess.SubprocessError):
        return ""
    return out.stdout.strip() if out.returncode == 0 else ""


def uncommitted(paths=WATCHED, cwd=ROOT):
    """``git status --porcelain`` lines for changed or untracked files under ``paths``
    (ignored files such as ``__pycache__`` excluded): empty when they match the commit."""
    out = git("status", "--porcelain", "--untracked-files=all", "--", *paths, cwd=cwd)
    return [line for line in out.splitlines() if line.strip()]


def row_provenance(threads, allow_dirty=False, cwd=ROOT):
    """The columns ``commit, lib_hash, machine, threads, torch`` of a result row.

    Raises :class:`DirtyTreeError` when ``dfa_helpers/`` or ``experiments/`` differ from
    the commit, unless ``allow_dirty`` (then the commit gets ``+dirty``, and such rows
    are never published: a test refuses them in ``results/``).
    """
    commit = git("rev-parse", "--short=7", "HEAD", cwd=cwd)
    if not commit:
        raise DirtyTreeError("not a git repository: a result row must name its commit")
    changes = uncommitted(cwd=cwd)
    if changes:
        if not allow_dirty:
            raise DirtyTreeError(
                f"uncommitted changes under {' and '.join(WATCHED)}: commit them first, "
                "or pass --allow-dirty for rows that will not be published:\n  "
                + "\n  ".join(changes[:10]))
        commit += "+dirty"
    cpu = platform.processor() or platform.machine()
    try:
        cpu = next(line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo")
                   if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return dict(commit=commit, lib_hash=library_hash(), machine=f"{cpu}, {os.cpu_count()} cores",
                threads=threads, torch=torch.__version__)


def stale_rows(rows):
    """The rows (dicts with a ``lib_hash``) made with library files that differ from the
    current ones in :data:`RESULT_FILES`; a chapter prints a note when there are any."""
    current = library_hash()
    return [r for r in rows if r.get("lib_hash") != current]
