"""The helpers every hidden check shares (``autograder/checks/_common.py``): the dtype policy, the
error measures and result unpacking, on the cases no assignment's catalogue reaches."""
import numpy as np
import pytest

from autograder.checks import _common


@pytest.fixture(autouse=True)
def _no_notes_left():
    _common._NOTES.clear()
    yield
    _common._NOTES.clear()


def test_a_wider_float_is_a_note_and_keeps_the_points():
    _common.check_dtype("ex", np.zeros(3), np.float32, "out")
    assert _common._NOTES and "out came back float64 for float32 inputs" in _common._NOTES[0]


@pytest.mark.parametrize("dtype", [np.int64, np.complex128])
def test_a_wider_non_float_fails(dtype):
    # Only a wider float holds the right values; integers or complex numbers of the same width do not.
    with pytest.raises(AssertionError, match="out should keep the input's dtype"):
        _common.check_dtype("ex", np.zeros(3, dtype=dtype), np.float32, "out")
    assert not _common._NOTES


def test_a_narrower_float_fails():
    with pytest.raises(AssertionError, match=r"should keep the input's dtype \(float64\), got float32"):
        _common.check_dtype("ex", np.zeros(3, dtype=np.float32), np.float64, "out")


@pytest.mark.parametrize("shape", [(2,), (4,), (3, 1)])
def test_errors_of_other_shapes_are_infinite(shape):
    expected = np.ones(3)
    assert _common.max_relative_error(np.ones(shape), expected) == np.inf
    assert _common.scaled_error(np.ones(shape), expected) == np.inf


@pytest.mark.parametrize("result", [(1,), (1, 2, 3), [1, 2, 3], np.array([1, 2])])
def test_unpack_takes_exactly_count_items(result):
    with pytest.raises(AssertionError, match=r"ex: should return a tuple \(a, b\)"):
        _common.unpack("ex", result, 2, "(a, b)")


def test_unpack_accepts_a_list():
    assert _common.unpack("ex", [1, 2], 2, "(a, b)") == (1, 2)
