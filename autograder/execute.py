"""nbgrader's Execute preprocessor with two additions for grading.

- It tells the verifier which cell is running, so hidden-check verdicts belong to that cell.
- When the kernel dies (``os._exit``, a segfault, the memory limit) or a cell runs past its
  timeout and ignores the interrupt, the cell gets an error output, the kernel is restarted, the
  cells above are run again to rebuild the state, and grading goes on: a crash or a hang costs
  only the points of the cell where it happened.
"""
import copy

from nbclient.exceptions import CellTimeoutError, DeadKernelError
from nbclient.util import run_sync
from nbformat.notebooknode import NotebookNode
from nbgrader.preprocessors import Execute

KERNEL_DIED = "KernelDied"


class GradedExecute(Execute):
    verifier = None  # set by the worker before grading

    def _track(self, cell, index):
        if self.verifier is not None:
            self.verifier.current_cell = cell.metadata.get("nbgrader", {}).get("grade_id") or f"cell {index}"

    def preprocess_cell(self, cell, resources, index):
        self._track(cell, index)
        try:
            return super().preprocess_cell(cell, resources, index)
        except DeadKernelError:
            self._fail_and_recover(cell, index, KERNEL_DIED, "the kernel died while running this cell (it "
                                   "crashed, exited or ran out of memory)")
        except CellTimeoutError:
            self._fail_and_recover(cell, index, "CellTimeoutError", "the cell ran past its time limit and did not "
                                   "stop when interrupted")
        return cell, self.resources

    def _fail_and_recover(self, cell, index, ename, reason):
        cell.outputs.append(NotebookNode(output_type="error", ename=ename, traceback=[],
                                         evalue=f"{reason}; the kernel was restarted and the cells above "
                                                "this one were run again"))
        self._restart_and_replay(index)

    def _restart_and_replay(self, index):
        """Restart the kernel and re-run the code cells before ``index`` (their outputs discarded)."""
        self._restart()
        if self.verifier is not None:
            self.verifier.current_cell = None
        for earlier_index, earlier in enumerate(self.nb.cells[:index]):
            if earlier.cell_type == "code":
                try:
                    self.execute_cell(copy.deepcopy(earlier), earlier_index, store_history=False)
                except (DeadKernelError, CellTimeoutError):
                    self._restart()

    def _restart(self):
        """Start a fresh kernel and wait, as long as a first start may take, until it answers."""
        run_sync(self.km.restart_kernel)(now=True)
        run_sync(self.kc.wait_for_ready)(timeout=self.startup_timeout)
