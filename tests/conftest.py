import os

os.environ.setdefault("MPLBACKEND", "Agg")
os.environ.setdefault("GANCOURSE_PROGRESS", "0")

import matplotlib  # noqa: E402
import pytest  # noqa: E402

matplotlib.use("Agg")


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    import matplotlib.pyplot as plt

    plt.close("all")
