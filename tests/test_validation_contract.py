"""The validation helpers this branch added for the trainer contract and the lab: power_of_two, lookup,
Range(kind=bool) and Checked (the validated attributes k, g_loss, unroll)."""
import pytest

from gancourse import validation as v


def test_power_of_two():
    assert v.power_of_two("size", 32, low=8) == 32
    for bad in (4, 12, 2.5, True):
        with pytest.raises(v.ArgumentError, match=r"size must be a power of two >= 8 \(8, 16, 32, ...\)"):
            v.power_of_two("size", bad, low=8)


def test_lookup_names_the_table_and_its_entries():
    assert v.lookup("loss", "a", {"a": 1}) == 1 and v.lookup("mode", "x", ("x", "y")) == "x"
    for bad in ("b", None, 1):
        with pytest.raises(v.ArgumentError, match="unknown loss .*; choose from a, c"):
            v.lookup("loss", bad, {"a": 1, "c": 2})


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


def test_device_accepts_the_course_devices_only():
    import torch

    assert v.device("device", "cpu") == torch.device("cpu") and v.device("device", torch.device("cuda:1")).index == 1
    for bad, match in (("tpu", "'cpu', 'cuda'"), (3.5, "device must be"), (True, "device must be"),
                       ("meta", "not supported")):
        with pytest.raises(v.ArgumentError, match=match):
            v.device("device", bad)


def test_array_takes_numbers_in_any_container_and_refuses_the_rest():
    import numpy as np
    import torch

    assert v.array("x", [1, 2]).dtype == torch.float64 and v.array("x", np.ones((2, 2)), ndim=2).shape == (2, 2)
    assert v.array("log_p", [0.0, -float("inf")]).isinf().any()  # -inf: the log of a zero density
    for bad, match in ((None, "x must be numbers"), ("ab", "x must be numbers"), ([True], "x must be numbers"),
                       (torch.ones(2, dtype=torch.bool), "x must be numbers"), ([], "x must not be empty"),
                       ([float("nan")], "x contains NaN"), ([[1.0]], "x must have 1 dimensions")):
        with pytest.raises(v.ArgumentError, match=match):
            v.array("x", bad, ndim=1)
    with pytest.raises(v.ArgumentError, match="x contains NaN or infinite"):
        v.array("x", [float("inf")], finite=True)


def test_small_checks_name_what_they_check():
    import torch

    assert v.betas("betas", (0.5, 0.999)) == (0.5, 0.999) and v.size_pair("figsize", (3, 2.5)) == (3.0, 2.5)
    assert v.generator("g", None) is None and v.function("fn", len) is len
    for check, bad in ((v.betas, (1.0, 0.9)), (v.betas, (0.5,)), (v.size_pair, (0, 2)), (v.module, "G"),
                       (v.generator, 1), (v.function, 3), (v.function, int)):
        with pytest.raises(v.ArgumentError, match="arg must be"):
            check("arg", bad)
    with pytest.raises(v.ArgumentError, match=r"a and b must have the same shape, got \(2,\) and \(3,\)"):
        v.same_shape("a and b", torch.zeros(2), torch.zeros(3))
    assert v.shown(torch.zeros(2, 3)) == "a torch.Tensor of shape (2, 3) and dtype torch.float32"
