"""The ``autograder`` package as a student's kernel sees it during grading.

``from autograder.checks.optimizers import check_sgd`` in a hidden test gives a stub: calling it asks
the grader (over ``autograder._remote``) to run the real check in the grader's own process, and
answers the grader's calls of the student's functions. Nothing of the real package (reference
implementations, checks) is in the kernel's reach through this import.

This module is copied into each scratch course as ``autograder/checks/_stub.py``.
"""
import os

from autograder import _remote

CHANNEL_ENV = "CS_GRADER_FD"  # the verifier channel this kernel inherited (autograder.sandbox.zygote)


def run_check(module, name, args, kwargs):
    """Run the check ``module.name`` in the grader on ``args``; raise AssertionError if it fails."""
    channel = _remote.connect(int(os.environ[CHANNEL_ENV]))
    try:
        channel.send({"op": "check", "module": module, "name": name,
                      "args": channel.encode(list(args)), "kwargs": channel.encode(dict(kwargs))})
        verdict = channel.serve_until_reply()
    finally:
        channel.sock.close()
    if verdict.get("output"):
        print(verdict["output"], end="")
    if not verdict["passed"]:
        raise AssertionError(verdict["message"])


def module_getattr(module, probe=None):
    """A PEP 562 ``__getattr__`` that makes every ``check_*`` name of ``module`` a remote check.

    ``probe``: for checks whose arguments cannot cross the channel (PyTorch objects), the trusted
    helper's Probe class; the grader is then handed ``probe(student_function)``, which builds the
    objects each scenario describes in this kernel and answers with plain observations.
    """
    def __getattr__(name):
        if not name.startswith("check_"):
            raise AttributeError(f"module {module!r} has no attribute {name!r}")

        def check(function, *args, **kwargs):
            run_check(module, name, (function if probe is None else probe(function), *args), kwargs)
        check.__name__ = name
        return check
    return __getattr__
