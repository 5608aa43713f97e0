"""The tests every hidden-check module gets: the reference passes, each catalogued bug fails with
a message that names its exercise and holds the catalogue's words, each equivalent formulation
passes, dtype slips keep their points with a note; the catalogue covers every exercise with bugs
and near misses, seeds are fresh by default and an unimplemented function is reported as such.
All on the same seeds.

Near misses are wrong answers close to right (an epsilon off by a small factor, a term that matters
only for a zero gradient or a first step, a slightly wrong default, an error of the size of a
tolerance), each caught by a tight tolerance or by one particular sub-check: loosening the one or
skipping the other makes a test fail.
"""
import pytest

from tests.checks.check_traces import Recorder, assert_recorded

SEEDS = [0, 1, 2, 12345, 2**32 - 1]


def _not_implemented(*args, **kwargs):
    raise NotImplementedError()


def _unimplemented_like(answer):
    """An answer shaped like ``answer`` (a function, a class, or a tuple of them) that raises
    NotImplementedError as the release's stubs do."""
    if isinstance(answer, tuple):
        return tuple(_unimplemented_like(part) for part in answer)
    if isinstance(answer, type):
        return type(f"NotImplemented{answer.__name__}", (), {"__init__": _not_implemented})
    return _not_implemented


def shared_tests(key, run_check, reference_for, exercises, bugs, near_misses, equivalents, slips=None):
    """The shared tests by name, for a test module to add to its globals.

    ``key`` names the assignment (its recorded inputs are ``tests/checks/traces/<key>.json``);
    ``run_check(exercise, answer, seed)`` runs one check (``seed=None``: a fresh one);
    ``reference_for(exercise)`` is the answer the check takes for the reference; ``bugs`` and
    ``near_misses`` map name -> (exercise, answer, words of the failure), ``equivalents`` name ->
    (exercise, answer) and ``slips`` name -> (exercise, answer, words the note must hold).
    """
    slips = slips or {}
    assert not set(bugs) & set(near_misses), "a near miss is listed once, in near_misses"
    every_bug = {**bugs, **near_misses}

    def by_exercise(entries):
        # The exercise leads each id, so ``-k EXERCISE`` selects its tests (mutation/run.py does).
        return [pytest.param(name, id=f"{entries[name][0]}-{name}") for name in sorted(entries)]

    @pytest.mark.parametrize("seed", SEEDS)
    @pytest.mark.parametrize("exercise", exercises)
    def test_reference_passes(exercise, seed, capsys):
        run_check(exercise, reference_for(exercise), seed)
        assert capsys.readouterr().out.splitlines()[-1].startswith(f"{exercise}: all")

    @pytest.mark.parametrize("seed", SEEDS)
    @pytest.mark.parametrize("exercise", exercises)
    def test_recorded_inputs_reach_the_reference(exercise, seed, capsys):
        recorder = Recorder()
        run_check(exercise, recorder.wrap(reference_for(exercise)), seed)
        assert_recorded(key, exercise, seed, recorder.digest(capsys.readouterr().out))

    @pytest.mark.parametrize("seed", SEEDS)
    @pytest.mark.parametrize("bug", by_exercise(every_bug))
    def test_catalogued_bug_fails(bug, seed):
        exercise, function, words = every_bug[bug]
        with pytest.raises(AssertionError) as failure:
            run_check(exercise, function, seed)
        message = str(failure.value)
        assert message.startswith(f"{exercise}: ")
        assert words in message

    @pytest.mark.parametrize("seed", SEEDS)
    @pytest.mark.parametrize("name", by_exercise(equivalents))
    def test_equivalent_formulation_passes(name, seed):
        exercise, function = equivalents[name]
        run_check(exercise, function, seed)

    @pytest.mark.parametrize("seed", SEEDS)
    @pytest.mark.parametrize("name", by_exercise(slips) or [pytest.param(None, marks=pytest.mark.skip("no dtype slips"))])
    def test_dtype_slip_keeps_the_points_with_a_note(name, seed, capsys):
        exercise, function, words = slips[name]
        run_check(exercise, function, seed)
        lines = capsys.readouterr().out.splitlines()
        assert lines[-1].startswith(f"{exercise}: all")
        notes = [line for line in lines if line.startswith(f"{exercise}: note: ")]
        assert notes and all(words in note for note in notes), lines

    def test_catalogue_covers_every_exercise():
        assert {exercise for exercise, _, _ in bugs.values()} == set(exercises)
        assert {exercise for exercise, _, _ in near_misses.values()} == set(exercises)

    def test_seeds_are_fresh_by_default(capsys):
        verdicts = []
        for _ in range(2):
            run_check(exercises[0], reference_for(exercises[0]), None)
            verdicts.append(capsys.readouterr().out.splitlines()[-1])
        assert verdicts[0].startswith(f"{exercises[0]}: all") and verdicts[0] != verdicts[1]

    @pytest.mark.parametrize("exercise", exercises)
    def test_unimplemented_function_is_reported(exercise):
        with pytest.raises(AssertionError, match="not implemented"):
            run_check(exercise, _unimplemented_like(reference_for(exercise)), 0)

    tests = [test_reference_passes, test_recorded_inputs_reach_the_reference, test_catalogued_bug_fails,
             test_equivalent_formulation_passes, test_dtype_slip_keeps_the_points_with_a_note, test_catalogue_covers_every_exercise,
             test_seeds_are_fresh_by_default, test_unimplemented_function_is_reported]
    return {test.__name__: test for test in tests}
