import os

# Not MPLBACKEND: the environment reaches the notebooks' kernels, which must keep the inline backend so that
# nbval draws every figure (a figure that fails to draw fails its cell). Agg is set for this process only.
os.environ.setdefault("GANCOURSE_PROGRESS", "0")

import matplotlib  # noqa: E402
import pytest  # noqa: E402

matplotlib.use("Agg")


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    import matplotlib.pyplot as plt

    plt.close("all")
