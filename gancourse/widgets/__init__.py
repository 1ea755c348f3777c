"""Interactive widgets (ipywidgets + matplotlib) for JupyterLab: imported on demand, e.g.
``from gancourse.widgets import GANLab``."""
