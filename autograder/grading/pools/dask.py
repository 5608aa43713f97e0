"""Grading on a Dask cluster: ``python -m autograder grade SUBMISSIONS --out OUT --cluster ADDRESS``.

Needs the optional dependency: ``pip install .[distributed]``. ``--cluster local`` starts a cluster
of ``--jobs`` worker processes on this machine (what the tests use); an address such as
``tls://scheduler:8786`` uses a running cluster.

Why Dask rather than Ray: a submission is one coarse, independent task whose input (the
notebooks) and output (grades and feedback) are small plain data, so all we need is "run this
function on some machine and give back its result". Dask's ``distributed`` does exactly that, is
pure Python and a small install, its workers are plain processes that start in about a second,
and it runs on SSH, SLURM/PBS (dask-jobqueue) and Kubernetes (dask-kubernetes) clusters. Ray's
object store, raylets and large binary wheels buy nothing here.

Each task carries the validated notebooks of one submission; each worker gets the master gradebook
(hidden tests included) once. On the worker a submission is graded exactly as by the local pool
(``autograder.grading.task.grade_notebooks``): by a grading process with a warm kernel factory, one per
worker thread, started with the worker and reused. The result, feedback included, comes back to
the machine that ran the command as the JSON of its ``SubmissionResult`` (plain data, as the
notebooks went out), and is stored there.

On a real cluster, every grading machine needs this course installed at the same version (the
hidden checks and ``cs_utils`` run there; a worker whose copy differs refuses to grade) with
``pip install .[distributed]``. Secure the cluster with TLS (Dask's ``distributed.comm.tls``
settings or ``--tls-*`` options, ``distributed.comm.require-encryption: true``): student kernels
run on the workers' network, and a scheduler that accepts any client would run their code on the
workers, outside the kernels' confinement. The local cluster always uses TLS with temporary keys.
Then

    dask scheduler --tls-ca-file ca.pem --tls-cert scheduler.pem --tls-key scheduler.key
    dask worker tls://SCHEDULER:8786 --nworkers 4 --nthreads 1 --tls-ca-file ca.pem ...
    python -m autograder grade SUBMISSIONS --out OUT --cluster tls://SCHEDULER:8786

(the client's keys from Dask's configuration, e.g. DASK_DISTRIBUTED__COMM__TLS__CLIENT__CERT).
"""
import concurrent.futures
import contextlib
import dataclasses
import hashlib
import shutil
import tempfile
import threading
import uuid
from pathlib import Path

import dask
import distributed
import nbformat
from distributed.security import Security

from autograder.course import GRADEBOOK, CourseError, grading_code_digest
from autograder.grading.options import Options
from autograder.grading.pools.local import Slots, preloaded_modules
from autograder.grading.result_types import SubmissionResult
from autograder.grading.submissions import read_submission
from autograder.grading.task import grade_notebooks


CONNECT_TIMEOUT = 30  # seconds to reach a scheduler


class GradingPlugin(distributed.WorkerPlugin):
    """What one Dask worker process keeps between tasks: a grading process per worker thread,
    started with the worker, and the master gradebook (all a grading process needs of the course),
    received with the first task; closed with the worker."""

    name = "course-grading"

    def __init__(self, modules, code_digest):
        self.modules, self.code_digest = modules, code_digest

    def setup(self, worker):
        self.folder = tempfile.mkdtemp(prefix="course-master-")
        self.lock = threading.Lock()
        self.slots = Slots(worker.state.nthreads, self.modules)

    def teardown(self, worker):
        self.slots.close()
        shutil.rmtree(self.folder, ignore_errors=True)

    def check_version(self):
        """Refuse to grade with hidden checks or course helpers other than the coordinator's."""
        if grading_code_digest() != self.code_digest:
            raise CourseError("this worker's autograder/ or cs_utils/ differs from the coordinator's: install the "
                              "same version of the course on every worker")

    def course_root(self, gradebook):
        """A master course folder holding ``gradebook`` (bytes of the coordinator's gradebook.db)."""
        root = Path(self.folder, hashlib.sha256(gradebook).hexdigest()[:16])
        with self.lock:
            if not root.exists():
                root.mkdir()
                (root / GRADEBOOK).write_bytes(gradebook)
        return root


def grade_shipped(payload, gradebook):
    """The Dask task: grade one submission shipped as plain data; returns the JSON of its
    ``SubmissionResult``."""
    plugin = distributed.get_worker().plugins[GradingPlugin.name]
    plugin.check_version()
    notebooks = {name: nbformat.reads(text, as_version=4) for name, text in payload["notebooks"].items()}
    course_root = plugin.course_root(gradebook)
    with plugin.slots.borrow() as slot:
        return grade_notebooks(payload["student"], payload["assignment"], notebooks, course_root,
                               Options(**payload["options"]), slot, payload["hidden"]).to_json()


def _connect(options, scratch, modules):
    """A client of the cluster named by ``options.cluster`` (its workers now starting their grading
    processes), and the local cluster it started (files under ``scratch``), if any."""
    cluster = None
    if options.cluster == "local":
        # Forked workers start with the grader imported (spawned ones would import it again); the
        # fork happens before this process starts any work of its own.
        # TLS with keys that never touch the disk: kernels can reach localhost, and a scheduler
        # that took any client would run their code in the (unconfined) workers.
        with dask.config.set({"temporary-directory": scratch, "distributed.worker.multiprocessing-method": "fork"}):
            cluster = distributed.LocalCluster(n_workers=options.jobs, threads_per_worker=1, processes=True,
                                               dashboard_address=None, security=Security.temporary())
        client = distributed.Client(cluster)
    else:
        security = Security()  # the client's TLS settings from Dask's configuration, if any
        if options.cluster.startswith("tls://") and not (security.tls_ca_file and security.tls_client_cert):
            raise CourseError(f"--cluster {options.cluster} needs the client's TLS settings: set "
                              "DASK_DISTRIBUTED__COMM__TLS__CA_FILE, DASK_DISTRIBUTED__COMM__TLS__CLIENT__CERT and "
                              "DASK_DISTRIBUTED__COMM__TLS__CLIENT__KEY (or distributed.comm.tls in Dask's "
                              "configuration file) to the cluster's CA and this machine's certificate and key")
        try:
            client = distributed.Client(options.cluster, timeout=CONNECT_TIMEOUT, security=security)
        except (OSError, ValueError, TypeError) as error:
            reason = " ".join(str(error).split()) or type(error).__name__
            raise CourseError(f"cannot reach the Dask scheduler at {options.cluster} ({reason}): check the address "
                              "and that the scheduler is running") from None
    try:
        client.register_plugin(GradingPlugin(modules, grading_code_digest()))
    except BaseException:
        _close(client, cluster)
        raise
    return client, cluster


def _close(client, cluster):
    client.close()
    if cluster is not None:
        cluster.close()


@contextlib.contextmanager
def dask_pool(course_root, options, assignments, solutions_dir, hidden):
    """``submit(task) -> Future``: submissions are checked here and graded on the cluster, whose
    workers start their grading processes now; the gradebook the caller then builds in
    ``course_root`` goes to every worker once, with the first task."""
    with tempfile.TemporaryDirectory(prefix="course-dask-") as scratch:
        client, cluster = _connect(options, scratch, preloaded_modules(assignments, solutions_dir))
        shipped_options, gradebook = dataclasses.asdict(options), []
        try:
            def submit(task):
                future = concurrent.futures.Future()
                notebooks, early = read_submission(task, course_root, options)
                if early:
                    future.set_result(early)
                    return future
                if not gradebook:
                    gradebook.append(client.scatter(Path(course_root, GRADEBOOK).read_bytes(), broadcast=True))
                payload = {"student": task.student, "assignment": task.assignment, "options": shipped_options,
                           "notebooks": {name: nbformat.writes(nb) for name, nb in notebooks.items()},
                           "hidden": [str(Path(p).resolve()) for p in hidden]}
                key = f"grade-{task.student}-{task.assignment}-{uuid.uuid4().hex[:8]}"
                remote = client.submit(grade_shipped, payload, gradebook[0], pure=False, key=key)
                remote.add_done_callback(lambda done: _settle(future, done))
                return future

            yield submit
        finally:
            _close(client, cluster)


def _settle(future, done):
    """Copy the outcome of the Dask future ``done`` (a result's JSON) into ``future``."""
    try:
        future.set_result(SubmissionResult.from_json(done.result()))
    except Exception as error:  # noqa: BLE001 - reported as that submission's grader error
        future.set_exception(error)
