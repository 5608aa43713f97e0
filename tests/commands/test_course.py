"""The real course: release in sync, selfcheck, the bundled sample class and the demo's grades."""
import csv
import difflib
import filecmp
import io
from pathlib import Path

import pytest

from autograder.course import RELEASE_DIR, SOLUTIONS_DIR, list_assignments
from autograder.grading.options import Options
from autograder.grading.run import grade
from autograder.commands.samples import SAMPLES_DIR, write_samples
from autograder.commands.selfcheck import selfcheck

OPTIONS = Options(cell_timeout=20, budget=300, jobs=2, show_progress=False)
HERE = Path(__file__).resolve().parent
VARYING_COLUMNS = {"graded_at"}  # the time of grading; every other column is the same run after run


def test_every_assignment_is_released():
    assert list_assignments(SOLUTIONS_DIR) == list_assignments(RELEASE_DIR)
    assert "01_optimizers" in list_assignments(SOLUTIONS_DIR)


@pytest.mark.parametrize("path", sorted(RELEASE_DIR.rglob("*.ipynb")), ids=lambda p: p.name)
def test_release_holds_no_solution_hidden_test_or_grader_code(path):
    text = path.read_text()
    for secret in ["BEGIN SOLUTION", "HIDDEN TESTS", "from autograder", "import autograder", "check_"]:
        assert secret not in text
    assert "YOUR CODE HERE" in text
    assert '"output_type"' not in text


@pytest.mark.slow
def test_selfcheck_passes():
    problems, rows = selfcheck(options=OPTIONS)
    assert problems == []
    assert {r["student"] for r in rows} == {"solution", "blank"}


def test_sample_class_is_in_sync_with_the_course(tmp_path):
    fresh = write_samples(samples_dir=tmp_path / "samples")
    fresh_files = sorted(p.relative_to(fresh) for p in fresh.rglob("*") if p.is_file())
    committed = sorted(p.relative_to(SAMPLES_DIR) for p in SAMPLES_DIR.rglob("*") if p.is_file())
    assert fresh_files == committed, "run: python -m autograder samples"
    for relative in fresh_files:
        assert filecmp.cmp(fresh / relative, SAMPLES_DIR / relative, shallow=False), relative


@pytest.fixture(scope="module")
def sample_grades(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo") / "out"
    _, rows = grade(SAMPLES_DIR, out, Options(cell_timeout=10, budget=300, jobs=2, show_progress=False))
    return {"rows": rows, "out": out}


@pytest.mark.slow
@pytest.mark.parametrize("assignment", list_assignments(SOLUTIONS_DIR))
def test_sample_class_grades_as_the_demo_shows(sample_grades, assignment):
    by_student = {r["student"]: r for r in sample_grades["rows"] if r["assignment"] == assignment}
    full = by_student["ada_complete"]["max_score"]
    assert full > 0
    assert by_student["ada_complete"]["score"] == full and by_student["ada_complete"]["status"] == "ok"
    assert 0 < by_student["ben_partial"]["score"] < full and by_student["ben_partial"]["status"] == "ok"
    assert by_student["cy_blank"]["score"] == 0 and by_student["cy_blank"]["status"] == "ok"
    assert by_student["dee_corrupted"]["status"] == "invalid-notebook"
    assert by_student["eli_infinite_loop"]["status"] == "timeout"
    assert 0 < by_student["eli_infinite_loop"]["score"] < full
    assert by_student["fay_missing"]["status"] == "missing"
    assert 0 < by_student["gus_silenced_errors"]["score"] < full and by_student["gus_silenced_errors"]["status"] == "ok"
    assert 0 < by_student["hal_crashing_kernel"]["score"] < full
    assert by_student["hal_crashing_kernel"]["status"] == "kernel-died"


def _stable_lines(path):
    """The lines of the CSV file ``path`` without its VARYING_COLUMNS."""
    with open(path, newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    kept = [index for index, column in enumerate(rows[0]) if column not in VARYING_COLUMNS]
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    writer.writerows([row[index] for index in kept] for row in rows)
    return text.getvalue().splitlines()


@pytest.mark.parametrize("table", ["grades", "tests"])
def test_sample_class_grades_are_the_recorded_ones(sample_grades, table):
    """grades.csv and tests.csv of the sample class, all but their VARYING_COLUMNS, are those of
    ``python -m autograder grade autograder/samples --out OUT --timeout 10`` recorded in
    tests/commands/sample_class_<table>.csv."""
    expected_file = HERE / f"sample_class_{table}.csv"
    expected = expected_file.read_text(encoding="utf-8").splitlines()
    fresh = _stable_lines(sample_grades["out"] / f"{table}.csv")
    if fresh != expected:
        diff = difflib.unified_diff(expected, fresh, f"tests/commands/{expected_file.name}", f"OUT/{table}.csv",
                                    lineterm="", n=1)
        pytest.fail(f"the sample class no longer grades as recorded (if the change is meant, record the grade "
                    f"command's {table}.csv without {', '.join(sorted(VARYING_COLUMNS))}):\n" + "\n".join(diff),
                    pytrace=False)
