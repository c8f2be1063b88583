"""Package layout that pyproject.toml cannot state: the Julia package as package data.

The Python package lives in ``pyside/ssagrad``; the Julia package ``SSAGrad`` stays at
the repository root in ``julia/`` and is shipped inside the wheel as ``ssagrad/_julia``
(mapped with ``package_dir``), next to ``ssagrad/juliapkg.json``, so an installed
ssagrad finds it without a source checkout. Editable installs and ``PYTHONPATH=pyside``
use the checkout's ``julia/`` directly (see ``ssagrad.backends.julia._locate``).
"""

from setuptools import find_packages, setup

JULIA_FILES = ["Project.toml", "README.md", "src/*.jl", "ext/*.jl", "test/*.jl", "test/fixtures/*"]

setup(
    packages=[*find_packages("pyside"), "ssagrad._julia"],
    package_dir={"": "pyside", "ssagrad._julia": "julia"},
    package_data={"ssagrad": ["juliapkg.json", "bench/c_direct.c"], "ssagrad._julia": JULIA_FILES},
    include_package_data=False,
)
