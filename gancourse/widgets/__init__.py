"""Interactive widgets (ipywidgets + matplotlib) for JupyterLab: imported on demand, e.g.
``from gancourse.widgets import GANLab``.

``lab.py`` (the GAN lab's controller), ``lab_view.py`` (its figure and controls), ``settings.py`` (the one table
of its settings) and ``strength.py`` (lesson 03's D-strength explorer).
"""

__all__ = ["GANLab", "DStrengthExplorer"]


def __getattr__(name):
    # lazy: importing gancourse.widgets does not pull in ipywidgets/matplotlib until a widget is asked for
    if name == "GANLab":
        from .lab import GANLab

        return GANLab
    if name == "DStrengthExplorer":
        from .strength import DStrengthExplorer

        return DStrengthExplorer
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
