"""Cheats on 04 Transfer learning win nothing next to an honest student who keeps full marks: its
hidden checks run in the grader, and the kernel holds neither checks nor reference."""
import pytest

from autograder.grading.options import Options

from autograder.grading.run import grade
from tests.hostile import hostile_transfer_catalogue as catalogue

OPTIONS = Options(cell_timeout=30, budget=240, jobs=2, show_progress=False, memory_mb=4096, file_mb=64,
                  processes=128)

# Both tests read the class that the module's fixture grades (PyTorch notebooks: minutes).
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    root = tmp_path_factory.mktemp("hostile_transfer")
    notebooks = catalogue.cases()
    notebooks["honest_complete"] = catalogue.complete()
    for student, notebook in notebooks.items():
        folder = root / "submitted" / student / catalogue.ASSIGNMENT
        folder.mkdir(parents=True)
        (folder / catalogue.NOTEBOOK).write_bytes(catalogue.dump(notebook))
    _, rows = grade(root / "submitted", root / "out", OPTIONS, assignments=[catalogue.ASSIGNMENT])
    return {row["student"]: row for row in rows}


def test_the_honest_student_gets_full_marks(graded):
    row = graded["honest_complete"]
    assert (row["status"], row["score"]) == ("ok", row["max_score"]), row["message"]


@pytest.mark.parametrize("cheat", ["imports_reference", *sorted(catalogue.TRICKS)])
def test_cheat_wins_nothing(graded, cheat):
    row = graded[cheat]
    assert (row["status"], row["score"]) == ("ok", catalogue.expected_score(cheat)), row
