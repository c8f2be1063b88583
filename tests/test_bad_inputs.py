"""The bad-input catalogue (tests/bad_inputs.py): every row raises the error it documents."""

from pathlib import Path

import pytest
from bad_inputs import CASES, render, run

ERRORS_PAGE = Path(__file__).resolve().parents[1] / "docs" / "errors.md"


def test_the_catalogue_has_at_least_50_distinct_bad_inputs():
    keys = [(case.entry, case.bad) for case in CASES]
    assert len(set(keys)) == len(keys) >= 50
    entries = {case.entry for case in CASES}
    for entry in (
        "parse",
        "NetworkBuilder",
        "simulate",
        "exact",
        "gradient",
        "value_and_grad",
        "fit",
        "structure.learn",
        "read_data",
        "ssagrad (CLI)",
    ):
        assert entry in entries, entry


@pytest.mark.parametrize("case", CASES, ids=[f"{c.entry}: {c.bad}" for c in CASES])
def test_bad_input_gets_a_clear_error(case):
    err = run(case)
    assert isinstance(err, case.error), f"{type(err).__name__}: {err}"
    assert case.names in str(err), str(err)


def test_docs_errors_md_is_generated_from_the_catalogue():
    assert ERRORS_PAGE.read_text() == render(), (
        "docs/errors.md is out of date: run "
        "PYTHONPATH=pyside python3 tests/bad_inputs.py docs/errors.md"
    )
