"""The grader's side of a kernel's output channel: what the student's code can write there."""
import asyncio
import logging

import pytest

from autograder.grading.nbgrader_ext.execute import drop_unverified_messages


class FakeChannel:
    """Hands out the given replies in turn; an exception is raised as jupyter_client would."""

    def __init__(self, replies):
        self.replies = list(replies)

    async def get_msg(self, timeout=None):
        reply = self.replies.pop(0)
        if isinstance(reply, Exception):
            raise reply
        return reply


def test_a_message_whose_signature_does_not_verify_is_dropped(caplog):
    """Before, this ValueError ended the grading of the notebook (grader-error, every cell at 0)."""
    channel = FakeChannel([ValueError("Invalid Signature: b'00'"), {"msg_type": "status"}])
    drop_unverified_messages(channel, logging.getLogger("test"))
    with caplog.at_level(logging.WARNING):
        assert asyncio.run(channel.get_msg(timeout=None)) == {"msg_type": "status"}
    assert "signature does not verify" in caplog.text


def test_other_errors_still_reach_the_caller():
    channel = FakeChannel([ValueError("something else")])
    drop_unverified_messages(channel, logging.getLogger("test"))
    with pytest.raises(ValueError, match="something else"):
        asyncio.run(channel.get_msg())
