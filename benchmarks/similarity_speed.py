"""Seconds to compare a whole class: ``python -m autograder similarity`` on a generated class of
assignment 01 (honest students, copiers and an identical copy, from ``tests/similarity/similarity_class.py``),
reading, fingerprinting, comparing every pair and writing the report. Timings only; nothing here is
asserted (the issue asks for under a minute for 200 notebooks).

    python benchmarks/similarity_speed.py [--notebooks 200]
"""
import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from autograder.similarity.compare import similarity
from autograder.similarity.report import write_report
from tests.similarity.similarity_class import COPIER_DISGUISES, write_class


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--notebooks", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        honest = args.notebooks - len(COPIER_DISGUISES) - 1
        write_class(Path(scratch) / "class", honest=honest, seed=0)
        started, cpu = time.perf_counter(), time.process_time()
        run = similarity(Path(scratch) / "class", show_progress=False)
        compared = time.perf_counter()
        write_report(run, Path(scratch) / "report")
        finished, cpu = time.perf_counter(), time.process_time() - cpu
    print(f"{run.notebooks} notebooks, {len(run.pairs)} pairs: compared in {compared - started:.1f} s, "
          f"report written in {finished - compared:.1f} s, {finished - started:.1f} s in all "
          f"({cpu:.1f} s of CPU: the wall time is longer when other processes share the cores)")


if __name__ == "__main__":
    main()
