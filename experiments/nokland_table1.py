"""BP, FA, DFA and DFA from zero weights on deep and wide tanh networks, against Nokland
(2016) Table 1 (issue 15; `make nokland`). The paper's settings and how this protocol
differs are in ``experiments/NOKLAND.md``; chapter 10 reads the CSV this script writes.

The protocol was fixed before any run of it; it is the same for the four arms.

Arms: ``bp`` (backprop), ``fa`` (feedback alignment), ``dfa`` (DFA), all three from the
same PyTorch default initial weights, and ``dfa0``: DFA from all-zero weights and biases,
as the paper's code starts DFA.

Networks: 784 -> hidden layers -> 10, tanh hidden units, sigmoid outputs with binary
cross-entropy (the paper code's ``-criterion bce``), batches of 64, RMSprop (the paper's
optimizer, Torch7 defaults), **30 epochs with a cosine learning-rate schedule**: in epoch
k = 0..29 the rate is lr * (1 + cos(pi k / 30)) / 2, so the last epoch runs at 0.3 % of
the peak. Default networks 1x800, 2x800, 1x240, 2x240, 4x240, 7x240; ``--nets gpu``
(for ``--device cuda``) runs 3x800, 4x800 and 100x240 instead.

Seed ``s`` sets the initial weights, the order of the batches and the feedback matrices:
at a given seed every arm starts from the same weights (``dfa0`` from zeros) and sees
the same batches and, for FA and DFA, the same B.

Feedback (FA and DFA): the paper code's "auto scale", entries of B_i uniform in
+-1/sqrt(n_i), n_i the width of the hidden layer that receives the signal. Under RMSprop
a common scale of B changes nothing (NOKLAND.md), so it is not searched.

Data: fit on the first 50,000 MNIST training digits; the last 10,000 are the validation
set; the 10,000 test digits are used for nothing but the report.

1. ``search``: per network and arm, seed 0, the peak learning rates lr_k = 10^(-5 + k/2)
   (2 significant digits) for k = 1..5: 3.2e-5, 1e-4, 3.2e-4, 1e-3, 3.2e-3. Score of a
   setting: its validation error averaged over the last 5 epochs (a diverged run scores
   100 %). The pick is the lowest score, ties to the smaller lr. When the pick is the
   smallest or largest lr searched, the grid grows by one step on that side and the pick
   is made again, until it is interior (at most 3 steps per side; the CSV then says so).
2. ``final``: the pick with 3 new seeds (1, 2, 3); the report is the mean and sd of their
   test errors, with their training errors beside (:func:`summary_lines`).

Runs are done network by network and arm by arm (search, growth, final), so each cell of
the table is complete as soon as its final runs are; two processes with ``--only`` on
different networks may share the output folder.

Output (``--out``, default ``results/``): ``nokland_table1.csv``, one row per run, appended
and flushed as each run finishes; ``nokland_curves.csv``, the training, validation and
(final runs) test error after every epoch. A restart skips the runs already in the CSV.
Rows are refused from a tree whose ``dfa_helpers/`` or ``experiments/`` differ from the
commit (``--allow-dirty`` overrides, for rows never published). ``--fast`` runs the same
code on a tiny subset (2 small nets, 3 epochs, 3 lrs) into a temporary folder, for the
tests.

Usage: ``OMP_NUM_THREADS=1 python experiments/nokland_table1.py --threads 1`` (``--dry-run``
prints the plan and its time; about 5.6 h on one core, so two processes, e.g. ``--only
1x240 2x240 4x240 2x800`` and ``--only 7x240 1x800``, take about 2.8 h), ``--device cuda
--nets gpu`` on a GPU, ``--only 7x240 dfa0`` for one network and arm.
"""
import argparse
import math
import statistics
import sys
import tempfile
import time
from pathlib import Path

import torch

import dfa_helpers as dh

sys.path.insert(0, str(Path(__file__).resolve().parent))
import mnist_tuning as common  # noqa: E402  (CSV helpers, chapter 5)

ROOT = Path(__file__).resolve().parents[1]
RUN_FILE, CURVE_FILE = "nokland_table1.csv", "nokland_curves.csv"
#: arm -> (learning rule, initial weights)
ARMS = {"bp": ("bp", "default"), "fa": ("fa", "default"), "dfa": ("dfa", "default"),
        "dfa0": ("dfa", "zero")}
STAGES = ("search", "final")
COLUMNS = ["run_id", "stage", "network", "arm", "method", "init", "activation", "optimizer",
           "schedule", "lr", "lr_index", "fb_scheme", "seed", "epochs", "batch_size",
           "n_train", "n_val", "n_test", "train_error", "val_error", "val_score",
           "test_error", "final_loss", "diverged", "update_seconds", "seconds", "device",
           "commit", "lib_hash", "machine", "threads", "torch"]
CURVE_COLUMNS = common.CURVE_COLUMNS          # run_id, epoch, train/val/test error, loss

#: Hidden layers of every network the script knows, by the paper's names.
NETWORKS = {"1x800": [800], "2x800": [800] * 2, "3x800": [800] * 3, "4x800": [800] * 4,
            "1x240": [240], "2x240": [240] * 2, "4x240": [240] * 4, "7x240": [240] * 7,
            "100x240": [240] * 100}
DEFAULT_NETS = ["1x240", "2x240", "4x240", "7x240", "1x800", "2x800"]
GPU_NETS = ["3x800", "4x800", "100x240"]
FAST_NETS = {"1x32": [32], "2x32": [32, 32]}

#: CPU seconds per epoch of one run (1 thread, 50,000 digits, batches of 64, the
#: evaluation of the training and validation sets included; mean of BP and DFA), measured
#: on an idle 2-core Xeon; 3x800, 4x800 and 100x240 extrapolated. Only for --dry-run.
EPOCH_SECONDS = {"1x240": 1.8, "2x240": 2.3, "4x240": 3.0, "7x240": 3.9, "1x800": 4.2,
                 "2x800": 7.8, "3x800": 11.4, "4x800": 15.0, "100x240": 45.0}


def full_config():
    """The protocol of the module docstring."""
    return dict(nets=DEFAULT_NETS, arms=["bp", "dfa", "dfa0", "fa"], lr_base=1e-5, grid=[1, 2, 3, 4, 5],
                max_growth=3, last_epochs=5, search_seeds=[0], final_seeds=[1, 2, 3],
                epochs=30, batch_size=64, optimizer="rmsprop", n_fit=50_000, n_val=10_000,
                n_test=None, train_limit=None)


def fast_config():
    """The same code on a tiny subset, for the tests (a few seconds)."""
    return dict(full_config(), nets=list(FAST_NETS), lr_base=1e-4, grid=[2, 3, 4],
                max_growth=1, last_epochs=2, final_seeds=[1, 2], epochs=3, n_fit=1000,
                n_val=500, n_test=500, train_limit=1500)


def hidden_layers(network):
    """Hidden widths of a network name, e.g. ``"2x800"`` -> [800, 800]."""
    known = {**NETWORKS, **FAST_NETS}
    if network not in known:
        raise ValueError(f"unknown network {network!r}; expected one of {sorted(known)}")
    return known[network]


def lr_at(cfg, k):
    """The k-th learning rate of the half-decade grid: lr_base * 10^(k/2), 2 digits."""
    return common.round_sig(cfg["lr_base"] * 10 ** (k / 2), 2)


def cosine(lr, epochs):
    """The schedule ``epoch -> lr (1 + cos(pi epoch / epochs)) / 2`` (epochs from 0)."""
    return lambda epoch: lr * (1 + math.cos(math.pi * epoch / epochs)) / 2


def run_id(stage, network, arm, lr, seed):
    """A readable unique name, e.g. ``search-7x240-dfa0-lr0.001-s0``."""
    return f"{stage}-{network}-{arm}-lr{lr:g}-s{seed}"


def make_run(cfg, stage, network, arm, k, seed):
    lr = lr_at(cfg, k)
    method, init = ARMS[arm]
    return dict(run_id=run_id(stage, network, arm, lr, seed), stage=stage, network=network,
                arm=arm, method=method, init=init, activation="tanh",
                optimizer=cfg["optimizer"], schedule="cosine", lr=lr, lr_index=k,
                fb_scheme=None if method == "bp" else "uniform", seed=seed,
                epochs=cfg["epochs"], batch_size=cfg["batch_size"])


def score(row):
    """The search score of a row: its mean validation error over the last epochs, 1.0
    for a diverged run."""
    return 1.0 if row["diverged"] == "True" else float(row["val_score"])


def search_scores(rows, network, arm):
    """{lr_index: mean score over the search seeds} of ``arm`` on ``network``."""
    groups = {}
    for r in rows:
        if (r["stage"], r["network"], r["arm"]) == ("search", network, arm):
            groups.setdefault(int(r["lr_index"]), []).append(score(r))
    return {k: statistics.mean(v) for k, v in groups.items()}


def pick(rows, network, arm):
    """The lr index with the lowest search score (test errors are never looked at); ties
    go to the smaller lr. None without search rows."""
    scores = search_scores(rows, network, arm)
    return min(scores, key=lambda k: (scores[k], k)) if scores else None


def growth(cfg, rows, network, arm):
    """The next lr index to search when the pick sits on the edge of what was searched,
    else None (also None once ``max_growth`` steps were added on that side)."""
    scores = search_scores(rows, network, arm)
    if not set(cfg["grid"]) <= set(scores):
        return None                     # the grid itself is not done yet
    best = pick(rows, network, arm)
    low, high = min(cfg["grid"]) - cfg["max_growth"], max(cfg["grid"]) + cfg["max_growth"]
    if best == min(scores) and best - 1 >= low:
        return best - 1
    if best == max(scores) and best + 1 <= high:
        return best + 1
    return None


def on_edge(cfg, rows, network, arm):
    """True when the pick is still on the edge of the searched grid (growth exhausted)."""
    scores = search_scores(rows, network, arm)
    best = pick(rows, network, arm)
    return best is not None and best in (min(scores), max(scores))


def plan(cfg, rows=(), only=()):
    """The runs to do next, as dicts, given the ``rows`` done: per (network, arm) the grid
    search; the growth run when the pick is on the edge; once the pick is interior (or the
    growth exhausted), the final runs. ``only`` filters by network and arm names."""
    nets = [t for t in only if t not in ARMS] or cfg["nets"]
    arms = [t for t in only if t in ARMS] or cfg["arms"]
    runs, done = [], {r["run_id"] for r in rows}
    for network in (n for n in cfg["nets"] if n in nets):
        for arm in (a for a in cfg["arms"] if a in arms):
            grid = [make_run(cfg, "search", network, arm, k, s)
                    for s in cfg["search_seeds"] for k in cfg["grid"]]
            runs += grid
            if not all(r["run_id"] in done for r in grid):
                continue
            more = growth(cfg, rows, network, arm)
            if more is not None:
                runs += [make_run(cfg, "search", network, arm, more, s)
                         for s in cfg["search_seeds"]]
                continue
            best = pick(rows, network, arm)
            runs += [make_run(cfg, "final", network, arm, best, s)
                     for s in cfg["final_seeds"]]
    return runs


def summary_lines(run_path):
    """The table printed at the end of a run: one line per (network, arm) with final
    runs, from :func:`dfa_helpers.nokland.table` (the chapter's own numbers; a diverged
    run counts as an error of 1)."""
    table = dh.nokland.table(dh.nokland.load_runs(run_path))
    return [f"{network:>8} {arm:>4}: test error {100 * s['test_mean']:.2f} +- "
            f"{100 * s['test_sd']:.2f} %, training error {100 * s['train_mean']:.2f} % "
            f"over {len(s['seeds'])} seeds (lr {s['lr']:g})"
            for (network, arm), s in sorted(table.items())]


def make_feedback(model, method, seed):
    """Fixed random feedback in the paper code's scaling: B_i uniform in +-1/sqrt(n_i),
    n_i the width of the hidden layer that receives the signal. Drawn by
    :class:`dfa_helpers.Feedback` (so seeded as everywhere in the course; its uniform
    entries are +-1/sqrt(fan_in)), then rescaled layer by layer."""
    fb = dh.Feedback(model, std=1.0, seed=seed, scheme="uniform", kind=method)
    mats = [B * math.sqrt(B.shape[1] / B.shape[0]) for B in fb.B]
    return dh.Feedback.from_matrices(mats, kind=method)


def load_data(cfg, device):
    """(fit, val, test): the first n_fit training digits, the last n_val, the test
    digits (``n_test`` of them in --fast)."""
    train = dh.mnist(limit=cfg["train_limit"])
    n = len(train)
    if cfg["n_fit"] + cfg["n_val"] > n:
        raise ValueError(f"{cfg['n_fit']} + {cfg['n_val']} digits do not fit in {n}")
    fit = train.subset(torch.arange(cfg["n_fit"]))
    val = train.subset(torch.arange(n - cfg["n_val"], n))
    test = dh.mnist(train=False, limit=cfg["n_test"])
    return [d.to(device) for d in (fit, val, test)]


def train_one(run, data, device, last_epochs, progress=False):
    """Train one network of the plan; returns (row values, curve rows)."""
    fit, val, test = data
    sizes = [784, *hidden_layers(run["network"]), 10]
    model = dh.MLP(sizes, activation=run["activation"], seed=run["seed"], device=device)
    fb = None if run["method"] == "bp" else make_feedback(model, run["method"], run["seed"])
    if run["init"] == "zero":   # the same B as the other arms, drawn from the default net
        model = dh.MLP(sizes, activation=run["activation"], device=device, init="zero")
    row = dict(n_train=len(fit), n_val=len(val), n_test=len(test))
    curves = []
    tic = time.perf_counter()
    try:
        more = {"test": test} if run["stage"] == "final" else None
        hist = dh.train(model, fit, run["method"], epochs=run["epochs"], lr=run["lr"],
                        batch_size=run["batch_size"], feedback=fb,
                        optimizer=run["optimizer"], eval_data=val, seed=run["seed"],
                        lr_schedule=cosine(run["lr"], run["epochs"]), progress=progress,
                        more_eval=more)
    except FloatingPointError:
        row.update(train_error=math.nan, val_error=math.nan, val_score=math.nan,
                   test_error=math.nan, final_loss=math.nan, diverged=True,
                   update_seconds=math.nan)
    else:
        test_error = hist.errors["test"][-1] if more else dh.evaluate(model, test)[1]
        row.update(train_error=hist.train_error[-1], val_error=hist.test_error[-1],
                   val_score=statistics.mean(hist.test_error[-last_epochs:]),
                   test_error=test_error, final_loss=hist.loss[-1], diverged=False,
                   update_seconds=sum(hist.time))
        test_curve = hist.errors.get("test", [None] * len(hist.epochs))
        curves = [{"run_id": run["run_id"], "epoch": k, "train_error": hist.train_error[k],
                   "val_error": hist.test_error[k], "test_error": test_curve[k],
                   "loss": hist.loss[k]} for k in hist.epochs]
    row["seconds"] = time.perf_counter() - tic
    return row, curves


def check_same_protocol(rows, cfg):
    """Refuse to add runs to a CSV whose rows were trained with other epochs, optimizer,
    schedule or batch size: their run ids would match and be skipped, and the pick would
    mix them."""
    want = {(str(cfg["epochs"]), cfg["optimizer"], "cosine", str(cfg["batch_size"]))}
    other = {(r.get("epochs"), r.get("optimizer"), r.get("schedule"), r.get("batch_size"))
             for r in rows} - want
    if other:
        raise SystemExit(f"the CSV holds runs with (epochs, optimizer, schedule, batch size) "
                         f"{sorted(map(str, other))}, this run uses {sorted(want)}: choose "
                         "another --out")


def device_name(device):
    """``cpu`` or e.g. ``cuda:0 (NVIDIA H200)``: which device trained the row."""
    if device.type == "cuda":
        index = device.index if device.index is not None else torch.cuda.current_device()
        return f"cuda:{index} ({torch.cuda.get_device_name(index)})"
    return str(device)


def estimate_hours(cfg, rows=(), only=()):
    """Hours on one core for what is left, from :data:`EPOCH_SECONDS`, assuming no grid
    growth: the search runs still to do and 3 final runs per (network, arm) not final."""
    done = {r["run_id"] for r in rows}
    nets = [t for t in only if t not in ARMS] or cfg["nets"]
    arms = [t for t in only if t in ARMS] or cfg["arms"]
    finals = {(r["network"], r["arm"]) for r in rows if r["stage"] == "final"}
    epochs = 0
    for network in (n for n in cfg["nets"] if n in nets):
        for arm in (a for a in cfg["arms"] if a in arms):
            todo = [r for r in plan(cfg, (), [network, arm]) if r["run_id"] not in done]
            n_runs = len(todo) + (0 if (network, arm) in finals else len(cfg["final_seeds"]))
            epochs += EPOCH_SECONDS.get(network, 1.0) * n_runs * cfg["epochs"]
    return epochs / 3600


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--fast", action="store_true",
                        help="tiny subset, 2 small nets, 3 epochs (tests)")
    parser.add_argument("--out", type=Path, default=None,
                        help="output folder (default results/; a temp folder with --fast)")
    parser.add_argument("--nets", nargs="+", default=None, metavar="NET",
                        help=f"networks (default {' '.join(DEFAULT_NETS)}; 'gpu': "
                             f"{' '.join(GPU_NETS)})")
    parser.add_argument("--only", nargs="+", default=[], metavar="NAME",
                        help="only these networks and/or arms, e.g. --only 7x240 dfa0")
    parser.add_argument("--threads", type=int, default=1, help="torch threads (default 1)")
    parser.add_argument("--device", default=None,
                        help="cpu or cuda (default: DFA_DEVICE or cpu)")
    parser.add_argument("--allow-dirty", action="store_true",
                        help="write rows from uncommitted code (never published; --fast "
                             "implies it)")
    parser.add_argument("--dry-run", action="store_true",
                        help="print the plan and the time it takes; train nothing")
    args = parser.parse_args(argv)
    if args.threads < 1:
        parser.error(f"--threads must be at least 1, got {args.threads}")
    cfg = fast_config() if args.fast else full_config()
    if args.nets:
        cfg["nets"] = GPU_NETS if args.nets == ["gpu"] else args.nets
    try:
        for net in cfg["nets"]:
            hidden_layers(net)
    except ValueError as err:
        parser.error(str(err))
    unknown = [t for t in args.only if t not in ARMS and t not in cfg["nets"]]
    if unknown:
        parser.error(f"--only: {unknown} are neither arms {list(ARMS)} nor networks "
                     f"of this run {cfg['nets']}")
    return args, cfg


def main(argv=None):
    args, cfg = parse_args(argv)
    out = args.out or (Path(tempfile.gettempdir()) / "dfa-nokland-fast" if args.fast
                       else ROOT / "results")
    run_path, curve_path = out / RUN_FILE, out / CURVE_FILE
    rows = common.read_rows(run_path)
    check_same_protocol(rows, cfg)
    if args.dry_run:
        todo = [r for r in plan(cfg, rows, args.only) if r["run_id"] not in
                {x["run_id"] for x in rows}]
        grid = ", ".join(f"{lr_at(cfg, k):g}" for k in cfg["grid"])
        print(f"{len(rows)} runs done; next: {len(todo)} runs; what is left takes about "
              f"{estimate_hours(cfg, rows, args.only):.1f} h on one core without grid "
              f"growth\nnetworks {cfg['nets']}, arms {cfg['arms']}, lr grid {grid}, "
              f"{cfg['epochs']} epochs cosine, search seeds {cfg['search_seeds']}, final "
              f"seeds {cfg['final_seeds']}")
        return out
    try:
        prov = common.provenance(args.threads, args.allow_dirty or args.fast)
    except dh.provenance.DirtyTreeError as err:
        raise SystemExit(str(err)) from None
    prov.pop("describe")
    torch.set_num_threads(args.threads)
    torch.set_flush_denormal(True)
    out.mkdir(parents=True, exist_ok=True)
    common.drop_orphan_curves(curve_path, {r["run_id"] for r in rows})
    device = torch.device(args.device) if args.device else dh.default_device()
    data = load_data(cfg, device)
    prov["device"] = device_name(device)
    runs_w = common.Writer(run_path, COLUMNS)
    curves_w = common.Writer(curve_path, CURVE_COLUMNS)
    tty = sys.stderr.isatty() and not dh.is_headless()
    try:
        while True:
            rows = common.read_rows(run_path)   # another process may share the folder
            done = {r["run_id"] for r in rows}
            todo = [r for r in plan(cfg, rows, args.only) if r["run_id"] not in done]
            if not todo:
                break
            run = todo[0]
            values, curves = train_one(run, data, device, cfg["last_epochs"], progress=tty)
            curves_w.write(curves)
            runs_w.write([{**run, **values, **prov}])
            print(f"{run['run_id']}: train {common.fmt(values['train_error'])} val score "
                  f"{common.fmt(values['val_score'])} ({values['seconds']:.0f} s)",
                  flush=True)
    finally:
        runs_w.close()
        curves_w.close()
    print("\n".join(summary_lines(run_path)))
    return out


if __name__ == "__main__":
    main()
