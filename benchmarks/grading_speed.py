"""Seconds per graded notebook: our grader at --jobs 1 and --jobs 2, and on a local Dask cluster of
2 workers, vs plain `nbgrader autograde`, and the floor: the same notebooks executed one after the
other by a bare kernel (nbclient), with no grading at all.

Builds a synthetic class from the sample class (complete, partial and blank students, repeated),
grades it each way and prints a table and the ratios the grader is held to. Every figure is the
wall time of the whole run, start-up included. Timings only; nothing here is asserted.

    python benchmarks/grading_speed.py [--students 12] [--assignment 01_optimizers] [--no-dask]
"""
import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from autograder.course import GRADING_ENVIRONMENT, SOLUTIONS_DIR, list_notebooks, put_interpreter_on_path
from autograder.grading.options import Options
from autograder.grading.run import grade
from autograder.commands.samples import SAMPLES_DIR

KINDS = ["ada_complete", "ben_partial", "cy_blank"]


def synthetic_class(folder, assignment, students):
    """``students`` submissions cycling through the honest sample kinds."""
    for index in range(students):
        kind = KINDS[index % len(KINDS)]
        shutil.copytree(SAMPLES_DIR / kind / assignment, folder / f"{kind}_{index:03d}" / assignment)
    return folder


def time_ours(submissions, jobs, cluster=""):
    with tempfile.TemporaryDirectory() as out:
        started = time.perf_counter()
        grade(submissions, out, Options(jobs=jobs, cluster=cluster, show_progress=False))
        return time.perf_counter() - started


def time_plain_nbgrader(submissions, assignment):
    """nbgrader's own CLI in a course directory, sequential, as its docs describe it."""
    put_interpreter_on_path()
    with tempfile.TemporaryDirectory() as course:
        course = Path(course)
        shutil.copytree(SOLUTIONS_DIR / assignment, course / "source" / assignment)
        shutil.copytree(submissions, course / "submitted")
        (course / "nbgrader_config.py").write_text("c = get_config()\nc.Execute.timeout = 120\n")
        environment = {**os.environ, **GRADING_ENVIRONMENT}
        nbgrader = [sys.executable, "-m", "nbgrader"]
        subprocess.run(nbgrader + ["generate_assignment", assignment, "--force"], cwd=course, env=environment,
                       check=True, capture_output=True)
        started = time.perf_counter()
        subprocess.run(nbgrader + ["autograde", assignment, "--force"], cwd=course, env=environment,
                       check=True, capture_output=True)
        return time.perf_counter() - started


def time_bare_kernel(submissions):
    """Execute every submitted notebook once with nbclient, one after the other, in grading mode."""
    import nbclient
    import nbformat

    os.environ.update(GRADING_ENVIRONMENT)
    started = time.perf_counter()
    for path in sorted(Path(submissions).glob("*/*/*.ipynb")):
        notebook = nbformat.read(path, as_version=4)
        nbclient.NotebookClient(notebook, timeout=120, allow_errors=True,
                                resources={"metadata": {"path": str(path.parent)}}).execute()
    return time.perf_counter() - started


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=12)
    parser.add_argument("--assignment", default="01_optimizers")
    parser.add_argument("--no-dask", action="store_true", help="skip the Dask row (needs .[distributed])")
    args = parser.parse_args(argv)
    notebooks = args.students * len(list_notebooks(args.assignment))
    with tempfile.TemporaryDirectory() as scratch:
        submissions = synthetic_class(Path(scratch) / "submitted", args.assignment, args.students)
        timings = {
            "ours --jobs 1": time_ours(submissions, 1),
            "ours --jobs 2": time_ours(submissions, 2),
        }
        if not args.no_dask:
            timings["ours, Dask local cluster, 2 workers"] = time_ours(submissions, 2, cluster="local")
        timings["plain nbgrader autograde"] = time_plain_nbgrader(submissions, args.assignment)
        timings["floor: bare kernel, no grading"] = time_bare_kernel(submissions)
    print(f"{args.assignment}: {notebooks} notebooks ({', '.join(KINDS)}), {os.cpu_count()} cores\n")
    print(f"{'grader':<38} {'total s':>8} {'s/notebook':>11}")
    for name, seconds in timings.items():
        print(f"{name:<38} {seconds:8.1f} {seconds / notebooks:11.2f}")
    plain, floor = timings["plain nbgrader autograde"], timings["floor: bare kernel, no grading"]
    print(f"\nspeed-up over plain nbgrader: --jobs 1 {plain / timings['ours --jobs 1']:.2f}x, "
          f"--jobs 2 {plain / timings['ours --jobs 2']:.2f}x (target: at least 1.8x)")
    print(f"--jobs 1 per notebook against the floor: {timings['ours --jobs 1'] / floor:.2f}x (target: at most 1.5x)")
    if not args.no_dask:
        dask = timings["ours, Dask local cluster, 2 workers"]
        print(f"Dask, 2 workers, against --jobs 2: {dask / timings['ours --jobs 2']:.2f}x (target: at most 1.10x)")


if __name__ == "__main__":
    main()
