"""Progress bars with an ETA on the terminal (stderr), silent when asked to be."""
from tqdm import tqdm


def progress_bar(iterable=None, description="", enabled=True, total=None):
    """A tqdm bar over ``iterable`` showing count, elapsed time and ETA."""
    return tqdm(iterable, desc=description, total=total, disable=not enabled, unit="nb", dynamic_ncols=True,
                bar_format="{desc}: {n_fmt}/{total_fmt} |{bar}| {elapsed}<{remaining}{postfix}")
