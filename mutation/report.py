"""The per-module table of Cosmic Ray's sessions in mutation/results/, and the mutants that survived.

killed counts the mutants whose tests failed, timeout those whose tests ran past the session's
limit (Cosmic Ray counts them as killed), skipped those on lines marked ``# pragma: no mutate``;
the score is (killed + timeout) over the mutants run.
Mutants of the operators that mutation/run.py excludes are left out of every count.

    python mutation/report.py [--survivors] [--only TEXT]
"""
import argparse
from collections import Counter, defaultdict
from pathlib import Path

from cosmic_ray.work_db import WorkDB, use_db
from cosmic_ray.work_item import TestOutcome, WorkerOutcome

RESULTS = Path(__file__).resolve().parent / "results"
COLUMNS = ["module", "mutants", "killed", "survived", "timeout", "skipped", "score %"]


def outcome(result):
    if result.worker_outcome == WorkerOutcome.SKIPPED:
        return "excluded" if result.output == "Filtered operator" else "skipped"
    if result.worker_outcome != WorkerOutcome.NORMAL:
        return "error"  # Cosmic Ray could not make or run this mutant
    if result.test_outcome == TestOutcome.SURVIVED:
        return "survived"
    return "timeout" if result.output == "timeout" else "killed"


def counts(sessions):
    """module path -> Counter of outcomes, "pending" for mutants not run yet."""
    table = defaultdict(Counter)
    for session in sessions:
        with use_db(str(session), WorkDB.Mode.open) as database:
            done = dict(database.results)
            for item in database.work_items:
                (mutation,) = item.mutations
                result = done.get(item.job_id)
                table[str(mutation.module_path)][outcome(result) if result else "pending"] += 1
    return table


def pending(session):
    return sum(c["pending"] for c in counts([session]).values())


def table(sessions, note):
    lines = ["| " + " | ".join(COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
    problems = []
    for module, tally in sorted(counts(sessions).items()):
        tally.pop("excluded", None)
        run = tally["killed"] + tally["timeout"] + tally["survived"]
        score = f"{100 * (tally['killed'] + tally['timeout']) / run:.1f}" if run else "-"
        lines.append(f"| {module} | {sum(tally.values())} | {tally['killed']} | {tally['survived']} | "
                     f"{tally['timeout']} | {tally['skipped']} | {score} |")
        problems += [f"{module}: {tally[kind]} {kind}" for kind in ("pending", "error") if tally[kind]]
    return "\n".join(lines + [""] + [f"not counted: {p}" for p in problems] + [note, ""])


def survivors(sessions):
    """The diff of every surviving mutant, module by module."""
    for session in sessions:
        with use_db(str(session), WorkDB.Mode.open) as database:
            for item, result in sorted(database.completed_work_items,
                                       key=lambda pair: (str(pair[0].mutations[0].module_path),
                                                         pair[0].mutations[0].start_pos)):
                if outcome(result) == "survived":
                    mutation = item.mutations[0]
                    print(f"{mutation.module_path}:{mutation.start_pos[0]} {mutation.operator_name}")
                    print("\n".join(line for line in result.diff.splitlines() if line.startswith(("-", "+"))
                                    and not line.startswith(("---", "+++"))))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--survivors", action="store_true", help="print the diff of every surviving mutant")
    parser.add_argument("--only", default="", help="sessions whose name holds this text")
    args = parser.parse_args()
    sessions = sorted(p for p in RESULTS.glob("*.sqlite") if args.only in p.stem)
    if args.survivors:
        survivors(sessions)
    else:
        print(table(sessions, ""))


if __name__ == "__main__":
    main()
