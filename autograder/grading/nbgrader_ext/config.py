"""nbgrader's configuration for grading a scratch course: how the notebooks run and what their
feedback shows, on top of the course's own (``autograder.course.nbgrader_config``)."""
from pathlib import Path

from nbconvert.preprocessors import ClearMetadataPreprocessor, CSSHTMLHeaderPreprocessor
from nbgrader.preprocessors import (AssignLatePenalties, CheckCellMetadata, ClearHiddenTests, GetGrades, IgnorePattern,
                                    LimitOutput, SaveAutoGrades)

from autograder.course import nbgrader_api, nbgrader_config
from autograder.grading.nbgrader_ext.execute import GradedExecute
from autograder.grading.nbgrader_ext.feedback import DropActiveOutputs, RedactTests

KERNEL_RUNTIME = "runtime"  # the kernels' connection files and sockets, in a scratch course


def grading_config(root, cell_timeout=None, secrets=()):
    """The nbgrader configuration that grades the scratch course at ``root``.

    It handles nbgrader's known traps: the per-cell timeout is ``Execute.timeout`` (our
    ``GradedExecute`` adds crash recovery and cell tracking for the verifier); stderr
    (warnings) must not zero a test cell, so ``IgnorePattern`` drops all of it; deleted grade cells
    are re-added from the gradebook (``add_missing_cells``); feedback hides hidden tests and
    tracebacks (``autograder.grading.nbgrader_ext.feedback``).
    """
    config = nbgrader_config(root)
    config.Execute.timeout = cell_timeout
    config.Execute.interrupt_on_timeout = True
    # Outputs are all in by then; a graceful shutdown would only make each submission wait longer.
    config.Execute.shutdown_kernel = "immediate"
    # Kernels run in network namespaces of their own: they are reached through Unix sockets, next
    # to their connection file in a folder of this course (see ``grading_api``).
    config.KernelManager.transport = "ipc"
    config.KernelManager.connection_file = str(Path(root) / KERNEL_RUNTIME / "kernel.json")
    config.IgnorePattern.enabled = True
    config.IgnorePattern.pattern = r"[\s\S]*"
    config.OverwriteCells.add_missing_cells = True
    config.Autograde.autograde_preprocessors = [GradedExecute, IgnorePattern, ClearMetadataPreprocessor, LimitOutput,
                                                SaveAutoGrades, AssignLatePenalties, CheckCellMetadata]
    config.RedactTests.secrets = list(secrets)
    config.GenerateFeedback.preprocessors = [ClearHiddenTests, RedactTests, DropActiveOutputs, GetGrades,
                                             CSSHTMLHeaderPreprocessor]
    return config


def grading_api(root, cell_timeout=None, secrets=(), job_config=None):
    """An ``NbGraderAPI`` that grades the scratch course at ``root``; ``secrets`` are lines the
    feedback must not show; ``job_config`` (a traitlets ``Config``) is merged over the rest: what
    one grading job gives the objects nbgrader builds (``autograder.grading.worker.job_config``)."""
    # Written by each kernel in turn, under a user id of its own (``autograder.sandbox.launcher``).
    runtime = Path(root) / KERNEL_RUNTIME
    runtime.mkdir(parents=True, exist_ok=True)
    runtime.chmod(0o1777)
    config = grading_config(root, cell_timeout, secrets)
    if job_config is not None:
        config.merge(job_config)
    return nbgrader_api(root, config)
