"""Seconds each grading kernel spends in its sandbox set-up (namespaces, allowlisted file system,
own user, loopback), against the seconds per graded notebook.

The set-up is timed in forked processes confined as the kernel factory confines kernels
(``autograder.sandbox.launcher.confine``, with and without the sandbox's options of the grading kernelspec,
through ``tests/sandbox/sandbox_harness.py``); the difference is the sandbox's cost. The per-notebook time is that of a grading run of
the sample class at ``--jobs 1``. Timings only; nothing here is asserted.

    python benchmarks/sandbox_setup.py [--kernels 30] [--students 3] [--assignment 01_optimizers]
"""
import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

from autograder.sandbox import site as kernel_site
from autograder.course import REPO_ROOT, list_notebooks
from autograder.grading.options import Options
from autograder.grading.run import grade
from autograder.commands.samples import SAMPLES_DIR

sys.path.insert(0, str(REPO_ROOT))
from tests.sandbox.sandbox_harness import confined, make_scratch  # the tests' harness, from the checkout

KINDS = ["ada_complete", "ben_partial", "cy_blank"]


def time_confine(scratch, sandboxed):
    """Seconds from the fork to the end of ``confine``, as in a forked kernel (perf_counter is one
    clock for all processes on Linux)."""
    started = time.perf_counter()
    pid, answer = confined(scratch, time.perf_counter, sandboxed)
    confined_at = float(answer.read())
    answer.close()
    os.waitpid(pid, 0)
    kernel_site.release_cgroup(scratch)
    (scratch / "kernel.cgroup").unlink()
    return confined_at - started


def setup_seconds(kernels):
    """Median seconds per kernel from fork to confined, without and with the sandbox, and the
    isolation record."""
    with tempfile.TemporaryDirectory(prefix="course-grade-") as scratch:
        scratch = make_scratch(Path(scratch))
        timings = {sandboxed: statistics.median(time_confine(scratch, sandboxed) for _ in range(kernels))
                   for sandboxed in (False, True)}
        return timings, (scratch / "kernel.isolation").read_text()


def seconds_per_notebook(assignment, students):
    with tempfile.TemporaryDirectory() as folder:
        submissions = Path(folder) / "submitted"
        for index in range(students):
            kind = KINDS[index % len(KINDS)]
            shutil.copytree(SAMPLES_DIR / kind / assignment, submissions / f"{kind}_{index:03d}" / assignment)
        started = time.perf_counter()
        results, _ = grade(submissions, Path(folder) / "out", Options(jobs=1, show_progress=False))
        return (time.perf_counter() - started) / (students * len(list_notebooks(assignment))), results


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kernels", type=int, default=30)
    parser.add_argument("--students", type=int, default=3)
    parser.add_argument("--assignment", default="01_optimizers")
    args = parser.parse_args(argv)
    timings, isolation = setup_seconds(args.kernels)
    per_notebook, results = seconds_per_notebook(args.assignment, args.students)
    cost = timings[True] - timings[False]
    print(f"sandbox: {isolation}; {args.kernels} kernels, {os.cpu_count()} cores\n")
    print(f"fork + confine, no sandbox    {timings[False] * 1000:8.1f} ms per kernel")
    print(f"fork + confine, sandbox       {timings[True] * 1000:8.1f} ms per kernel")
    print(f"sandbox set-up               {cost * 1000:8.1f} ms per kernel")
    print(f"{args.assignment} grading (--jobs 1) {per_notebook:8.2f} s per notebook "
          f"({', '.join(sorted({r.isolation for r in results if r.isolation is not None}))})")
    print(f"\nset-up per kernel / time per notebook: {cost / per_notebook:.2%} (target: at most 10%; a notebook "
          "starts one kernel, plus one per crash or timeout)")


if __name__ == "__main__":
    main()
