"""Lesson 04's new checker (the mode-collapse protocol's scores) passes right solutions, the package's
gc.metrics.mode_coverage included, and names each slip."""
import math

import pytest
import torch

from gancourse import checks, metrics
from gancourse.checks import unrolled


def _fails(checker, fn, match):
    with pytest.raises(AssertionError, match=match):
        checker(fn)


def mode_scores(samples, centers, std):
    dist, nearest = torch.cdist(samples, centers).min(dim=1)
    hq = dist <= 3 * std
    counts = torch.bincount(nearest[hq], minlength=len(centers)).double()
    if counts.sum() == 0:
        return {"modes": 0, "hq": 0.0, "kl": math.inf}
    h = counts[counts > 0] / counts.sum()
    return {"modes": int((counts > 0).sum()), "hq": float(hq.double().mean()),
            "kl": math.log(len(centers)) + float((h * h.log()).sum())}


def _variant(metric="disc", radius=3, use_all=False, kl="right", fraction=True, empty="inf"):
    def fn(samples, centers, std):
        dist, nearest = torch.cdist(samples, centers).min(dim=1)
        if metric == "square":
            diff = (samples - centers[nearest]).abs()
            hq = (diff <= radius * std).all(dim=1)
        else:
            hq = dist <= radius * std
        counts = torch.bincount(nearest if use_all else nearest[hq], minlength=len(centers)).double()
        modes = int((counts > 0).sum())
        share = float(hq.double().mean()) if fraction else int(hq.sum())
        if counts.sum() == 0:
            return {"modes": modes, "hq": share, "kl": {"inf": math.inf, "nan": math.nan}[empty]}
        h = counts / counts.sum()
        k = len(centers)
        values = {
            "right": math.log(k) + float((h[h > 0] * h[h > 0].log()).sum()),
            "0log0": math.log(k) + float((h * h.log()).sum()),
            "reverse": float((torch.full_like(h, 1 / k) * (1 / (k * h)).log()).sum()),
            "bits": (math.log(k) + float((h[h > 0] * h[h > 0].log()).sum())) / math.log(2),
            "entropy": -float((h[h > 0] * h[h > 0].log()).sum()),
        }
        return {"modes": modes, "hq": share, "kl": values[kl]}
    return fn


def test_the_hand_placed_samples_are_what_their_labels_say():
    centers = torch.tensor(unrolled._CENTERS)
    for point, mode, hq in unrolled._SAMPLES:
        d = torch.cdist(torch.tensor([point]), centers)[0]
        assert int(d.argmin()) == mode and (float(d.min()) <= 3 * unrolled._STD) == hq, point
        assert abs(float(d.min()) - 3 * unrolled._STD) > 0.005, f"{point} sits on the 3-std boundary"
        assert float((d - d.min()).sort().values[1]) > 0.05, f"{point} is nearly equidistant from two centres"


def test_mode_scores_accepts_right_solutions(capsys):
    checks.check_mode_scores(mode_scores)
    checks.check_mode_scores(metrics.mode_coverage)
    assert "✅" in capsys.readouterr().out


@pytest.mark.parametrize("wrong, match", [
    (_variant(metric="square"), "a disc"),
    (_variant(radius=1), "3 std \\(3 \\* std\\), not one std"),
    (_variant(use_all=True), "mode 3 counts"),
    (_variant(fraction=False), "\\*fraction\\*"),
    (_variant(kl="0log0"), "0 log 0"),
    (_variant(kl="reverse"), "KL\\(uniform \\|\\| h\\)"),
    (_variant(kl="bits"), "bits"),
    (_variant(kl="entropy"), "entropy of h"),
    (_variant(empty="nan"), "no high-quality sample"),
    (lambda s, c, std: (3, 0.5, 0.1), "return a dict"),
    (lambda s, c, std: {"modes": 3, "hq": 8 / 12, "kl": "small"}, "should be a number"),
])
def test_mode_scores_rejects_wrong_solutions(wrong, match, capsys):
    _fails(checks.check_mode_scores, wrong, match)
    assert "❌" in capsys.readouterr().out


def test_mode_scores_names_a_histogram_of_all_samples():
    def fn(samples, centers, std):
        out = mode_scores(samples, centers, std)
        nearest = torch.cdist(samples, centers).argmin(dim=1)
        h = torch.bincount(nearest, minlength=len(centers)).double() / len(samples)
        out["kl"] = math.log(len(centers)) + float((h[h > 0] * h[h > 0].log()).sum())
        return out

    _fails(checks.check_mode_scores, fn, "every sample's nearest mode")


def test_mode_scores_unwritten():
    def mode_scores(samples, centers, std):
        raise NotImplementedError("Exercise: complete mode_scores()")

    _fails(checks.check_mode_scores, mode_scores, "not written yet")
