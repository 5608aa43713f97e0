"""What one ``grade`` run leaves on the machine, named after the run, and the clean-up of runs that
ended without removing theirs (killed with ``kill -9``, a lost machine).

Every temporary folder of a run lies in one folder, ``course-run-<pid>-<random>`` in the temporary
directory, which holds a lock (``flock``) while the run lasts; the pids cgroups of its kernels are
named ``course-kernel-<that name>-<kernel pid>``. The system drops the lock of a process that
died, so the next run knows which folders and cgroups nobody uses any more, and removes them.
"""
import contextlib
import fcntl
import os
import shutil
import tempfile
from pathlib import Path

from autograder.sandbox.launcher import PIDS_CGROUP_ROOTS
from autograder.sandbox.site import remove_cgroup

RUN_PREFIX = "course-run-"
# Set in the environment of grading processes (and so of their kernels), which name their pids
# cgroups after it.
RUN_VARIABLE = "COURSE_GRADING_RUN"
LOCK = "lock"


def _is_abandoned(folder):
    """Whether no living process holds the lock of the run folder ``folder``."""
    try:
        with open(folder / LOCK) as handle:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
    except BlockingIOError:
        return False
    except OSError:  # no lock file (yet, or any more): a run being made or removed
        return False


def kernel_cgroups(run_name):
    """The pids cgroups of the kernels of the run ``run_name``."""
    return [group for root in PIDS_CGROUP_ROOTS if Path(root).is_dir()
            for group in Path(root).glob(f"course-kernel-{run_name}-*")]


def remove_abandoned_runs(temporary_dir=None):
    """Remove the folders and cgroups of runs whose process is gone, ending what still runs in
    those cgroups; returns the names of those runs."""
    removed = []
    for folder in Path(temporary_dir or tempfile.gettempdir()).glob(f"{RUN_PREFIX}*"):
        if folder.is_dir() and _is_abandoned(folder):
            for group in kernel_cgroups(folder.name):
                remove_cgroup(group)
            shutil.rmtree(folder, ignore_errors=True)
            removed.append(folder.name)
    return removed


@contextlib.contextmanager
def grading_run():
    """The folder of a new run, locked while it lasts, that every temporary folder this process
    makes meanwhile goes into; removed at the end with the run's cgroups. What abandoned runs
    left is removed first."""
    remove_abandoned_runs()
    folder = Path(tempfile.mkdtemp(prefix=f"{RUN_PREFIX}{os.getpid()}-"))
    lock = open(folder / LOCK, "w")
    fcntl.flock(lock, fcntl.LOCK_EX)
    saved = tempfile.tempdir, os.environ.get(RUN_VARIABLE)
    tempfile.tempdir, os.environ[RUN_VARIABLE] = str(folder), folder.name
    try:
        yield folder
    finally:
        tempfile.tempdir = saved[0]
        if saved[1] is None:
            os.environ.pop(RUN_VARIABLE, None)
        else:
            os.environ[RUN_VARIABLE] = saved[1]
        for group in kernel_cgroups(folder.name):
            remove_cgroup(group)
        shutil.rmtree(folder, ignore_errors=True)
        lock.close()
