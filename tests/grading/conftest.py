"""The graded tiny course, shared by the modules that read its output."""
import pytest

from tests.grading.tiny_grading import grade_tiny_course


@pytest.fixture(scope="session")
def course(tmp_path_factory):
    return grade_tiny_course(tmp_path_factory.mktemp("course"))
