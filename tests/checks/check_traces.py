"""Recorded inputs of the hidden checks: what each check hands the reference on each seed.

The bug catalogue shows that a check catches wrong answers; it cannot show that a check still
tries the inputs where some wrong answer shows (the step just before a decay, a zero gradient,
a period of one). A check edited so that it no longer probes there passes every catalogued bug
that happens to show elsewhere. So the tests record what the check passes to the reference, call
by call, and compare its digest with ``tests/checks/traces/<key>.json``: a check that changes its
inputs fails until the new inputs are recorded on purpose, and the diff of that file is reviewed
with the check's. It also keeps every verdict's printed seed reproducible from term to term.

    UPDATE_CHECK_TRACES=1 pytest tests/checks -k recorded_inputs    # after a deliberate change

Floating-point values are recorded to 20 bits of mantissa, so that a last-bit difference of
another CPU's BLAS does not count; any change of an input a mutation or an edit makes is far
larger.
"""
import functools
import hashlib
import json
import os
from pathlib import Path

import numpy as np

TRACES = Path(__file__).resolve().parent / "traces"
UPDATE = os.environ.get("UPDATE_CHECK_TRACES") == "1"


def _array(value):
    value = np.asarray(value)
    if value.dtype.kind == "f" or value.dtype.kind == "c":
        value = np.ascontiguousarray(value, dtype=np.complex64 if value.dtype.kind == "c" else np.float32)
        value = value.view(np.uint32) & np.uint32(0xFFFFFFF8)
    return {"array": str(np.asarray(value).dtype), "shape": list(np.shape(value)),
            "bytes": hashlib.sha256(np.ascontiguousarray(value).tobytes()).hexdigest()[:16]}


def fingerprint(value, known=None):
    """A JSON-able summary of ``value`` that changes when its contents change (arrays, tensors,
    modules by their parameters, containers recursively; other objects by their type); objects in
    ``known`` (id -> name) by that name."""
    known = known or {}
    if id(value) in known:
        return {"from": known[id(value)]}
    if isinstance(value, (bool, int, str, type(None))):
        return value
    if isinstance(value, float):
        return _array(value)
    if isinstance(value, np.ndarray | np.generic):
        return {**_array(value), "dtype": str(value.dtype)}
    if isinstance(value, dict):
        return {str(key): fingerprint(item, known) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [fingerprint(item, known) for item in value]
    if isinstance(value, np.random.Generator):  # by its state: a generator seeded otherwise draws otherwise
        return {"generator": fingerprint(value.bit_generator.state, known)}
    torch_fingerprint = _torch_fingerprint(value)
    if torch_fingerprint is not None:
        return torch_fingerprint
    return {"object": type(value).__qualname__}


def _torch_fingerprint(value):
    import sys

    torch = sys.modules.get("torch")
    if torch is None:
        return None
    if isinstance(value, torch.Tensor):
        return {**_array(value.detach().cpu().float().numpy()), "dtype": str(value.dtype),
                "requires_grad": value.requires_grad}
    if isinstance(value, torch.nn.Module):
        return {"module": type(value).__qualname__, "training": value.training,
                "parameters": {name: fingerprint(p) for name, p in value.named_parameters()},
                "buffers": {name: fingerprint(b) for name, b in value.named_buffers()}}
    if isinstance(value, torch.optim.Optimizer):
        return {"optimizer": type(value).__qualname__,
                "groups": [{key: fingerprint(item) for key, item in group.items() if key != "params"}
                           for group in value.param_groups]}
    if isinstance(value, torch.utils.data.DataLoader):  # not iterated: that would draw from torch's RNG
        return {"loader": len(value.dataset), "batch_size": value.batch_size}
    return None


class Recorder:
    """Wraps an answer (a function, a class, or a tuple of them) so that every call it gets is
    recorded, arguments summarised before the call (the answer may change them in place). What an
    answer returned and the check hands back (a forward pass's cache to the backward pass) is
    recorded as such, not by its contents: those are the answer's, which may draw unseeded."""

    def __init__(self):
        self.calls = []
        self.known = {}
        self.results = []  # kept alive, so that their ids stay theirs

    def wrap(self, answer):
        if isinstance(answer, tuple):
            return tuple(self.wrap(part) for part in answer)
        if isinstance(answer, type):
            methods = {name: self._recording(method, f"{answer.__name__}.{name}", skip_self=True)
                       for name, method in vars(answer).items()
                       if callable(method) and (name == "__init__" or not name.startswith("_"))}
            return type(answer.__name__, (answer,), methods)
        return self._recording(answer, getattr(answer, "__name__", "answer"))

    def _recording(self, function, name, skip_self=False):
        @functools.wraps(function)
        def recording(*args, **kwargs):
            self.calls.append([name, fingerprint(list(args[1:] if skip_self else args), self.known),
                               fingerprint(kwargs, self.known)])
            result = function(*args, **kwargs)
            self._remember(result, f"call {len(self.calls)}")
            return result
        return recording

    def _remember(self, result, name):
        if isinstance(result, (bool, int, float, str, type(None))):
            return  # shared objects (small ints, None): recorded by value wherever they appear
        self.results.append(result)
        self.known[id(result)] = name
        if isinstance(result, list | tuple):
            for index, item in enumerate(result):
                self._remember(item, f"{name}[{index}]")

    def digest(self, printed):
        text = json.dumps([self.calls, printed], sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()[:24]


def assert_recorded(key, exercise, seed, digest):
    """Compare ``digest`` with the recorded one (or record it with ``UPDATE_CHECK_TRACES=1``)."""
    path = TRACES / f"{key}.json"
    recorded = json.loads(path.read_text()) if path.exists() else {}
    entry = f"{exercise} seed {seed}"
    if UPDATE:
        recorded[entry] = digest
        TRACES.mkdir(exist_ok=True)
        path.write_text(json.dumps(dict(sorted(recorded.items())), indent=1) + "\n")
        return
    assert recorded.get(entry) == digest, (
        f"check_{exercise} gives the reference other inputs on seed {seed} than recorded in "
        f"tests/checks/traces/{key}.json. If the change is meant, record them again: "
        "UPDATE_CHECK_TRACES=1 pytest tests/checks -k recorded_inputs")
