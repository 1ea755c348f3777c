"""Data: toy distributions (offline), and image sets in later lessons."""
from . import toy
from .toy import GaussianMixture, Mixture1D, Spiral, ToyDistribution, TwoMoons, grid, ring

__all__ = ["toy", "GaussianMixture", "Mixture1D", "Spiral", "ToyDistribution", "TwoMoons", "grid", "ring"]
