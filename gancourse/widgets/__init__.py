"""Interactive widgets (ipywidgets + matplotlib) for JupyterLab: imported on demand, e.g.
``from gancourse.widgets import GANLab``."""


def __getattr__(name):
    # lazy: importing gancourse.widgets does not pull in ipywidgets/matplotlib until a widget is asked for
    if name == "GANLab":
        from .lab import GANLab

        return GANLab
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
