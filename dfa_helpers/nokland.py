"""Chapter 10's results: the rows of ``results/nokland_table1.csv`` (written by
``experiments/nokland_table1.py``) as a table, and the paper's three claims as verdicts
whose sentences carry their conditions (epochs, schedule, seeds). The chapter, the
reproducibility page and the conclusion quote these sentences; none is typed."""
import csv
import math
import statistics
from pathlib import Path

from . import stats

__all__ = ["ARM_NAMES", "NETWORK_ORDER", "load_runs", "table", "conditions", "fit_verdict",
           "paired_diffs", "gap_verdict", "grid_growth", "robustness",
           "robustness_verdict", "pending"]

#: How the chapter names the four arms.
ARM_NAMES = {"bp": "backprop", "fa": "FA", "dfa": "DFA", "dfa0": "DFA from zero"}
#: The networks in the order of the table (CPU networks, then the GPU stage's).
NETWORK_ORDER = ["1x800", "2x800", "3x800", "4x800", "1x240", "2x240", "4x240", "7x240",
                 "100x240"]
#: A run "trains" when its final validation error is below this (chance is 90 %).
TRAINS_BELOW = 0.10
#: The training set counts as fitted at a training error of at most this (0.1 %).
FIT_AT = 0.001


def load_runs(path):
    """The rows of the CSV as dicts, numbers as floats/ints; ``[]`` when it is missing."""
    path = Path(path)
    if not path.exists():
        return []
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    for r in rows:
        r["diverged"] = r["diverged"] == "True"
        for col in ("lr", "train_error", "val_error", "val_score", "test_error"):
            r[col] = float(r[col]) if r[col] not in ("", "nan") else math.nan
        for col in ("seed", "epochs", "lr_index", "batch_size"):
            r[col] = int(r[col])
    return rows


def _error(r, col):
    """A diverged run counts as an error of 1."""
    return 1.0 if r["diverged"] else r[col]


def _sd(values):
    return statistics.stdev(values) if len(values) > 1 else math.nan


def table(rows):
    """``{(network, arm): dict(lr, seeds, test_mean, test_sd, train_mean, train_sd,
    tests, trains)}`` over the final runs; errors are fractions, sd with n - 1."""
    groups = {}
    for r in rows:
        if r["stage"] == "final":
            groups.setdefault((r["network"], r["arm"]), []).append(r)
    out = {}
    for key, rs in groups.items():
        rs = sorted(rs, key=lambda r: r["seed"])
        tests = [_error(r, "test_error") for r in rs]
        trains = [_error(r, "train_error") for r in rs]
        out[key] = dict(lr=rs[0]["lr"], seeds=[r["seed"] for r in rs], tests=tests,
                        trains=trains, test_mean=statistics.mean(tests), test_sd=_sd(tests),
                        train_mean=statistics.mean(trains), train_sd=_sd(trains))
    return out


def conditions(rows):
    """The conditions a verdict states, e.g. "30 epochs of RMSprop with a cosine
    schedule, 3 seeds", read from the final rows."""
    final = [r for r in rows if r["stage"] == "final"]
    if not final:
        return "no final runs yet"
    epochs = sorted({r["epochs"] for r in final})
    seeds = len({r["seed"] for r in final})
    sched = sorted({r["schedule"] for r in final})
    opt = sorted({r["optimizer"] for r in final})
    names = {"rmsprop": "RMSprop", "adam": "Adam", "sgd": "SGD", "momentum": "momentum SGD"}
    opt = "/".join(names.get(o, o) for o in opt)
    return (f"{'/'.join(map(str, epochs))} epochs of {opt} with a {'/'.join(sched)} "
            f"learning-rate schedule, {seeds} seed{'s' if seeds != 1 else ''}")


def _nets(cells, arm):
    return [n for n in NETWORK_ORDER if (n, arm) in cells]


def pct(x, digits=2):
    return f"{100 * x:.{digits}f} %"


def fit_verdict(rows, arm="dfa"):
    """Claim (a), "DFA fits the training set": on which networks the mean training error
    of ``arm``'s final runs is at most :data:`FIT_AT`, as a sentence with its conditions."""
    cells = table(rows)
    nets = _nets(cells, arm)
    if not nets:
        return f"{ARM_NAMES[arm]}: no final runs yet."
    fitted = [n for n in nets if cells[n, arm]["train_mean"] <= FIT_AT]
    worst = max(nets, key=lambda n: cells[n, arm]["train_mean"])
    head = (f"After {conditions(rows)}, {ARM_NAMES[arm]} brought the training error to "
            f"{pct(FIT_AT, 1)} or less on {len(fitted)} of the {len(nets)} networks run")
    if len(fitted) == len(nets):
        return head + f" (largest mean: {pct(cells[worst, arm]['train_mean'])} on {worst})."
    missed = [n for n in nets if n not in fitted]
    return head + ("; not on " + ", ".join(
        f"{n} ({pct(cells[n, arm]['train_mean'])})" for n in missed) + ".")


def paired_diffs(rows, network, arm="dfa", ref="bp"):
    """``arm``'s test error minus ``ref``'s on ``network``, seed by seed (at a seed both
    see the same batches), in fractions; [] if a side is missing."""
    cells = table(rows)
    if (network, arm) not in cells or (network, ref) not in cells:
        return []
    a = dict(zip(cells[network, arm]["seeds"], cells[network, arm]["tests"]))
    b = dict(zip(cells[network, ref]["seeds"], cells[network, ref]["tests"]))
    return [a[s] - b[s] for s in sorted(set(a) & set(b))]


def gap_verdict(rows, arm="dfa", ref="bp"):
    """Claim (b) as a sentence: per network the paired difference of test errors
    ``arm - ref`` in points, mean ± sd over seeds; it is clearly of one sign where the
    95 % interval of the mean (Student's t, n - 1 degrees of freedom) leaves out zero,
    and where it does not, the sentence gives that interval's half-width: the smallest
    gap the seeds could have detected."""
    parts, worse, better, undecided = [], [], [], []
    cells = table(rows)
    for network in NETWORK_ORDER:
        diffs = paired_diffs(rows, network, arm, ref)
        if not diffs:
            continue
        mean = statistics.mean(diffs)
        failed = [f"{ARM_NAMES[a]} failed on {k} of {len(cells[network, a]['tests'])} "
                  "seeds" for a in (arm, ref)
                  for k in [sum(t >= TRAINS_BELOW for t in cells[network, a]["tests"])] if k]
        note = f" ({'; '.join(failed)})" if failed else ""
        spread = f" ± {100 * _sd(diffs):.2f}" if len(diffs) > 1 else ""
        parts.append(f"{network} {100 * mean:+.2f}{spread}{note}")
        margin = stats.halfwidth(diffs) if len(diffs) > 1 else math.inf
        if mean - margin > 0:
            worse.append(network)
        elif mean + margin < 0:
            better.append(network)
        else:
            undecided.append(f"{network} (half-width {100 * margin:.2f})" if margin < math.inf
                             else f"{network} (one seed)")
    if not parts:
        return f"{ARM_NAMES[arm]} against {ARM_NAMES[ref]}: no paired final runs yet."
    tail = []
    if worse:
        tail.append(f"{ARM_NAMES[arm]} is behind on {', '.join(worse)}")
    if better:
        tail.append(f"ahead on {', '.join(better)}")
    if undecided:
        tail.append("no gap the seeds could detect on " + ", ".join(undecided))
    tail = "; ".join(tail)
    return (f"Test error of {ARM_NAMES[arm]} minus {ARM_NAMES[ref]}, in percentage points "
            f"(paired by seed, mean ± sd, {conditions(rows)}): " + "; ".join(parts) + ". "
            + tail[0].upper() + tail[1:] + " (a gap counts when its 95 % interval over the "
            "seeds, from Student's t, leaves out zero; its half-width is "
            "the smallest gap the seeds could detect).")


def grid_growth(rows, base_lrs):
    """Which searches grew their grid beyond ``base_lrs`` (their best rate was on its
    edge), as a sentence for the protocol box of chapter 10."""
    grown = {}
    for r in rows:
        if r["stage"] == "search" and not any(math.isclose(r["lr"], b, rel_tol=1e-6)
                                              for b in base_lrs):
            grown.setdefault((r["network"], r["arm"]), set()).add(r["lr"])
    if not grown:
        return "Every search picked a rate inside the first grid."
    order = {a: k for k, a in enumerate(ARM_NAMES)}
    keys = sorted(grown, key=lambda k: (NETWORK_ORDER.index(k[0]), order[k[1]]))
    return ("The grid grew for " + ", ".join(
        f"{n} {ARM_NAMES[a]} (to {', '.join(f'{lr:g}' for lr in sorted(grown[n, a]))})"
        for n, a in keys) + "; every other search picked a rate inside the first grid.")


def robustness(rows, network):
    """Claim (c): ``{arm: (trained, total)}``, over every run of the grid on ``network``
    (search runs at every learning rate and the final seeds), how many end with a
    validation error below :data:`TRAINS_BELOW`."""
    out = {}
    for r in rows:
        if r["network"] != network:
            continue
        ok = not r["diverged"] and r["val_error"] < TRAINS_BELOW
        trained, total = out.get(r["arm"], (0, 0))
        out[r["arm"]] = (trained + ok, total + 1)
    return out


def robustness_verdict(rows, networks=("4x240", "7x240")):
    """Claim (c) as a sentence for the deep networks, each arm's count of runs that
    trained, whichever way it falls."""
    parts = []
    for network in networks:
        counts = robustness(rows, network)
        if not counts:
            continue
        arms = [a for a in ARM_NAMES if a in counts]
        parts.append(f"on {network}, " + ", ".join(
            f"{ARM_NAMES[a]} {counts[a][0]} of {counts[a][1]}" for a in arms))
    if not parts:
        return "No deep network has been run yet."
    epochs = sorted({r["epochs"] for r in rows})
    return (f"Runs that trained (validation error below {pct(TRAINS_BELOW, 0)} after "
            f"{'/'.join(map(str, epochs))} epochs), over every learning rate searched and "
            "every seed: " + "; ".join(parts) + ".")


def pending(rows, networks, arms=tuple(ARM_NAMES)):
    """The (network, arm) cells of the table that have no final runs yet."""
    cells = table(rows)
    return [(n, a) for n in networks for a in arms if (n, a) not in cells]
