"""The one-line bugs a reviewer put into the grading code, each of which once survived the tests:
each is made again in a copy of the checkout and must fail the tests named beside it.

Cosmic Ray (``run.py``) makes its mutants by operator; these are the changes a person makes (a
column dropped, a sub-check switched off, the checkout mounted into the kernel) that no operator
makes, kept so that a refactoring cannot quietly lose the test that catches them.

    python mutation/named.py [TEXT ...]    # only the bugs whose name holds one of the texts
"""
import os
import shlex
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run import copy_checkout

# name -> (file, text, replacement, pytest arguments that must fail)
MUTANTS = {
    "verdict credited to the cell running when it ends, not to the one that asked": (
        "autograder/sandbox/verifier.py", "self.verdicts.append(Verdict(cell, name, passed, message))",
        "self.verdicts.append(Verdict(self.current_cell, name, passed, message))",
        ["tests/sandbox/test_verifier.py", "tests/sandbox/test_verifier_channel.py"]),
    "digest ignored: a changed submission keeps its old grade": (
        "autograder/grading/results.py", "stored.digest == tuple(task.digest) and ", "",
        ["tests/grading/test_results.py"]),
    "notebook column dropped from tests.csv": (
        "autograder/grading/results.py", '"assignment", "notebook", "grade_id"', '"assignment", "grade_id"',
        ["tests/grading/test_output_contract.py"]),
    "update rules' tolerance 1000x looser": (
        "autograder/checks/optimizers/update_rules.py", "UPDATE_RTOL = {np.float64: 1e-6, np.float32: 2e-3}",
        "UPDATE_RTOL = {np.float64: 1e-3, np.float32: 2.0}", ["tests/checks/test_optimizers.py"]),
    "zero-gradient sub-check switched off": (
        "autograder/checks/optimizers/update_rules.py", "if not np.array_equal(next_w, w):", "if False:",
        ["tests/checks/test_optimizers.py"]),
    "relative error averaged instead of worst entry": (
        "cs_utils/gradient_check.py", "return float(np.max(np.abs(x - y)", "return float(np.mean(np.abs(x - y)",
        ["tests/cs_utils/test_gradient_check.py"]),
    "checkout readable by the kernel, solutions and package no longer hidden": (
        "autograder/sandbox/site.py", "covered = [str(SOLUTIONS_DIR), str(PACKAGE_DIR), *map(str, hidden)]",
        "read_only.append(str(SOLUTIONS_DIR.parent))\n    covered = [*map(str, hidden)]",
        ["tests/hostile/test_hostile.py", "-k", "reads_reference or prints_hidden or no_feedback"]),
}


def main():
    chosen = {name: mutant for name, mutant in MUTANTS.items()
              if len(sys.argv) == 1 or any(text in name for text in sys.argv[1:])}
    failures = []
    print("| bug | caught by | seconds |\n|---|---|---|")
    with tempfile.TemporaryDirectory(prefix="named-mutants-") as scratch:
        scratch = Path(scratch)
        copy_checkout(scratch)
        for name, (path, text, replacement, tests) in chosen.items():
            file = scratch / path
            original = file.read_text()
            if original.count(text) != 1:
                failures.append(f"{name}: {path} no longer holds {text!r} once; update mutation/named.py")
                continue
            file.write_text(original.replace(text, replacement))
            started = time.monotonic()
            try:
                # PYTHONPATH: the copy, not an installed checkout, for the grader and the kernels it starts
                done = subprocess.run([sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", *tests],
                                      cwd=scratch, capture_output=True, text=True,
                                      env={**os.environ, "PYTHONPATH": str(scratch)})
            finally:
                file.write_text(original)
            failed = [line.split()[1] for line in done.stdout.splitlines() if line.startswith(("FAILED", "ERROR"))]
            if done.returncode != 1 or not failed:
                failures.append(f"{name}: survived ({shlex.join(tests)} exited {done.returncode})")
            print(f"| {name} | {failed[0] if failed else 'nothing'} | {time.monotonic() - started:.0f} |", flush=True)
    print("\n".join(failures) or "every named bug was caught")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
