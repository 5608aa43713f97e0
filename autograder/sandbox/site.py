"""What a student's kernel gets during grading: a kernelspec that starts it under resource
limits, and an ``autograder`` package that is only the stub of ``autograder.sandbox.in_kernel.stub``."""
import importlib.util
import json
import os
import shutil
import sys
import time
from pathlib import Path

SANDBOX_DIR = Path(__file__).resolve().parent  # this package: the launcher and zygote scripts
IN_KERNEL_DIR = SANDBOX_DIR / "in_kernel"  # the files copied into the kernel, verbatim
PACKAGE_DIR = SANDBOX_DIR.parent  # the real ``autograder``, out of the kernel's sight
CHECKS_DIR = PACKAGE_DIR / "checks"
STUB_MODULE = "from autograder.checks._stub import module_getattr\n\n__getattr__ = module_getattr(__name__)\n"
PROBE_STUB_MODULE = ("from autograder.checks.{key}.probe import Probe\n"
                     "from autograder.checks._stub import module_getattr\n\n"
                     "__getattr__ = module_getattr(__name__, Probe)\n")


def write_stub_package(site):
    """Write the stub ``autograder`` package under ``site``: one stub per assignment's checks.

    An assignment whose check arguments cannot cross the plain-data channel (04's PyTorch models)
    has a trusted helper ``autograder/checks/<key>/probe.py`` that builds them in the kernel from
    plain data; it is copied beside the stub, which hands the grader that helper's Probe of the
    student's function. No check or reference code is copied.
    """
    package = Path(site) / "autograder"
    (package / "checks").mkdir(parents=True, exist_ok=True)
    shutil.copyfile(IN_KERNEL_DIR / "stub_init.py", package / "__init__.py")
    shutil.copyfile(IN_KERNEL_DIR / "channel.py", package / "_remote.py")
    (package / "checks" / "__init__.py").write_text("")
    shutil.copyfile(IN_KERNEL_DIR / "stub.py", package / "checks" / "_stub.py")
    for checks in sorted(CHECKS_DIR.iterdir()):
        if not (checks / "__init__.py").exists():
            continue
        stub = package / "checks" / checks.name
        stub.mkdir(exist_ok=True)
        if (checks / "probe.py").exists():
            shutil.copyfile(checks / "probe.py", stub / "probe.py")
            (stub / "__init__.py").write_text(PROBE_STUB_MODULE.format(key=checks.name))
        else:
            (stub / "__init__.py").write_text(STUB_MODULE)


# What a kernel needs of the system besides the Python environment (/sys: CPU and GPU details).
SYSTEM_FOLDERS = ["/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/etc", "/sys"]


def visibility(scratch, hidden):
    """Launcher arguments for the kernel's file system: read-only, the Python environment,
    ``cs_utils``, the downloaded datasets (``cs_utils.data``), the stub package and the system
    folders; the launcher adds the notebook's folder and the connection file's folder, writable,
    and a private /tmp, home folder, /dev and /proc. Nothing else exists there: not the checkout (its ``.git``, ``solutions/``, the real
    ``autograder``), the course, the scratch gradebook, other scratch folders, the grader's
    temporary files. ``solutions/``, the real ``autograder`` package and the ``hidden`` folders
    (submissions, grading output) are covered should they lie inside an allowed folder (a
    package installed into the environment, an output folder in /usr)."""
    from autograder.course import SOLUTIONS_DIR
    from cs_utils.data import default_data_dir

    cs_utils = importlib.util.find_spec("cs_utils").submodule_search_locations[0]
    read_only = [sys.prefix, sys.base_prefix, cs_utils, str(default_data_dir()), str(Path(scratch) / "kernel_site"),
                 *SYSTEM_FOLDERS]
    covered = [str(SOLUTIONS_DIR), str(PACKAGE_DIR), *map(str, hidden)]
    return ([f"--read-only={path}" for path in read_only] + [f"--hide={path}" for path in covered]
            + [f"--isolation-file={Path(scratch) / 'kernel.isolation'}"])


def prepare(scratch, memory_mb, file_mb, processes, hidden=()):
    """Write the stub package and a ``python3`` kernelspec into ``scratch``: kernels forked by
    ``autograder.sandbox.provisioner``, confined by ``autograder.sandbox.launcher`` in a sandbox of their own
    whose file system is an allowlist (see ``visibility``).

    Returns the folder to put first on JUPYTER_PATH so that this kernelspec is the one used.
    """
    from autograder.sandbox.provisioner import PROVISIONER_NAME

    scratch = Path(scratch)
    site = scratch / "kernel_site"
    write_stub_package(site)
    python_path = os.pathsep.join(filter(None, [str(site), os.environ.get("PYTHONPATH")]))
    spec = {
        "argv": ["forked-kernel", "--memory-mb", str(memory_mb), "--file-mb", str(file_mb),
                 "--processes", str(processes), "--cgroup-file", str(scratch / "kernel.cgroup"),
                 *visibility(scratch, hidden), "--", "-f", "{connection_file}"],
        "display_name": "Python 3 (grading)",
        "language": "python",
        "env": {"PYTHONPATH": python_path},
        "metadata": {"kernel_provisioner": {"provisioner_name": PROVISIONER_NAME}},
    }
    spec_dir = scratch / "jupyter" / "kernels" / "python3"
    spec_dir.mkdir(parents=True, exist_ok=True)
    (spec_dir / "kernel.json").write_text(json.dumps(spec, indent=1))
    return scratch / "jupyter"


def release_cgroup(scratch):
    """Remove the pids cgroups the launcher made for the kernels of ``scratch``, if any, ending
    whatever still runs in them."""
    record = Path(scratch) / "kernel.cgroup"
    for group in record.read_text().split() if record.exists() else []:
        remove_cgroup(Path(group))


def remove_cgroup(group):
    """Kill every process in the pids cgroup ``group`` and remove it."""
    for process in (group / "cgroup.procs").read_text().split() if group.exists() else []:
        try:
            os.kill(int(process), 9)
        except OSError:
            pass
    for _ in range(50):
        try:
            os.rmdir(group)
            return
        except FileNotFoundError:
            return
        except OSError:
            time.sleep(0.1)
