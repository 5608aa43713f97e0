"""Hostile submissions built from the real 01_optimizers release, with the grade each must get.

Each case is (builder, expected status, expected score) where the builder returns the bytes of
the notebook file (None: an empty folder) and the score is a function of the points per test cell.
"""
import json
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell

from autograder.course import RELEASE_DIR, REPO_ROOT, SOLUTIONS_DIR
from autograder.commands.samples import sample_notebooks
from autograder.reference import optimizers as reference

ASSIGNMENT = "01_optimizers"
NOTEBOOK = "optimizers.ipynb"

BUGGY_SGD = '''def sgd(w, dw, config=None):
    if config is None:
        config = {}
    config.setdefault("learning_rate", 1e-2)
    return w + config["learning_rate"] * dw, config'''


# The reference's path from the real module, so that a rename cannot defuse the attack (a test runs
# it outside the sandbox, where it must work).
REFERENCE_FILE = Path(reference.__file__).relative_to(REPO_ROOT).as_posix()
READ_REFERENCE = f"""import os
import cs_utils
repository = os.path.dirname(os.path.dirname(cs_utils.__file__))
exec(open(os.path.join(repository, "{REFERENCE_FILE}")).read())"""

PRINT_SECRETS = """import glob, os
import cs_utils
repository = os.path.dirname(os.path.dirname(cs_utils.__file__))
patterns = ["../../../gradebook.db", "/tmp/course-*/source/*/*.ipynb", "/tmp/course-*/gradebook.db",
            os.path.join(repository, "solutions", "*", "*.*"), os.path.join(repository, "autograder", "*", "*", "*.py"),
            "/tmp/*/*/*/*/*.ipynb"]
for pattern in patterns:
    for path in glob.glob(pattern):
        try:
            print(open(path, errors="replace").read())
        except OSError:
            pass"""


def solution():
    return nbformat.read(SOLUTIONS_DIR / ASSIGNMENT / NOTEBOOK, as_version=4)


def complete():
    """An honest, complete submission (the sample class's ada_complete)."""
    release = nbformat.read(RELEASE_DIR / ASSIGNMENT / NOTEBOOK, as_version=4)
    return sample_notebooks(solution(), release)["ada_complete"]


def points():
    """Points of every autograded test cell, by grade_id."""
    return {c.metadata["nbgrader"]["grade_id"]: c.metadata["nbgrader"]["points"] for c in solution().cells
            if c.metadata.get("nbgrader", {}).get("grade") and c.cell_type == "code"}


def full():
    return sum(points().values())


def index_of(notebook, grade_id):
    return next(i for i, c in enumerate(notebook.cells) if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id)


def dump(notebook):
    return (nbformat.writes(notebook) + "\n").encode()


def edited(edit):
    """A complete submission changed by ``edit(notebook)``."""
    def build():
        notebook = complete()
        edit(notebook)
        return dump(notebook)
    return build


def insert_after(grade_id, source):
    return edited(lambda nb: nb.cells.insert(index_of(nb, grade_id) + 1, new_code_cell(source)))


def replace(grade_id, source):
    def edit(notebook):
        notebook.cells[index_of(notebook, grade_id)].source = source
    return edited(edit)


def with_buggy_sgd_and(trick):
    """Wrong sgd, plus a trick meant to make its test cell pass anyway."""
    return replace("sgd", BUGGY_SGD + "\n\n" + trick)


def _v3(nb_bytes_builder):
    def build():
        notebook = nbformat.reads(nb_bytes_builder().decode(), as_version=4)
        return nbformat.writes(nbformat.convert(notebook, 3)).encode()
    return build


def _huge_outputs():
    notebook = complete()
    blob = "x" * 100_000
    notebook.cells[index_of(notebook, "sgd")].outputs = [
        nbformat.v4.new_output("stream", name="stdout", text=blob) for _ in range(15)]
    notebook.cells[index_of(notebook, "sgd")].execution_count = 1
    return dump(notebook)


def _split_cell(notebook):
    position = index_of(notebook, "sgd")
    notebook.cells.insert(position + 1, new_code_cell("SPLIT_HELPER = 1"))


def _reorder(notebook):
    # Move the scheduling exercises and their tests to the very end.
    first, last = index_of(notebook, "step_decay"), index_of(notebook, "test_step_decay")
    block = notebook.cells[first:last + 1]
    del notebook.cells[first:last + 1]
    notebook.cells.extend(block)


def _retype(notebook):
    position = index_of(notebook, "test_sgd")
    old = notebook.cells[position]
    notebook.cells[position] = new_markdown_cell(old.source, metadata=old.metadata)


def _metadata(notebook):
    test = notebook.cells[index_of(notebook, "test_adam")]
    test.metadata["nbgrader"]["points"] = 1000
    test.id = "renamed-by-student"


def _duplicate(notebook):
    position = index_of(notebook, "sgd")
    notebook.cells.insert(position + 1, nbformat.from_dict(json.loads(json.dumps(notebook.cells[position]))))


def _delete_tests(notebook):
    notebook.cells = [c for c in notebook.cells if not c.metadata.get("nbgrader", {}).get("grade_id", "").startswith("test_")]


def score_without(*grade_ids):
    return lambda: full() - sum(points()[g] for g in grade_ids)


ALL, NONE = (lambda: full()), (lambda: 0)

CASES = {
    # 1. malformed input
    "not_json": (lambda: dump(complete())[:3000], "invalid-notebook", NONE),
    "json_not_notebook": (lambda: b'{"cells": "nope", "hello": 1}', "invalid-notebook", NONE),
    "binary_garbage": (lambda: bytes(range(256)) * 10, "invalid-notebook", NONE),
    "nbformat_3": (_v3(lambda: dump(complete())), "ok", ALL),
    "wrong_assignment": (lambda: dump(nbformat.v4.new_notebook(cells=[new_code_cell("print('other course')")])),
                         "wrong-notebook", NONE),
    "empty_folder": (lambda: None, "missing", NONE),
    "over_size_cap": (lambda: dump(complete()) + b" " * (3 * 2**20), "too-large", NONE),
    "huge_saved_outputs": (_huge_outputs, "ok", ALL),
    # 2. time
    "top_level_infinite_loop": (insert_after("test_sgd", "while True:\n    pass"), "timeout", ALL),
    "loop_ignoring_sigint": (insert_after("test_lbfgs_direction",
                                          "import signal\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\n"
                                          "while True:\n    pass"), "timeout", ALL),
    "loop_in_tested_function": (replace("newton_step", "def newton_step(w, dw, hessian):\n    while True:\n        pass"),
                                "timeout", score_without("test_newton_step")),
    # 3. resources
    "memory_hog": (insert_after("test_sgd", "import numpy as np\nhog = np.ones(2**30)"), "memory-limit", ALL),
    "process_spawner": (insert_after("test_sgd", "import subprocess\nchildren = []\nfor _ in range(2000):\n"
                                                 "    children.append(subprocess.Popen(['sleep', '60']))"),
                        "process-limit", ALL),
    "thread_spawner": (insert_after("test_sgd", "import threading, time\nfor _ in range(5000):\n"
                                                "    threading.Thread(target=time.sleep, args=(60,), daemon=True).start()"),
                       "process-limit", ALL),
    "huge_file": (insert_after("test_sgd", "with open('big.bin', 'wb') as handle:\n"
                                           "    for _ in range(64):\n        handle.write(b'0' * 2**20)"),
                  "file-size-limit", ALL),
    # 4. crashes
    "os_exit": (replace("adam", "import os\nos._exit(3)"), "kernel-died", score_without("test_adam")),
    "segfault": (replace("rmsprop", "import ctypes\nctypes.string_at(0)"), "kernel-died", score_without("test_rmsprop")),
    "sys_exit": (insert_after("test_sgd", "import sys\nsys.exit(1)"), "ok", ALL),
    # 5. structure
    "deleted_test_cells": (edited(_delete_tests), "ok", ALL),
    "duplicated_solution_cell": (edited(_duplicate), "ok", ALL),
    "split_cell": (edited(_split_cell), "ok", ALL),
    "reordered_cells": (edited(_reorder), "ok", ALL),
    "retyped_test_cell": (edited(_retype), "ok", ALL),
    "edited_metadata_and_ids": (edited(_metadata), "ok", ALL),
    # 6. tampering
    "edited_test_cell": (edited(lambda nb: (setattr(nb.cells[index_of(nb, "sgd")], "source", BUGGY_SGD),
                                            setattr(nb.cells[index_of(nb, "test_sgd")], "source", "pass"))),
                         "ok", score_without("test_sgd")),
    "redefined_rel_error": (with_buggy_sgd_and("import cs_utils.gradient_check as gc\n"
                                               "gc.rel_error = lambda *args: 0.0\nrel_error = gc.rel_error"),
                            "ok", score_without("test_sgd")),
    "patched_numpy": (with_buggy_sgd_and("import numpy as np\nnp.allclose = lambda *a, **k: True\n"
                                         "np.array_equal = lambda *a, **k: True\n"
                                         "np.max = lambda *a, **k: 0.0\nnp.abs = lambda x, *a, **k: x * 0"),
                      "ok", score_without("test_sgd")),
    "patched_assertion_error": (with_buggy_sgd_and("import builtins\n"
                                                   "class Harmless(Exception):\n    pass\n"
                                                   "builtins.AssertionError = Harmless"),
                                "ok", score_without("test_sgd")),
    "silenced_tracebacks": (with_buggy_sgd_and("ip = get_ipython()\nip.showtraceback = lambda *a, **k: None\n"
                                               "ip.set_custom_exc((BaseException,), lambda *a, **k: None)"),
                            "ok", score_without("test_sgd")),
    "replaced_check_function": (with_buggy_sgd_and("import autograder.checks.optimizers as checks\n"
                                                   "checks.check_sgd = lambda *a, **k: print('all passed')\n"
                                                   "import cs_utils.gradient_check as gc\n"
                                                   "gc.rel_error = lambda *args: 0.0\nrel_error = gc.rel_error"),
                                "ok", score_without("test_sgd")),
    "always_equal_result": (replace("sgd", "import numpy as np\n"
                                           "class Anything(np.ndarray):\n"
                                           "    def __eq__(self, other):\n        return np.ones(np.shape(other), bool)\n"
                                           "    def __sub__(self, other):\n        return np.zeros(np.shape(other))\n"
                                           "def sgd(w, dw, config=None):\n"
                                           "    return np.zeros_like(w).view(Anything), config or {}"),
                            "ok", score_without("test_sgd")),
    "imports_reference": (replace("adam", "from autograder.reference.optimizers import adam"), "ok",
                          score_without("test_adam")),
    "reads_reference_from_disk": (replace("adam", READ_REFERENCE), "ok", score_without("test_adam")),
    "prints_hidden_tests_from_disk": (insert_after("test_sgd", PRINT_SECRETS), "ok", ALL),
}
