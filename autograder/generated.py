"""Folders that a command writes: it overwrites or deletes only what it wrote itself, unchanged.

A command that regenerates a folder (``release`` into ``assignments/``, ``samples`` into
``autograder/samples/``) records the SHA-256 of every file it wrote in ``.generated.json`` at the
folder's root. The next run compares each file on disk with that record before touching it:

- a file it wrote and nobody changed is rewritten (or deleted when no longer generated);
- a file somebody changed (a student's filled-in notebook) or put there (``notes.txt``) at a path
  the command wants to write is a conflict: the command stops before writing anything and says
  which files and why, unless forced;
- a file it never wrote at a path it does not want (``notes.txt``, ``.ipynb_checkpoints/``) is
  never touched, forced or not.
"""
import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from autograder.course import CourseError

MANIFEST = ".generated.json"


def digest(data):
    """SHA-256 hex digest of ``data`` (bytes)."""
    return hashlib.sha256(data).hexdigest()


class EditedFilesError(CourseError):
    """The command would overwrite or delete files that it did not write or that were changed since."""


@dataclass
class Plan:
    """What one run will do to a folder; ``conflicts`` maps a relative path to the reason it is one."""

    write: dict = field(default_factory=dict)  # relative path -> bytes
    delete: list = field(default_factory=list)
    conflicts: dict = field(default_factory=dict)


def read_manifest(root):
    """The recorded digests of ``root``: relative POSIX path -> SHA-256 (empty when none)."""
    path = Path(root) / MANIFEST
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}


def plan(root, wanted, in_scope, command):
    """Compare ``wanted`` (relative path -> bytes) with the files under ``root`` and the record.

    ``in_scope(relative)`` says which recorded files this run regenerates (and so may delete when
    they are no longer wanted); ``command`` names the command in the reasons.
    """
    root, recorded, result = Path(root), read_manifest(root), Plan()
    for relative, data in sorted(wanted.items()):
        path = root / relative
        if not path.is_file():
            result.write[relative] = data
            continue
        current = digest(path.read_bytes())
        if current == digest(data):
            continue
        result.write[relative] = data
        if relative not in recorded:
            result.conflicts[relative] = f"{command} did not write it"
        elif recorded[relative] != current:
            result.conflicts[relative] = f"changed since {command} wrote it"
    for relative in sorted(set(recorded) - set(wanted)):
        path = root / relative
        if not in_scope(relative) or not path.is_file():
            continue
        result.delete.append(relative)
        if digest(path.read_bytes()) != recorded[relative]:
            result.conflicts[relative] = f"changed since {command} wrote it, and no longer generated"
    return result


WORK_ELSEWHERE = ("Work in your own copy instead (python -m cs_utils start), move these files away, or run again "
                  "with --force to replace them.")


def apply(root, wanted, in_scope, command, force=False, advice=WORK_ELSEWHERE):
    """Bring ``root`` to ``wanted`` (relative path -> bytes) as ``plan`` describes; returns the plan.

    Raises EditedFilesError, before writing anything, when the plan has conflicts and ``force`` is
    false; its message ends with ``advice``. Files neither wanted nor recorded are left alone even
    when forced.
    """
    root = Path(root)
    result = plan(root, wanted, in_scope, command)
    if result.conflicts and not force:
        lines = "\n".join(f"  {root / relative}: {why}" for relative, why in result.conflicts.items())
        raise EditedFilesError(
            f"{command} would overwrite or delete {len(result.conflicts)} file(s) it did not generate:\n{lines}\n"
            f"Nothing was changed. {advice}")
    for relative, data in result.write.items():
        (root / relative).parent.mkdir(parents=True, exist_ok=True)
        (root / relative).write_bytes(data)
    for relative in result.delete:
        (root / relative).unlink()
    recorded = {relative: value for relative, value in read_manifest(root).items()
                if not in_scope(relative) and relative not in wanted and (root / relative).is_file()}
    recorded.update({relative: digest(data) for relative, data in wanted.items()})
    write_manifest(root, recorded)
    return result


def write_manifest(root, recorded):
    """Write the record atomically, sorted, so that an unchanged folder gives an unchanged file."""
    path = Path(root) / MANIFEST
    text = json.dumps(dict(sorted(recorded.items())), indent=1) + "\n"
    if path.is_file() and path.read_text(encoding="utf-8") == text:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    partial.write_text(text, encoding="utf-8")
    os.replace(partial, path)
