"""Fixtures shared by several test modules."""
import pytest


@pytest.fixture(scope="module")
def single_torch_thread():
    """One CPU thread for PyTorch, as in grading: the tiny test models gain nothing from more, and
    several threads slow down badly when other processes compete for the cores."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)
