"""The similarity report on a generated class (tests/similarity/similarity_class.py), as an instructor runs it."""
import csv
import shutil

import nbformat
import pytest

from autograder import cli
from autograder.course import RELEASE_DIR
from autograder.similarity.compare import answer_code, similarity
from autograder.spreadsheet import spreadsheet_safe as csv_safe
from tests.similarity.similarity_class import ASSIGNMENT, NOTEBOOK, write_class


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    """30 honest students, 6 copiers and one identical copy, reported by the command line."""
    root = tmp_path_factory.mktemp("similarity")
    copiers, twin = write_class(root / "class", honest=30, seed=0)
    assert cli.main(["similarity", str(root / "class"), "--out", str(root / "out"), "--quiet"]) == 0
    with open(root / "out" / "similarity.csv", newline="", encoding="utf-8") as stream:
        rows = [row for row in csv.DictReader(stream) if row["exercise"] == ""]
    return root, copiers, twin, rows


def _pair(row):
    return frozenset((row["student_a"], row["student_b"]))


def test_every_copier_ranks_above_every_honest_pair_and_the_identical_copy_is_first(generated):
    _, copiers, twin, rows = generated
    assert len(rows) == 37 * 36 // 2
    assert _pair(rows[0]) == twin and float(rows[0]["score"]) == 1.0
    top = {_pair(row) for row in rows[:len(copiers) + 1]}
    assert top == copiers | {twin}, [(_pair(row), row["score"]) for row in rows[:10]]
    worst_copier = min(float(row["score"]) for row in rows if _pair(row) in copiers)
    best_other = max(float(row["score"]) for row in rows if _pair(row) not in copiers | {twin})
    assert worst_copier > best_other


def test_the_page_explains_the_score_shows_pairs_side_by_side_and_runs_nothing(generated):
    root, copiers, twin, _ = generated
    page = (root / "out" / "similarity.html").read_text(encoding="utf-8")
    assert "not a verdict" in page and "default-src 'none'" in page
    assert "<script" not in page.lower()
    first = min(copiers | {twin}, key=sorted)
    assert all(name in page for name in first)
    assert page.count('<section class="pair"') == 50
    assert page.count("<mark>") > 100


def test_starter_code_is_not_the_students_answer():
    starter = "def f(x):\n    \"\"\"Doc.\"\"\"\n    # YOUR CODE HERE\n    raise NotImplementedError()\n    return y\n"
    typed = "def f(x):\n    \"\"\"Doc.\"\"\"\n    y = x * 2  # mine\n    return y\n"
    assert answer_code(typed, starter) == "y = x * 2  # mine"
    assert answer_code(starter, starter) == ""


def _student(folder, name, notebook):
    path = folder / name / ASSIGNMENT / NOTEBOOK
    path.parent.mkdir(parents=True)
    nbformat.write(notebook, path)
    return path


def _release():
    return nbformat.read(RELEASE_DIR / ASSIGNMENT / NOTEBOOK, as_version=4)


def _with_answer(code, exercise="lbfgs_direction"):
    notebook = _release()
    for cell in notebook.cells:
        if cell.metadata.get("nbgrader", {}).get("grade_id") == exercise:
            cell.source = cell.source.replace("raise NotImplementedError()", code.replace("\n", "\n    "))
    return notebook


COMMON = 'cache = config["grad_squared"] + dw * dw\nnext_w = w - config["learning_rate"] * dw / (np.sqrt(cache) + 1e-7)'


def test_code_most_of_the_class_writes_alike_does_not_count(tmp_path, monkeypatch):
    """Six students write the same answer, as a class often does for a short exercise: no pair scores.
    The same class with the discount switched off scores 1.0 for every pair."""
    for index in range(6):
        _student(tmp_path, f"s{index}", _with_answer(COMMON, "adagrad"))
    found = similarity(tmp_path, [ASSIGNMENT], show_progress=False)
    assert len(found.pairs) == 15 and all(pair.score == 0 and pair.compared == 0 for pair in found.pairs)
    monkeypatch.setattr("autograder.similarity.compare.COMMON_SHARE", 2.0)
    assert all(pair.score == 1.0 for pair in similarity(tmp_path, [ASSIGNMENT], show_progress=False).pairs)


def test_blank_submissions_are_not_copies(tmp_path):
    for name in ("ann", "bob", "cat"):
        _student(tmp_path, name, _release())
    found = similarity(tmp_path, [ASSIGNMENT], show_progress=False)
    assert [pair.score for pair in found.pairs] == [0.0, 0.0, 0.0]


HOSTILE = ('marker = open("PWNED", "w").write("ran")\n'
           's = "</pre><script>alert(1)</script><img src=x onerror=alert(2)>"\nreturn s + s + s')


def test_hostile_names_and_code_are_shown_as_text_never_run(tmp_path, monkeypatch):
    """Student folder names and answers that are HTML and spreadsheet formulas. Run against a
    ``marked`` without ``html.escape`` and a writer without ``csv_safe``, the page held a live
    <script> and <img onerror>, and the CSV cell started with '='."""
    monkeypatch.chdir(tmp_path)
    names = ["=HYPERLINK(\"evil\")", "<img src=x onerror=alert(3)>", "+cmd", "@SUM(A1)"]
    for name in names:
        _student(tmp_path / "class", name, _with_answer(HOSTILE))
    assert cli.main(["similarity", str(tmp_path / "class"), "--out", str(tmp_path / "out"), "--quiet"]) == 0
    page = (tmp_path / "out" / "similarity.html").read_text(encoding="utf-8")
    assert "<script" not in page and "<img" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "&lt;img src=x onerror=alert(3)&gt;" in page
    with open(tmp_path / "out" / "similarity.csv", newline="", encoding="utf-8") as stream:
        cells = [cell for row in csv.reader(stream) for cell in row[3:6]]
    assert cells and not any(cell.startswith(("=", "+", "-", "@", "\t", "\r")) for cell in cells)
    assert "'=HYPERLINK(\"evil\")" in cells
    assert not (tmp_path / "PWNED").exists() and not (tmp_path / "class" / "PWNED").exists()


@pytest.mark.parametrize("text", ["=1+2", "+1", "-1", "@x", "\tx", "\rx"])
def test_csv_cells_that_look_like_formulas_are_neutralised(text):
    assert csv_safe(text) == "'" + text
    assert csv_safe("ann") == "ann"


def test_earlier_terms_are_compared_with_this_term_not_with_each_other(tmp_path, generated):
    root, _, twin, _ = generated
    source = next(name for name in twin if name.startswith("honest"))
    for old in ("old_a", "old_b"):
        shutil.copytree(root / "class" / source, tmp_path / "terms" / "fall2025" / old)
    for name in ("honest_000", "honest_001", "honest_002", "honest_003", "honest_004", source):
        shutil.copytree(root / "class" / name, tmp_path / "now" / name)
    found = similarity(tmp_path / "now", against=[tmp_path / "terms"], show_progress=False)
    pairs = [{pair.a.student, pair.b.student} for pair in found.pairs]
    assert len(pairs) == 6 * 5 // 2 + 6 * 2
    assert {"terms/fall2025/old_a", "terms/fall2025/old_b"} not in pairs
    assert pairs[:2] == [{source, "terms/fall2025/old_a"}, {source, "terms/fall2025/old_b"}]
    assert found.pairs[1].score == 1.0 > found.pairs[2].score


def test_bad_input_gets_one_sentence_not_a_traceback(tmp_path, capsys):
    (tmp_path / "empty").mkdir()
    broken = tmp_path / "class" / "dee" / ASSIGNMENT / NOTEBOOK
    broken.parent.mkdir(parents=True)
    broken.write_text('{"cells": [', encoding="utf-8")
    _student(tmp_path / "class", "ann", _release())
    _student(tmp_path / "class", "bob", _release())
    cases = [([str(tmp_path / "missing")], 2, "no submissions folder"),
             ([str(tmp_path / "empty")], 2, "no notebooks found"),
             ([str(tmp_path / "class"), "--assignment", "99_nothing"], 2, "no assignment '99_nothing'"),
             ([str(tmp_path / "class"), "--against", str(tmp_path / "nowhere")], 2, "no folder of earlier terms"),
             ([str(tmp_path / "class"), "--assignment", ASSIGNMENT], 0, "skipped")]
    for arguments, status, message in cases:
        assert cli.main(["similarity", *arguments, "--out", str(tmp_path / "out"), "--quiet"]) == status
        err = capsys.readouterr().err
        assert message in err and "Traceback" not in err
        if status:
            assert len(err.strip().splitlines()) == 1
    assert (tmp_path / "out" / "similarity.csv").is_file()
