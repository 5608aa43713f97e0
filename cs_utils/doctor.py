"""``python -m cs_utils doctor``: what this machine gives the course, and what to do about each gap.

One line per finding (Python, packages, PyTorch and its build, CPU/CUDA/MPS, the GPU, data sets,
the notebooks' imports, a training step on the device the notebooks will use), each problem with
the command that fixes it. The exit status is 1 when something would stop the notebooks.
"""
import enum
import importlib
import importlib.metadata
import platform
import re
import shutil
import subprocess
import sys
import tarfile
from dataclasses import dataclass
from pathlib import Path

from cs_utils.workspace import RELEASE_DIR

MINIMUM_PYTHON = (3, 11)
PACKAGES = ("numpy", "matplotlib", "scikit-learn", "torch", "ipykernel", "jupyterlab", "nbgrader", "nbclient")
# PyTorch's CUDA wheel indexes, newest first, with the CUDA version each needs from the driver.
CUDA_INDEXES = (((13, 0), "cu130"), ((12, 8), "cu128"), ((12, 6), "cu126"))


class Status(enum.Enum):
    OK = "ok"
    NOTE = "note"
    PROBLEM = "PROBLEM"


@dataclass
class Finding:
    topic: str
    status: Status
    detail: str
    fix: str = ""


@dataclass
class NvidiaDriver:
    """What ``nvidia-smi`` says: driver version, the newest CUDA it supports, the GPUs."""

    driver: str
    cuda: tuple  # (major, minor)
    gpus: list  # of "name, memory" strings


def parse_nvidia_smi(text):
    """The driver and CUDA versions from ``nvidia-smi``'s header, or None when it has none."""
    driver = re.search(r"Driver Version:\s*([\d.]+)", text)
    cuda = re.search(r"CUDA Version:\s*(\d+)\.(\d+)", text)
    if not (driver and cuda):
        return None
    return NvidiaDriver(driver.group(1), (int(cuda.group(1)), int(cuda.group(2))), [])


def nvidia_driver():
    """The NVIDIA driver of this machine, or None when there is no working ``nvidia-smi``."""
    if not shutil.which("nvidia-smi"):
        return None
    try:
        header = subprocess.run(["nvidia-smi"], capture_output=True, text=True, timeout=30).stdout
        gpus = subprocess.run(["nvidia-smi", "--query-gpu=name,memory.total", "--format=csv,noheader"],
                              capture_output=True, text=True, timeout=30).stdout
    except (OSError, subprocess.TimeoutExpired):
        return None
    found = parse_nvidia_smi(header)
    if found:
        found.gpus = [line.strip() for line in gpus.splitlines() if line.strip()]
    return found


def cuda_index_for(driver_cuda):
    """PyTorch's CUDA wheel index for a driver that supports CUDA ``driver_cuda`` (major, minor),
    or None when the driver is too old for all of them."""
    return next((index for needed, index in CUDA_INDEXES if tuple(driver_cuda) >= needed), None)


def check_python(version=sys.version_info, safe_extraction=hasattr(tarfile, "data_filter")):
    """Python is new enough (nbgrader 0.9.6 needs 3.11), and its tarfile can extract CIFAR-10 safely."""
    text = f"Python {version[0]}.{version[1]}.{version[2]} ({sys.executable})"
    if tuple(version[:2]) < MINIMUM_PYTHON:
        return Finding("python", Status.PROBLEM, text + ": the course needs Python 3.11 or newer",
                       "Debian/Ubuntu: sudo apt-get install python3.11 python3.11-venv, then make install "
                       "PYTHON=python3.11 (or conda env create -f environment.yml); see README.md")
    if not safe_extraction:
        return Finding("python", Status.NOTE, text + ": its tarfile has no extraction filters (Python 3.11.4+), "
                                                     "so the CIFAR-10 download cannot be extracted (digits still work)",
                       "a newer Python 3.11: conda env create -f environment.yml")
    return Finding("python", Status.OK, text)


def check_packages():
    findings, missing = [], []
    versions = []
    for name in PACKAGES:
        try:
            versions.append(f"{name} {importlib.metadata.version(name)}")
        except importlib.metadata.PackageNotFoundError:
            missing.append(name)
    if versions:
        findings.append(Finding("packages", Status.OK, ", ".join(versions)))
    if missing:
        findings.append(Finding("packages", Status.PROBLEM, f"not installed: {', '.join(missing)}", "make install"))
    return findings


def check_torch(driver):
    """PyTorch's build and the devices it can use, against the machine's NVIDIA driver (or None)."""
    try:
        import torch
    except ImportError:
        return [Finding("pytorch", Status.PROBLEM, "PyTorch is not installed", "make install")]
    build = f"CUDA {torch.version.cuda}" if torch.version.cuda else "CPU"
    findings = [Finding("pytorch", Status.OK, f"torch {torch.__version__} ({build} build), "
                                              f"{torch.get_num_threads()} CPU threads")]
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        findings.append(Finding("mps", Status.NOTE, "Apple GPU (MPS) available; the notebooks use the CPU here "
                                                    "(assignment 04 picks CUDA when present, else the CPU)"))
    if torch.cuda.is_available():
        for index in range(torch.cuda.device_count()):
            properties = torch.cuda.get_device_properties(index)
            findings.append(Finding("gpu", Status.OK, f"cuda:{index} {properties.name}, "
                                                      f"{properties.total_memory / 2**30:.1f} GiB"))
        findings.append(Finding("device", Status.OK, "the notebooks use cuda (assignment 04 also mixed precision)"))
        return findings
    if driver is None:
        findings.append(Finding("device", Status.OK, "no NVIDIA GPU: the notebooks use the CPU (every notebook "
                                                     "runs on it; assignment 04 is faster on a GPU VM)"))
        return findings
    index = cuda_index_for(driver.cuda)
    gpus = "; ".join(driver.gpus) or "an NVIDIA GPU"
    cuda = f"{driver.cuda[0]}.{driver.cuda[1]}"
    if index is None:
        fix = f"update the NVIDIA driver (it supports CUDA {cuda}; PyTorch's builds need 12.6 or newer)"
    else:
        fix = f"make install-gpu CUDA={index}"
    why = ("PyTorch is the CPU build" if not torch.version.cuda
           else f"PyTorch's CUDA {torch.version.cuda} build cannot use the driver (it supports CUDA {cuda})")
    findings.append(Finding("device", Status.PROBLEM, f"{gpus} (driver {driver.driver}, CUDA {cuda}), but {why}: "
                                                      "the notebooks would run on the CPU", fix))
    return findings


def check_data():
    from cs_utils.backbone import WEIGHTS_PATH
    from cs_utils.data import CIFAR10_DIRNAME, cifar10_available, default_data_dir

    data_dir = default_data_dir()
    if cifar10_available(data_dir):
        findings = [Finding("data", Status.OK, f"CIFAR-10 in {data_dir / CIFAR10_DIRNAME}")]
    else:
        findings = [Finding("data", Status.NOTE, f"CIFAR-10 not in {data_dir}: the notebooks use scikit-learn's "
                                                 "digits (offline, smaller)", "python -m cs_utils.data download")]
    try:
        from cs_utils.backbone import load_backbone

        findings.append(Finding("data", Status.OK, f"assignment 04's backbone loads: {load_backbone()[2]}"))
    except Exception as error:  # noqa: BLE001 - a missing or damaged weights file
        findings.append(Finding("data", Status.PROBLEM, f"assignment 04's backbone ({WEIGHTS_PATH}) does not "
                                                        f"load: {error}", "restore cs_utils/weights/ (git checkout "
                                                        "cs_utils/weights) or run python -m cs_utils.pretrain"))
    return findings


def check_imports(release_dir=RELEASE_DIR):
    """Every module the release notebooks import can be imported here."""
    from autograder.course import imported_modules, list_assignments

    if not Path(release_dir).is_dir():
        return [Finding("notebooks", Status.NOTE, f"no release folder at {release_dir} to check")]
    modules = imported_modules(list_assignments(release_dir), release_dir)
    failed = []
    for module in modules:
        try:
            importlib.import_module(module)
        except Exception as error:  # noqa: BLE001 - any import failure stops a notebook; report them all
            failed.append(f"{module} ({type(error).__name__}: {error})")
    if failed:
        return [Finding("notebooks", Status.PROBLEM, f"cannot import {'; '.join(failed)}", "make install")]
    return [Finding("notebooks", Status.OK, f"all {len(modules)} modules the notebooks import load")]


def check_training_step():
    """One forward and backward pass of a small network on the device the notebooks use."""
    try:
        import torch
    except ImportError:
        return []
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        model = torch.nn.Sequential(torch.nn.Linear(64, 32), torch.nn.ReLU(), torch.nn.Linear(32, 10)).to(device)
        inputs = torch.randn(16, 64, device=device)
        loss = torch.nn.functional.cross_entropy(model(inputs), torch.zeros(16, dtype=torch.long, device=device))
        loss.backward()
        value = float(loss.detach())
    except Exception as error:  # noqa: BLE001 - a broken CUDA install shows up here first
        return [Finding("training", Status.PROBLEM, f"a training step on {device} failed: {error}",
                        "make install-gpu CUDA=... with the index the driver supports, or make install for the CPU")]
    return [Finding("training", Status.OK, f"a training step on {device} works (loss {value:.3f})")]


def diagnose(driver=None, release_dir=RELEASE_DIR):
    """Every finding, in the order they print."""
    return ([Finding("system", Status.OK, f"{platform.system()} {platform.release()} {platform.machine()}")]
            + [check_python()] + check_packages() + check_torch(driver) + check_data()
            + check_imports(release_dir) + check_training_step())


def format_findings(findings):
    lines = []
    for finding in findings:
        lines.append(f"{finding.status.value:>7}  {finding.topic:<9} {finding.detail}")
        if finding.fix:
            lines.append(f"{'':>7}  {'':<9} -> {finding.fix}")
    problems = sum(f.status is Status.PROBLEM for f in findings)
    lines.append("All set: the notebooks will run." if not problems else
                 f"{problems} problem(s): follow the -> lines, then run python -m cs_utils doctor again.")
    return "\n".join(lines)


def main():
    findings = diagnose(nvidia_driver())
    print(format_findings(findings))
    return 1 if any(f.status is Status.PROBLEM for f in findings) else 0
