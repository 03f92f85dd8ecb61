"""Build of the optional native node type (``equations/_native.c``, issue #16); everything else is in
pyproject.toml. ``optional=True``: without a C compiler the package installs and runs in pure Python."""

from setuptools import Extension, setup

setup(ext_modules=[Extension("equations._native", ["equations/_native.c"], optional=True,
                             extra_compile_args=["-O2"])])
