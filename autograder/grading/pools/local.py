"""Grading on this machine: ``--jobs`` grading processes (``autograder.grading.worker``, a
``Slot`` each), which grade submission after submission, each in a fresh kernel; one that overruns
the budget is killed with its kernels and replaced."""
import contextlib
import os
import queue
import select
import shutil
import subprocess
import sys
import tempfile
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from autograder.course import GRADING_ENVIRONMENT, SOLUTIONS_DIR, imported_modules
from autograder.grading.task import grade_task


def _kill_tree(process):
    """Kill a worker and everything it started (its kernel factory and kernels included)."""
    import psutil

    try:
        parent = psutil.Process(process.pid)
        victims = parent.children(recursive=True) + [parent]
    except psutil.NoSuchProcess:
        return
    for victim in victims:
        try:
            victim.kill()
        except psutil.NoSuchProcess:
            pass
    psutil.wait_procs(victims, timeout=10)


class Slot:
    """One grading process (``autograder.grading.worker``) that grades job after job; the pool starts it
    ahead of the first job, and it is killed and started afresh when a submission overruns its
    budget. Its start-up (imports) does not count against any submission's budget."""

    STARTUP_LIMIT = 120  # seconds a grading process may take to start

    def __init__(self, modules=(), environment=None):
        self.modules, self.environment = list(modules), environment
        self.process = self.done = None
        self.ready = self.closed = False
        self.lock = threading.Lock()
        self.folder = Path(tempfile.mkdtemp(prefix="course-worker-"))
        self.log_path = self.folder / "worker.log"

    def start(self):
        """Start the grading process unless it runs."""
        with self.lock:
            if self.closed:
                raise RuntimeError("grading was stopped")
            if self.process is not None:
                return
            ready, control = os.pipe()
            with open(self.log_path, "ab") as log:
                self.process = subprocess.Popen(
                    [sys.executable, "-m", "autograder.grading.worker", str(control), *self.modules], cwd=self.folder,
                    env=self.environment, stdin=subprocess.PIPE, stdout=log, stderr=subprocess.STDOUT,
                    pass_fds=[control], start_new_session=True, text=True)
            os.close(control)
            self.done, self.ready = os.fdopen(ready, "r"), False

    def run(self, job_path, budget):
        """Grade the job at ``job_path``; False when it took more than ``budget`` seconds. A job
        that gets no result file (the process died) is the caller's to report."""
        self.start()
        process, done = self.process, self.done
        if not self.ready:
            if not (select.select([done], [], [], self.STARTUP_LIMIT)[0] and done.readline() == "ready\n"):
                self.stop()
                return True
            self.ready = True
        try:
            process.stdin.write(f"{job_path}\n")
            process.stdin.flush()
        except OSError:
            self.stop()
            return True
        finished = bool(select.select([done], [], [], budget)[0])
        if not finished or not done.readline():
            self.stop()
        return finished

    def stop(self):
        """Kill the process, its kernel factory and kernels, whatever they are doing."""
        with self.lock:
            process, done, self.process, self.done = self.process, self.done, None, None
        if process is not None:
            _kill_tree(process)
            for handle in (process.stdin, done):
                with contextlib.suppress(OSError):
                    handle.close()

    def close(self):
        """End the process (it exits when its stdin closes) and remove the slot's folder."""
        with self.lock:
            self.closed = True
            process, done, self.process, self.done = self.process, self.done, None, None
        if process is not None:
            with contextlib.suppress(OSError):
                process.stdin.close()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                _kill_tree(process)
            done.close()
        shutil.rmtree(self.folder, ignore_errors=True)


@contextlib.contextmanager
def local_pool(course_root, options, modules, hidden, workers):
    """``submit(task) -> Future``: grading on this machine by ``workers`` grading processes."""
    slots = Slots(max(0, workers), modules)

    def grade_in_slot(task):
        with slots.borrow() as slot:
            return grade_task(task, course_root, options, slot, hidden)

    pool = ThreadPoolExecutor(max_workers=max(1, workers))
    try:
        yield lambda task: pool.submit(grade_in_slot, task)
    except BaseException:  # an interrupted run: no new submissions, end the ones being graded
        pool.shutdown(wait=False, cancel_futures=True)
        slots.stop()
        raise
    finally:
        pool.shutdown(wait=False, cancel_futures=True)
        slots.close()


def preloaded_modules(assignments, solutions_dir=SOLUTIONS_DIR):
    """What grading kernels start with already imported: ipykernel, the notebooks' imports, and
    scikit-learn's datasets, which ``cs_utils.data`` imports on first use for the digits."""
    return ["ipykernel.kernelapp", *imported_modules(assignments, solutions_dir), "sklearn.datasets"]


class Slots:
    """``count`` grading processes, started now, each lent to one job at a time."""

    def __init__(self, count, modules):
        self.slots = [Slot(modules, grading_environment()) for _ in range(count)]
        self.idle = queue.SimpleQueue()
        for slot in self.slots:
            slot.start()
            self.idle.put(slot)

    @contextlib.contextmanager
    def borrow(self):
        """An idle slot (waiting for one), given back afterwards."""
        slot = self.idle.get()
        try:
            yield slot
        finally:
            self.idle.put(slot)

    def stop(self):
        for slot in self.slots:
            slot.stop()

    def close(self):
        for slot in self.slots:
            slot.close()


def grading_environment():
    """The environment of grading processes and their kernels."""
    # The grader's own environment provides the kernel, whatever kernelspecs the user has.
    jupyter_path = os.pathsep.join(filter(None, [str(Path(sys.prefix) / "share" / "jupyter"),
                                                 os.environ.get("JUPYTER_PATH")]))
    environment = {**os.environ, **GRADING_ENVIRONMENT, "JUPYTER_PATH": jupyter_path}
    # ipykernel stops capturing what is written to file descriptors 1 and 2 under pytest; kernels
    # graded from a test must capture it as in any other run.
    environment.pop("PYTEST_CURRENT_TEST", None)
    return environment
