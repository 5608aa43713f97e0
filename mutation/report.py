"""The per-module table of Cosmic Ray's sessions in mutation/results/, and the mutants that survived.

killed counts the mutants whose tests failed, timeout those whose tests ran past the session's
limit (Cosmic Ray counts them as killed), skipped those on lines marked ``# pragma: no mutate``;
the score is (killed + timeout) over the mutants run. "run" says whether every mutant of the module
ran or ``run.py --sample`` drew some of them; a folder's row weights each module's score by its
mutants and, when some were drawn, gives the 95% interval of that estimate.
Mutants of the operators that mutation/run.py excludes are left out of every count.

    python mutation/report.py [--survivors] [--only TEXT]
"""
import argparse
import json
import math
from collections import Counter, defaultdict
from pathlib import Path

from cosmic_ray.work_db import WorkDB, use_db
from cosmic_ray.work_item import TestOutcome, WorkerOutcome

RESULTS = Path(__file__).resolve().parent / "results"
COLUMNS = ["module", "mutants", "killed", "survived", "timeout", "skipped", "score %", "run"]
# Folders that get a row of their own under the modules: the score of all their modules together.
GROUPS = ["autograder/checks", "autograder/reference"]


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


def drawn_from(sessions):
    """module path -> its mutants before ``run.py --sample`` drew some, for the sampled sessions."""
    totals = {}
    for session in sessions:
        sample_path = session.with_suffix(".sample.json")
        if sample_path.exists():
            totals.update(json.loads(sample_path.read_text()))
    return totals


def estimate(strata):
    """Killed share and its 95% half-width over strata of (mutants, run, killed): each stratum's
    share weighted by its mutants, with the finite-population correction of a draw without
    replacement (a stratum run whole adds no uncertainty). The variance takes Agresti and Coull's
    share (two more killed, two more survived), so that a draw with no survivor is not certain."""
    total = sum(mutants for mutants, run, _ in strata if run)
    share = sum(mutants * killed / run for mutants, run, killed in strata if run) / total
    variance = sum((mutants / total) ** 2 * (killed + 2) / (run + 4) * (run - killed + 2) / (run + 4) / run
                   * (mutants - run) / max(mutants - 1, 1) for mutants, run, killed in strata if run)
    return share, 1.96 * math.sqrt(variance)


def table(sessions, note):
    lines = ["| " + " | ".join(COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
    problems = []
    totals = drawn_from(sessions)
    strata = defaultdict(list)
    for module, tally in sorted(counts(sessions).items()):
        tally.pop("excluded", None)
        run = tally["killed"] + tally["timeout"] + tally["survived"]
        score = f"{100 * (tally['killed'] + tally['timeout']) / run:.1f}" if run else "-"
        mutants = totals.get(module, run)
        drawn = f"{run} of {mutants}" if module in totals else "all"
        lines.append(f"| {module} | {sum(tally.values())} | {tally['killed']} | {tally['survived']} | "
                     f"{tally['timeout']} | {tally['skipped']} | {score} | {drawn} |")
        problems += [f"{module}: {tally[kind]} {kind}" for kind in ("pending", "error") if tally[kind]]
        for group in GROUPS:
            if module.startswith(group):
                strata[group].append((mutants, run, tally["killed"] + tally["timeout"]))
    for group, group_strata in strata.items():
        share, half_width = estimate(group_strata)
        mutants = sum(m for m, _, _ in group_strata)
        interval = f" ± {100 * half_width:.1f}" if half_width else ""
        lines.append(f"| **{group}** (weighted by mutants) | {mutants} | | | | | "
                     f"**{100 * share:.1f}**{interval} | {sum(r for _, r, _ in group_strata)} run |")
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
