"""The digest of a submission is its identity for regrading: two submissions share it only when
they hold the same notebooks with the same bytes (hypothesis tries the boundaries between them)."""
from hypothesis import given, settings
from hypothesis import strategies as st

from autograder.grading.submissions import Task, submission_digest

NAMES = st.sampled_from(["a.ipynb", "b.ipynb", "c.ipynb"])
# None: the expected notebook was not submitted.
SUBMISSIONS = st.dictionaries(NAMES, st.none() | st.binary(max_size=12), min_size=1)


def digest_of(files, folder):
    folder.mkdir(parents=True, exist_ok=True)
    notebooks = {}
    for name, content in files.items():
        path = folder / name
        path.unlink(missing_ok=True)
        if content is not None:
            path.write_bytes(content)
        notebooks[name] = path if content is not None else None
    return submission_digest(Task("s", "00_tiny", folder, notebooks))


@settings(max_examples=300, deadline=None)
@given(SUBMISSIONS, SUBMISSIONS)
def test_two_submissions_share_a_digest_only_when_they_are_the_same(tmp_path_factory, first, second):
    root = tmp_path_factory.mktemp("digest")
    same = digest_of(first, root / "first") == digest_of(second, root / "second")
    assert same == (first == second)


def test_a_notebook_merged_into_another_or_emptied_changes_the_digest(tmp_path):
    # Without lengths, the name and bytes of a second notebook could continue the first one's bytes.
    assert digest_of({"a.ipynb": b"X", "b.ipynb": b"Y"}, tmp_path / "one") != \
        digest_of({"a.ipynb": b"Xb.ipynb\x00Y"}, tmp_path / "two")
    assert digest_of({"a.ipynb": None}, tmp_path / "three") != digest_of({"a.ipynb": b""}, tmp_path / "four")
