"""Seconds that 04 Transfer learning's hidden checks add to the grading of one submission.

Runs the seven checks on the reference answers the way grading does: the check in this process,
the trusted probe answering over a real plain-data channel (a socket pair served by a thread that
stands for the student's kernel). Prints wall and CPU seconds per submission, the first one apart
(it pays one-time imports, as the first submission of a grading process does). Timings only;
nothing here is asserted.

    python benchmarks/transfer_checks.py [--submissions 5]
"""
import argparse
import contextlib
import io
import socket
import threading
import time

import torch

from autograder.checks import transfer_learning as checks
from autograder.reference import transfer_learning as reference
from autograder.sandbox.in_kernel.channel import Channel, ChannelClosed
from autograder.checks.transfer_learning.probe import Probe

EXERCISES = ["get_device", "replace_head", "freeze_backbone", "make_finetune_optimizer", "train_one_epoch",
             "evaluate", "extract_features"]


def one_submission(grader, kernel, seed):
    """(wall, cpu) seconds of the seven checks, each answered over the channel."""
    started, cpu = time.perf_counter(), time.process_time()
    for exercise in EXERCISES:
        probe = grader.decode(kernel.encode(Probe(getattr(reference, exercise))))
        with contextlib.redirect_stdout(io.StringIO()):
            getattr(checks, f"check_{exercise}")(probe, seed=seed)
    return time.perf_counter() - started, time.process_time() - cpu


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--submissions", type=int, default=5)
    args = parser.parse_args()
    torch.set_num_threads(1)  # as in grading
    grader_socket, kernel_socket = socket.socketpair()
    grader, kernel = Channel(grader_socket), Channel(kernel_socket)

    def serve():
        with contextlib.suppress(ChannelClosed):
            kernel.serve_until_reply()

    threading.Thread(target=serve, daemon=True).start()
    times = [one_submission(grader, kernel, seed) for seed in range(args.submissions)]
    grader_socket.close()
    print(f"first submission: {times[0][0]:.2f} s wall, {times[0][1]:.2f} s CPU (one-time imports included)")
    rest = times[1:] or times
    print(f"each further one: {sum(t[0] for t in rest) / len(rest):.2f} s wall, "
          f"{sum(t[1] for t in rest) / len(rest):.2f} s CPU (mean of {len(rest)}; kernel and grader sides together)")


if __name__ == "__main__":
    main()
