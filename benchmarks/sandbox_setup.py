"""Seconds each grading kernel spends in its sandbox set-up (namespaces, allowlisted file system,
own user, loopback), against the seconds per graded notebook.

The set-up is timed in forked processes exactly as the kernel factory runs it
(``kernel_launcher.confine`` with the options of the grading kernelspec), with and without the
sandbox; the difference is the sandbox's cost. The per-notebook time is that of a grading run of
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

from autograder import kernel_site
from autograder.course import KERNEL_RUNTIME, list_notebooks
from autograder.grade import Options, grade
from autograder.sample_class import SAMPLES_DIR

sys.path.insert(0, str(kernel_site.PACKAGE_DIR))
import kernel_launcher  # noqa: E402 - the launcher is a script of the kernel factory, not a module of the package

KINDS = ["ada_complete", "ben_partial", "cy_blank"]


def time_confine(scratch, sandboxed):
    """Seconds ``confine`` takes in a forked process, as in a forked kernel."""
    argv = ["--memory-mb", "4096", "--file-mb", "256", "--processes", "256",
            "--cgroup-file", str(scratch / "kernel.cgroup")]
    if sandboxed:
        argv += kernel_site.visibility(scratch, [])
    options = kernel_launcher.parse(argv)
    connection_file = scratch / KERNEL_RUNTIME / "kernel.json"
    notebook_folder = scratch / "autograded" / "student" / "assignment"
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:
        status = 1
        try:
            os.close(read)
            os.setsid()
            os.chdir(notebook_folder)
            started = time.perf_counter()
            kernel_launcher.confine(options, str(connection_file))
            os.write(write, f"{time.perf_counter() - started}".encode())
            status = 0
        finally:
            os._exit(status)
    os.close(write)
    with os.fdopen(read) as handle:
        seconds = handle.read()
    os.waitpid(pid, 0)
    kernel_site.release_cgroup(scratch)
    (scratch / "kernel.cgroup").unlink(missing_ok=True)
    return float(seconds)


def setup_seconds(kernels):
    """Median set-up seconds per kernel with and without the sandbox, and the isolation record."""
    with tempfile.TemporaryDirectory(prefix="course-grade-") as scratch:
        scratch = Path(scratch)
        (scratch / "autograded" / "student" / "assignment").mkdir(parents=True)
        (scratch / KERNEL_RUNTIME).mkdir(mode=0o1777)
        (scratch / KERNEL_RUNTIME / "kernel.json").write_text("{}")
        kernel_site.write_stub_package(scratch / "kernel_site")
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
    print(f"confine without sandbox      {timings[False] * 1000:8.1f} ms per kernel")
    print(f"confine with sandbox         {timings[True] * 1000:8.1f} ms per kernel")
    print(f"sandbox set-up               {cost * 1000:8.1f} ms per kernel")
    print(f"{args.assignment} grading (--jobs 1) {per_notebook:8.2f} s per notebook "
          f"({', '.join(sorted({r['isolation'] for r in results if 'isolation' in r}))})")
    print(f"\nset-up per kernel / time per notebook: {cost / per_notebook:.2%} (target: at most 10%; a notebook "
          "starts one kernel, plus one per crash or timeout)")


if __name__ == "__main__":
    main()
