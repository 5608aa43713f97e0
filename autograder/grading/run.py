"""``python -m autograder grade SUBMISSIONS --out OUT``: autograde a class in parallel.

The loop of a grading run: the submissions found (``grading.submissions``), the unchanged ones
kept, the others graded by a pool (``grading.pools.local``, or with ``--cluster`` the Dask workers
of ``grading.pools.dask``) and stored as they finish (``grading.results``). Results accumulate in
``OUT/results/<student>/<assignment>.json``; ``grades.csv`` and ``tests.csv`` are rebuilt from all
of them, so a re-run never loses an earlier grade.
"""
import sys
import tempfile
from concurrent.futures import as_completed
from pathlib import Path

from autograder.course import (SOLUTIONS_DIR, CourseError, build_course, course_digest, grade_cells, grading_code_digest,
                               list_assignments)
from autograder.grading.nbgrader_ext.formgrader import write_course_files
from autograder.grading.options import Options
from autograder.grading.pools.local import local_pool, preloaded_modules
from autograder.grading.result_types import Status, SubmissionResult
from autograder.grading.results import (add_ungraded_notebooks, is_current, refresh_timestamp, store, stored_result,
                                        write_gradebook, write_tables)
from autograder.grading.scratch import grading_run
from autograder.grading.submission_time import read_timestamp_text
from autograder.grading.submissions import discover, submission_digest
from autograder.progress import progress_bar


def grading_pool(course_root, options, assignments, solutions_dir, hidden, size):
    """The context manager of ``submit(task) -> Future`` that grades ``size`` tasks: on this
    machine, or on the Dask cluster of ``options.cluster``."""
    if options.cluster:
        try:
            from autograder.grading.pools.dask import dask_pool
        except ModuleNotFoundError as error:
            if error.name not in ("distributed", "dask"):
                raise
            raise CourseError("--cluster needs Dask: pip install '.[distributed]'") from None
        return dask_pool(course_root, options, assignments, solutions_dir, hidden)
    return local_pool(course_root, options, preloaded_modules(assignments, solutions_dir), hidden,
                      min(options.jobs, size))


def grade(submissions_dir, out_dir, options=None, solutions_dir=SOLUTIONS_DIR, assignments=None):
    """Grade every submission under ``submissions_dir`` into ``out_dir``.

    Returns (the ``SubmissionResult``s of this run, all grade rows in out_dir).
    """
    options = options or Options()
    tasks = discover(submissions_dir, solutions_dir, assignments)
    if not tasks:
        raise CourseError(f"no submissions found under {submissions_dir} "
                          "(expected SUBMISSIONS/<student>/<assignment>/<notebook>.ipynb)")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    results = []
    with grading_run(), tempfile.TemporaryDirectory(prefix="course-master-") as course_root:
        known = list_assignments(solutions_dir)
        stored = {p.stem for p in out_dir.glob("results/*/*.json")} & set(known)
        assignment_names = sorted({t.assignment for t in tasks} | stored)
        # A stored grade stays current only while the submission, the assignment's source and the
        # code that grades it (checks, references, the grader itself) are all unchanged.
        digests = {a: (course_digest(a, solutions_dir), grading_code_digest()) for a in assignment_names}
        for task in tasks:
            task.digest = (submission_digest(task), *digests[task.assignment])
        if not options.regrade:
            # Resume: a submission graded before, unchanged, against the same course, keeps its grade.
            done = [t for t in tasks if is_current(stored_result(out_dir, t), t)]
            tasks = [t for t in tasks if t not in done]
            for task in done:  # a collect that brought the same notebook again brought a new time
                refresh_timestamp(out_dir, task)
            if done and options.show_progress:
                print(f"{len(done)} submission(s) unchanged since their last grading: kept", file=sys.stderr)
        bar = progress_bar(total=len(tasks), description="grading", enabled=options.show_progress)
        # The grading processes start now and warm up while the master course is built.
        pool = grading_pool(course_root, options, sorted({t.assignment for t in tasks}), solutions_dir,
                            (submissions_dir, out_dir), len(tasks))
        with bar, pool as submit:
            build_course(course_root, assignment_names, solutions_dir)
            cells = {a: grade_cells(course_root, a) for a in assignment_names}
            futures = {submit(task): task for task in tasks}
            for future in as_completed(futures):
                task = futures[future]
                try:
                    result = future.result()
                except Exception as error:  # noqa: BLE001 - one failure must not stop the class
                    result = SubmissionResult(student=task.student, assignment=task.assignment,
                                              status=Status.GRADER_ERROR, message=f"{type(error).__name__}: {error}")
                add_ungraded_notebooks(result, cells[task.assignment])
                result.digest = tuple(task.digest)
                result.timestamp = read_timestamp_text(task.folder)
                store(result, out_dir)
                results.append(result)
                bar.set_postfix_str(f"{task.student}/{task.assignment}: {result.status}")
                bar.update()
        for student, assignment in write_gradebook(out_dir, course_root):
            print(f"{student}/{assignment} changed since it was graded by hand: grade its written answers again",
                  file=sys.stderr)
        write_course_files(out_dir, course_root, assignment_names)
    return results, write_tables(out_dir)
