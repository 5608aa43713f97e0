import pytest

from cs_utils import GRADING_ENV_VAR, grading_mode


@pytest.mark.parametrize("value", ["1", "true", "TRUE", "Yes", " yes "])
def test_grading_mode_on(monkeypatch, value):
    monkeypatch.setenv(GRADING_ENV_VAR, value)
    assert grading_mode() is True


@pytest.mark.parametrize("value", ["", "0", "false", "no", "on"])
def test_grading_mode_off(monkeypatch, value):
    monkeypatch.setenv(GRADING_ENV_VAR, value)
    assert grading_mode() is False


def test_grading_mode_unset(monkeypatch):
    monkeypatch.delenv(GRADING_ENV_VAR, raising=False)
    assert grading_mode() is False
