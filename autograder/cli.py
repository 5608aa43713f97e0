"""Command line of the course autograder:
``python -m autograder {notebooks,release,selfcheck,grade,export,samples,similarity}``."""
import argparse
import os
import sys
import time
from collections import Counter
from pathlib import Path

from autograder.course import RELEASE_DIR, SOLUTIONS_DIR, CourseError


def _positive_int(text):
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def _positive_float(text):
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number, got {text!r}") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be more than 0, got {text}")
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

    notebooks = commands.add_parser("notebooks", help="regenerate the solution notebooks from their text files "
                                                      "(solutions/<assignment>/<name>.py)")
    notebooks.add_argument("--assignment", action="append", help="only this assignment (repeatable)")
    direction = notebooks.add_mutually_exclusive_group()
    direction.add_argument("--check", action="store_true",
                           help="change nothing; exit with 1 when a notebook differs from its text file")
    direction.add_argument("--from-ipynb", action="store_true",
                           help="the other way: write the text files from the notebooks (edited in Jupyter, or new)")
    notebooks.add_argument("--force", action="store_true",
                           help="replace files that were changed by hand (default: refuse and list them)")

    release = commands.add_parser("release", help="regenerate solutions/ notebooks from their text files, then "
                                                  "assignments/ from solutions/")
    release.add_argument("--release-dir", type=Path, default=RELEASE_DIR)
    release.add_argument("--assignment", action="append", help="only this assignment (repeatable)")
    release.add_argument("--quiet", action="store_true")
    release.add_argument("--force", action="store_true",
                         help="replace release files that were changed by hand (default: refuse and list them)")

    selfcheck = commands.add_parser("selfcheck", help="solutions score full marks, blank release scores 0")
    selfcheck.add_argument("--release-dir", type=Path, default=RELEASE_DIR)
    selfcheck.add_argument("--assignment", action="append", help="only this assignment (repeatable)")
    _grading_options(selfcheck)

    grade = commands.add_parser("grade", help="autograde SUBMISSIONS/<student>/<assignment>/<notebook>.ipynb")
    grade.add_argument("submissions", type=Path)
    grade.add_argument("--out", type=Path, required=True, help="folder for grades.csv, tests.csv, feedback/")
    grade.add_argument("--assignment", action="append", help="only this assignment (repeatable)")
    grade.add_argument("--max-size-mb", type=_positive_float, default=50.0, help="larger notebooks are rejected unread")
    grade.add_argument("--regrade", action="store_true",
                       help="grade again submissions whose grade is current (default: keep them)")
    grade.add_argument("--cluster", default="", metavar="ADDRESS",
                       help="grade on a Dask cluster: a scheduler address (tls://host:8786), or 'local' for "
                            "--jobs worker processes on this machine; needs pip install '.[distributed]'")
    _grading_options(grade)

    export = commands.add_parser("export", help="final grades (manual scores, late penalties) for an LMS")
    export.add_argument("out", type=Path, help="the grading output of grade --out")
    export.add_argument("--course", type=Path, help="course file with due dates, late policy and roster "
                                                   "(default: OUT/course.toml when present)")
    export.add_argument("--format", choices=["long", "canvas", "moodle"], default="long",
                        help="long: every figure per student and assignment; canvas/moodle: their grade import CSV")
    export.add_argument("--output", type=Path, help="file to write (default: OUT/grades-FORMAT.csv)")
    export.add_argument("--per-question", action="store_true", help="add a column per graded cell")
    export.add_argument("--assignment", action="append", help="only this assignment (repeatable)")

    samples = commands.add_parser("samples", help="regenerate the sample class in autograder/samples/")
    samples.add_argument("--release-dir", type=Path, default=RELEASE_DIR)
    samples.add_argument("--force", action="store_true",
                         help="replace sample files that were changed by hand (default: refuse and list them)")

    similar = commands.add_parser("similarity", help="which submissions look copied: similarity.html and .csv")
    similar.add_argument("submissions", type=Path, help="SUBMISSIONS/<student>/<assignment>/<notebook>.ipynb")
    similar.add_argument("--out", type=Path, required=True, help="folder for similarity.html and similarity.csv")
    similar.add_argument("--assignment", action="append", help="only this assignment (repeatable)")
    similar.add_argument("--against", type=Path, action="append", default=[], metavar="PAST_TERMS_FOLDER",
                         help="also compare with the submissions of earlier terms in this folder (repeatable)")
    similar.add_argument("--release-dir", type=Path, default=RELEASE_DIR, help="released notebooks (starter code)")
    similar.add_argument("--show", type=_positive_int, default=50,
                         help="pairs per notebook shown side by side in the page (default: 50)")
    similar.add_argument("--quiet", action="store_true", help="no progress bar")
    return parser


def _options(args):
    from autograder.grading.options import Options

    return Options(cell_timeout=args.timeout, budget=args.budget, jobs=args.jobs,
                   max_size_mb=getattr(args, "max_size_mb", 50.0), memory_mb=args.memory_mb,
                   processes=args.processes, show_progress=not args.quiet, regrade=getattr(args, "regrade", True),
                   cluster=getattr(args, "cluster", ""))


def run(args):
    """Carry out one parsed command; returns the exit status."""
    if args.command == "notebooks":
        from autograder.commands import notebooks

        if args.check:
            stale = notebooks.out_of_date(args.solutions, args.assignment)
            for relative in stale:
                print(f"out of date with its text file: {args.solutions / relative}")
            if stale:
                print("run: python -m autograder notebooks", file=sys.stderr)
            return 1 if stale else 0
        if args.from_ipynb:
            for relative in notebooks.write_texts(args.solutions, args.assignment, args.force):
                print(f"wrote {args.solutions / relative}")
            return 0
        for relative in notebooks.regenerate(args.solutions, args.assignment, args.force):
            print(f"wrote {args.solutions / relative}")
        return 0
    if args.command == "release":
        from autograder.commands.release import release

        released = release(args.solutions, args.release_dir, args.assignment, show_progress=not args.quiet,
                           force=args.force)
        for relative in released.notebooks:
            print(f"regenerated {args.solutions / relative} from its text file")
        print(f"released {', '.join(released.assignments)} into {args.release_dir}")
        return 0
    if args.command == "selfcheck":
        from autograder.commands.selfcheck import report, selfcheck

        problems, rows = selfcheck(args.solutions, args.release_dir, _options(args), args.assignment)
        print(report(problems, rows))
        return 1 if problems else 0
    if args.command == "grade":
        from autograder.commands.grade import format_table
        from autograder.grading.result_types import GRADER_FAULTS
        from autograder.grading.run import grade

        started = time.monotonic()
        results, rows = grade(args.submissions, args.out, _options(args), args.solutions, args.assignment)
        counts = Counter(r.status for r in results)
        print(format_table(rows))
        print(f"\ngraded {len(results)} submission(s) in {time.monotonic() - started:.1f} s: "
              + ", ".join(f"{n} {status}" for status, n in sorted(counts.items())))
        print(f"grade sheet: {args.out / 'grades.csv'}, per test: {args.out / 'tests.csv'}, "
              f"feedback: {args.out / 'feedback'}")
        exposed = sorted({r.isolation for r in results if r.isolation not in (None, "isolated")})
        if exposed:
            print(f"warning: kernels were not isolated from each other and from the course files ({exposed[0]}); "
                  "see autograder/SECURITY.md", file=sys.stderr)
        return 1 if GRADER_FAULTS & set(counts) else 0
    if args.command == "export":
        from autograder.commands.export import export
        from autograder.term.lms_export import ExportFormat

        report = export(args.out, args.course, ExportFormat(args.format), args.output, args.per_question,
                        args.assignment, args.solutions)
        for warning in report.warnings:
            print(f"note: {warning}", file=sys.stderr)
        print(f"{report.rows} row(s) written to {report.path}; final grades added to the feedback pages")
        return 0
    if args.command == "samples":
        from autograder.commands.samples import write_samples

        folder = write_samples(args.solutions, args.release_dir, force=args.force)
        print(f"sample class written to {folder}")
        return 0
    if args.command == "similarity":
        from autograder.similarity.compare import similarity
        from autograder.similarity.report import write_report

        started = time.monotonic()
        found = similarity(args.submissions, args.assignment, args.against, args.solutions, args.release_dir,
                           show_progress=not args.quiet, shown=args.show)
        page, sheet = write_report(found, args.out, args.show)
        for path, reason in found.skipped:
            print(f"warning: skipped {path}: {reason}", file=sys.stderr)
        print(f"compared {len(found.pairs)} pair(s) of {found.notebooks} notebook(s) in "
              f"{time.monotonic() - started:.1f} s; report: {page}, table: {sheet}")
        return 0
    raise AssertionError(args.command)


def main(argv=None):
    args = build_parser().parse_args(argv)
    try:
        return run(args)
    except CourseError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except OSError as error:  # a folder that cannot be read or written: the user's to fix
        where = f" {error.filename}" if error.filename else ""
        print(f"error: cannot use{where}: {error.strerror or error}; check that it exists and that you may read "
              "and write it", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
