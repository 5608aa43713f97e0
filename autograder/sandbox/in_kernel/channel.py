"""A small RPC channel between the grader and a student's kernel.

During grading, hidden checks run in the grader's process, never in the student's kernel: the
kernel only answers "call your function with these arguments" requests. Values cross the channel
as plain data (numbers, strings, lists, dicts, numpy arrays without pickling); anything else stays
where it was made and crosses as a handle. So no object the student built can run code in the
grader, and no monkeypatch inside the kernel can change a verdict.

This file is copied verbatim into every student's kernel (see ``autograder.sandbox.site``): it
must import nothing from ``autograder``.
"""
import base64
import io
import json
import os
import socket
import struct

import numpy as np

HEADER = struct.Struct("!Q")
MAX_MESSAGE_BYTES = 512 * 2**20


class RemoteError(Exception):
    """An exception raised on the other side of the channel, with its type name kept."""

    def __init__(self, type_name, message):
        super().__init__(message)
        self.type_name = type_name


class ChannelClosed(Exception):
    """The other side went away (crash, interrupt or timeout)."""


class Proxy:
    """Stands for an object that lives on the other side of the channel."""

    def __init__(self, channel, ref, callable_):
        self._channel, self._ref, self._callable = channel, ref, callable_

    def __call__(self, *args, **kwargs):
        if not self._callable:
            raise TypeError("this remote object is not callable")
        return self._channel.call(self._ref, args, kwargs)

    def __repr__(self):
        return f"<remote {'function' if self._callable else 'object'} {self._ref}>"


class Channel:
    """Length-prefixed JSON messages over a connected socket, with calls in both directions."""

    def __init__(self, sock):
        self.sock = sock
        self.exports = {}

    # -- values ---------------------------------------------------------------------------
    def encode(self, value):
        """Plain data as JSON-able structures; anything else as a handle to this side's object."""
        if value is None or isinstance(value, (bool, str)):
            return value
        if isinstance(value, np.generic) and value.dtype.kind in "biuf":
            return {"scalar": _array_bytes(np.asarray(value))}
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return {"float": repr(float(value))} if isinstance(value, float) else {"int": str(int(value))}
        if isinstance(value, np.ndarray) and value.dtype.kind in "biufc":
            return {"array": _array_bytes(np.asarray(value))}
        if isinstance(value, np.random.Generator):
            return {"generator": self.encode(value.bit_generator.state)}
        if isinstance(value, Proxy) and value._channel is self:
            return {"peer": value._ref}
        if type(value) in (list, tuple):
            return {"list" if type(value) is list else "tuple": [self.encode(v) for v in value]}
        if type(value) is dict and all(type(k) is str for k in value):
            return {"dict": {k: self.encode(v) for k, v in value.items()}}
        ref = str(len(self.exports))
        self.exports[ref] = value
        return {"ref": ref, "callable": callable(value)}

    def decode(self, data):
        if data is None or isinstance(data, (bool, str)):
            return data
        (kind, payload), = data.items() if len(data) == 1 else [("ref", data)]
        if kind == "float":
            return float(payload)
        if kind == "int":
            return int(payload)
        if kind == "scalar":
            return _array_from(payload)[()]
        if kind == "array":
            return _array_from(payload)
        if kind == "generator":
            state = self.decode(payload)
            generator = np.random.Generator(getattr(np.random, state["bit_generator"])())
            generator.bit_generator.state = state
            return generator
        if kind == "peer":
            return self.exports[payload]
        if kind == "list":
            return [self.decode(v) for v in payload]
        if kind == "tuple":
            return tuple(self.decode(v) for v in payload)
        if kind == "dict":
            return {k: self.decode(v) for k, v in payload.items()}
        if kind == "ref":
            return Proxy(self, payload["ref"], bool(payload["callable"]))
        raise ValueError(f"unknown value kind {kind!r}")

    # -- messages -------------------------------------------------------------------------
    def send(self, message):
        body = json.dumps(message).encode()
        try:
            self.sock.sendall(HEADER.pack(len(body)) + body)
        except OSError as error:  # a broken pipe or reset is the peer going away, as in _read
            raise ChannelClosed(str(error)) from None

    def receive(self):
        header = self._read(HEADER.size)
        (length,) = HEADER.unpack(header)
        if length > MAX_MESSAGE_BYTES:
            raise ChannelClosed(f"message of {length} bytes refused")
        return json.loads(self._read(length))

    def _read(self, count):
        chunks, remaining = [], count
        while remaining:
            try:
                chunk = self.sock.recv(min(remaining, 1 << 20))
            except (OSError, socket.timeout) as error:
                raise ChannelClosed(str(error)) from None
            if not chunk:
                raise ChannelClosed("the other side closed the channel")
            chunks.append(chunk)
            remaining -= len(chunk)
        return b"".join(chunks)

    def call(self, ref, args, kwargs):
        """Call the peer's object ``ref``; mutations of plain arguments are copied back here."""
        self.send({"op": "call", "ref": ref, "args": self.encode(list(args)),
                   "kwargs": self.encode(dict(kwargs))})
        reply = self.serve_until_reply()
        if reply["op"] == "raise":
            raise _rebuild_exception(reply["type"], reply["message"])
        for original, after in zip(list(args) + list(kwargs.values()), self.decode(reply["after"])):
            _write_back(original, after)
        return self.decode(reply["value"])

    def serve_until_reply(self):
        """Answer the peer's calls until it sends a reply or a final message."""
        while True:
            message = self.receive()
            if message["op"] != "call":
                return message
            self.answer(message)

    def answer(self, message):
        """Run one call of the peer on an exported object and send the outcome back."""
        try:
            target = self.exports[message["ref"]]
            args, kwargs = self.decode(message["args"]), self.decode(message["kwargs"])
            value = target(*args, **kwargs)
            reply = {"op": "return", "value": self.encode(value),
                     "after": self.encode([_plain_after(v) for v in list(args) + list(kwargs.values())])}
        except Exception as error:  # noqa: BLE001 - every failure is reported to the caller
            reply = {"op": "raise", "type": type(error).__name__, "message": str(error)[:2000]}
        self.send(reply)


def _array_bytes(array):
    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=False)
    return base64.b64encode(buffer.getvalue()).decode()


def _array_from(text):
    return np.load(io.BytesIO(base64.b64decode(text)), allow_pickle=False)


def _plain_after(value):
    """What a caller can copy back after a call: the new state of mutable plain arguments."""
    if isinstance(value, (np.ndarray, list, dict, np.random.Generator)):
        return value
    return None


def _write_back(original, after):
    """Apply to ``original`` (the caller's object) what the callee did to its copy."""
    if isinstance(original, np.ndarray) and isinstance(after, np.ndarray):
        if original.shape == after.shape and not np.array_equal(original, after, equal_nan=original.dtype.kind == "f"):
            np.copyto(original, after, casting="unsafe")
    elif type(original) is dict and isinstance(after, dict):
        original.clear()
        original.update(after)
    elif type(original) is list and isinstance(after, list):
        original[:] = after
    elif isinstance(original, np.random.Generator) and isinstance(after, np.random.Generator):
        original.bit_generator.state = after.bit_generator.state


def _rebuild_exception(type_name, message):
    """The same kind of exception where the name is a builtin one, else a RemoteError."""
    import builtins

    kind = getattr(builtins, type_name, None)
    if isinstance(kind, type) and issubclass(kind, Exception) and kind is not AssertionError:
        try:
            return kind(message)
        except Exception:  # noqa: BLE001 - exotic constructors fall back to RemoteError
            pass
    return RemoteError(type_name, f"{type_name}: {message}")


def connect(kernel_channel, timeout=None):
    """A channel to the grader's verifier: a new socket pair, one end of which goes to the grader
    over ``kernel_channel``, the descriptor of the socket this kernel inherited."""
    with socket.socket(fileno=os.dup(kernel_channel)) as inherited:
        ours, theirs = socket.socketpair()
        with theirs:
            socket.send_fds(inherited, [b"c"], [theirs.fileno()])
    ours.settimeout(timeout)
    return Channel(ours)
