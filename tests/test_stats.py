"""dh.stats against printed tables of Student's t and closed forms (chapters 10, 11)."""
import math
import statistics

import pytest

from dfa_helpers import stats

# t_{0.975, df} from any printed table of Student's t (three decimals)
TABLE_975 = {1: 12.706, 2: 4.303, 3: 3.182, 4: 2.776, 5: 2.571, 6: 2.447, 8: 2.306,
             10: 2.228, 30: 2.042}


@pytest.mark.parametrize("df,t", sorted(TABLE_975.items()))
def test_quantile_matches_the_printed_table(df, t):
    assert stats.t_quantile(0.975, df) == pytest.approx(t, abs=6e-4)


@pytest.mark.parametrize("p", [0.6, 0.9, 0.975, 0.995])
def test_quantile_matches_the_closed_forms(p):
    # df = 1 is the Cauchy distribution; df = 2 has F(t) = 1/2 + t / (2 sqrt(2 + t^2))
    assert stats.t_quantile(p, 1) == pytest.approx(math.tan(math.pi * (p - 0.5)), rel=1e-7)
    assert stats.t_quantile(p, 2) == pytest.approx(
        (2 * p - 1) / math.sqrt(2 * p * (1 - p)), rel=1e-7)


def test_quantile_tends_to_the_normal_one():
    assert stats.t_quantile(0.975, 400) == pytest.approx(1.966, abs=1e-3)
    assert stats.t_quantile(0.5, 3) == pytest.approx(0.0, abs=1e-9)


def test_halfwidth_is_t_times_the_standard_error():
    d = [0.3, 0.4, 0.3]
    expected = 4.303 * statistics.stdev(d) / math.sqrt(3)
    assert stats.halfwidth(d) == pytest.approx(expected, rel=2e-4)
    assert stats.halfwidth([1.0, 1.0, 1.0]) == 0.0


def test_two_sample_halfwidth_pools_the_variances():
    a, b = [1.5, 1.7, 1.6], [1.9, 1.8, 2.3]
    # equal groups: pooled variance (va + vb) / 2, standard error sqrt(pooled * 2 / n)
    se = math.sqrt((statistics.variance(a) + statistics.variance(b)) / 3)
    assert stats.two_sample_halfwidth(a, b) == pytest.approx(2.776 * se, rel=3e-4)
    c = [2.0, 2.2, 2.1, 1.9]                    # unequal groups, 5 degrees of freedom
    pooled = (2 * statistics.variance(a) + 3 * statistics.variance(c)) / 5
    assert stats.two_sample_halfwidth(a, c) == pytest.approx(
        2.571 * math.sqrt(pooled * (1 / 3 + 1 / 4)), rel=3e-4)


def test_bad_input_names_what_was_expected():
    with pytest.raises(ValueError, match="df must be a positive int"):
        stats.t_quantile(0.975, 0)
    with pytest.raises(ValueError, match=r"p must be in \[0.5, 1\)"):
        stats.t_quantile(1.0, 3)
    with pytest.raises(ValueError, match="at least 2 values"):
        stats.halfwidth([0.1])
    with pytest.raises(ValueError, match="at least 2 values in each group"):
        stats.two_sample_halfwidth([0.1, 0.2], [0.3])
