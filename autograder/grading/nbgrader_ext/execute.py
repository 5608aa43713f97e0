"""nbgrader's Execute preprocessor with two additions for grading.

- It tells the verifier which cell is running, so hidden-check verdicts belong to that cell.
- When the kernel dies (``os._exit``, a segfault, the memory limit) or a cell runs past its
  timeout and ignores the interrupt, the cell gets an error output, the kernel is restarted, the
  cells above are run again to rebuild the state, and grading goes on: a crash or a hang costs
  only the points of the cell where it happened.
- It keeps at most ``cell_output_bytes`` of output per cell and ``notebook_output_bytes`` per
  notebook, as the messages arrive: a kernel that floods its output (``print`` in a loop, or
  ``os.write(1, ...)``, which ipykernel captures too) cannot grow the grading process or the
  feedback page. One note where output was cut says so.

nbgrader builds this preprocessor from its configuration, so what one submission's grading needs
(its verifier, its output limits) comes as configuration too (``autograder.grading.worker``).
"""
import copy

from nbclient.exceptions import CellTimeoutError, DeadKernelError
from nbclient.util import run_sync
from nbformat.notebooknode import NotebookNode
from nbgrader.preprocessors import Execute
from traitlets import Instance, Int

from autograder.sandbox.verifier import Verifier

KERNEL_DIED = "KernelDied"
OUTPUT_MESSAGES = {"stream", "display_data", "execute_result", "update_display_data"}
CUT_NOTE = ("[output cut by the grader: this {what} wrote more than {limit:g} MB of output; the rest is not "
            "kept]\n")


def output_size(content):
    """Bytes (about) that the output message ``content`` adds to the notebook."""
    if "text" in content:
        return len(content["text"])
    return sum(len(value) if isinstance(value, str) else len(str(value)) for value in content.get("data", {}).values())


def drop_unverified_messages(channel, log):
    """Make ``channel`` skip messages whose signature does not verify. The kernel runs the student's
    code, which can write anything to its output channel: such a message is not the kernel's word,
    and must not stop the grading of the notebook (jupyter_client raises ValueError on it)."""
    receive = channel.get_msg

    async def get_msg(timeout=None):
        while True:
            try:
                return await receive(timeout=timeout)
            except ValueError as error:
                if "Signature" not in str(error):
                    raise
                log.warning("dropped a kernel output message whose signature does not verify")

    channel.get_msg = get_msg


class GradedExecute(Execute):
    verifier = Instance(Verifier, allow_none=True,
                        help="runs the hidden checks of the submission; told which cell runs").tag(config=True)
    cell_output_bytes = Int(2**20, help="output one cell may keep").tag(config=True)
    notebook_output_bytes = Int(10 * 2**20, help="output the notebook may keep").tag(config=True)

    def preprocess(self, nb, resources=None, km=None):
        self._cell_output, self._notebook_output, self._cut = {}, 0, set()
        return super().preprocess(nb, resources, km)

    def process_message(self, msg, cell, cell_index):
        """Count the output a message adds; past a limit drop it, leaving one note in the cell."""
        if msg["msg_type"] in OUTPUT_MESSAGES:
            size = output_size(msg["content"])
            used = self._cell_output.get(cell_index, 0)
            over_cell = used + size > self.cell_output_bytes
            over_notebook = self._notebook_output + size > self.notebook_output_bytes
            if over_cell or over_notebook:
                if cell_index not in self._cut:
                    self._cut.add(cell_index)
                    what, limit = ("cell", self.cell_output_bytes) if over_cell else ("notebook",
                                                                                      self.notebook_output_bytes)
                    cell.outputs.append(NotebookNode(output_type="stream", name="stdout",
                                                     text=CUT_NOTE.format(what=what, limit=limit / 2**20)))
                return None
            self._cell_output[cell_index] = used + size
            self._notebook_output += size
        return super().process_message(msg, cell, cell_index)

    def _track(self, cell, index):
        if self.verifier is not None:
            self.verifier.current_cell = cell.metadata.get("nbgrader", {}).get("grade_id") or f"cell {index}"

    async def async_start_new_kernel_client(self):
        kc = await super().async_start_new_kernel_client()
        drop_unverified_messages(kc.iopub_channel, self.log)
        return kc

    start_new_kernel_client = run_sync(async_start_new_kernel_client)

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
                finally:
                    # nbclient stores the executed copy in the notebook; the graded run's outputs
                    # stay (a replayed test cell's hidden checks are refused, outside any cell).
                    self.nb.cells[earlier_index] = earlier

    def _restart(self):
        """Start a fresh kernel and wait, as long as a first start may take, until it answers."""
        run_sync(self.km.restart_kernel)(now=True)
        run_sync(self.kc.wait_for_ready)(timeout=self.startup_timeout)
