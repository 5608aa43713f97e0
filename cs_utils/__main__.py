"""Student commands: ``python -m cs_utils {start,lab,check,doctor}``."""
import argparse
import os
import subprocess
import sys
from pathlib import Path

from cs_utils import workspace


def build_parser():
    parser = argparse.ArgumentParser(prog="python -m cs_utils", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    start = commands.add_parser("start", help="copy the assignments into your own folder (never overwrites)")
    start.add_argument("folder", nargs="?", type=Path, default=workspace.DEFAULT_WORKSPACE,
                       help="your folder (default: workspace/ in the course, ignored by git)")
    start.add_argument("--release-dir", type=Path, default=workspace.RELEASE_DIR, help=argparse.SUPPRESS)

    lab = commands.add_parser("lab", help="JupyterLab on your folder, without nbgrader's instructor tools")
    lab.add_argument("folder", nargs="?", type=Path, default=workspace.DEFAULT_WORKSPACE)
    lab.add_argument("jupyter_args", nargs=argparse.REMAINDER, help="passed on to jupyter lab (e.g. --no-browser)")

    check = commands.add_parser("check", help="run a notebook in grading mode and report its visible checks")
    check.add_argument("notebook", type=Path)
    check.add_argument("--timeout", type=int, default=120, help="seconds one cell may run (default: 120)")

    commands.add_parser("doctor", help="what this machine has for the course (Python, PyTorch, GPU, data) and fixes")
    return parser


def _start(folder):
    report = workspace.start(folder)
    for path in report.copied:
        print(f"copied  {path}")
    if report.kept:
        print(f"kept {len(report.kept)} file(s) you already have, unchanged")
    print(f"Your workspace: {report.folder}. Open it with: python -m cs_utils lab"
          + ("" if Path(folder).resolve() == workspace.DEFAULT_WORKSPACE else f" {folder}"))


def run(args):
    """Carry out one parsed command; returns the exit status."""
    if args.command == "start":
        _start(args.folder)
        return 0
    if args.command == "lab":
        if not (args.folder / workspace.JUPYTER_DIR).is_dir():
            _start(args.folder)
        command, environment = workspace.lab_command(args.folder, args.jupyter_args)
        if os.name == "posix":  # JupyterLab takes this process's place: Ctrl+C and signals reach it
            os.execve(command[0], command, environment)
        return subprocess.call(command, env=environment)
    if args.command == "check":
        from cs_utils.check import check_notebook, format_report

        if not args.notebook.is_file():
            print(f"error: no notebook at {args.notebook}", file=sys.stderr)
            return 2
        report = check_notebook(args.notebook, args.timeout)
        print(format_report(report))
        return 0 if report.passed else 1
    if args.command == "doctor":
        from cs_utils.doctor import main as doctor

        return doctor()
    raise AssertionError(args.command)


def main(argv=None):
    args = build_parser().parse_args(argv)
    try:
        return run(args)
    except workspace.WorkspaceError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
