"""Hidden checks of 04 Transfer learning: choosing the device."""
import torch

from autograder.checks._common import fail, fresh_rng, passed
from autograder.checks.transfer_learning._shared import observer_of


def _device_case(name, observer, simulated):
    """simulated: True / False (CUDA simulated present / absent) or None (this machine as it is)."""
    available = torch.cuda.is_available() if simulated is None else simulated
    where = "on this machine" if simulated is None else f"when CUDA is {'available' if available else 'not available'}"
    try:
        seen = observer({"exercise": "get_device", "cuda": simulated})
    except NotImplementedError:
        fail(name, "not implemented yet (the function raised NotImplementedError)")
    except Exception as error:  # noqa: BLE001 - any student exception is a failed check
        fail(name, f"{where}{' (simulated)' if simulated is not None else ''} the function raised "
                   f"{getattr(error, 'type_name', type(error).__name__)}: {error}")
    if seen["device"] is None:
        fail(name, f"should return a torch.device (e.g. torch.device('cuda')), got {seen['type']}")
    expected = "cuda" if available else "cpu"
    if seen["device"] != expected:
        fail(name, f"{where} it returned {seen['device']}, expected the {expected.upper()}: check "
                   "torch.cuda.is_available() instead of fixing the device")
    text = str(seen["printed"])
    words = ("cuda", "gpu") if available else ("cpu",)
    if not any(word in text.lower() for word in words):
        fail(name, f"{where} it should print which device it chose (the text should mention "
                   f"{' or '.join(repr(w) for w in words)}); it printed {text.strip()!r}")


def check_get_device(get_device, seed=None):
    """Check ``get_device() -> torch.device``: CUDA when available, else the CPU, and printed."""
    name = "get_device"
    _, seed = fresh_rng(seed)
    observer = observer_of(get_device)
    for simulated in (True, False, None):
        _device_case(name, observer, simulated)
    passed(name, 3, seed)
