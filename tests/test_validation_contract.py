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
