"""Run the solution notebooks in full mode and check every claim their prose makes against the
numbers they print.

A cell that measures something the prose relies on prints `CLAIM <id>: name=value ...`
(`cs_utils.claims.print_claim`). This script executes each notebook with nbclient (full mode,
one BLAS thread, outputs kept only in a temporary folder), reads those lines, applies the check
registered below for each id, and prints a table: notebook, claim, numbers, holds. A claim the
notebook never printed counts as failed, and so does a printed id without a check here.

    python benchmarks/claims.py [--only 01_optimizers ...] [--keep DIR | --executed DIR]

`--keep DIR` keeps the executed notebooks (DIR/<assignment>/*.ipynb); `--executed DIR` reads such
notebooks instead of running them. Exit status 1 when a claim fails. Runs for minutes; it is `make claims`, not part of
`make test`.
"""
import argparse
import math
import os
import re
import resource
import sys
import tempfile
import time
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Callable

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

from autograder.course import SOLUTIONS_DIR, list_assignments, list_notebooks

CLAIM_LINE = re.compile(r"^CLAIM (\S+): (.*)$", re.MULTILINE)
FULL_MODE_ENVIRONMENT = {"MPLBACKEND": "Agg", "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1",
                         "MKL_NUM_THREADS": "1"}


def beyond_noise(numbers, better, worse, higher_is_better=False):
    """True when the mean of `better` beats that of `worse` by more than two standard errors of the
    difference of two means of n runs each (names `<x>_mean`, `<x>_sd` and `n` in numbers)."""
    n = numbers["n"]
    difference = numbers[f"{better}_mean"] - numbers[f"{worse}_mean"]
    if not higher_is_better:
        difference = -difference
    standard_error = math.sqrt((numbers[f"{better}_sd"] ** 2 + numbers[f"{worse}_sd"] ** 2) / n)
    return difference > 2 * standard_error


def within_noise(numbers, first, second):
    """True when neither mean beats the other beyond the noise (see beyond_noise)."""
    return not beyond_noise(numbers, first, second) and not beyond_noise(numbers, second, first)


@dataclass(frozen=True)
class Claim:
    """One sentence of a notebook's prose and the test its printed numbers must pass."""

    notebook: str
    claim_id: str
    text: str
    check: Callable[[dict], bool]


CLAIMS = [
    # 01 optimizers
    Claim("01_optimizers", "01.sgd-lingers-at-saddle",
          "at the rates the taco shell allows, SGD is still more than 1 from the saddle's minimum after 50 steps",
          lambda x: all(value > 1.0 for value in x.values())),
    Claim("01_optimizers", "01.adam-bias-correction-fades",
          "beta1's factor fades in tens of steps, beta2=0.999's only after about 3,000 (5%)",
          lambda x: x["beta1_steps_1pct"] < 100 and 2500 < x["beta2_steps_5pct"] < 3500),
    Claim("01_optimizers", "01.taco.momentum-beats-sgd",
          "condition 100, tuned rates: momentum and Nesterov end >= 5x closer to the minimum than SGD",
          lambda x: x["sgd"] > 5 * max(x["momentum"], x["nesterov"])),
    Claim("01_optimizers", "01.taco.adaptive-aligned",
          "axis-aligned valley: AdaGrad and RMSProp land almost on the minimum (< 0.05), Adam beats SGD",
          lambda x: max(x["adagrad"], x["rmsprop"]) < 0.05 and x["adam"] < x["sgd"]),
    Claim("01_optimizers", "01.rotated.momentum-rotation-invariant",
          "SGD, momentum and Nesterov end exactly as far from the minimum on the rotated valley",
          lambda x: all(abs(x[f"{name}_aligned"] - x[f"{name}_rotated"]) < 1e-3
                        for name in ("SGD", "momentum", "Nesterov"))),
    Claim("01_optimizers", "01.rotated.adaptive-lose-advantage",
          "rotated: AdaGrad and RMSProp end > 1 away (AdaGrad > half SGD's distance), Adam < 1 on both",
          lambda x: min(x["AdaGrad_rotated"], x["RMSProp_rotated"]) > 1.0
          and max(x["AdaGrad_aligned"], x["RMSProp_aligned"]) < 0.05
          and x["AdaGrad_rotated"] > 0.5 * x["sgd_rotated"] and max(x["Adam_aligned"], x["Adam_rotated"]) < 1.0),
    Claim("01_optimizers", "01.saddle.tuned-rules-escape",
          "tuned on the saddle alone, every rule (SGD included) gets within 0.2 of a minimum",
          lambda x: all(value < 0.2 for value in x.values())),
    Claim("01_optimizers", "01.noisy.no-constant-rate-settles",
          "without noise the best rule reaches loss < 1e-6; with noise no rule gets below 1e-3",
          lambda x: x["best_noise_free"] < 1e-6 and x["best_noisy"] > 1e-3),
    Claim("01_optimizers", "01.net.rules-train-loss",
          "tuned rates: momentum and Nesterov end with a lower training loss than SGD, beyond the noise",
          lambda x: beyond_noise(x, "sgd_momentum", "sgd") and beyond_noise(x, "nesterov_momentum", "sgd")),
    Claim("01_optimizers", "01.net.rules-val-accuracy",
          "validation accuracy: SGD, momentum and Nesterov within the noise of each other, all within 1 point",
          lambda x: within_noise(x, "sgd", "sgd_momentum") and within_noise(x, "sgd", "nesterov_momentum")
          and within_noise(x, "sgd_momentum", "nesterov_momentum")
          and max(abs(x["sgd_mean"] - x[f"{name}_mean"]) for name in ("sgd_momentum", "nesterov_momentum")) < 0.01),
    Claim("01_optimizers", "01.net.schedules-train-loss",
          "from the same start, step decay and cosine end with a higher training loss than the constant rate; "
          "with tuned starts neither beats it beyond the noise",
          lambda x: beyond_noise(x, "constant", "step_decay_same_start")
          and beyond_noise(x, "constant", "cosine_same_start")
          and not beyond_noise(x, "step_decay_tuned_start", "constant")
          and not beyond_noise(x, "cosine_tuned_start", "constant")),
    Claim("01_optimizers", "01.net.schedules-val-accuracy",
          "no schedule beats the constant rate's validation accuracy beyond the noise",
          lambda x: not any(beyond_noise(x, name, "constant", higher_is_better=True)
                            for name in ("step_decay_same_start", "step_decay_tuned_start",
                                         "cosine_same_start", "cosine_tuned_start"))),
    Claim("01_optimizers", "01.lbfgs-full-batch-only",
          "full batch: L-BFGS ends far below Adam (100x); minibatches: L-BFGS ends above Adam",
          lambda x: x["lbfgs_full"] * 100 < x["adam_full"] and x["lbfgs_minibatch"] > x["adam_minibatch"]),
    # 02 regularization
    Claim("02_regularization", "02.dropout-scaling-exact-before-relu-only",
          "scaling matches the mean of dropout and of an affine layer (1%), but not after a ReLU (>20% off)",
          lambda x: abs(x["vanilla_train"] / x["vanilla_test"] - 1) < 0.01
          and abs(x["inverted_train"] / x["inverted_test"] - 1) < 0.01
          and x["after_relu_train"] > 1.2 * x["after_relu_test"]),
    Claim("02_regularization", "02.overfit.train",
          "no regularization and batch norm fit the noisy labels (>= 99%); L2 and L1 stay below 90%; "
          "dropout and DropConnect in between",
          lambda x: min(x["none_mean"], x["batchnorm_mean"]) >= 0.99 and max(x["l2_mean"], x["l1_mean"]) < 0.9
          and all(max(x["l2_mean"], x["l1_mean"]) < x[f"{name}_mean"] < 0.99
                  for name in ("vanilla", "inverted", "dropconnect"))),
    Claim("02_regularization", "02.overfit.val",
          "final validation: L2 above no regularization beyond the noise and the best of all; L1 above by "
          ">= 1 point; batch norm within the noise of no regularization",
          lambda x: beyond_noise(x, "l2", "none", higher_is_better=True)
          and x["l2_mean"] == max(value for key, value in x.items() if key.endswith("_mean"))
          and x["l1_mean"] - x["none_mean"] >= 0.01 and within_noise(x, "batchnorm", "none")),
    Claim("02_regularization", "02.overfit.best_val",
          "with early stopping every regularizer but batch norm beats no regularization by >= 1.5 points, "
          "within 1.5 points of each other",
          lambda x: all(x[f"{name}_mean"] - x["none_mean"] >= 0.015
                        for name in ("l2", "l1", "vanilla", "inverted", "dropconnect"))
          and max(x[f"{name}_mean"] for name in ("l2", "l1", "vanilla", "inverted", "dropconnect"))
          - min(x[f"{name}_mean"] for name in ("l2", "l1", "vanilla", "inverted", "dropconnect")) <= 0.015),
    Claim("02_regularization", "02.overfit.early-stopping-pays",
          "no regularization, inverted dropout and DropConnect end >= 3 points below their best validation "
          "accuracy (memorization), L2 less than 2",
          lambda x: min(x["none_drop"], x["inverted_drop"], x["dropconnect_drop"]) >= 0.03 and x["l2_drop"] < 0.02),
    Claim("02_regularization", "02.ensembles",
          "both ensembles beat single models beyond the noise; independent vs snapshot within the noise",
          lambda x: beyond_noise(x, "independent", "member", higher_is_better=True)
          and beyond_noise(x, "snapshots", "best_snapshot", higher_is_better=True)
          and within_noise(x, "independent", "snapshots")),
    Claim("02_regularization", "02.polyak",
          "the Polyak average beats the raw weights at the end and over the epochs",
          lambda x: x["averaged_mean"] > x["raw_mean"]
          and beyond_noise(x, "averaged_epochs", "raw_epochs", higher_is_better=True)),
    # 03 augmentation
    Claim("03_augmentation", "03.augmentation-closes-gap",
          "augmentation raises validation and test accuracy and shrinks the gap, beyond the noise",
          lambda x: beyond_noise(x, "augmented_val", "plain_val", higher_is_better=True)
          and beyond_noise(x, "augmented_test", "plain_test", higher_is_better=True)
          and beyond_noise(x, "augmented_gap", "plain_gap")),
    Claim("03_augmentation", "03.test-time-crops",
          "crops only: 5 crops beat the centre crop and 10 crops fall below 5 (unseen mirrors), beyond the noise; "
          "crops + flips: 10 and 5 crops within the noise, centre crop below the crops-only network's",
          lambda x: beyond_noise(x, "crops_5", "crops_centre", higher_is_better=True)
          and beyond_noise(x, "crops_5", "crops_10", higher_is_better=True)
          and within_noise(x, "flips_5", "flips_10")
          and beyond_noise(x, "crops_centre", "flips_centre", higher_is_better=True)),
    # 04 transfer learning; keys: linear, top_block, all, from_scratch
    Claim("04_transfer_learning", "04.table.similar-little",
          "similar, little data: every pretrained strategy beats from scratch (at its own tuned rate) by > 50 "
          "points; the linear classifier within 4 points of the best fine-tuning",
          lambda x: all(x[f"{name}_mean"] - x["from_scratch_mean"] > 0.5 for name in ("linear", "top_block", "all"))
          and max(x["top_block_mean"], x["all_mean"]) - x["linear_mean"] < 0.04),
    Claim("04_transfer_learning", "04.table.similar-more",
          "similar, more data: fine-tuning (top block or all) beats the linear classifier beyond the noise, "
          "the two within the noise; from scratch below 0.3",
          lambda x: beyond_noise(x, "top_block", "linear", higher_is_better=True)
          and beyond_noise(x, "all", "linear", higher_is_better=True)
          and within_noise(x, "top_block", "all") and x["from_scratch_mean"] < 0.3),
    Claim("04_transfer_learning", "04.table.different-little",
          "different, little data: the linear classifier on top features is the worst, beyond the noise; "
          "fine-tune all and from scratch are the best two, within the noise of each other",
          lambda x: all(beyond_noise(x, name, "linear", higher_is_better=True)
                        for name in ("top_block", "all", "from_scratch"))
          and within_noise(x, "all", "from_scratch")
          and min(x["all_mean"], x["from_scratch_mean"]) > x["top_block_mean"]),
    Claim("04_transfer_learning", "04.table.different-more",
          "different, more data: the linear classifier is the worst; from scratch within 3 points of the best",
          lambda x: x["linear_mean"] < min(x["top_block_mean"], x["all_mean"], x["from_scratch_mean"])
          and max(x["top_block_mean"], x["all_mean"]) - x["from_scratch_mean"] < 0.03),
    Claim("04_transfer_learning", "04.stages",
          "different target, little data: a lower stage's features beat the top stage's, beyond the noise",
          lambda x: beyond_noise(x, "different_stage2", "different_stage3", higher_is_better=True)
          or beyond_noise(x, "different_stage1", "different_stage3", higher_is_better=True)),
]
CLAIMS_BY_ID = {claim.claim_id: claim for claim in CLAIMS}


class Verdict(Enum):
    HOLDS = "yes"
    FAILS = "NO"
    MISSING = "NOT PRINTED"
    UNREGISTERED = "NO CHECK"


@dataclass(frozen=True)
class ClaimResult:
    notebook: str
    claim_id: str
    numbers: str
    verdict: Verdict


def parse_numbers(text):
    """`a=1.5 b=2` -> {"a": 1.5, "b": 2.0}."""
    return {name: float(value) for name, value in (field.split("=", 1) for field in text.split())}


def printed_claims(notebook):
    """{claim id: numbers text} from the stream outputs of an executed notebook."""
    found = {}
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            if output.get("output_type") == "stream":
                found.update(CLAIM_LINE.findall(output.get("text", "")))
    return found


def _children_cpu_seconds():
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def execute(path, out_dir):
    """Run one notebook in full mode; the executed copy goes to out_dir.

    Returns (notebook, wall seconds, CPU seconds). The CPU seconds are those of the kernel (a child
    process, reaped at shutdown): on a machine shared with other jobs they say what the notebook
    costs, where the wall time also counts the waiting for a core."""
    notebook = nbformat.read(path, as_version=4)
    environment = {key: value for key, value in os.environ.items() if key != "CS_GRADING_MODE"}
    environment.update(FULL_MODE_ENVIRONMENT)
    saved = os.environ.copy()
    os.environ.clear()
    os.environ.update(environment)  # the kernel inherits this process's environment
    started, cpu_started = time.perf_counter(), _children_cpu_seconds()
    try:
        NotebookClient(notebook, timeout=3600, kernel_name="python3",
                       resources={"metadata": {"path": str(path.parent)}}).execute()
    except CellExecutionError as error:
        # The claims after the failing cell are reported as not printed.
        print(f"{path.name} stopped with an error:\n{error}", file=sys.stderr)
    finally:
        os.environ.clear()
        os.environ.update(saved)
        seconds = time.perf_counter() - started
    nbformat.write(notebook, out_dir / path.name)
    return notebook, seconds, _children_cpu_seconds() - cpu_started


def judge(assignment, printed):
    """ClaimResults for one assignment: every registered claim, then every unregistered printed id."""
    results = []
    for claim in (claim for claim in CLAIMS if claim.notebook == assignment):
        if claim.claim_id not in printed:
            results.append(ClaimResult(assignment, claim.claim_id, "", Verdict.MISSING))
            continue
        numbers = printed[claim.claim_id]
        try:
            holds = claim.check(parse_numbers(numbers))
        except KeyError:  # the notebook printed the claim without a number its check needs
            holds = False
        results.append(ClaimResult(assignment, claim.claim_id, numbers, Verdict.HOLDS if holds else Verdict.FAILS))
    results += [ClaimResult(assignment, claim_id, numbers, Verdict.UNREGISTERED)
                for claim_id, numbers in printed.items() if claim_id not in CLAIMS_BY_ID]
    return results


def print_table(results):
    width = max(len(result.claim_id) for result in results)
    print(f"{'notebook':16s} {'claim':{width}s} {'holds':11s} numbers")
    for result in results:
        print(f"{result.notebook:16s} {result.claim_id:{width}s} {result.verdict.value:11s} {result.numbers}")
    print()
    for result in results:
        claim = CLAIMS_BY_ID.get(result.claim_id)
        if claim is not None:
            print(f"{result.claim_id}: {claim.text}")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="*", default=None, help="assignment folders to run (default: all)")
    parser.add_argument("--executed", type=Path, default=None,
                        help="read notebooks executed earlier from this folder instead of running them")
    parser.add_argument("--keep", type=Path, default=None,
                        help="write the executed notebooks into this folder (for --executed) instead of a temporary one")
    args = parser.parse_args(argv)
    assignments = args.only or list_assignments()
    results, timings = [], []
    with tempfile.TemporaryDirectory(prefix="claims-") as scratch:
        scratch = args.keep or scratch
        for assignment in assignments:
            for name in list_notebooks(assignment):
                if args.executed is not None:
                    notebook = nbformat.read(args.executed / assignment / name, as_version=4)
                else:
                    out_dir = Path(scratch) / assignment
                    out_dir.mkdir(parents=True, exist_ok=True)
                    notebook, seconds, cpu_seconds = execute(SOLUTIONS_DIR / assignment / name, out_dir)
                    timings.append((assignment, seconds, cpu_seconds))
                    print(f"ran {assignment}/{name} in full mode: {seconds:.0f} s wall, {cpu_seconds:.0f} s CPU",
                          flush=True)
                results += judge(assignment, printed_claims(notebook))
    print()
    print_table(results)
    if timings:
        print(f"\nfull mode per notebook (load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores): "
              + ", ".join(f"{assignment} {seconds:.0f} s wall / {cpu:.0f} s CPU" for assignment, seconds, cpu in timings))
    return 0 if all(result.verdict is Verdict.HOLDS for result in results) else 1


if __name__ == "__main__":
    sys.exit(main())
