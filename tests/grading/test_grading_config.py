"""What one grading job gives the objects nbgrader and jupyter_client build (the preprocessor that
runs the notebook, the provisioner that forks its kernels) reaches them through configuration."""
import nbformat
import pytest
from jupyter_client.kernelspec import KernelSpec
from jupyter_client.manager import KernelManager
from jupyter_client.provisioning import KernelProvisionerFactory

from autograder.course import build_course
from autograder.grading.nbgrader_ext.execute import GradedExecute
from autograder.grading.options import Options
from autograder.grading.pools.local import Slot, grading_environment
from autograder.grading.result_types import Status
from autograder.grading.task import grade_notebooks
from autograder.grading.worker import job_config
from autograder.sandbox.provisioner import PROVISIONER_NAME, KernelFactory
from autograder.sandbox.verifier import Verifier
from tests import tiny_course as tc


@pytest.fixture
def factory():
    factory = KernelFactory([])
    yield factory
    factory.close()


def _job(root, cell_mb, notebook_mb):
    return {"root": str(root), "cell_output_mb": cell_mb, "notebook_output_mb": notebook_mb}


def test_the_preprocessor_and_the_provisioner_get_the_jobs_objects_and_limits(tmp_path, factory):
    verifier = Verifier(call_timeout=5)
    config = job_config(_job(tmp_path, 0.5, 3), verifier, factory)
    execute = GradedExecute(config=config)
    assert (execute.cell_output_bytes, execute.notebook_output_bytes) == (2**19, 3 * 2**20)
    assert execute.verifier is verifier  # the running verifier itself, not a copy
    # As jupyter_client builds it: from the kernelspec's name, its parent the kernel manager that
    # nbclient makes with the preprocessor's configuration.
    spec = KernelSpec(argv=["forked-kernel"], display_name="grading", language="python",
                      metadata={"kernel_provisioner": {"provisioner_name": PROVISIONER_NAME}})
    provisioner = KernelProvisionerFactory.instance().create_provisioner_instance(
        "kernel-1", spec, parent=KernelManager(config=execute.config))
    assert provisioner.factory is factory and provisioner.verifier is verifier
    assert provisioner.kernel_log == str(tmp_path / "worker.log")
    other = GradedExecute(config=job_config(_job(tmp_path, 2, 20), Verifier(call_timeout=5), factory))
    assert (other.cell_output_bytes, other.verifier is verifier) == (2 * 2**20, False)


def test_without_configuration_the_provisioner_says_what_is_missing(tmp_path):
    import asyncio

    spec = KernelSpec(argv=["forked-kernel"], display_name="grading", language="python",
                      metadata={"kernel_provisioner": {"provisioner_name": PROVISIONER_NAME}})
    provisioner = KernelProvisionerFactory.instance().create_provisioner_instance("k", spec, parent=KernelManager())
    with pytest.raises(RuntimeError, match=r"ForkProvisioner\.factory"):
        asyncio.run(provisioner.launch_kernel(["forked-kernel"]))


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    root = tmp_path_factory.mktemp("config")
    tc.write_solutions(root / "solutions")
    (root / "course").mkdir()
    build_course(root / "course", [tc.ASSIGNMENT], root / "solutions")
    return root / "course"


def _flooding_submission():
    """The solution with ``add``'s cell printing 40 kB in four writes (a limit of 1/64 MB keeps one, of
    1/32 MB three)."""
    notebook = tc.solution_notebook()
    for cell in notebook.cells:
        if cell.metadata.get("nbgrader", {}).get("grade_id") == "add":
            cell.source += "\nfor _ in range(4):\n    print('x' * 10_000, flush=True)"
    return notebook


def test_two_submissions_graded_by_one_process_get_each_their_own_limits(course):
    slot = Slot(["ipykernel.kernelapp"], grading_environment())
    try:
        graded = [grade_notebooks(student, tc.ASSIGNMENT, {tc.NOTEBOOK: _flooding_submission()}, course,
                                  Options(cell_timeout=20, budget=120, **limits), slot)
                  for student, limits in (("cell_limited", {"cell_output_mb": 1 / 64}),
                                          ("notebook_limited", {"notebook_output_mb": 1 / 32}))]
    finally:
        slot.close()
    notes = {}
    for result in graded:
        assert (result.status, sum(c.score for c in result.cells)) == (Status.OK, 5), result.message
        notebook = nbformat.reads(result.autograded[tc.NOTEBOOK], as_version=4)
        add = next(c for c in notebook.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "add")
        notes[result.student] = [o.text for o in add.outputs if "output cut" in o.get("text", "")]
    assert notes == {
        "cell_limited": ["[output cut by the grader: this cell wrote more than 0.015625 MB of output; the rest is not "
                         "kept]\n"],
        "notebook_limited": ["[output cut by the grader: this notebook wrote more than 0.03125 MB of output; the rest "
                             "is not kept]\n"]}
