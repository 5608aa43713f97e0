"""benchmarks/claims.py reads the CLAIM lines of executed notebooks and judges them."""
import importlib.util
from pathlib import Path

import nbformat
import pytest

from cs_utils.claims import mean_spread, print_claim

_SPEC = importlib.util.spec_from_file_location("claims", Path(__file__).parents[2] / "benchmarks" / "claims.py")
claims = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(claims)


def executed(*lines):
    notebook = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("")
    cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text="".join(line + "\n" for line in lines))]
    notebook.cells.append(cell)
    return notebook


def test_print_claim_round_trips_through_the_parser(capsys):
    print_claim("01.net.rules-train-loss", n=5, sgd_mean=-1.8449, sgd_sd=0.04)
    printed = claims.printed_claims(executed(capsys.readouterr().out.strip()))
    assert claims.parse_numbers(printed["01.net.rules-train-loss"]) == {"n": 5.0, "sgd_mean": -1.845, "sgd_sd": 0.04}
    with pytest.raises(ValueError):
        print_claim("an id: with spaces", x=1)


def test_noise_rule_uses_the_standard_error_of_the_difference():
    numbers = {"n": 4, "a_mean": 0.90, "a_sd": 0.01, "b_mean": 0.88, "b_sd": 0.01}
    assert claims.beyond_noise(numbers, "a", "b", higher_is_better=True)  # 0.02 > 2 * 0.0071
    numbers["a_sd"] = numbers["b_sd"] = 0.02
    assert claims.within_noise(numbers, "a", "b")  # 0.02 < 2 * 0.0141
    assert mean_spread([1.0, 3.0]) == (2.0, pytest.approx(2 ** 0.5))


def test_judge_reports_failed_missing_and_unchecked_claims():
    notebook = executed("CLAIM 01.adam-bias-correction-fades: beta1_steps_1pct=44 beta2_steps_5pct=2995",
                        "CLAIM 01.taco.momentum-beats-sgd: sgd=1 momentum=0.5 nesterov=0.4",
                        "CLAIM 01.not-a-registered-claim: x=1")
    verdicts = {result.claim_id: result.verdict for result in claims.judge("01_optimizers", claims.printed_claims(notebook))}
    assert verdicts["01.adam-bias-correction-fades"] is claims.Verdict.HOLDS
    assert verdicts["01.taco.momentum-beats-sgd"] is claims.Verdict.FAILS  # not 5x closer
    assert verdicts["01.noisy.no-constant-rate-settles"] is claims.Verdict.MISSING
    assert verdicts["01.not-a-registered-claim"] is claims.Verdict.UNREGISTERED


def test_every_claim_belongs_to_a_solution_notebook():
    from autograder.course import list_assignments
    assert {claim.notebook for claim in claims.CLAIMS} <= set(list_assignments())
    assert len(claims.CLAIMS_BY_ID) == len(claims.CLAIMS)
