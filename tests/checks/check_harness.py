"""The tests every hidden-check module gets: the reference passes, each catalogued bug fails with
a message that names its exercise and holds the catalogue's words, each equivalent formulation
passes; all on the same seeds."""
import pytest

SEEDS = [0, 1, 2, 12345, 2**32 - 1]


def shared_tests(run_check, reference_for, exercises, bugs, equivalents, slips=None):
    """The four tests, for a test module to bind to its own names.

    ``run_check(exercise, function, seed)`` runs one check; ``reference_for(exercise)`` is what the
    check takes for the reference; ``bugs`` maps name -> (exercise, function, words),
    ``equivalents`` name -> (exercise, function) and ``slips`` name -> (exercise, function, words
    the note must hold).
    """
    slips = slips or {}

    @pytest.mark.parametrize("seed", SEEDS)
    @pytest.mark.parametrize("exercise", exercises)
    def test_reference_passes(exercise, seed, capsys):
        run_check(exercise, reference_for(exercise), seed)
        assert capsys.readouterr().out.splitlines()[-1].startswith(f"{exercise}: all")

    @pytest.mark.parametrize("seed", SEEDS)
    @pytest.mark.parametrize("bug", sorted(bugs))
    def test_catalogued_bug_fails(bug, seed):
        exercise, function, words = bugs[bug]
        with pytest.raises(AssertionError) as failure:
            run_check(exercise, function, seed)
        message = str(failure.value)
        assert message.startswith(f"{exercise}: ")
        assert words in message

    @pytest.mark.parametrize("seed", SEEDS)
    @pytest.mark.parametrize("name", sorted(equivalents))
    def test_equivalent_formulation_passes(name, seed):
        exercise, function = equivalents[name]
        run_check(exercise, function, seed)

    @pytest.mark.parametrize("seed", SEEDS)
    @pytest.mark.parametrize("name", sorted(slips) or [pytest.param(None, marks=pytest.mark.skip("no dtype slips"))])
    def test_dtype_slip_keeps_the_points_with_a_note(name, seed, capsys):
        exercise, function, words = slips[name]
        run_check(exercise, function, seed)
        lines = capsys.readouterr().out.splitlines()
        assert lines[-1].startswith(f"{exercise}: all")
        notes = [line for line in lines if line.startswith(f"{exercise}: note: ")]
        assert notes and all(words in note for note in notes), lines

    return (test_reference_passes, test_catalogued_bug_fails, test_equivalent_formulation_passes,
            test_dtype_slip_keeps_the_points_with_a_note)
