"""The Dirac-GAN explorer: sliders recompute the trajectory, the eigenvalues and the figure, headless too."""
import math

import pytest

from gancourse.validation import ArgumentError
from gancourse.widgets.dirac import DiracGANExplorer


def _png(ex):
    (out,) = ex.output.outputs
    return out["data"]["image/png"]


def test_builds_and_the_sliders_change_the_dynamics():
    ex = DiracGANExplorer(steps=100, figsize=(5, 2))
    assert ex.values == {"lr": pytest.approx(0.1), "gamma": 0.0, "noise": 0.0, "mode": "simultaneous"}
    plain = ex.result
    assert plain.radius == pytest.approx(math.sqrt(1 + 0.05**2))           # |1 + i lr f'(0)|
    assert plain.final_distance > math.sqrt(2)                              # spiralled out from (1, 1)
    assert all(abs(z.real) < 1e-12 for z in plain.eigenvalues.tolist())      # +-i/2
    png = _png(ex)
    r1 = ex.set(gamma=0.5)
    assert r1.radius < 1 and r1.final_distance < plain.final_distance
    assert ex.n_updates == 2 and _png(ex) != png
    alt = ex.set(gamma=0.0, mode="alternating")
    assert alt.radius == pytest.approx(1.0)
    noisy = ex.set(noise=0.8)
    assert max(z.real for z in noisy.eigenvalues.tolist()) < 0


def test_set_refuses_unknown_sliders_and_values_out_of_range():
    ex = DiracGANExplorer(steps=10, figsize=(5, 2))
    with pytest.raises(ArgumentError, match="no slider"):
        ex.set(beta=1)
    with pytest.raises(ArgumentError, match="gamma"):
        ex.set(gamma=5.0)
    with pytest.raises(ArgumentError, match="mode"):
        ex.set(mode="both")
    assert ex.n_updates == 1
