"""Grading stub of ``autograder`` (copied into each scratch course as ``autograder/__init__.py``).

Hidden checks run in the grader. Only the modules of this stub can be imported under the name
``autograder``: an editable install of the real package would otherwise serve the missing ones
(reference implementations, the real checks) from the repository.
"""
import importlib.abc
import os
import sys

_STUB_ROOT = os.path.dirname(os.path.abspath(__file__))


class _StubOnly(importlib.abc.MetaPathFinder):
    def find_spec(self, fullname, path=None, target=None):
        if not fullname.startswith(__name__ + "."):
            return None
        relative = os.path.join(_STUB_ROOT, *fullname.split(".")[1:])
        if os.path.isdir(relative) or os.path.isfile(relative + ".py"):
            return None
        raise ModuleNotFoundError(f"{fullname} is not available while grading", name=fullname)


sys.meta_path.insert(0, _StubOnly())
