"""The one validation module: each check accepts what it promises and refuses the rest with a message that names
the argument, says what is allowed and shows what was given."""
import math
from pathlib import Path

import numpy as np
import pytest
import torch

from gancourse import validation as v

BAD_NUMBERS = [True, False, None, "0.1", "1", float("nan"), float("inf"), -float("inf"), [1], torch.tensor(1.0)]


@pytest.mark.parametrize("value", BAD_NUMBERS + [2.5, 1e400])
def test_integer_refuses_non_integers(value):
    with pytest.raises(v.ArgumentError, match=r"^steps must be an integer, got "):
        v.integer("steps", value)


@pytest.mark.parametrize("value, out", [(3, 3), (np.int64(4), 4), (5.0, 5), (np.float32(6.0), 6)])
def test_integer_accepts_whole_numbers(value, out):
    assert v.integer("n", value) == out and type(v.integer("n", value)) is int


def test_integer_bounds_are_named_in_the_message():
    assert v.integer("k", 1, low=1, high=10) == 1
    with pytest.raises(v.ArgumentError, match=r"k must be an integer >= 1 and <= 10, got 0"):
        v.integer("k", 0, low=1, high=10)
    with pytest.raises(v.ArgumentError, match=r">= 1"):
        v.positive_int("batch_size", 0)
    assert v.nonneg_int("n", 0) == 0


@pytest.mark.parametrize("value", BAD_NUMBERS)
def test_number_refuses_non_numbers_and_non_finite_values(value):
    with pytest.raises(v.ArgumentError, match=r"^lr must be a finite number"):
        v.number("lr", value)


def test_number_bounds_open_and_closed():
    assert v.positive("lr", 1e-3) == 1e-3 and isinstance(v.positive("lr", 1), float)
    with pytest.raises(v.ArgumentError, match=r"lr must be a finite number > 0, got 0"):
        v.positive("lr", 0)
    assert v.nonneg("lam", 0) == 0.0
    assert v.probability("p", 1) == 1.0
    with pytest.raises(v.ArgumentError, match=r">= 0 and <= 1"):
        v.probability("p", 1.5)


def test_choice_does_not_confuse_types():
    assert v.choice("loss", "lsgan", ("minimax", "lsgan")) == "lsgan"
    assert v.choice("width", 4, (2, 4, 8)) == 4
    for value in ("4", True, 4.5, None, [4]):
        with pytest.raises(v.ArgumentError, match=r"width must be one of 2, 4, 8, got "):
            v.choice("width", value, (2, 4, 8))
    with pytest.raises(v.ArgumentError, match=r"one of 'a', 'b'"):
        v.choice("name", "c", {"a": 1, "b": 2})


def test_boolean_string_path_and_seed():
    assert v.boolean("flag", np.bool_(True)) is True
    for value in (0, 1, "True", None):
        with pytest.raises(v.ArgumentError, match="flag must be True or False"):
            v.boolean("flag", value)
    assert v.string("url", "https://x", pattern=r"https?://.+", what="an address") == "https://x"
    with pytest.raises(v.ArgumentError, match="url must be an address, got ''"):
        v.string("url", "", pattern=r"https?://.+", what="an address")
    assert isinstance(v.path("root", "data"), Path)
    assert v.seed("seed", 2**32 - 1) == 2**32 - 1
    for value in (-1, 2**32, 1.5, "0"):
        with pytest.raises(v.ArgumentError, match="seed must be an integer"):
            v.seed("seed", value)


def test_tensor_checks_rank_sizes_dtype_values_and_says_how_to_convert():
    x = torch.zeros(4, 2)
    assert v.tensor("real", x, ndim=2, size={1: 2}) is x
    with pytest.raises(v.ArgumentError, match=r"real must be a torch.Tensor \(convert it with torch.as_tensor"):
        v.tensor("real", np.zeros((4, 2)))
    with pytest.raises(v.ArgumentError, match=r"real must have 2 dimensions, got shape \(4, 2, 2\)"):
        v.tensor("real", torch.zeros(4, 2, 2), ndim=2)
    with pytest.raises(v.ArgumentError, match=r"real must have size 2 along dimension 1, got shape \(4, 3\)"):
        v.tensor("real", torch.zeros(4, 3), size={1: 2})
    with pytest.raises(v.ArgumentError, match=r"floating-point"):
        v.tensor("real", torch.zeros(4, 2, dtype=torch.int64))
    with pytest.raises(v.ArgumentError, match=r"must not be empty"):
        v.tensor("real", torch.zeros(0, 2))
    with pytest.raises(v.ArgumentError, match=r"NaN or infinite"):
        v.tensor("real", torch.tensor([[0.0, math.nan]]))
    assert v.batch("real", torch.tensor([[0.0, math.nan]]), dim=2).shape == (1, 2)   # batches: no sync per step
    with pytest.raises(v.ArgumentError, match=r"4 dimensions"):
        v.batch("images", torch.zeros(2, 3, 8), image=True)


def test_argument_error_is_both_value_and_type_error():
    with pytest.raises(ValueError):
        v.integer("n", "x")
    with pytest.raises(TypeError):
        v.integer("n", "x")


def test_a_range_validates_for_the_widget_that_shows_it():
    assert v.Range(1, 10).check("k", 3) == 3
    with pytest.raises(v.ArgumentError, match="k must be an integer >= 1 and <= 10"):
        v.Range(1, 10).check("k", 11)
    assert v.Range(1e-5, 1e-1, log=True).check("lr", 1e-3) == 1e-3
    assert v.Range(choices=(2, 4)).check("width", 2) == 2
    assert "log=True" in repr(v.Range(1e-5, 1e-1, log=True))
