import pytest
import torch
from sklearn.datasets import load_digits as sk_load_digits

from gancourse.data.digits import load_digits, train_test_split


def test_digits_shapes_range_and_labels():
    x, y = load_digits(size=16)
    assert x.shape == (1797, 1, 16, 16) and x.dtype == torch.float32
    assert y.shape == (1797,) and y.dtype == torch.int64
    assert x.min() >= -1 and x.max() <= 1
    assert torch.equal(torch.bincount(y), torch.from_numpy(np_counts()))


def np_counts():
    import numpy as np

    return np.bincount(sk_load_digits().target)


def test_size_8_keeps_the_original_pixels():
    x, _ = load_digits(size=8)
    orig = torch.from_numpy(sk_load_digits().images).float()
    assert torch.allclose(x[:, 0], orig / 8 - 1)  # v/16 in [0,1] -> 2 v/16 - 1


def test_nearest_upsampling_repeats_each_pixel():
    x8, _ = load_digits(size=8)
    x32, _ = load_digits(size=32, mode="nearest")
    assert torch.equal(x32, x8.repeat_interleave(4, 2).repeat_interleave(4, 3))


def test_classes_filter_and_bad_arguments():
    x, y = load_digits(size=16, classes=[0, 7])
    assert set(y.tolist()) == {0, 7} and len(x) == len(y)
    with pytest.raises(ValueError, match="size"):
        load_digits(size=4)
    with pytest.raises(ValueError, match="classes"):
        load_digits(classes=[11])
    with pytest.raises(ValueError, match="resize mode"):
        load_digits(mode="cubic-ish")


def test_train_test_split_is_stratified_and_disjoint():
    x = torch.arange(100.0)[:, None]
    y = torch.arange(100) % 4
    xtr, ytr, xte, yte = train_test_split(x, y, test_fraction=0.2, seed=0)
    assert len(xte) == 20 and torch.equal(torch.bincount(yte), torch.tensor([5, 5, 5, 5]))
    assert set(xtr[:, 0].tolist()).isdisjoint(xte[:, 0].tolist())
    again = train_test_split(x, y, test_fraction=0.2, seed=0)
    assert torch.equal(again[2], xte)
    with pytest.raises(ValueError, match="test_fraction"):
        train_test_split(x, y, test_fraction=1.0)
