"""BP, FA and DFA on deep and wide tanh networks, against Nokland (2016) Table 1 (issue 10;
`make nokland`). The paper's settings, its numbers and how this protocol differs are in
``experiments/NOKLAND.md``; a later chapter reads the CSV this script writes.

The protocol was fixed before any result was seen; it is the same for the three methods.

Networks: 784 -> hidden layers -> 10, tanh hidden units, sigmoid outputs with binary
cross-entropy (the paper code's default ``-criterion bce``), PyTorch's default initial
weights, batches of 64, RMSprop (the paper's optimizer), a constant learning rate, 10
epochs. Default networks 1x800,
2x800, 1x240, 2x240, 4x240, 7x240; ``--nets all`` adds 3x800, 4x800 and 100x240.

Seed ``s`` sets the initial weights, the order of the batches and the feedback matrices:
at a given seed BP, FA and DFA start from the same weights and see the same batches.

Feedback (FA and DFA): the paper code's "auto scale", entries of B_i uniform in
+-1/sqrt(n_i), n_i the width of the hidden layer that receives the signal, times a scale
c (c = 1 is the paper's). ``--schemes uniform normal`` adds B_i ~ N(0, c^2 / (3 n_i)),
the same variance with normal entries.

Data: fit on the first 50,000 MNIST training digits; the last 10,000 are the validation
set; the 10,000 test digits are used for nothing but the report.

1. ``search``: for every network and method, the same number of settings (default 4),
   seed 0. BP: 4 learning rates, geometric from 1e-4 to 3e-3. FA and DFA: the same 4
   learning rates x 1 feedback scale (c = 1) x 1 scheme; with more scales (``--scales``)
   or schemes they get fewer learning rates, so that the count stays equal (``--settings 8
   --schemes uniform normal``: BP 8 lrs, FA and DFA 4 lrs x 2 schemes). The setting with
   the lowest validation error after the last epoch is picked; a diverged run counts as
   100 %; ties go to the smaller lr, then the smaller scale.
2. ``final``: the picked setting with 3 new seeds (1, 2, 3); the report is the mean and
   sd of their test errors (:func:`summarize`).
3. ``long``: how much the short runs leave on the table. The picked setting of every
   method on 1x800 and 7x240, seed 1 (the first final seed, so the first 10 epochs are
   those of the final run), trained for 40 epochs; not part of the table.
4. ``safer``: a sensitivity check added after the final runs of 7x240 showed backprop
   collapsing on some seeds at its pick: on 7x240, every method trained again with the
   final seeds at the next smaller learning rate of its grid than the pick; not part of
   the table.
5. ``edge``: for every pick on the edge of the lr grid, one more search run (seed 0) at
   the next learning rate beyond that edge, one grid step further; not used for the pick,
   it says whether the grid was wide enough.

Output (``--out``, default ``results/``): ``nokland_table1.csv``, one row per run, appended
and flushed as each run finishes; ``nokland_curves.csv``, the training and validation
error after every epoch, and for the final and long runs the test error too (so that a
chapter can show what stopping at the best validation epoch would have given; the pick
and the table use the last epoch). A restart skips the runs already in the CSV. ``--fast`` runs the
same code on a tiny subset (2 small nets, 2 epochs) into a temporary folder, for the tests.

Usage: ``OMP_NUM_THREADS=1 python experiments/nokland_table1.py --threads 1`` (about
1.9 h on one core, see NOKLAND.md; two processes with ``--only`` halve it), ``--device
cuda`` on a GPU, ``--only 7x240 dfa`` for one network and method, ``--dry-run`` for the
plan.
"""
import argparse
import math
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

import dfa_helpers as dh
from dfa_helpers.training import make_optimizer

sys.path.insert(0, str(Path(__file__).resolve().parent))
import mnist_tuning as common  # noqa: E402  (CSV, provenance and git helpers, chapter 5)

ROOT = Path(__file__).resolve().parents[1]
RUN_FILE, CURVE_FILE = "nokland_table1.csv", "nokland_curves.csv"
METHODS = ("bp", "fa", "dfa")
#: The stages in the order they run (module docstring).
STAGES = ("search", "final", "long", "safer", "edge")
SCHEMES = ("uniform", "normal")
COLUMNS = ["run_id", "stage", "network", "activation", "method", "optimizer", "lr",
           "fb_scheme", "fb_scale", "seed", "epochs", "batch_size", "n_train", "n_val",
           "n_test", "train_error", "val_error", "test_error", "final_loss", "diverged",
           "update_seconds", "seconds", "device", "commit", "describe", "lib_hash",
           "machine", "threads", "torch"]
CURVE_COLUMNS = common.CURVE_COLUMNS          # run_id, epoch, train/val/test error, loss

#: Hidden layers of every network the script knows, by the paper's names.
NETWORKS = {"1x800": [800], "2x800": [800] * 2, "3x800": [800] * 3, "4x800": [800] * 4,
            "1x240": [240], "2x240": [240] * 2, "4x240": [240] * 4, "7x240": [240] * 7,
            "100x240": [240] * 100}
DEFAULT_NETS = ["1x800", "2x800", "1x240", "2x240", "4x240", "7x240"]
FAST_NETS = {"1x32": [32], "2x32": [32, 32]}

#: CPU seconds per epoch of one run (1 thread, 50,000 digits, batches of 64, Adam, with the
#: per-epoch evaluation; mean of BP and DFA), measured on the shared 2-core machine; 4x800
#: extrapolated, 100x240 measured on 5,000 digits (NOKLAND.md). Only for --dry-run.
EPOCH_SECONDS = {"1x800": 5.2, "2x800": 9.5, "3x800": 13.7, "4x800": 18.0, "1x240": 1.7,
                 "2x240": 2.4, "4x240": 3.6, "7x240": 5.5, "100x240": 56.0}


def full_config():
    """The protocol of the module docstring."""
    return dict(nets=DEFAULT_NETS, settings=4, lr_min=1e-4, lr_max=3e-3, scales=[1.0],
                schemes=["uniform"], search_seeds=[0], final_seeds=[1, 2, 3], epochs=10,
                batch_size=64, optimizer="rmsprop", n_fit=50_000, n_val=10_000, n_test=None,
                train_limit=None, long_nets=["1x800", "7x240"], long_epochs=40,
                long_seeds=[1], safer_nets=["7x240"])


def fast_config():
    """The same code on a tiny subset, for the tests (a few seconds)."""
    return dict(full_config(), nets=list(FAST_NETS), settings=2, lr_min=1e-3, lr_max=1e-2,
                final_seeds=[1, 2], epochs=2, n_fit=1000, n_val=500, n_test=500,
                train_limit=1500, long_nets=["1x32"], long_epochs=3, safer_nets=["2x32"])


def hidden_layers(network):
    """Hidden widths of a network name, e.g. ``"2x800"`` -> [800, 800]."""
    known = {**NETWORKS, **FAST_NETS}
    if network not in known:
        raise ValueError(f"unknown network {network!r}; expected one of {sorted(known)}")
    return known[network]


def lr_grid(lr_min, lr_max, n):
    """``n`` learning rates spaced geometrically from lr_min to lr_max, 2 significant
    digits (one value: their geometric mean)."""
    values = [math.sqrt(lr_min * lr_max)] if n == 1 else np.geomspace(lr_min, lr_max, n)
    return [common.round_sig(float(v), 2) for v in values]


def settings(cfg, method):
    """The (lr, scheme, scale) settings of ``method``'s search: ``cfg["settings"]`` of them
    for every method. BP has only the lr; FA and DFA share the count between lrs, scales
    and schemes."""
    n = cfg["settings"]
    if method == "bp":
        return [(lr, None, None) for lr in lr_grid(cfg["lr_min"], cfg["lr_max"], n)]
    per_lr = len(cfg["scales"]) * len(cfg["schemes"])
    if n % per_lr:
        raise ValueError(f"{n} settings cannot be shared evenly among {len(cfg['scales'])} "
                         f"scales x {len(cfg['schemes'])} schemes; use --settings "
                         f"{per_lr * max(1, n // per_lr)}")
    lrs = lr_grid(cfg["lr_min"], cfg["lr_max"], n // per_lr)
    return [(lr, scheme, scale) for lr in lrs for scheme in cfg["schemes"]
            for scale in cfg["scales"]]


def run_id(stage, network, method, lr, scheme, scale, seed):
    """A readable unique name, e.g. ``search-7x240-dfa-lr0.001-uniform1-s0``."""
    parts = [stage, network, method, f"lr{lr:g}"]
    if method != "bp":
        parts.append(f"{scheme}{scale:g}")
    return "-".join(parts + [f"s{seed}"])


def stage_epochs(cfg, stage):
    """Epochs of a run of ``stage``: ``long_epochs`` for the long runs, else ``epochs``."""
    return cfg["long_epochs"] if stage == "long" else cfg["epochs"]


def make_run(cfg, stage, network, method, setting, seed):
    lr, scheme, scale = setting
    return dict(run_id=run_id(stage, network, method, lr, scheme, scale, seed), stage=stage,
                network=network, activation="tanh", method=method,
                optimizer=cfg["optimizer"], lr=lr, fb_scheme=scheme, fb_scale=scale,
                seed=seed, epochs=stage_epochs(cfg, stage), batch_size=cfg["batch_size"])


def plan(cfg, picks=None, only=()):
    """Every run of the protocol as a dict, filtered by ``only`` (network and method
    names; none of a kind: all of it). Final runs only for the (network, method) pairs
    in ``picks`` ((network, method) -> (lr, scheme, scale))."""
    nets = [t for t in only if t not in METHODS] or cfg["nets"]
    methods = [t for t in only if t in METHODS] or list(METHODS)
    runs = []
    for network in (n for n in cfg["nets"] if n in nets):
        for method in methods:
            for seed in cfg["search_seeds"]:
                runs += [make_run(cfg, "search", network, method, s, seed)
                         for s in settings(cfg, method)]
            if picks and (network, method) in picks:
                runs += [make_run(cfg, "final", network, method, picks[network, method], s)
                         for s in cfg["final_seeds"]]
                if network in cfg["long_nets"]:
                    runs += [make_run(cfg, "long", network, method, picks[network, method],
                                      s) for s in cfg["long_seeds"]]
                beyond = edge_setting(cfg, method, picks[network, method])
                if beyond:
                    runs += [make_run(cfg, "edge", network, method, beyond, s)
                             for s in cfg["search_seeds"]]
                safer = safer_setting(cfg, method, picks[network, method])
                if network in cfg["safer_nets"] and safer:
                    runs += [make_run(cfg, "safer", network, method, safer, s)
                             for s in cfg["final_seeds"]]
    return runs


def safer_setting(cfg, method, setting):
    """The setting of ``method``'s grid with the next smaller lr than ``setting`` (same
    scheme and scale); None when ``setting`` has the smallest lr."""
    lower = [s for s in settings(cfg, method) if s[1:] == setting[1:] and s[0] < setting[0]]
    return max(lower) if lower else None


def edge_setting(cfg, method, setting):
    """For a pick on the edge of ``method``'s lr grid, the setting one grid step beyond
    that edge (same scheme and scale); None for a pick inside the grid."""
    lrs = sorted({s[0] for s in settings(cfg, method)})
    if len(lrs) < 2 or lrs[0] < setting[0] < lrs[-1]:
        return None
    step = lrs[1] / lrs[0]
    lr = lrs[0] / step if setting[0] == lrs[0] else lrs[-1] * step
    return (common.round_sig(lr, 2), *setting[1:])


def as_setting(row):
    """(lr, scheme, scale) of a CSV row; scheme and scale are None for BP."""
    bp = row["method"] == "bp"
    return (float(row["lr"]), None if bp else row["fb_scheme"],
            None if bp else float(row["fb_scale"]))


def pick(rows, network, method):
    """The search setting of ``method`` on ``network`` with the lowest mean validation
    error over its seeds (test errors are not looked at); a diverged run counts as
    100 %. Ties: the smaller lr, then scale, then scheme. None without search rows."""
    groups = {}
    for r in rows:
        if (r["stage"], r["network"], r["method"]) == ("search", network, method):
            val = 1.0 if r["diverged"] == "True" else float(r["val_error"])
            groups.setdefault(as_setting(r), []).append(val)
    if not groups:
        return None
    return min(groups, key=lambda k: (statistics.mean(groups[k]), k[0], k[2] or 0,
                                      k[1] or ""))


def summarize(rows):
    """The table: {(network, method): dict(lr, fb_scheme, fb_scale, seeds, test_mean,
    test_sd, val_mean, train_mean)} over the final runs (test errors as fractions, sd
    with n - 1; a diverged run counts as an error of 1)."""
    groups = {}
    for r in rows:
        if r["stage"] == "final":
            groups.setdefault((r["network"], r["method"]), []).append(r)
    table = {}
    for key, rs in groups.items():
        def errors(col):
            return [1.0 if r["diverged"] == "True" else float(r[col]) for r in rs]
        test = errors("test_error")
        table[key] = dict(lr=float(rs[0]["lr"]), fb_scheme=rs[0]["fb_scheme"],
                          fb_scale=rs[0]["fb_scale"], seeds=len(rs),
                          test_mean=statistics.mean(test),
                          test_sd=statistics.stdev(test) if len(test) > 1 else math.nan,
                          val_mean=statistics.mean(errors("val_error")),
                          train_mean=statistics.mean(errors("train_error")))
    return table


def make_feedback(model, method, scheme, scale, seed):
    """Fixed random feedback in the paper code's scaling: B_i uniform in +-scale/sqrt(n_i)
    (``scheme="uniform"``) or N(0, scale^2 / (3 n_i)) (``"normal"``, the same variance),
    with n_i the width of the hidden layer that receives the signal. Drawn by
    :class:`dfa_helpers.Feedback` (so seeded as everywhere in the course), then rescaled
    layer by layer: the library's uniform entries are +-1/sqrt(fan_in), its normal ones
    N(0, 1)."""
    if scheme not in SCHEMES:
        raise ValueError(f"scheme must be one of {SCHEMES}, got {scheme!r}")
    if not scale > 0:
        raise ValueError(f"the feedback scale must be positive, got {scale!r}")
    fb = dh.Feedback(model, std=1.0, seed=seed, scheme=scheme, kind=method)
    mats = []
    for B in fb.B:
        n_i, fan_in = B.shape
        factor = math.sqrt(fan_in) if scheme == "uniform" else 1 / math.sqrt(3)
        mats.append(B * (factor * scale / math.sqrt(n_i)))
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


def train_one(run, data, device, progress=False):
    """Train one network of the plan; returns (row values, curve rows)."""
    fit, val, test = data
    sizes = [784, *hidden_layers(run["network"]), 10]
    model = dh.MLP(sizes, activation=run["activation"], seed=run["seed"], device=device)
    fb = None
    if run["method"] != "bp":
        fb = make_feedback(model, run["method"], run["fb_scheme"], run["fb_scale"],
                           run["seed"])
    row = dict(n_train=len(fit), n_val=len(val), n_test=len(test))
    curves = []
    tic = time.perf_counter()
    try:
        # every run but the search records the test error of every epoch (for the
        # curves; the pick never sees it)
        more = {"test": test} if run["stage"] != "search" else None
        hist = dh.train(model, fit, run["method"], epochs=run["epochs"], lr=run["lr"],
                        batch_size=run["batch_size"], feedback=fb,
                        optimizer=run["optimizer"], eval_data=val, seed=run["seed"],
                        progress=progress, more_eval=more)
    except FloatingPointError:
        row.update(train_error=math.nan, val_error=math.nan, test_error=math.nan,
                   final_loss=math.nan, diverged=True, update_seconds=math.nan)
    else:
        test_error = hist.errors["test"][-1] if more else dh.evaluate(model, test)[1]
        row.update(train_error=hist.train_error[-1], val_error=hist.test_error[-1],
                   test_error=test_error, final_loss=hist.loss[-1],
                   diverged=False, update_seconds=sum(hist.time))
        test_curve = hist.errors.get("test", [None] * len(hist.epochs))
        curves = [{"run_id": run["run_id"], "epoch": k, "train_error": hist.train_error[k],
                   "val_error": hist.test_error[k], "test_error": test_curve[k],
                   "loss": hist.loss[k]} for k in hist.epochs]
    row["seconds"] = time.perf_counter() - tic
    return row, curves


def check_same_protocol(rows, cfg):
    """Refuse to add runs to a CSV whose rows were trained with other epochs, optimizer or
    batch size: their run ids would match and be skipped, and the pick would mix them."""
    def key(stage, epochs, optimizer, batch_size):
        return stage, str(epochs), optimizer, str(batch_size)

    want = {key(st, stage_epochs(cfg, st), cfg["optimizer"], cfg["batch_size"])
            for st in STAGES}
    other = {key(r["stage"], r["epochs"], r["optimizer"], r["batch_size"])
             for r in rows} - want
    if other:
        raise SystemExit(f"the CSV holds runs with (stage, epochs, optimizer, batch size) "
                         f"{sorted(other)}, this run uses {sorted(want)}: choose another "
                         "--out")


def device_name(device):
    """``cpu`` or e.g. ``cuda:0 (NVIDIA H200)``: which device trained the row."""
    if device.type == "cuda":
        index = device.index if device.index is not None else torch.cuda.current_device()
        return f"cuda:{index} ({torch.cuda.get_device_name(index)})"
    return str(device)


def estimate_hours(runs, cfg):
    """Hours the runs take on one core, from :data:`EPOCH_SECONDS`."""
    return sum(EPOCH_SECONDS.get(r["network"], 1.0) * r["epochs"] for r in runs) / 3600


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--fast", action="store_true",
                        help="tiny subset, 2 small nets, 2 epochs (tests)")
    parser.add_argument("--out", type=Path, default=None,
                        help="output folder (default results/; a temp folder with --fast)")
    parser.add_argument("--nets", nargs="+", default=None, metavar="NET",
                        help=f"networks (default {' '.join(DEFAULT_NETS)}; 'all' adds "
                             "3x800 4x800 100x240)")
    parser.add_argument("--only", nargs="+", default=[], metavar="NAME",
                        help="only these networks and/or methods, e.g. --only 7x240 dfa")
    parser.add_argument("--schemes", nargs="+", choices=SCHEMES, default=None,
                        help="feedback schemes searched (default: uniform, the paper's)")
    parser.add_argument("--scales", nargs="+", type=float, default=None, metavar="C",
                        help="feedback scales c searched (default: 1, the paper's; "
                             "under Adam or RMSprop c has no effect, NOKLAND.md)")
    parser.add_argument("--settings", type=int, default=None,
                        help="settings per method in the search (default 4)")
    parser.add_argument("--epochs", type=int, default=None, help="epochs (default 10)")
    parser.add_argument("--optimizer", default=None,
                        help="a name make_optimizer knows (default rmsprop)")
    parser.add_argument("--threads", type=int, default=1, help="torch threads (default 1)")
    parser.add_argument("--device", default=None,
                        help="cpu or cuda (default: DFA_DEVICE or cpu)")
    parser.add_argument("--dry-run", action="store_true",
                        help="print the runs to do and the time they take; train nothing")
    args = parser.parse_args(argv)
    if args.threads < 1:
        parser.error(f"--threads must be at least 1, got {args.threads}")
    cfg = fast_config() if args.fast else full_config()
    if args.nets:
        cfg["nets"] = list(NETWORKS) if args.nets == ["all"] else args.nets
    for key in ("schemes", "scales", "settings", "epochs", "optimizer"):
        if getattr(args, key) is not None:
            cfg[key] = getattr(args, key)
    try:
        for net in cfg["nets"]:
            hidden_layers(net)
        for method in METHODS:
            settings(cfg, method)
        make_optimizer([torch.zeros(1, requires_grad=True)], cfg["optimizer"], 1e-3)
    except ValueError as err:
        parser.error(str(err))
    unknown = [t for t in args.only if t not in METHODS and t not in cfg["nets"]]
    if unknown:
        parser.error(f"--only: {unknown} are neither methods {METHODS} nor networks "
                     f"of this run {cfg['nets']}")
    if cfg["epochs"] < 1 or cfg["settings"] < 1:
        parser.error("--epochs and --settings must be at least 1")
    if not all(c > 0 for c in cfg["scales"]):
        parser.error(f"--scales must be positive, got {cfg['scales']}")
    return args, cfg


def main(argv=None):
    args, cfg = parse_args(argv)
    out = args.out or (Path(tempfile.gettempdir()) / "dfa-nokland-fast" if args.fast
                       else ROOT / "results")
    run_path, curve_path = out / RUN_FILE, out / CURVE_FILE
    rows = common.read_rows(run_path)
    check_same_protocol(rows, cfg)
    done = {r["run_id"] for r in rows}
    if args.dry_run:
        # a stand-in setting where none is picked yet
        picks = {(n, m): pick(rows, n, m) or settings(cfg, m)[0]
                 for n in cfg["nets"] for m in METHODS}
        todo = [r for r in plan(cfg, picks, args.only) if r["run_id"] not in done]
        print(f"{len(todo)} runs to do ({len(done)} done), about "
              f"{estimate_hours(todo, cfg):.1f} h on one core")
        return out
    torch.set_num_threads(args.threads)
    torch.set_flush_denormal(True)
    out.mkdir(parents=True, exist_ok=True)
    common.drop_orphan_curves(curve_path, done)
    device = torch.device(args.device) if args.device else dh.default_device()
    data = load_data(cfg, device)
    prov = dict(common.provenance(args.threads), device=device_name(device))
    runs_w = common.Writer(run_path, COLUMNS)
    curves_w = common.Writer(curve_path, CURVE_COLUMNS)
    from tqdm import tqdm

    tty = sys.stderr.isatty() and not dh.is_headless()
    try:
        picks = None
        for stage in STAGES:
            if stage != "search" and picks is None:     # the search rows are complete
                rows = common.read_rows(run_path)
                picks = {(n, m): pick(rows, n, m) for n in cfg["nets"] for m in METHODS}
                missing = sorted(k for k, v in picks.items() if v is None)
                picks = {k: v for k, v in picks.items() if v is not None}
                print(f"picked on validation: {picks}", flush=True)
                if missing:
                    print(f"no search rows, no final runs yet: {missing}", flush=True)
            todo = [r for r in plan(cfg, picks, args.only)
                    if r["stage"] == stage and r["run_id"] not in done]
            print(f"{stage}: {len(todo)} runs to do ({len(done)} done) on "
                  f"{prov['device']} -> {out}", flush=True)
            for run in tqdm(todo, disable=not tty, unit="run"):
                values, curves = train_one(run, data, device, progress=tty)
                curves_w.write(curves)
                runs_w.write([{**run, **values, **prov}])
                done.add(run["run_id"])
                if not tty:
                    print(f"{run['run_id']}: val {common.fmt(values['val_error'])} test "
                          f"{common.fmt(values['test_error'])} ({values['seconds']:.1f} s)",
                          flush=True)
    finally:
        runs_w.close()
        curves_w.close()
    for (network, method), s in sorted(summarize(common.read_rows(run_path)).items()):
        print(f"{network:>8} {method:>3}: test error {100 * s['test_mean']:.2f} +- "
              f"{100 * s['test_sd']:.2f} % over {s['seeds']} seeds (lr {s['lr']:g})")
    return out


if __name__ == "__main__":
    main()
