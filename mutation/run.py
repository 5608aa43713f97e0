"""``make mutation``: Cosmic Ray over the grading code, each module against its own fast tests.

Cosmic Ray mutates files in place, so the run works on a copy of the checkout (tracked and
untracked, not ignored, files) in a temporary folder; the checkout is never touched. Each target
below gets a session of its own (``mutation/results/<name>.sqlite``) whose test command runs only
that module's tests, through ``mutation/warm.py``. The table of ``mutation/report.py`` closes the
run. ``--only TEXT`` runs the targets whose path holds TEXT; ``--survivors`` runs again only the
mutants that survived last time (after new tests), where the module is unchanged since;
``--sample N`` runs N mutants of each target drawn at random, for an estimate where the whole run
takes hours (the report gives the score's 95% interval).

    python mutation/run.py [--only TEXT ...] [--survivors] [--sample N]
"""
import argparse
import contextlib
import hashlib
import json
import os
import random
import re
import shlex
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import report

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "mutation" / "results"

# Module (or folder) -> the fast tests that pin it; never the end-to-end grading tests.
TARGETS = {
    "autograder/sandbox/verifier.py": ["tests/sandbox/test_verifier.py", "tests/sandbox/test_verifier_channel.py"],
    "autograder/reference/transfer_learning.py": ["tests/reference/test_transfer_learning.py"],
    "autograder/reference/optimizers.py": ["tests/reference/test_optimizers.py"],
    "autograder/reference/foundations.py": ["tests/reference/test_foundations.py"],
    "autograder/reference/augmentation.py": ["tests/reference/test_augmentation.py"],
    "autograder/reference/regularization.py": ["tests/reference/test_regularization.py"],
    "cs_utils/gradient_check.py": ["tests/cs_utils/test_gradient_check.py"],
    "autograder/spreadsheet.py": ["tests/test_spreadsheet.py"],
    "autograder/term/lms_export.py": ["tests/term/test_lms_export.py"],
    "autograder/grading/results.py": ["tests/grading/test_results.py"],
}
# The hidden checks are mutated by folder, so that modules added to it are covered: one session per
# topic package against that topic's tests, and one for the shared files against all check tests.
CHECKS = "autograder/checks"
# Bitwise and shift operators in place of arithmetic: this code computes on floats, where they raise
# TypeError at the first call, so any test that calls the function kills them; they were 40% of the
# mutants and of the run's time. The other replacements of the same operators stay.
EXCLUDED_OPERATORS = ["core/ReplaceBinaryOperator_[A-Za-z]+_(BitOr|BitAnd|BitXor|LShift|RShift)$"]
# Third-party imports the warm server makes once instead of once per mutant.
PRELOAD = ["numpy", "scipy", "sklearn", "matplotlib.pyplot", "torch", "nbformat", "nbconvert", "nbgrader.api",
           "nbgrader.preprocessors", "nh3", "hypothesis", "pytest"]
# Stop at the first failure; plain asserts, since rewriting the test modules again for every mutant
# costs more than most mutants' tests; no unraisable-exception plugin, whose garbage collections at
# the end of every run cost more still.
PYTEST_ARGS = ["-x", "-q", "--assert=plain", "-p", "no:cacheprovider", "-p", "no:unraisableexception",
               "-p", "_hypothesis_pytestplugin", "--hypothesis-seed=0",
               # the server imported hypothesis before pytest could rewrite its plugin's asserts
               "-W", "ignore::pytest.PytestAssertRewriteWarning"]


def checks_targets():
    """A session per check file against its topic's tests, narrowed by ``-k`` to the exercises whose
    ``check_*`` functions it defines (the harness leads each test id with its exercise); files
    without checks (helpers, probes) against all of their topic's tests."""
    checks = ROOT / CHECKS
    shared = sorted(str(p.relative_to(ROOT)) for p in checks.glob("*.py"))
    targets = {}
    for topic in sorted(p for p in checks.iterdir() if p.is_dir() and (p / "__init__.py").exists()):
        tests = [str(p.relative_to(ROOT)) for p in sorted((ROOT / "tests" / "checks").glob(f"*{topic.name}*"))]
        tests = tests or ["tests/checks"]
        for module in sorted(topic.glob("*.py")):
            exercises = re.findall(r"^def check_(\w+)\(", module.read_text(), flags=re.MULTILINE)
            selection = ["-k", " or ".join(exercises)] if exercises else []
            targets[str(module.relative_to(ROOT))] = [*tests, *selection]
    if shared:
        targets[tuple(shared)] = ["tests/checks"]
    return targets


def session_name(paths):
    """The module's dotted name; for the shared files of a folder, the folder's and ".shared"."""
    if isinstance(paths, tuple):
        return str(Path(paths[0]).parent).replace("/", ".") + ".shared"
    return paths.removesuffix(".py").replace("/", ".")


def source_digest(scratch, paths):
    digest = hashlib.sha256()
    for path in paths if isinstance(paths, tuple) else (paths,):
        files = [scratch / path] if path.endswith(".py") else sorted((scratch / path).rglob("*.py"))
        for file in files:
            digest.update(str(file.relative_to(scratch)).encode() + b"\0" + file.read_bytes())
    return digest.hexdigest()


def copy_checkout(scratch):
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=ROOT,
                            check=True, capture_output=True).stdout.decode().split("\0")
    for name in filter(None, listed):
        source = ROOT / name
        if source.is_file():
            (scratch / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, scratch / name)


def start_server(scratch, socket_path):
    # Bytecode caches go stale when a mutant is written within the second of the last one; of
    # pytest's plugins only hypothesis's is needed, and looking for the others costs every run.
    env = {**os.environ, "PYTHONPATH": str(scratch), "PYTHONDONTWRITEBYTECODE": "1",
           "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"}
    server = subprocess.Popen([sys.executable, "mutation/warm.py", "serve", socket_path, *PRELOAD], cwd=scratch,
                              env=env)
    while not os.path.exists(socket_path):
        if server.poll() is not None:
            sys.exit("the warm pytest server did not start")
        time.sleep(0.2)
    return server


def toml_config(module_path, command, timeout):
    return "\n".join([
        "[cosmic-ray]",
        f"module-path = {json.dumps(module_path)}",
        f"timeout = {timeout:.1f}",
        "excluded-modules = []",
        f"test-command = {json.dumps(command)}",
        "",
        "[cosmic-ray.distributor]",
        'name = "local"',
        "",
        "[cosmic-ray.filters.operators-filter]",
        f"exclude-operators = {json.dumps(EXCLUDED_OPERATORS)}",
        "",
    ])


def forget_survivors(session):
    """Make the survivors of ``session`` pending again, so that ``exec`` runs only them."""
    with contextlib.closing(sqlite3.connect(session)) as database, database:
        database.execute("DELETE FROM work_results WHERE test_outcome = 'SURVIVED'")


def sample(session, count, seed):
    """Keep ``count`` of the session's pending mutants, drawn with ``seed``, and delete the rest;
    returns module path -> mutants before the draw (for the report's estimate)."""
    with contextlib.closing(sqlite3.connect(session)) as database, database:
        rows = database.execute("SELECT job_id, module_path FROM mutation_specs WHERE job_id NOT IN "
                                "(SELECT job_id FROM work_results)").fetchall()
        before = dict(Counter(module for _, module in rows))
        dropped = [(job,) for job, _ in rows]
        random.Random(seed).shuffle(dropped)
        for table in ("mutation_specs", "work_items"):
            database.executemany(f"DELETE FROM {table} WHERE job_id = ?", dropped[count:])
    return before


def unmutated_run(scratch, command):
    """Seconds the tests take on the unmutated code; stops the run when they fail there."""
    started = time.monotonic()
    done = subprocess.run(shlex.split(command), cwd=scratch, capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"the tests fail without a mutation:\n{command}\n{done.stdout[-4000:]}{done.stderr[-4000:]}")
    return time.monotonic() - started


def run_target(scratch, paths, tests, socket_path, survivors_only, sample_size):
    name = session_name(paths)
    session, config_path, digest_path, sample_path = (RESULTS / f"{name}.{suffix}"
                                                      for suffix in ("sqlite", "toml", "json", "sample.json"))
    command = shlex.join([sys.executable, "mutation/warm.py", "run", socket_path, *PYTEST_ARGS, *tests])
    baseline = unmutated_run(scratch, command)
    module_path = list(paths) if isinstance(paths, tuple) else paths
    config_path.write_text(toml_config(module_path, command, timeout=max(10.0, 4 * baseline)))
    digest = source_digest(scratch, paths)
    tools = Path(sys.executable).parent
    if survivors_only and session.exists() and digest_path.exists() and json.loads(digest_path.read_text()) == digest:
        forget_survivors(session)
    else:
        subprocess.run([tools / "cosmic-ray", "init", "--force", config_path, session], cwd=scratch, check=True)
        subprocess.run([tools / "cr-filter-operators", session, config_path], cwd=scratch, check=True)
        subprocess.run([tools / "cr-filter-pragma", session], cwd=scratch, check=True)
        digest_path.write_text(json.dumps(digest))
        sample_path.unlink(missing_ok=True)
        if sample_size:
            sample_path.write_text(json.dumps(sample(session, sample_size, seed=name)))
    print(f"{name}: {report.pending(session)} mutants to run, tests {baseline:.1f} s unmutated", flush=True)
    subprocess.run([tools / "cosmic-ray", "exec", config_path, session], cwd=scratch, check=True)
    unmutated_run(scratch, command)  # the server still answers and every file was restored


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", action="append", default=[], help="run the targets whose path holds this text")
    parser.add_argument("--survivors", action="store_true", help="run only the mutants that survived last time")
    parser.add_argument("--sample", type=int, default=0, metavar="N",
                        help="run N mutants of each target, drawn at random (seeded by the target's name)")
    args = parser.parse_args()
    targets = {**TARGETS, **checks_targets()}
    chosen = {paths: tests for paths, tests in targets.items()
              if not args.only or any(text in " ".join(paths if isinstance(paths, tuple) else [paths])
                                      for text in args.only)}
    RESULTS.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="mutation-") as scratch:
        scratch = Path(scratch)
        copy_checkout(scratch)
        socket_path = str(scratch / "warm.sock")
        server = start_server(scratch, socket_path)
        try:
            for paths, tests in chosen.items():
                run_target(scratch, paths, tests, socket_path, args.survivors, args.sample)
        finally:
            server.kill()
            server.wait()
    sessions = sorted(RESULTS.glob("*.sqlite"))
    table = report.table(sessions, f"last run: {len(chosen)} targets in {time.monotonic() - started:.0f} s")
    (RESULTS / "table.md").write_text(table)
    print(table)


if __name__ == "__main__":
    main()
