"""Grading on a local Dask cluster gives what the local pool gives (tiny course, sample class)."""
import sys

import pytest

from autograder import cli
from autograder.course import CourseError, grading_code_digest
from autograder.grading.options import Options
from autograder.grading.run import grade
from autograder.commands.release import release
from autograder.commands.samples import write_samples
from tests import tiny_course as tc

pytest.importorskip("distributed")

OPTIONS = dict(cell_timeout=10, budget=120, jobs=2, show_progress=False)

# All but one test share the class that the module's fixture grades on a cluster.
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    root = tmp_path_factory.mktemp("cluster")
    solutions, assignments = root / "solutions", root / "assignments"
    tc.write_solutions(solutions)
    release(solutions, assignments, show_progress=False)
    submissions = write_samples(solutions, assignments, root / "samples")
    results, rows = grade(submissions, root / "cluster_out", Options(cluster="local", **OPTIONS), solutions)
    _, local_rows = grade(submissions, root / "local_out", Options(**OPTIONS), solutions)
    return {"root": root, "solutions": solutions, "submissions": submissions, "results": results,
            "rows": rows, "local_rows": local_rows}


def _table(rows):
    return {(r["student"], r["assignment"]): (r["score"], r["max_score"], r["status"]) for r in rows}


def test_the_cluster_grades_like_the_local_pool(course):
    assert _table(course["rows"]) == _table(course["local_rows"])
    assert len(course["rows"]) == 8


def test_cluster_results_include_feedback_and_hard_cases(course):
    table = _table(course["rows"])
    assert table[("ada_complete", tc.ASSIGNMENT)] == (5, 5, "ok")
    assert table[("eli_infinite_loop", tc.ASSIGNMENT)][2] == "timeout"
    assert table[("hal_crashing_kernel", tc.ASSIGNMENT)][2] == "kernel-died"
    page = course["root"] / "cluster_out" / "feedback" / "ada_complete" / tc.ASSIGNMENT / "tiny.html"
    assert "hidden-test-source-line" not in page.read_text() and "test_mul" in page.read_text()


def test_the_cli_grades_on_a_local_cluster(course, tmp_path, capsys):
    status = cli.main(["--solutions", str(course["solutions"]), "grade", str(course["submissions"]),
                       "--out", str(tmp_path / "out"), "--cluster", "local", "--jobs", "2", "--quiet",
                       "--timeout", "10", "--assignment", tc.ASSIGNMENT])
    assert status == 0
    assert "graded 8 submission(s)" in capsys.readouterr().out


def test_a_worker_with_another_version_of_the_course_refuses_to_grade():
    from autograder.grading.pools.dask import GradingPlugin

    assert GradingPlugin([], grading_code_digest()).check_version() is None
    with pytest.raises(CourseError, match="differs from the coordinator's"):
        GradingPlugin([], "another-version").check_version()


def test_a_missing_dask_install_is_explained(course, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "distributed", None)
    monkeypatch.delitem(sys.modules, "autograder.grading.pools.dask", raising=False)
    with pytest.raises(CourseError, match=r"pip install '\.\[distributed\]'"):
        grade(course["submissions"], tmp_path / "out", Options(cluster="local", **OPTIONS), course["solutions"])


def test_an_unreachable_scheduler_is_explained(course, tmp_path, monkeypatch):
    from autograder.grading.pools import dask as distributed

    monkeypatch.setattr(distributed, "CONNECT_TIMEOUT", 2)
    with pytest.raises(CourseError, match="cannot reach the Dask scheduler at tcp://127.0.0.1:9"):
        grade(course["submissions"], tmp_path / "out", Options(cluster="tcp://127.0.0.1:9", **OPTIONS),
              course["solutions"])
