"""The options of a grading run: limits per cell, notebook and submission, and where it runs."""
import os
from dataclasses import dataclass


@dataclass
class Options:
    cell_timeout: int = 60
    budget: int = 600
    max_size_mb: float = 50.0
    memory_mb: int = 4096
    file_mb: int = 256
    cell_output_mb: float = 1.0  # output a cell may keep (the rest is cut, with a note)
    notebook_output_mb: float = 10.0
    processes: int = 256
    jobs: int = os.cpu_count() or 1
    cluster: str = ""  # a Dask scheduler address, or "local" for a Dask cluster on this machine
    show_progress: bool = True
    regrade: bool = False
