"""Every CSV the course writes shows a student's text and never evaluates it."""
import csv
import io

from hypothesis import given
from hypothesis import strategies as st

from autograder.term.lms_export import write_csv
from autograder.spreadsheet import FORMULA_STARTS, SafeDictWriter, SafeWriter, spreadsheet_safe


@given(st.text())
def test_a_safe_cell_never_starts_a_formula_and_keeps_the_text(text):
    cell = spreadsheet_safe(text)
    assert not cell.startswith(FORMULA_STARTS)
    assert cell in (text, "'" + text)


@given(st.lists(st.lists(st.one_of(st.text(), st.integers()), min_size=1, max_size=5), max_size=5))
def test_rows_round_trip_through_the_csv_module(rows):
    stream = io.StringIO()
    SafeWriter(stream).writerows(rows)
    read = list(csv.reader(io.StringIO(stream.getvalue())))
    assert read == [[str(spreadsheet_safe(value)) for value in row] for row in rows]


def test_dict_rows_are_neutralised():
    stream = io.StringIO()
    writer = SafeDictWriter(stream, ["student", "score"])
    writer.writerows([{"student": "@SUM(1+1)", "score": 3}, {"student": "ada", "score": -1}])
    assert stream.getvalue().splitlines() == ["'@SUM(1+1),3", "ada,-1"]


def test_lms_exports_are_neutralised(tmp_path):
    path = write_csv(tmp_path / "canvas.csv", [["Student", "Notes"], ['=HYPERLINK("x")', "-3 days late"]])
    with open(path, newline="", encoding="utf-8") as handle:
        assert list(csv.reader(handle)) == [["Student", "Notes"], ["'=HYPERLINK(\"x\")", "'-3 days late"]]
