"""nbgrader's Execute preprocessor with two additions for grading.

- It tells the verifier which cell is running, so hidden-check verdicts belong to that cell.
- When the kernel dies (``os._exit``, a segfault, the memory limit), the cell gets an error
  output, the kernel is restarted, the cells above are run again to rebuild the state, and
  grading goes on: a crash costs only the points of the cell that crashed.
"""
import copy

from nbclient.exceptions import DeadKernelError
from nbclient.util import run_sync
from nbformat.notebooknode import NotebookNode
from nbgrader.preprocessors import Execute

KERNEL_DIED = "KernelDied"


class GradedExecute(Execute):
    verifier = None  # set by the worker before grading

    def preprocess(self, nb, resources=None, km=None):
        self.crashed_cells = []
        return super().preprocess(nb, resources, km)

    def _track(self, cell, index):
        if self.verifier is not None:
            self.verifier.current_cell = cell.metadata.get("nbgrader", {}).get("grade_id") or f"cell {index}"

    def preprocess_cell(self, cell, resources, index):
        self._track(cell, index)
        try:
            return super().preprocess_cell(cell, resources, index)
        except DeadKernelError:
            name = cell.metadata.get("nbgrader", {}).get("grade_id") or cell.get("id") or f"cell {index}"
            self.crashed_cells.append(name)
            cell.outputs.append(NotebookNode(
                output_type="error", ename=KERNEL_DIED,
                evalue="the kernel died while running this cell (it crashed, exited or ran out of memory); "
                       "it was restarted and the cells above it were run again",
                traceback=[]))
            self._restart_and_replay(index)
            return cell, self.resources

    def _restart_and_replay(self, index):
        """Restart the kernel and re-run the code cells before ``index`` (their outputs discarded)."""
        run_sync(self.km.restart_kernel)(now=True)
        self.wait_for_reply(self.kc.kernel_info())
        if self.verifier is not None:
            self.verifier.current_cell = None
        for earlier_index, earlier in enumerate(self.nb.cells[:index]):
            if earlier.cell_type == "code":
                try:
                    self.execute_cell(copy.deepcopy(earlier), earlier_index, store_history=False)
                except DeadKernelError:
                    run_sync(self.km.restart_kernel)(now=True)
                    self.wait_for_reply(self.kc.kernel_info())
