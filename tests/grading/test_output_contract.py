"""The output contract on the tiny course: the columns of grades.csv and tests.csv, and that the
feedback pages and the gradebook (``OUT/gradebook.db``) say what they say, for every student and
every graded cell."""
import csv
from html.parser import HTMLParser

import pytest

from tests import tiny_course as tc

# Cell statuses shown as a success or a failure (``autograder/grading/nbgrader_ext/feedback.py``).
PASSED, FAILED = {"passed"}, {"failed", "timeout", "kernel-died"}


def _read(path):
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture(scope="module")
def tables(course):
    return {name: _read(course["out"] / f"{name}.csv") for name in ("grades", "tests")}


class Summary(HTMLParser):
    """What a feedback page's summary (``div.course-summary``) shows: the rows of its table, each a
    list of cells ``{"text", "class", "href"}``, and its other text; and every anchor of the page."""

    def __init__(self, page):
        super().__init__()
        self.depth, self.rows, self.row, self.text, self.anchors = None, [], None, [], set()
        self.feed(page)
        self.close()

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.anchors.update(attrs[key] for key in ("id", "name") if attrs.get(key))
        if self.depth is None:
            if tag == "div" and "course-summary" in (attrs.get("class") or "").split():
                self.depth = 0
            return
        if tag == "div":
            self.depth += 1
        elif tag == "tr":
            self.row = []
        elif tag == "td" and self.row is not None:
            self.row.append({"text": "", "class": attrs.get("class") or "", "href": None})
        elif tag == "a" and self.row:
            self.row[-1]["href"] = attrs.get("href")

    def handle_endtag(self, tag):
        if self.depth is None:
            return
        if tag == "div":
            self.depth = self.depth - 1 if self.depth else None
        elif tag == "tr":
            if self.row:  # the header row has no td
                self.rows.append(self.row)
            self.row = None

    def handle_data(self, data):
        if self.depth is None:
            return
        if self.row:
            self.row[-1]["text"] += data
        else:
            self.text.append(data)


def _summary(course, student, notebook):
    return Summary((course["out"] / "feedback" / student / tc.ASSIGNMENT / f"{notebook}.html").read_text())


def _points(score, max_score):
    return f"{float(score):g} / {float(max_score):g}" if score != "" else f" / {float(max_score):g}"


def test_csv_files_have_the_contract_columns(course):
    with open(course["out"] / "grades.csv") as handle:
        grades = list(csv.DictReader(handle))
    assert list(grades[0]) == ["student", "assignment", "score", "max_score", "manual_max_score", "status",
                               "message", "graded_at"]
    assert len(grades) == 11
    ben_row = next(r for r in grades if r["student"] == "ben_partial")
    assert {k: v for k, v in ben_row.items() if k != "graded_at"} == {
        "student": "ben_partial", "assignment": tc.ASSIGNMENT, "score": "2.0", "max_score": "5.0",
        "manual_max_score": "1.0", "status": "ok", "message": ""}
    with open(course["out"] / "tests.csv") as handle:
        tests = list(csv.DictReader(handle))
    assert list(tests[0]) == ["student", "assignment", "notebook", "grade_id", "score", "max_score", "status",
                              "message"]
    assert {(t["notebook"], t["grade_id"], float(t["score"]), float(t["max_score"])) for t in tests
            if t["student"] == "ada_complete"} == {
        ("tiny", "test_add", 2, 2), ("tiny", "test_mul", 3, 3), ("tiny", "answer_why", 0, 1)}
    ben = {t["grade_id"]: t for t in tests if t["student"] == "ben_partial"}
    assert ben["test_add"]["status"] == "passed"
    assert ben["test_mul"]["status"] == "failed" and "NotImplementedError" in ben["test_mul"]["message"]
    assert ben["answer_why"]["status"] == "manual"
    blank = {t["grade_id"]: t for t in tests if t["student"] == "cy_blank"}
    assert blank["answer_why"]["status"] == "unanswered"
    corrupted = [t for t in tests if t["student"] == "dee_corrupted"]
    assert {t["status"] for t in corrupted} == {"invalid-notebook"} and len(corrupted) == 3


def test_every_graded_cell_has_one_feedback_row_as_in_tests_csv(course, tables):
    shown, expected = {}, {}
    for test in tables["tests"]:
        expected.setdefault((test["student"], test["notebook"]), []).append(
            [test["grade_id"], _points(test["score"], test["max_score"]), test["status"], test["message"]])
    for student, notebook in expected:
        rows = _summary(course, student, notebook).rows
        shown[student, notebook] = [[cell["text"] for cell in row] for row in rows]
    assert shown == expected
    assert {t["student"] for t in tables["tests"]} == {g["student"] for g in tables["grades"]}


def test_feedback_rows_mark_results_and_link_to_their_cells_when_the_notebook_ran(course, tables):
    statuses = {g["student"]: g["status"] for g in tables["grades"]}
    for student, status in statuses.items():
        summary = _summary(course, student, "tiny")
        ran = status not in ("invalid-notebook", "missing")
        for name, _, result, _ in summary.rows:
            assert result["class"] == ("course-passed" if result["text"] in PASSED else
                                       "course-failed" if result["text"] in FAILED else ""), (student, name)
            assert name["href"] == (f"#{name['text']}" if ran else None), (student, name)
            assert not ran or name["text"] in summary.anchors, (student, name)


def test_feedback_totals_and_status_are_those_of_grades_csv(course, tables):
    for grade in tables["grades"]:
        text = "".join(_summary(course, grade["student"], "tiny").text)
        assert f"Autograded score: {float(grade['score']):g} / {float(grade['max_score']):g}." in text, grade
        manual = f"Written answers worth {float(grade['manual_max_score']):g} more point(s) are graded by hand"
        assert (manual in text) == (float(grade["manual_max_score"]) > 0), grade
        assert (f"Grading status: {grade['status']}." in text) == (grade["status"] != "ok"), grade


def test_gradebook_in_out_matches_tests_and_grades_csv(course, tables):
    """Every graded cell's score in nbgrader's gradebook is the one of tests.csv; a written answer
    to grade by hand has no score yet and needs manual grading; an unanswered one scores 0."""
    from nbgrader.api import Gradebook, MissingEntry

    graded = {g["student"]: g for g in tables["grades"] if g["status"] != "missing"}
    expected = {(t["student"], t["notebook"], t["grade_id"]):
                (float(t["max_score"]), None, True) if t["status"] == "manual" else
                (float(t["max_score"]), float(t["score"]), False)
                for t in tables["tests"] if t["student"] in graded}
    assert any(manual for _, _, manual in expected.values())
    found = {}
    with Gradebook(f"sqlite:///{course['out'] / 'gradebook.db'}") as gradebook:
        assert {s.student.id for s in gradebook.find_assignment(tc.ASSIGNMENT).submissions} == set(graded)
        for student, grade_row in graded.items():
            submission = gradebook.find_submission(tc.ASSIGNMENT, student)
            assert submission.code_score == float(grade_row["score"]), student
            for notebook in submission.notebooks:
                for grade in notebook.grades:
                    found[student, notebook.name, grade.name] = (grade.max_score, grade.auto_score,
                                                                 grade.needs_manual_grade)
        for student in {g["student"] for g in tables["grades"]} - set(graded):
            with pytest.raises(MissingEntry):
                gradebook.find_submission(tc.ASSIGNMENT, student)
    assert found == expected
