"""``ssagrad bench fit`` on a tiny workload: every part runs and reports sane numbers."""

import numpy as np

from ssagrad.bench import fit as measure
from ssagrad.bench import fit_report


def test_speed_reports_kernel_and_python_shares():
    result = measure.speed(scale=0.05, peers=False)
    assert result.steps == 15 and result.seconds > 0
    assert 0 < result.kernel_seconds < result.seconds
    assert 0 < result.python_share < 1
    assert result.events_per_step > 1000
    table = "\n".join(fit_report._speed_section(result))
    assert "ssagrad fit" in table and "Python share" in table


def test_recovery_and_pooling_tables(tmp_path):
    rows = measure.recovery(scale=0.1, estimators=("score",))
    assert {(r.model, r.loss) for r in rows} == {
        ("birth_death", "moments"),
        ("birth_death", "w1"),
        ("telegraph", "moments"),
        ("telegraph", "w1"),
    }
    assert all(np.isfinite(list(r.errors.values())).all() for r in rows)
    pooled = measure.pooling(n=200, repeats=3, fits=0, estimators=("score",))
    assert [(r.n, r.pool) for r in pooled][:2] == [(200, 0), (200, 800)]
    # The same loss value from more cells: the pool shrinks its standard error.
    assert pooled[1].value_se < pooled[0].value_se
    text = "\n".join(fit_report._recovery_section(rows) + fit_report._pooling_section(pooled))
    assert "| w1 | score |" in text and "pool=800" in text
