"""The bundled sample class (``autograder/samples/``) that ``make demo`` grades.

It is generated from the course itself, so it follows every change of the notebooks:
``python -m autograder samples``. One student of each kind an instructor meets:

- ``ada_complete``: every exercise solved and every question answered;
- ``ben_partial``: every second exercise solved, the rest untouched;
- ``cy_blank``: the release notebook as handed out;
- ``dee_corrupted``: a notebook file cut short mid-upload (not valid JSON);
- ``eli_infinite_loop``: all solved, but the first exercise never returns;
- ``fay_missing``: a folder with no notebook in it;
- ``gus_silenced_errors``: the first exercise wrong, and IPython's error display switched off so
  that its test cell shows no error (the grader's verifier still refuses the points);
- ``hal_crashing_kernel``: all solved, but the first exercise's cell kills the kernel.
"""
import re
from pathlib import Path

import nbformat

from autograder import generated
from autograder.course import RELEASE_DIR, SOLUTIONS_DIR, list_assignments, list_notebooks

SAMPLES_DIR = Path(__file__).resolve().parents[1] / "samples"
SOLUTION_REGION = re.compile(r"^([ \t]*)### BEGIN SOLUTION\n(.*?)^[ \t]*### END SOLUTION[ \t]*\n?", re.M | re.S)


def _solved(source, index=None):
    """Solution source as a student would type it: the region markers removed, its code kept."""
    return SOLUTION_REGION.sub(lambda match: match.group(2), source)


SILENCE_ERRORS = """

ip = get_ipython()
ip.showtraceback = lambda *args, **kwargs: None
ip.set_custom_exc((BaseException,), lambda *args, **kwargs: None)"""


def _first_exercise(rewrite_first):
    """A rewrite that applies ``rewrite_first`` to the first exercise and solves the others."""
    return lambda source, index: _solved(source) if index else rewrite_first(source)


def _endless(source):
    """The solved region replaced by a loop that never ends."""
    return SOLUTION_REGION.sub(lambda m: f"{m.group(1)}while True:  # never returns\n{m.group(1)}    pass\n", source)


def _wrong_and_silenced(source):
    """A wrong answer (None) followed by code that hides every error of later cells."""
    return SOLUTION_REGION.sub(lambda m: f"{m.group(1)}return None\n", source) + SILENCE_ERRORS


def _crashing(source):
    """The solved exercise followed by a hard exit of the kernel process."""
    return _solved(source) + "\n\nimport os\nos._exit(1)"


def _answered(release, solution, exercise_filter, rewrite=_solved):
    """The release notebook with its exercises filled in: an exercise (a solution cell with a test
    cell ``test_<its id>``) where ``exercise_filter(index)`` holds, with ``rewrite(source, index)``;
    every other solution cell (written answers, helpers) with its solution."""
    ids = [cell.metadata.get("nbgrader", {}).get("grade_id") for cell in solution.cells]
    answers = {cell.metadata["nbgrader"]["grade_id"]: cell.source for cell in solution.cells
               if cell.metadata.get("nbgrader", {}).get("solution")}
    exercises = {grade_id for grade_id in answers if f"test_{grade_id}" in ids}
    notebook = nbformat.from_dict(release)
    exercise_index = 0
    for cell in notebook.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if grade_id in exercises:
            if exercise_filter(exercise_index):
                cell.source = rewrite(answers[grade_id], exercise_index)
            exercise_index += 1
        elif grade_id in answers:
            cell.source = _solved(answers[grade_id])
    return notebook


def sample_notebooks(solution, release):
    """Map student id -> notebook (or raw text for the corrupted upload, None for a missing one)."""
    complete = _answered(release, solution, lambda i: True)
    return {
        "ada_complete": complete,
        "ben_partial": _answered(release, solution, lambda i: i % 2 == 0),
        "cy_blank": nbformat.from_dict(release),
        "dee_corrupted": nbformat.writes(complete)[:2000],
        "eli_infinite_loop": _answered(release, solution, lambda i: True, _first_exercise(_endless)),
        "fay_missing": None,
        "gus_silenced_errors": _answered(release, solution, lambda i: True, _first_exercise(_wrong_and_silenced)),
        "hal_crashing_kernel": _answered(release, solution, lambda i: True, _first_exercise(_crashing)),
    }


def write_samples(solutions_dir=SOLUTIONS_DIR, release_dir=RELEASE_DIR, samples_dir=SAMPLES_DIR, force=False):
    """(Re)write the sample class for every assignment; returns its folder. Like ``release``, it
    replaces or removes only sample files it wrote and nobody changed (``autograder.generated``)."""
    wanted = {}
    for assignment in list_assignments(solutions_dir):
        for name in list_notebooks(assignment, solutions_dir):
            solution = nbformat.read(Path(solutions_dir) / assignment / name, as_version=4)
            release = nbformat.read(Path(release_dir) / assignment / name, as_version=4)
            for student, content in sample_notebooks(solution, release).items():
                folder = f"{student}/{assignment}"
                if isinstance(content, str):
                    wanted[f"{folder}/{name}"] = content.encode("utf-8")
                elif content is not None:
                    wanted[f"{folder}/{name}"] = (nbformat.writes(content) + "\n").encode("utf-8")
                else:
                    wanted[f"{folder}/NOTHING_SUBMITTED.txt"] = b"This student submitted no notebook.\n"
    generated.apply(samples_dir, wanted, lambda relative: True, "samples", force)
    return Path(samples_dir)
