import random

import numpy as np
import pytest
import torch

import gancourse as gc


def test_budget_reads_environment_each_call(monkeypatch):
    for name in ("smoke", "default", "full"):
        monkeypatch.setenv("GANCOURSE_BUDGET", name)
        assert gc.budget() == name
    monkeypatch.setenv("GANCOURSE_BUDGET", " SMOKE ")
    assert gc.budget() == "smoke"


def test_budget_unset_depends_on_cuda(monkeypatch):
    monkeypatch.delenv("GANCOURSE_BUDGET", raising=False)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert gc.budget() == "default"
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert gc.budget() == "full"


def test_bad_budget_is_a_clear_error(monkeypatch):
    monkeypatch.setenv("GANCOURSE_BUDGET", "huge")
    with pytest.raises(ValueError, match="smoke, default, full"):
        gc.budget()


def test_pick(monkeypatch):
    monkeypatch.setenv("GANCOURSE_BUDGET", "smoke")
    assert gc.pick(1, 2, 3) == 1
    monkeypatch.setenv("GANCOURSE_BUDGET", "default")
    assert gc.pick(1, 2, 3) == 2
    monkeypatch.setenv("GANCOURSE_BUDGET", "full")
    assert gc.pick(1, 2, 3) == 3
    assert gc.pick(1, 2) == 2  # full falls back to default


def test_seed_everything_repeats_every_generator():
    def draw():
        return random.random(), float(np.random.rand()), float(torch.rand(()))

    gc.seed_everything(123)
    first = draw()
    assert gc.seed_everything(123) == 123
    assert draw() == first


def test_the_seed_knob_is_read_from_the_environment(monkeypatch):
    monkeypatch.delenv("GANCOURSE_SEED", raising=False)
    assert gc.seed() == 0
    monkeypatch.setenv("GANCOURSE_SEED", " 7 ")
    assert gc.seed() == 7
    assert gc.seed_everything() == 7                      # no argument: the knob
    first = float(torch.rand(()))
    gc.seed_everything(7)
    assert float(torch.rand(())) == first


@pytest.mark.parametrize("value", ["-1", "x", "1.5", str(2**32 - 1)])
def test_a_bad_seed_knob_says_what_is_allowed(monkeypatch, value):
    monkeypatch.setenv("GANCOURSE_SEED", value)
    with pytest.raises(ValueError, match="GANCOURSE_SEED"):
        gc.seed()


def test_seed_everything_sets_the_real_cudnn_flags():
    torch.backends.cudnn.deterministic = False
    torch.backends.cudnn.benchmark = True
    gc.seed_everything(0)
    assert torch.backends.cudnn.deterministic is True
    assert torch.backends.cudnn.benchmark is False


@pytest.mark.parametrize("seed", [-1, 2**32, 1.5, "0", True])
def test_seed_everything_rejects_bad_seeds(seed):
    with pytest.raises(ValueError, match="seed"):
        gc.seed_everything(seed)


def test_device_prefers_cuda_then_mps_then_cpu(monkeypatch):
    monkeypatch.delenv("GANCOURSE_DEVICE", raising=False)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(gc.config, "_mps_available", lambda: False)
    assert gc.device() == torch.device("cpu")
    monkeypatch.setattr(gc.config, "_mps_available", lambda: True)
    assert gc.device() == torch.device("mps")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert gc.device() == torch.device("cuda")


def test_device_override(monkeypatch):
    monkeypatch.setenv("GANCOURSE_DEVICE", "cpu")
    assert gc.device() == torch.device("cpu")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.raises(ValueError, match="no CUDA GPU"):
        gc.device("cuda")
    with pytest.raises(ValueError, match="not supported"):
        gc.device("meta")


def test_progress_wraps_or_passes_through(monkeypatch):
    monkeypatch.setenv("GANCOURSE_PROGRESS", "0")
    items = [1, 2, 3]
    assert gc.progress(items, desc="x") is items
    monkeypatch.setenv("GANCOURSE_PROGRESS", "1")
    bar = gc.progress(items, desc="x")
    assert bar is not items and list(bar) == items


def test_progress_by_hand_is_off_or_a_bar(monkeypatch):
    monkeypatch.setenv("GANCOURSE_PROGRESS", "0")
    assert gc.progress(desc="x", total=3) is None
    monkeypatch.setenv("GANCOURSE_PROGRESS", "1")
    bar = gc.progress(desc="x", total=3)
    bar.update(2)
    assert (bar.n, bar.total) == (2, 3)
    bar.close()
