"""The one module that checks the package's arguments: what each check accepts, returns and says."""
import math

import numpy as np
import pytest
import torch

from gancourse import validation as v


def test_argument_error_is_both_value_and_type_error():
    assert issubclass(v.ArgumentError, ValueError) and issubclass(v.ArgumentError, TypeError)


@pytest.mark.parametrize("value, expected", [(3, 3), (np.int64(4), 4), (5.0, 5)])
def test_integer_accepts_whole_numbers(value, expected):
    out = v.integer("n", value, low=0)
    assert out == expected and type(out) is int


@pytest.mark.parametrize("value", [True, 2.5, "3", None, math.nan, math.inf, torch.tensor(3), -1, 11])
def test_integer_refuses_the_rest_and_says_what_is_allowed(value):
    with pytest.raises(v.ArgumentError, match=r"^n must be an integer >= 0 and <= 10, got "):
        v.integer("n", value, low=0, high=10)


def test_numbers_and_their_bounds():
    assert v.positive("lr", 1e-3) == 1e-3 and v.nonneg("lam", 0) == 0.0 and v.probability("p", 1) == 1.0
    for call, match in [(lambda: v.positive("lr", 0.0), "lr must be a finite number > 0, got 0.0"),
                        (lambda: v.probability("p", 1.5), "p must be a finite number >= 0 and <= 1, got 1.5"),
                        (lambda: v.number("x", "0.1"), "x must be a finite number, got '0.1'"),
                        (lambda: v.number("x", True), "x must be a finite number, got True"),
                        (lambda: v.number("x", 1.0, high=1, high_open=True), "x must be a finite number < 1")]:
        with pytest.raises(v.ArgumentError, match=match):
            call()


def test_power_of_two():
    assert v.power_of_two("size", 32, low=8) == 32
    for bad in (4, 12, 2.5, True):
        with pytest.raises(v.ArgumentError, match=r"size must be a power of two >= 8 \(8, 16, 32, ...\)"):
            v.power_of_two("size", bad, low=8)


def test_choice_boolean_seed_lookup():
    assert v.choice("width", 8, (2, 4, 8)) == 8
    with pytest.raises(v.ArgumentError, match="flag must be one of 0, 1, got True"):
        v.choice("flag", True, (0, 1))  # True is not 1
    with pytest.raises(v.ArgumentError, match="slow must be True or False, got 1"):
        v.boolean("slow", 1)
    assert v.boolean("slow", np.bool_(True)) is True
    assert v.seed("seed", 2**32 - 1) == 2**32 - 1
    with pytest.raises(v.ArgumentError, match="seed"):
        v.seed("seed", 2**32)
    assert v.lookup("loss", "a", {"a": 1}) == 1 and v.lookup("mode", "x", ("x", "y")) == "x"
    with pytest.raises(v.ArgumentError, match="unknown loss 'b'; choose from a, c"):
        v.lookup("loss", "b", {"a": 1, "c": 2})


def test_tensor_and_batch():
    x = torch.zeros(4, 2)
    assert v.batch("real", x, dim=2) is x
    with pytest.raises(v.ArgumentError, match=r"torch.as_tensor"):
        v.tensor("real", np.zeros((4, 2)))
    with pytest.raises(v.ArgumentError, match="real must have size 2 along dimension 1"):
        v.batch("real", torch.zeros(4, 3), dim=2)
    with pytest.raises(v.ArgumentError, match="NaN"):
        v.tensor("x", torch.tensor([math.nan]))


def test_range_checks_the_kind_it_holds():
    assert v.Range(1, 10).check("k", 3) == 3
    assert v.Range(1e-5, 1e-1, log=True).check("lr", 1e-3) == 1e-3
    assert v.Range(choices=(2, 4)).check("w", 4) == 4
    assert v.Range(kind=bool).check("slow", False) is False
    with pytest.raises(v.ArgumentError, match="k must be an integer >= 1 and <= 10, got 0"):
        v.Range(1, 10).check("k", 0)
    with pytest.raises(v.ArgumentError, match="slow must be True or False"):
        v.Range(kind=bool).check("slow", "yes")


def test_checked_attribute_validates_every_assignment():
    class Knobs:
        k = v.Checked(v.positive_int, "k (steps)", doc="Steps.")

    knobs = Knobs()
    knobs.k = 3.0
    assert knobs.k == 3 and type(knobs.k) is int and Knobs.k.__doc__ == "Steps."
    with pytest.raises(v.ArgumentError, match=r"k \(steps\) must be an integer >= 1, got 0"):
        knobs.k = 0
    assert knobs.k == 3  # a refused value changes nothing
