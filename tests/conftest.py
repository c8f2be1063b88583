"""Shared helpers for the statistical tests, and the Hypothesis profiles."""

import os

import numpy as np
import pytest
from hypothesis import HealthCheck, settings
from scipy import stats


def _chi_square_pvalue(samples: np.ndarray, probabilities: np.ndarray, min_expected: float = 5.0):
    """Chi-square goodness of fit of integer ``samples`` to ``probabilities`` over 0..K.

    Neighbouring counts are pooled until each bin expects at least ``min_expected``
    samples; the tail beyond K joins the last bin.
    """
    n = samples.size
    k_max = probabilities.size - 1
    observed_all = np.bincount(np.minimum(samples, k_max + 1), minlength=k_max + 2)
    observed_all[k_max] += observed_all[k_max + 1]
    observed_all = observed_all[: k_max + 1]
    expected_all = probabilities / probabilities.sum() * n
    observed, expected = [], []
    acc_o = acc_e = 0.0
    for o, e in zip(observed_all, expected_all, strict=True):
        acc_o += o
        acc_e += e
        if acc_e >= min_expected:
            observed.append(acc_o)
            expected.append(acc_e)
            acc_o = acc_e = 0.0
    if acc_e > 0 and observed:
        observed[-1] += acc_o
        expected[-1] += acc_e
    observed, expected = np.array(observed), np.array(expected)
    if observed.size < 2:
        return 1.0
    return float(stats.chisquare(observed, expected * observed.sum() / expected.sum()).pvalue)


@pytest.fixture
def chi_square_pvalue():
    """The chi-square goodness-of-fit p-value function (see ``_chi_square_pvalue``)."""
    return _chi_square_pvalue


# Hypothesis: a bounded example count in the default run (see docs/quality.md); the
# "thorough" profile (SSAGRAD_HYPOTHESIS=thorough) explores far more for bug hunting.
# The default run is derandomised (the same examples every run, so CI is reproducible);
# "thorough" explores new examples each time.
settings.register_profile(
    "default",
    max_examples=25,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
settings.register_profile(
    "thorough",
    max_examples=1000,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
settings.load_profile(os.environ.get("SSAGRAD_HYPOTHESIS", "default"))
