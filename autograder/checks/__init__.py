"""Hidden checks called from the hidden test cells of solutions/ (never part of the release).

Each ``check_<exercise>(student_function)`` draws fresh random inputs, compares what the student's
function does with the reference implementation in ``autograder.reference`` and raises
``AssertionError`` with a message naming the property that failed.
"""
import importlib
import pkgutil


def warm_up():
    """Call every check package's ``warm_up()``, if it has one: one-time costs (PyTorch's optimizers
    import its compiler stack on first use) paid when a grading process starts, not within the time
    limit of the first test cell that waits for a check."""
    for package in pkgutil.iter_modules(__path__):
        if package.ispkg:
            getattr(importlib.import_module(f"{__name__}.{package.name}"), "warm_up", lambda: None)()
