"""The install commands agree with each other and with pyproject.toml; the doctor's findings."""
import re
import subprocess

import pytest

from cs_utils import doctor
from cs_utils.__main__ import main as cs_main
from cs_utils.workspace import COURSE_ROOT

CPU_INDEX = "https://download.pytorch.org/whl/cpu"
PINNED_TORCH = re.search(r'"torch==([^"]+)"', (COURSE_ROOT / "pyproject.toml").read_text()).group(1)


def _make_dry_run(*targets):
    """The commands ``make`` would run for ``targets``, as text (nothing is run)."""
    return subprocess.run(["make", "--always-make", "--dry-run", *targets], cwd=COURSE_ROOT, capture_output=True,
                          text=True, check=True, timeout=60).stdout


def test_make_install_takes_the_pinned_cpu_torch_alone_from_the_cpu_index():
    commands = _make_dry_run("install")
    torch_line = next(line for line in commands.splitlines() if "torch==" in line)
    assert f"torch=={PINNED_TORCH} --index-url {CPU_INDEX}" in torch_line
    assert 'uname -s)" = Linux' in torch_line
    assert commands.index("torch==") < commands.index("-e '.[test]'"), "torch first, then the project"


def test_make_install_gpu_takes_the_cuda_build_with_everything_it_needs():
    commands = _make_dry_run("install-gpu", "CUDA=cu126")
    gpu_line = next(line for line in commands.splitlines() if "+cu126" in line)
    assert f"torch=={PINNED_TORCH}+cu126 --index-url https://download.pytorch.org/whl/cu126" in gpu_line
    assert "--no-deps" not in gpu_line and "--force-reinstall" not in gpu_line
    assert "cs_utils doctor" in commands


def test_environment_yml_agrees_with_the_makefile():
    text = (COURSE_ROOT / "environment.yml").read_text()
    assert f"--extra-index-url {CPU_INDEX}" in text
    assert "- -e ." in text
    assert re.search(r"python=3\.11\b", text)
    assert 'requires-python = ">=3.11"' in (COURSE_ROOT / "pyproject.toml").read_text()
    readme = (COURSE_ROOT / "README.md").read_text()
    assert f"--index-url {CPU_INDEX} --no-deps torch=={PINNED_TORCH}" in readme
    assert "make install-gpu CUDA=" in readme and "--force-reinstall" not in readme


@pytest.mark.parametrize("cuda, index", [((13, 2), "cu130"), ((12, 9), "cu128"), ((12, 8), "cu128"),
                                         ((12, 6), "cu126"), ((12, 4), None)])
def test_cuda_index_for_the_driver(cuda, index):
    assert doctor.cuda_index_for(cuda) == index


NVIDIA_SMI = """
+-----------------------------------------------------------------------------------------+
| NVIDIA-SMI 570.86.15              Driver Version: 570.86.15      CUDA Version: 12.8     |
|-----------------------------------------+------------------------+----------------------+
"""


def test_parse_nvidia_smi():
    found = doctor.parse_nvidia_smi(NVIDIA_SMI)
    assert (found.driver, found.cuda) == ("570.86.15", (12, 8))
    assert doctor.parse_nvidia_smi("NVIDIA-SMI has failed because it couldn't communicate with the driver") is None


def test_a_gpu_with_the_cpu_build_is_a_problem_with_the_command_that_fixes_it(monkeypatch):
    import torch

    monkeypatch.setattr(torch.version, "cuda", None)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    driver = doctor.NvidiaDriver("570.86.15", (12, 8), ["NVIDIA L4, 23034 MiB"])
    device = [f for f in doctor.check_torch(driver) if f.topic == "device"]
    assert device[0].status is doctor.Status.PROBLEM
    assert "NVIDIA L4" in device[0].detail and "CPU build" in device[0].detail
    assert device[0].fix == "make install-gpu CUDA=cu128"


def test_without_a_gpu_the_cpu_is_fine_and_old_python_is_a_problem():
    device = [f for f in doctor.check_torch(None) if f.topic == "device"]
    assert device[0].status is doctor.Status.OK and "CPU" in device[0].detail
    old = doctor.check_python((3, 10, 12))
    assert old.status is doctor.Status.PROBLEM and "python3.11-venv" in old.fix
    early = doctor.check_python((3, 11, 0), safe_extraction=False)
    assert early.status is doctor.Status.NOTE and "CIFAR-10" in early.detail
    assert doctor.check_python((3, 11, 7), safe_extraction=True).status is doctor.Status.OK


def test_doctor_reports_this_machine(capsys):
    status = cs_main(["doctor"])
    out = capsys.readouterr().out
    for topic in ["python", "packages", "pytorch", "device", "data", "notebooks", "training"]:
        assert re.search(rf"^\s+(ok|note|PROBLEM)  {topic}\b", out, re.M), topic
    assert "modules the notebooks import load" in out and "a training step on" in out
    assert status == (1 if "PROBLEM" in out else 0)
