"""Progress bars with an ETA on the terminal (stderr), silent when asked to be."""
from tqdm import tqdm


def progress_bar(iterable=None, description="", enabled=True, total=None):
    """A tqdm bar over ``iterable`` showing count, elapsed time and ETA, on a terminal only (a log
    file would fill with redrawn bars)."""
    return tqdm(iterable, desc=description, total=total, disable=None if enabled else True, unit="nb",
                dynamic_ncols=True,
                bar_format="{desc}: {n_fmt}/{total_fmt} |{bar}| {elapsed}<{remaining}{postfix}")
