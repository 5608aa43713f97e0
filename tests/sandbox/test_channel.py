"""The grader <-> kernel channel: plain data crosses, everything else stays behind a handle."""
import socket
import threading

import numpy as np
import pytest

from autograder.sandbox.in_kernel.channel import Channel, ChannelClosed, Proxy, RemoteError


@pytest.fixture
def channels():
    """(grader, kernel) channels; the kernel side serves calls in a thread until closed."""
    grader_socket, kernel_socket = socket.socketpair()
    grader, kernel = Channel(grader_socket), Channel(kernel_socket)

    def serve():
        try:
            kernel.serve_until_reply()
        except ChannelClosed:
            pass

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield grader, kernel
    grader_socket.close()
    kernel_socket.close()
    thread.join(timeout=5)


def remote(grader, kernel, function):
    """A grader-side proxy for a kernel-side function."""
    return grader.decode(kernel.encode(function))


@pytest.mark.parametrize("value", [
    None, True, 3, 2**80, 1.5, float("inf"), "text",
    [1, (2.0, "x")], {"a": [1, 2], "b": {"c": None}},
    np.arange(6, dtype=np.float32).reshape(2, 3), np.array([1, 2], dtype=np.int8), np.float64(2.5),
])
def test_plain_values_round_trip(channels, value):
    grader, kernel = channels
    echoed = remote(grader, kernel, lambda x: x)(value)
    if isinstance(value, np.ndarray):
        assert echoed.dtype == value.dtype and np.array_equal(echoed, value)
    else:
        assert echoed == value and type(echoed) is type(value)


def test_nan_survives(channels):
    grader, kernel = channels
    assert np.isnan(remote(grader, kernel, lambda x: x)(float("nan")))


def test_generator_state_is_shared_both_ways(channels):
    grader, kernel = channels
    rng, twin = np.random.default_rng(7), np.random.default_rng(7)
    drawn = remote(grader, kernel, lambda g: g.normal(size=3))(rng)
    assert np.array_equal(drawn, twin.normal(size=3))
    assert rng.normal() == twin.normal()  # the caller's generator advanced as the callee's did


def test_in_place_changes_of_arguments_are_copied_back(channels):
    grader, kernel = channels

    def mutate(array, config, history):
        array *= 2
        config["velocity"] = np.ones(2)
        history.pop()

    array, config, history = np.array([1.0, 2.0]), {}, [1, 2]
    remote(grader, kernel, mutate)(array, config, history)
    assert np.array_equal(array, [2.0, 4.0]) and np.array_equal(config["velocity"], [1, 1]) and history == [1]


def test_exceptions_keep_their_kind(channels):
    grader, kernel = channels

    def not_done():
        raise NotImplementedError()

    def broken():
        raise AssertionError("forged verdict")

    with pytest.raises(NotImplementedError):
        remote(grader, kernel, not_done)()
    with pytest.raises(RemoteError, match="forged verdict") as raised:
        remote(grader, kernel, broken)()
    assert raised.value.type_name == "AssertionError"


def test_exotic_objects_stay_behind_handles(channels):
    grader, kernel = channels

    class AlwaysEqual(np.ndarray):
        def __eq__(self, other):
            return True

    trick = np.zeros(3).view(AlwaysEqual)
    assert type(remote(grader, kernel, lambda: trick)()) is np.ndarray  # subclass reduced to plain data
    opaque = remote(grader, kernel, lambda: object())()
    assert isinstance(opaque, Proxy)
    with pytest.raises(TypeError):
        opaque()


def test_handles_travel_back_and_callbacks_run_on_the_caller(channels):
    grader, kernel = channels
    cache = remote(grader, kernel, lambda: {"mask": object()}.popitem)()  # an opaque callable handle
    assert remote(grader, kernel, lambda handle: handle is not None)(cache) is True
    assert remote(grader, kernel, lambda model, x: model(x) + 1)(lambda x: x * 10, 2) == 21


def test_a_closed_peer_is_reported(channels):
    grader, kernel = channels
    function = remote(grader, kernel, lambda: None)
    kernel.sock.close()
    with pytest.raises(ChannelClosed):
        function()


def test_sending_into_a_closed_peer_is_reported_as_closed(channels):
    """Whether the first write fails (broken pipe) or the read after it does, the caller sees ChannelClosed."""
    grader, kernel = channels
    kernel.sock.close()
    with pytest.raises(ChannelClosed):
        for _ in range(100):
            grader.send({"op": "ping", "padding": "x" * 65536})
