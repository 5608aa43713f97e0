"""Command line of the course autograder: ``python -m autograder {release,selfcheck,grade,samples}``."""
import argparse
import os
import sys
import time
from collections import Counter
from pathlib import Path

from autograder.course import RELEASE_DIR, SOLUTIONS_DIR, CourseError


def _positive_int(text):
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def _grading_options(parser):
    parser.add_argument("--jobs", "-j", type=_positive_int, default=os.cpu_count() or 1,
                        help="submissions graded in parallel (default: the number of cores)")
    parser.add_argument("--timeout", type=_positive_int, default=60,
                        help="seconds one notebook cell may run (default: 60)")
    parser.add_argument("--budget", type=_positive_int, default=600,
                        help="seconds one whole submission may take (default: 600)")
    parser.add_argument("--memory-mb", type=_positive_int, default=4096,
                        help="address space one kernel may add to what it starts with, in MB (default: 4096)")
    parser.add_argument("--processes", type=_positive_int, default=256,
                        help="processes and threads one kernel may run (default: 256)")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")


def build_parser():
    parser = argparse.ArgumentParser(prog="python -m autograder", description=__doc__)
    parser.add_argument("--solutions", type=Path, default=SOLUTIONS_DIR, help="instructor source folder")
    commands = parser.add_subparsers(dest="command", required=True)

    release = commands.add_parser("release", help="regenerate assignments/ from solutions/")
    release.add_argument("--release-dir", type=Path, default=RELEASE_DIR)
    release.add_argument("--assignment", action="append", help="only this assignment (repeatable)")
    release.add_argument("--quiet", action="store_true")

    selfcheck = commands.add_parser("selfcheck", help="solutions score full marks, blank release scores 0")
    selfcheck.add_argument("--release-dir", type=Path, default=RELEASE_DIR)
    selfcheck.add_argument("--assignment", action="append", help="only this assignment (repeatable)")
    _grading_options(selfcheck)

    grade = commands.add_parser("grade", help="autograde SUBMISSIONS/<student>/<assignment>/<notebook>.ipynb")
    grade.add_argument("submissions", type=Path)
    grade.add_argument("--out", type=Path, required=True, help="folder for grades.csv, tests.csv, feedback/")
    grade.add_argument("--assignment", action="append", help="only this assignment (repeatable)")
    grade.add_argument("--max-size-mb", type=float, default=50.0, help="larger notebooks are rejected unread")
    grade.add_argument("--regrade", action="store_true",
                       help="grade again submissions whose grade is current (default: keep them)")
    grade.add_argument("--cluster", default="", metavar="ADDRESS",
                       help="grade on a Dask cluster: a scheduler address (tls://host:8786), or 'local' for "
                            "--jobs worker processes on this machine; needs pip install '.[distributed]'")
    _grading_options(grade)

    samples = commands.add_parser("samples", help="regenerate the sample class in autograder/samples/")
    samples.add_argument("--release-dir", type=Path, default=RELEASE_DIR)
    return parser


def _options(args):
    from autograder.grade import Options

    return Options(cell_timeout=args.timeout, budget=args.budget, jobs=args.jobs,
                   max_size_mb=getattr(args, "max_size_mb", 50.0), memory_mb=args.memory_mb,
                   processes=args.processes, show_progress=not args.quiet, regrade=getattr(args, "regrade", True),
                   cluster=getattr(args, "cluster", ""))


def run(args):
    """Carry out one parsed command; returns the exit status."""
    if args.command == "release":
        from autograder.release import release

        written = release(args.solutions, args.release_dir, args.assignment, show_progress=not args.quiet)
        print(f"released {', '.join(written)} into {args.release_dir}")
        return 0
    if args.command == "selfcheck":
        from autograder.selfcheck import report, selfcheck

        problems, rows = selfcheck(args.solutions, args.release_dir, _options(args), args.assignment)
        print(report(problems, rows))
        return 1 if problems else 0
    if args.command == "grade":
        from autograder.grade import GRADER_FAULTS, format_table, grade

        started = time.monotonic()
        results, rows = grade(args.submissions, args.out, _options(args), args.solutions, args.assignment)
        counts = Counter(r["status"] for r in results)
        print(format_table(rows))
        print(f"\ngraded {len(results)} submission(s) in {time.monotonic() - started:.1f} s: "
              + ", ".join(f"{n} {status}" for status, n in sorted(counts.items())))
        print(f"grade sheet: {args.out / 'grades.csv'}, per test: {args.out / 'tests.csv'}, "
              f"feedback: {args.out / 'feedback'}")
        exposed = sorted({r["isolation"] for r in results if r.get("isolation", "isolated") != "isolated"})
        if exposed:
            print(f"warning: kernels were not isolated from each other and from the course files ({exposed[0]}); "
                  "see autograder/SECURITY.md", file=sys.stderr)
        return 1 if GRADER_FAULTS & set(counts) else 0
    if args.command == "samples":
        from autograder.sample_class import write_samples

        folder = write_samples(args.solutions, args.release_dir)
        print(f"sample class written to {folder}")
        return 0
    raise AssertionError(args.command)


def main(argv=None):
    args = build_parser().parse_args(argv)
    try:
        return run(args)
    except CourseError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
