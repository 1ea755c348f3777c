"""Data: toy distributions (offline), and image sets in later lessons."""
from . import toy
from . import archives, digits, download
from .digits import load_digits
from . import folder, mnist
from .folder import load_celeba, load_image_folder
from .mnist import load_fashion_mnist, load_mnist
from . import scenes, translation
from .toy import GaussianMixture, Mixture1D, Spiral, ToyDistribution, TwoMoons, grid, ring

__all__ = ["toy", "GaussianMixture", "Mixture1D", "Spiral", "ToyDistribution", "TwoMoons", "grid", "ring"]
__all__ += ["scenes", "translation"]
__all__ += ["archives", "digits", "download", "load_digits"]
__all__ += ["folder", "mnist", "load_celeba", "load_image_folder", "load_fashion_mnist", "load_mnist"]
