import os

# Not MPLBACKEND: the environment reaches the notebooks' kernels, which must keep the inline backend so that
# nbval draws every figure (a figure that fails to draw fails its cell). Agg is set for this process only.
os.environ.setdefault("GANCOURSE_PROGRESS", "0")

import matplotlib  # noqa: E402
import pytest  # noqa: E402

matplotlib.use("Agg")


@pytest.fixture
def one_thread():
    """Tiny models run fastest on one CPU thread, and a shared CPU makes several threads spin against each other.
    Use it per module: ``pytestmark = pytest.mark.usefixtures("one_thread")``."""
    import torch

    old = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(old)


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    import matplotlib.pyplot as plt

    plt.close("all")
