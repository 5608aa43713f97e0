"""Seconds per graded notebook: our grader at --jobs 1 and --jobs 2 vs plain `nbgrader autograde`,
and the floor: the same notebooks executed by a bare kernel (nbclient), with no grading at all.

Builds a synthetic class from the sample class (complete, partial and blank students, repeated),
runs it four ways and prints a table. Timings only; nothing here is asserted.

    python benchmarks/grading_speed.py [--students N] [--assignment 01_optimizers]
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
from autograder.grade import Options, grade
from autograder.sample_class import SAMPLES_DIR

KINDS = ["ada_complete", "ben_partial", "cy_blank"]


def synthetic_class(folder, assignment, students):
    """``students`` submissions cycling through the honest sample kinds."""
    for index in range(students):
        kind = KINDS[index % len(KINDS)]
        shutil.copytree(SAMPLES_DIR / kind / assignment, folder / f"{kind}_{index:03d}" / assignment)
    return folder


def time_ours(submissions, jobs):
    with tempfile.TemporaryDirectory() as out:
        started = time.perf_counter()
        grade(submissions, out, Options(jobs=jobs, show_progress=False))
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
    parser.add_argument("--students", type=int, default=6)
    parser.add_argument("--assignment", default="01_optimizers")
    args = parser.parse_args(argv)
    notebooks = args.students * len(list_notebooks(args.assignment))
    with tempfile.TemporaryDirectory() as scratch:
        submissions = synthetic_class(Path(scratch) / "submitted", args.assignment, args.students)
        timings = {
            "ours --jobs 1": time_ours(submissions, 1),
            "ours --jobs 2": time_ours(submissions, 2),
            "plain nbgrader autograde": time_plain_nbgrader(submissions, args.assignment),
            "floor: bare kernel, no grading": time_bare_kernel(submissions),
        }
    print(f"{args.assignment}: {notebooks} notebooks ({', '.join(KINDS)}), {os.cpu_count()} cores\n")
    print(f"{'grader':<32} {'total s':>8} {'s/notebook':>11}")
    for name, seconds in timings.items():
        print(f"{name:<32} {seconds:8.1f} {seconds / notebooks:11.2f}")
    plain = timings["plain nbgrader autograde"]
    print(f"\nspeed-up over plain nbgrader: --jobs 1 {plain / timings['ours --jobs 1']:.2f}x, "
          f"--jobs 2 {plain / timings['ours --jobs 2']:.2f}x")


if __name__ == "__main__":
    main()
