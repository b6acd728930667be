"""How large a difference a few seeds can detect (chapters 10 and 11): Student's t
quantile and the half-width of a 95 % interval for a mean over seeds or for the
difference of two such means."""
import math
import statistics

__all__ = ["t_quantile", "halfwidth", "two_sample_halfwidth"]


def t_density(df):
    """The density of Student's t with ``df`` degrees of freedom, as a function of x (its
    normalising constant computed once)."""
    log_c = (math.lgamma((df + 1) / 2) - math.lgamma(df / 2)
             - 0.5 * math.log(df * math.pi))
    return lambda x: math.exp(log_c - (df + 1) / 2 * math.log1p(x * x / df))


def t_cdf(t, df, steps=2000):
    """P(T <= t) for t >= 0: one half plus the density integrated from 0 to t
    (Simpson's rule on ``steps`` intervals; the density is smooth, so 2000 give about
    12 correct digits for |t| < 50)."""
    f, h = t_density(df), t / steps
    inner = sum((4 if k % 2 else 2) * f(k * h) for k in range(1, steps))
    return 0.5 + h / 3 * (f(0.0) + inner + f(t))


def t_quantile(p, df):
    """The ``p``-quantile of Student's t with ``df`` degrees of freedom (0.5 <= p < 1),
    e.g. ``t_quantile(0.975, 2)`` = 4.303: found by bisection on :func:`t_cdf`."""
    if not (isinstance(df, int) and df >= 1):
        raise ValueError(f"df must be a positive int (number of seeds minus one or two), "
                         f"got {df!r}")
    if not 0.5 <= p < 1:
        raise ValueError(f"p must be in [0.5, 1), got {p!r}")
    lo, hi = 0.0, 1.0
    while t_cdf(hi, df) < p:
        lo, hi = hi, 2 * hi
    for _ in range(60):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if t_cdf(mid, df) < p else (lo, mid)
    return (lo + hi) / 2


def halfwidth(values, level=0.95):
    """Half-width of the ``level`` interval of the mean of ``values`` (e.g. the paired
    differences of two rules over seeds): t * sd / sqrt(n), with n - 1 degrees of
    freedom. A mean closer to zero than this cannot be told from zero."""
    values = list(values)
    if len(values) < 2:
        raise ValueError(f"need at least 2 values for a spread, got {len(values)}")
    n = len(values)
    return t_quantile((1 + level) / 2, n - 1) * statistics.stdev(values) / math.sqrt(n)


def two_sample_halfwidth(a, b, level=0.95):
    """Half-width of the ``level`` interval of mean(a) - mean(b) for two independent
    groups of runs (pooled variance, n_a + n_b - 2 degrees of freedom): the smallest
    difference of the two means that the seeds can detect."""
    a, b = list(a), list(b)
    if len(a) < 2 or len(b) < 2:
        raise ValueError(f"need at least 2 values in each group, got {len(a)} and {len(b)}")
    df = len(a) + len(b) - 2
    pooled = ((len(a) - 1) * statistics.variance(a)
              + (len(b) - 1) * statistics.variance(b)) / df
    return t_quantile((1 + level) / 2, df) * math.sqrt(pooled * (1 / len(a) + 1 / len(b)))
