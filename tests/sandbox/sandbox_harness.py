"""Run a function in a process confined exactly as a forked grading kernel is, without a grading
run (used by ``tests/sandbox/test_sandbox.py`` and ``benchmarks/sandbox_setup.py``)."""
import json
import os
import sys

from autograder.sandbox import site as kernel_site

sys.path.insert(0, str(kernel_site.SANDBOX_DIR))
import launcher as kernel_launcher  # a script of the kernel factory, not a module of the package

NOTEBOOK_FOLDER = ("autograded", "student", "assignment")


def make_scratch(folder):
    """A scratch course at ``folder`` as a kernel finds it: notebook folder, runtime folder with
    a connection file, stub package."""
    folder.joinpath(*NOTEBOOK_FOLDER).mkdir(parents=True)
    (folder / "runtime").mkdir(mode=0o1777)
    (folder / "runtime").chmod(0o1777)
    (folder / "runtime" / "kernel.json").write_text("{}")
    kernel_site.write_stub_package(folder / "kernel_site")
    return folder


def confined(scratch, then, sandboxed=True):
    """Fork, confine the child as a grading kernel of ``scratch`` (with or without the sandbox's
    options), run ``then()`` there; returns the pid of the forked child (the kernel's supervisor)
    and a file that yields what ``then`` returned, as JSON."""
    argv = ["--memory-mb", "1024", "--file-mb", "16", "--processes", "64", "--cgroup-file", str(scratch / "kernel.cgroup")]
    options = kernel_launcher.parse(argv + (kernel_site.visibility(scratch, []) if sandboxed else []))
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:
        status = 1
        try:
            os.close(read)
            os.setsid()
            os.chdir(scratch.joinpath(*NOTEBOOK_FOLDER))
            kernel_launcher.confine(options, str(scratch / "runtime" / "kernel.json"))
            os.write(write, json.dumps(then()).encode() + b"\n")
            status = 0
        finally:
            os._exit(status)
    os.close(write)
    return pid, os.fdopen(read)
