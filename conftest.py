"""Executes every ```python example of docs/**/*.md and README.md with Sybil.

Each page runs top to bottom in one namespace, inside a fresh temporary working
directory (files an example writes land there). Blocks fenced with another language
(```bash, ```text, ```julia) are not run; see docs/quality.md.
"""

import doctest
import os

import pytest
from sybil import Sybil
from sybil.parsers.markdown import PythonCodeBlockParser, SkipParser


@pytest.fixture
def _in_temporary_directory(tmp_path):
    old = os.getcwd()
    os.chdir(tmp_path)
    try:
        yield tmp_path
    finally:
        os.chdir(old)


pytest_collect_file = Sybil(
    parsers=[
        PythonCodeBlockParser(doctest_optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE),
        SkipParser(),
    ],
    patterns=["README.md", "docs/*.md", "docs/**/*.md"],
    fixtures=["_in_temporary_directory"],
).pytest()
