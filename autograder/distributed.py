"""Grading on a Dask cluster: ``python -m autograder grade SUBMISSIONS --out OUT --cluster ADDRESS``.

Needs the optional dependency: ``pip install .[distributed]``. ``--cluster local`` starts a cluster
of ``--jobs`` worker processes on this machine (what the tests use); an address such as
``tcp://scheduler:8786`` uses a running cluster.

Why Dask rather than Ray: a submission is one coarse, independent task whose input (the
notebooks) and output (grades and feedback) are small plain data, so all we need is "run this
function on some machine and give back its result". Dask's ``distributed`` does exactly that, is
pure Python and a small install, its workers are plain processes that start in about a second,
and it runs on SSH, SLURM/PBS (dask-jobqueue) and Kubernetes (dask-kubernetes) clusters. Ray's
object store, raylets and large binary wheels buy nothing here.

Each task carries the validated notebooks of one submission. On the worker it is graded exactly as
by the local pool (``autograder.grade.grade_notebooks``): in a grading process with a warm kernel
factory, one per worker thread, started on first use and reused; against a master course built
once per worker process from that worker's ``solutions/``, which must be the same as the
coordinator's (the course digest is checked). The result, feedback included, comes back to the
machine that ran the command, which stores it.

On a real cluster, every grading machine needs a checkout of this course at the same commit,
installed with ``pip install .[distributed]``; then

    dask scheduler                                                  # on one machine
    dask worker tcp://SCHEDULER:8786 --nworkers 4 --nthreads 1      # on each grading machine
    python -m autograder grade SUBMISSIONS --out OUT --cluster tcp://SCHEDULER:8786
"""
import concurrent.futures
import contextlib
import dataclasses
import queue
import shutil
import tempfile
import threading
import uuid
from pathlib import Path

import distributed
import nbformat

from autograder.course import SOLUTIONS_DIR, CourseError, build_course, course_digest
from autograder.grade import (Options, Slot, grade_notebooks, grading_environment, preloaded_modules,
                              read_submission)


CONNECT_TIMEOUT = 30  # seconds to reach a scheduler


class GradingPlugin(distributed.WorkerPlugin):
    """What one Dask worker process keeps between tasks: a grading process per worker thread,
    started with the worker, and the master courses, built on first use; closed with the worker."""

    name = "course-grading"

    def __init__(self, modules):
        self.modules = modules

    def setup(self, worker):
        self.lock = threading.Lock()
        self.courses = {}  # (solutions folder, assignment, digest) -> master course folder
        self.slots = [Slot(self.modules, grading_environment()) for _ in range(worker.state.nthreads)]
        self.idle = queue.SimpleQueue()
        for slot in self.slots:
            slot.start()
            self.idle.put(slot)

    def teardown(self, worker):
        for slot in self.slots:
            slot.close()
        for root in self.courses.values():
            shutil.rmtree(root, ignore_errors=True)

    def course(self, solutions_dir, assignment, digest):
        """The master course of ``assignment`` from this worker's copy of the same source."""
        folder = Path(solutions_dir) if Path(solutions_dir, assignment).is_dir() else SOLUTIONS_DIR
        key = (str(folder), assignment, digest)
        with self.lock:
            if key not in self.courses:
                if course_digest(assignment, folder) != digest:
                    raise CourseError(f"this worker's {folder / assignment} differs from the coordinator's: "
                                      "install the same version of the course on every worker")
                root = tempfile.mkdtemp(prefix="course-master-")
                build_course(root, [assignment], folder)
                self.courses[key] = root
            return self.courses[key]


def grade_shipped(payload):
    """The Dask task: grade one submission shipped as plain data; returns the result dict."""
    plugin = distributed.get_worker().plugins[GradingPlugin.name]
    course_root = plugin.course(payload["solutions"], payload["assignment"], payload["digest"])
    notebooks = {name: nbformat.reads(text, as_version=4) for name, text in payload["notebooks"].items()}
    slot = plugin.idle.get()
    try:
        return grade_notebooks(payload["student"], payload["assignment"], notebooks, course_root,
                               Options(**payload["options"]), slot, payload["hidden"])
    finally:
        plugin.idle.put(slot)


def _connect(options, scratch):
    """A client of the cluster named by ``options.cluster``, and the local cluster it started (its
    workers' files under ``scratch``), if any."""
    if options.cluster == "local":
        cluster = distributed.LocalCluster(n_workers=options.jobs, threads_per_worker=1, processes=True,
                                           dashboard_address=None, local_directory=scratch)
        return distributed.Client(cluster), cluster
    try:
        return distributed.Client(options.cluster, timeout=CONNECT_TIMEOUT), None
    except (OSError, ValueError) as error:
        raise CourseError(f"cannot reach the Dask scheduler at {options.cluster}: {error}") from None


@contextlib.contextmanager
def dask_pool(course_root, options, assignments, solutions_dir, hidden):
    """``submit(task) -> Future``: submissions are checked here and graded on the cluster."""
    with tempfile.TemporaryDirectory(prefix="course-dask-") as scratch:
        client, cluster = _connect(options, scratch)
        try:
            client.register_plugin(GradingPlugin(preloaded_modules(assignments, solutions_dir)))
            digests = {a: course_digest(a, solutions_dir) for a in assignments}
            shipped_options = dataclasses.asdict(options)

            def submit(task):
                future = concurrent.futures.Future()
                notebooks, early = read_submission(task, course_root, options)
                if early:
                    future.set_result(early)
                    return future
                payload = {"student": task.student, "assignment": task.assignment, "options": shipped_options,
                           "notebooks": {name: nbformat.writes(nb) for name, nb in notebooks.items()},
                           "solutions": str(Path(solutions_dir).resolve()), "digest": digests[task.assignment],
                           "hidden": [str(Path(p).resolve()) for p in hidden]}
                key = f"grade-{task.student}-{task.assignment}-{uuid.uuid4().hex[:8]}"
                remote = client.submit(grade_shipped, payload, pure=False, key=key)
                remote.add_done_callback(lambda done: _settle(future, done))
                return future

            yield submit
        finally:
            client.close()
            if cluster is not None:
                cluster.close()


def _settle(future, done):
    """Copy the outcome of the Dask future ``done`` into ``future``."""
    try:
        future.set_result(done.result())
    except Exception as error:  # noqa: BLE001 - reported as that submission's grader error
        future.set_exception(error)
