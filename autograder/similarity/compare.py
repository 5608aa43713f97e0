"""Which submissions look copied: pairwise similarity of the students' answer code.

Only the code of solution cells is compared, with the released starter code taken out (what the
student typed, not what we handed out). The fingerprints are those of ``copydetect``: MOSS's
winnowing over a token stream in which comments and whitespace are dropped and names and strings
are replaced by one letter, so renaming variables, rewording comments, reordering statements or
inserting dead code leave most fingerprints in place. We chose it over Dolos (a Node.js tool) and
over code of our own because it is a maintained Python package made for exactly this, with the
highlighting of copied slices built in. Numbers are normalised here before its tokenizer sees them.

Scores are shares of fingerprinted code: for one exercise, how much of the two answers (after
discounting code that most of the class writes the same way) the other answer also holds; for a
notebook, the same over all its exercises together, so long answers weigh more than one-liners.
Nothing here runs student code: notebooks are read as JSON, code is only tokenized.
"""
import difflib
import functools
import io
import json
import math
import textwrap
from dataclasses import dataclass
from itertools import combinations
from pathlib import Path

import numpy as np
from copydetect.detector import CodeFingerprint, compare_files
from copydetect.utils import get_token_coverage
from pygments.lexers import PythonLexer
from pygments.token import Comment, Name, Number, String, Text

from autograder.course import RELEASE_DIR, SOLUTIONS_DIR, CourseError, list_assignments, list_notebooks
from autograder.progress import progress_bar

# A fingerprint is a run of this many characters of the normalised token stream (names and
# strings are one letter each): about a dozen tokens, a line of code.
KGRAM = 12
# Fingerprints that at least this share of the class's answers to an exercise hold are the usual
# way of writing it, not evidence; only counted once enough students answered for "most" to mean much.
COMMON_SHARE = 0.5
COMMON_MIN_STUDENTS = 5
MAX_NOTEBOOK_MB = 50.0
# The letters of copydetect.utils.filter_code, plus N for numbers; keywords and operators stay as written.
TOKEN_LETTERS = (({Name, Name.Variable, Name.Attribute}, "V"), (Name.Function, "F"), (Name.Class, "O"),
                 ({Comment.Preproc, Comment.Hashbang}, "P"), (String, "S"), (Number, "N"))
_LEXER = PythonLexer(stripnl=False, ensurenl=False)


@dataclass(frozen=True)
class Exercise:
    """A code solution cell of a notebook: its nbgrader id and the starter code the release holds."""
    grade_id: str
    cell_id: str
    starter: str


@dataclass
class Answer:
    """What one student wrote for one exercise: ``code`` as typed (starter lines removed), its
    fingerprint, the span of ``code`` (``starts``, ``ends``) each character of the normalised text
    comes from, and its ``words`` (to tell an unchanged copy)."""
    code: str
    fingerprint: CodeFingerprint
    starts: np.ndarray
    ends: np.ndarray
    words: tuple

    @property
    def weight(self):
        """Characters of normalised code that fingerprints cover (0 for an unanswered exercise)."""
        return float(self.fingerprint.token_coverage)


@dataclass(frozen=True)
class Submission:
    """One student's notebook: ``student`` as shown in the report (``term/student`` for an earlier
    term), answers by grade id."""
    student: str
    answers: dict


@dataclass(frozen=True)
class ExerciseMatch:
    """Similarity of two answers to one exercise; ``spans_a``/``spans_b`` are (start, end) character
    ranges of the matching code in each answer, filled in for the pairs that are shown."""
    grade_id: str
    score: float
    matched: float
    compared: float
    spans_a: tuple = ()
    spans_b: tuple = ()


@dataclass(frozen=True)
class PairResult:
    """Similarity of two students' notebooks, overall (length-weighted) and per exercise; ``verbatim``
    is the share of the compared code in answers that are the same text, comments and names included
    (it ranks an unchanged copy above a disguised one of the same score)."""
    assignment: str
    notebook: str
    a: Submission
    b: Submission
    score: float
    matched: float
    compared: float
    exercises: tuple
    verbatim: float

    def rank_key(self):
        return (-round(self.score, 6), -round(self.verbatim, 6), self.assignment, self.notebook,
                self.a.student, self.b.student)


@dataclass(frozen=True)
class SimilarityRun:
    """Every compared pair, best first; the notebooks that could not be read (path, reason); the
    exercises and the number of submissions read of each (assignment, notebook)."""
    pairs: list
    skipped: list
    notebooks: int
    exercises: dict
    read: dict


def notebook_exercises(assignment, notebook, solutions_dir=SOLUTIONS_DIR, release_dir=RELEASE_DIR):
    """The code exercises of one notebook, in order: solution cells of the instructor source, with the
    source the release hands out (its starter code)."""
    release_path = Path(release_dir) / assignment / notebook
    if not release_path.is_file():
        raise CourseError(f"no released notebook at {release_path}; run `python -m autograder release` first")
    try:
        source = _read_json(Path(solutions_dir) / assignment / notebook)
        released = {_grade_id(cell): _source(cell) for cell in _read_json(release_path).get("cells", [])}
    except (OSError, ValueError) as error:
        raise CourseError(f"cannot read the course notebook {assignment}/{notebook}: {error}") from error
    return [Exercise(_grade_id(cell), cell.get("id", ""), released.get(_grade_id(cell), ""))
            for cell in source.get("cells", [])
            if cell.get("cell_type") == "code" and cell.get("metadata", {}).get("nbgrader", {}).get("solution")]


def answer_code(typed, starter):
    """The lines of ``typed`` that are not lines of ``starter`` (compared stripped, in order), dedented."""
    typed_lines, starter_lines = typed.splitlines(), starter.splitlines()
    matcher = difflib.SequenceMatcher(None, [line.strip() for line in starter_lines],
                                      [line.strip() for line in typed_lines], autojunk=False)
    given = set()
    for block in matcher.get_matching_blocks():
        given.update(range(block.b, block.b + block.size))
    kept = [line for index, line in enumerate(typed_lines) if index not in given and line.strip()]
    return textwrap.dedent("\n".join(kept)).strip("\n")


@functools.lru_cache(maxsize=4096)
def normalised(code):
    """``code`` as copydetect's tokenizer writes it (no comments or whitespace; every variable ``V``,
    function or class name ``F``/``O``, string ``S``), and numbers ``N`` (copydetect keeps them as
    written). Returns the text and, per character of it, the span of ``code`` it comes from."""
    pieces, starts, ends = [], [], []
    for index, kind, text in _LEXER.get_tokens_unprocessed(code):
        if kind in Comment and kind not in (Comment.Preproc, Comment.Hashbang) or kind in Text or text == "":
            continue
        letter = next((letter for kinds, letter in TOKEN_LETTERS if kind in kinds), None)
        if kind in String and text in ("'", '"'):
            letter = '"'
        if letter is None:
            pieces.append(text)
            starts.extend(range(index, index + len(text)))
            ends.extend(range(index + 1, index + len(text) + 1))
        else:
            pieces.append(letter)
            starts.append(index)
            ends.append(index + len(text))
    return "".join(pieces), np.array(starts + [len(code)]), np.array(ends + [len(code)])


def fingerprint(code):
    """The ``Answer`` of ``code``: copydetect's fingerprints of its normalised text."""
    text, starts, ends = normalised(code)
    # Every k-gram is a fingerprint (window 1): answers are short, and winnowing would then keep
    # too few of them, and its choice would depend on Python's per-process string hash seed.
    print_ = CodeFingerprint("answer.py", KGRAM, 1, filter=False, fp=io.StringIO(text))
    return Answer(code, print_, starts, ends, tuple(code.split()))


def discount(answers, hashes):
    """Take the fingerprints ``hashes`` out of every answer of ``answers``."""
    for answer in answers:
        printed = answer.fingerprint
        common = printed.hashes & hashes
        if common:
            printed.hashes = printed.hashes - common
            printed.hash_idx = {h: i for h, i in printed.hash_idx.items() if h not in common}
            printed.token_coverage = get_token_coverage(printed.hash_idx, printed.k, len(printed.filtered_code))


def common_fingerprints(answers):
    """Fingerprints that most of ``answers`` hold (see ``COMMON_SHARE``)."""
    answered = [answer for answer in answers if answer.fingerprint.hashes]
    if len(answered) < COMMON_MIN_STUDENTS:
        return set()
    counts = {}
    for answer in answered:
        for value in answer.fingerprint.hashes:
            counts[value] = counts.get(value, 0) + 1
    needed = math.ceil(COMMON_SHARE * len(answered))
    return {value for value, count in counts.items() if count >= needed}


def compare(grade_id, first, second, with_spans=False, known=None):
    """The ``ExerciseMatch`` of two answers (either may be None: not answered). ``known`` holds the
    matches found so far by normalised texts: students often write short answers identically."""
    weights = [answer.weight if answer else 0.0 for answer in (first, second)]
    compared = sum(weights)
    if not (first and second and first.fingerprint.hashes & second.fingerprint.hashes):
        return ExerciseMatch(grade_id, 0.0, 0.0, compared)
    key = (grade_id, first.fingerprint.filtered_code, second.fingerprint.filtered_code)
    if known is not None and not with_spans and key in known:
        return known[key]
    _, shares, slices = compare_files(first.fingerprint, second.fingerprint)
    matched = float(shares[0] * weights[0] + shares[1] * weights[1])
    spans = [_spans(answer, part) for answer, part in zip((first, second), slices)] if with_spans else [(), ()]
    match = ExerciseMatch(grade_id, matched / compared if compared else 0.0, matched, compared, *spans)
    if known is not None and not with_spans:
        known[key] = match
    return match


def compare_submissions(assignment, notebook, exercises, first, second, with_spans=False, known=None):
    """The ``PairResult`` of two submissions of one notebook."""
    matches = tuple(compare(exercise.grade_id, first.answers.get(exercise.grade_id),
                            second.answers.get(exercise.grade_id), with_spans, known) for exercise in exercises)
    matched, compared = sum(m.matched for m in matches), sum(m.compared for m in matches)
    same = sum(m.compared for m in matches if _same_text(first.answers.get(m.grade_id), second.answers.get(m.grade_id)))
    return PairResult(assignment, notebook, first, second, matched / compared if compared else 0.0,
                      matched, compared, matches, same / compared if compared else 0.0)


def _same_text(first, second):
    return bool(first and second and first.words == second.words)


def similarity(submissions, assignments=None, against=(), solutions_dir=SOLUTIONS_DIR,
               release_dir=RELEASE_DIR, show_progress=True, shown=50):
    """Compare every pair of students of ``submissions`` (nbgrader collect layout), and every student
    with every earlier student of the folders ``against``, notebook by notebook.

    Returns a ``SimilarityRun``; its ``shown`` best pairs of each notebook carry matching spans.
    """
    submissions = Path(submissions)
    if not submissions.is_dir():
        raise CourseError(f"no submissions folder at {submissions}")
    known = list_assignments(solutions_dir)
    for name in assignments or []:
        if name not in known:
            raise CourseError(f"no assignment {name!r} in {solutions_dir} (there are: {', '.join(known)})")
    past_roots = [(Path(folder).name, Path(folder)) for folder in against]
    for _, folder in past_roots:
        if not folder.is_dir():
            raise CourseError(f"no folder of earlier terms at {folder}")
    skipped, pairs, exercise_lists, read = [], [], {}, {}
    for assignment in assignments or known:
        for notebook in list_notebooks(assignment, solutions_dir):
            exercises = notebook_exercises(assignment, notebook, solutions_dir, release_dir)
            exercise_lists[(assignment, notebook)] = exercises
            current = _load(_notebook_paths(submissions, "", assignment, notebook), exercises, skipped,
                            show_progress, f"read {assignment}")
            past = []
            for label, root in past_roots:
                past += _load(_notebook_paths(root, label, assignment, notebook), exercises, skipped,
                              show_progress, f"read {label}")
            read[(assignment, notebook)] = len(current) + len(past)
            for exercise in exercises:
                group = [s.answers[exercise.grade_id] for s in current if exercise.grade_id in s.answers]
                discount(group + [s.answers[exercise.grade_id] for s in past if exercise.grade_id in s.answers],
                         common_fingerprints(group))
            jobs = list(combinations(current, 2)) + [(now, then) for now in current for then in past]
            known = {}
            found = [compare_submissions(assignment, notebook, exercises, first, second, known=known)
                     for first, second in progress_bar(jobs, f"compare {assignment}", show_progress)]
            found.sort(key=PairResult.rank_key)
            pairs += [compare_submissions(assignment, notebook, exercises, p.a, p.b, with_spans=True)
                      for p in found[:shown]] + found[shown:]
    if not sum(read.values()):
        raise CourseError(f"no notebooks found in {submissions}: expected <student>/<assignment>/<notebook>.ipynb")
    pairs.sort(key=PairResult.rank_key)
    return SimilarityRun(pairs, skipped, sum(read.values()), exercise_lists, read)


def _spans(answer, slices):
    """Copydetect's slices of the normalised text as (start, end) ranges of the typed code."""
    if len(slices) == 0 or len(slices[0]) == 0:
        return ()
    last = len(answer.starts) - 1
    return tuple((int(answer.starts[min(start, last)]), int(answer.ends[min(max(end - 1, 0), last)]))
                 for start, end in zip(slices[0], slices[1]))


def _notebook_paths(root, label, assignment, notebook):
    """``(student label, path)`` of every submitted copy of ``notebook`` under ``root``:
    ``<student>/<assignment>/<notebook>`` or, for earlier terms, also ``<term>/<student>/...``."""
    found = []
    for student in sorted(p for p in root.iterdir() if p.is_dir()):
        path = student / assignment / notebook
        if path.is_file():
            found.append((f"{label}/{student.name}" if label else student.name, path))
        elif label:
            found += [(f"{label}/{student.name}/{inner.name}", inner / assignment / notebook)
                      for inner in sorted(p for p in student.iterdir() if p.is_dir())
                      if (inner / assignment / notebook).is_file()]
    return found


def _load(paths, exercises, skipped, show_progress, description):
    """The ``Submission`` of each readable notebook of ``paths``; the others go to ``skipped``."""
    loaded = []
    for student, path in progress_bar(paths, description, show_progress):
        try:
            if path.stat().st_size > MAX_NOTEBOOK_MB * 2 ** 20:
                raise ValueError(f"larger than {MAX_NOTEBOOK_MB:g} MB")
            cells = _read_json(path).get("cells")
            if not isinstance(cells, list):
                raise ValueError("no list of cells")
        except (OSError, ValueError, AttributeError) as error:
            skipped.append((str(path), str(error).splitlines()[0] if str(error) else type(error).__name__))
            continue
        # Cells are found by their nbgrader id, or by their cell id where a student's editor lost the metadata.
        typed = {}
        for cell in cells:
            if isinstance(cell, dict) and cell.get("cell_type") == "code":
                if _grade_id(cell):
                    typed.setdefault(_grade_id(cell), _source(cell))
                typed.setdefault(("id", cell.get("id")), _source(cell))
        answers = {}
        for exercise in exercises:
            text = typed.get(exercise.grade_id, typed.get(("id", exercise.cell_id)))
            if text is not None:
                answers[exercise.grade_id] = fingerprint(answer_code(text, exercise.starter))
        loaded.append(Submission(student, answers))
    return loaded


def _read_json(path):
    try:
        content = json.loads(Path(path).read_text(encoding="utf-8"))
    except UnicodeDecodeError as error:
        raise ValueError("not UTF-8 text") from error
    except json.JSONDecodeError as error:
        raise ValueError(f"not a notebook (invalid JSON: {error.msg})") from error
    if not isinstance(content, dict):
        raise ValueError("not a notebook (no JSON object)")
    return content


def _grade_id(cell):
    nbgrader = cell.get("metadata", {}).get("nbgrader", {}) if isinstance(cell.get("metadata"), dict) else {}
    return nbgrader.get("grade_id") if isinstance(nbgrader, dict) else None


def _source(cell):
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else str(source)
