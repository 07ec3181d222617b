"""salesaudit: the shared library behind the audit notebooks.

Notebooks import from here; metric functions take DataFrames and plain arguments and
return DataFrames or small dataclasses, so they are testable without Jupyter.
"""

__version__ = "0.1.0"
