"""`make bench`: time per training step of DFA, FA and backprop in the loop users write,
and the cost of class averaging. Prints one table per part and exits non-zero when a
target is missed.

Part 1: ``opt.zero_grad(); <gradients>; opt.step()`` (``dh.time_step``) for 784-800xL-10,
L = 1, 2, 4, 8 hidden layers, batch 64 and 256; DFA and FA against backprop (autograd), next
to the ratio of multiply-accumulates (``dh.step_macs``). Target: DFA/BP <= 0.80 for
784-800x4-10 at batch 256 (the multiply-accumulate floor is 0.73).

Part 2: one MNIST epoch of class-averaged DFA (``dh.train``, 784-80-10, batch 500) against
a plain DFA epoch (target: at most 1.3 times as long) and against a per-class Python loop
like the original code's (reported; target: the same weights after one epoch).

Methods are timed in interleaved rounds (DFA, FA, BP, DFA, ...) so that all see the same
machine load; the tables give medians. Chapter 9 explains the numbers.
"""
import argparse
import os
import platform
import statistics
import subprocess
import sys
import time

import torch

import dfa_helpers as dh

METHODS = ("dfa", "fa", "bp")
DEPTHS = (1, 2, 4, 8)
BATCHES = (64, 256)
WIDTH = 800
TARGET_RATIO, TARGET_NET = 0.80, (4, 256)          # DFA/BP for 784-800x4-10, batch 256
TARGET_CLASS_VS_PLAIN = 1.3


def machine():
    """CPU model, cores, torch version, threads and load: the line the README quotes."""
    model = platform.processor() or "unknown CPU"
    try:
        lscpu = subprocess.run(["lscpu"], capture_output=True, text=True).stdout
        for line in lscpu.splitlines():
            if line.startswith("Model name:"):
                model = line.split(":", 1)[1].strip()
    except OSError:
        pass
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    return (f"{model}, {os.cpu_count()} cores, torch {torch.__version__}, "
            f"{torch.get_num_threads()} threads, load average {load}")


def net(depth):
    return [784] + [WIDTH] * depth + [10]


def batch(sizes, batch_size, device):
    gen = torch.Generator().manual_seed(0)
    x = torch.rand(batch_size, sizes[0], generator=gen)
    y = dh.one_hot(torch.randint(0, sizes[-1], (batch_size,), generator=gen), sizes[-1])
    return x.to(device), y.to(device)


def bench_steps(rounds, device, clock, steps_per_round=3):
    """Median seconds per step of each method for every (depth, batch size)."""
    rows = []
    for batch_size in BATCHES:
        for depth in DEPTHS:
            sizes = net(depth)
            x, y = batch(sizes, batch_size, device)
            models = {m: dh.MLP(sizes, seed=0, device=device) for m in METHODS}
            fbs = {m: None if m == "bp" else dh.Feedback(models[m], seed=0, kind=m)
                   for m in METHODS}
            times = {m: [] for m in METHODS}
            for r in range(rounds):
                for m in METHODS:
                    times[m].append(dh.time_step(models[m], m, x, y, fbs[m],
                                                 repeats=steps_per_round,
                                                 warmup=3 if r == 0 else 0,
                                                 clock=clock))
            med = {m: statistics.median(t) for m, t in times.items()}
            macs = {m: dh.step_macs(sizes, m) / dh.step_macs(sizes, "bp") for m in METHODS}
            rows.append(dict(depth=depth, batch=batch_size, **med,
                             mac_dfa=macs["dfa"], mac_fa=macs["fa"]))
    return rows


def naive_class_epoch(model, fb, data, batch_size, lr, seed):
    """Class-averaged DFA the way the original loop does it: group the samples of a batch
    with a Python loop, then one update per class from the shared forward pass. The
    reference for the vectorised `dh.dfa_grads(..., averaging="class")`."""
    gen = torch.Generator().manual_seed(seed)
    order = torch.randperm(len(data), generator=gen)
    classes = model.sizes[-1]
    for start in range(0, len(data), batch_size):
        idx = order[start:start + batch_size]
        x, y = data.X[idx], data.Y[idx]
        tr = model.trace(x)
        groups = [[] for _ in range(classes)]
        for i in range(len(y)):                          # Python loop over samples
            groups[int(torch.argmax(y[i]))].append(i)
        updates = []
        for members in groups:                           # Python loop over classes
            if not members:
                continue
            a = [ai[members].mean(0) for ai in tr.a[:-1]]
            h = [hi[members].mean(0) for hi in tr.h]
            e = tr.y_hat[members].mean(0) - y[members].mean(0)
            deltas = [(B @ e) * model.act.df(ai) for B, ai in zip(fb.B, a)] + [e]
            updates.append([(torch.outer(d, hp), d) for d, hp in zip(deltas, h)])
        with torch.no_grad():                            # sequential updates, one per class
            for update in updates:
                for layer, (dW, db) in zip(model.layers, update):
                    layer.weight -= lr * dW
                    layer.bias -= lr * db


def timed(fn, device):
    """Wall seconds that ``fn()`` takes, with the device synchronised on both sides."""
    dh.cost.synchronize(device)
    tic = time.perf_counter()
    fn()
    dh.cost.synchronize(device)
    return time.perf_counter() - tic


def train_epoch(averaging, data, seed, device, lr=1e-3, batch_size=500):
    """Seconds of one epoch of dh.train's updates (evaluation not counted), and the model."""
    model = dh.MLP([784, 80, 10], seed=0, device=device)
    hist = dh.train(model, data, "dfa", averaging, epochs=1, lr=lr, batch_size=batch_size,
                    feedback=dh.Feedback(model, seed=0), seed=seed, progress=False)
    return hist.time[1], model


def bench_class_averaging(rounds, device, lr=1e-3, batch_size=500):
    data = dh.mnist(device=device)
    times = {"plain": [], "class": [], "naive": []}
    for r in range(rounds):
        t_plain, _ = train_epoch("none", data, r, device)
        t_class, m_class = train_epoch("class", data, r, device)
        m_naive = dh.MLP([784, 80, 10], seed=0, device=device)
        fb_naive = dh.Feedback(m_naive, seed=0)
        t_naive = timed(lambda: naive_class_epoch(m_naive, fb_naive, data, batch_size, lr, r),
                        device)
        for k, t in zip(times, (t_plain, t_class, t_naive)):
            times[k].append(t)
        if r == 0:
            same = all(torch.allclose(p, q, atol=1e-5) for p, q in
                       zip(m_class.parameters(), m_naive.parameters()))
    return {k: statistics.median(v) for k, v in times.items()}, same


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=9, help="interleaved rounds, part 1")
    parser.add_argument("--threads", type=int, default=None,
                        help="torch threads (default: torch's choice)")
    parser.add_argument("--device", default=str(dh.default_device()))
    parser.add_argument("--clock", choices=("wall", "cpu"), default="wall",
                        help="part 1: wall time, or CPU time of this process (use with "
                        "--threads 1 on a busy machine)")
    args = parser.parse_args(argv)
    torch.set_flush_denormal(True)
    if args.threads:
        torch.set_num_threads(args.threads)
    tic = time.perf_counter()
    print(f"{machine()}, device {args.device}")
    print(f"medians of {args.rounds} interleaved rounds; part 1 clock: {args.clock}\n")

    rows = bench_steps(args.rounds, args.device, args.clock)
    print(f"Time per training step, user loop, 784-{WIDTH}xL-10 (ratios: to BP)")
    print(f"{'L':>2}{'batch':>6}{'DFA ms':>9}{'FA ms':>9}{'BP ms':>9}{'DFA/BP':>8}"
          f"{'FA/BP':>7}{'MACs DFA/BP':>13}{'MACs FA/BP':>12}")
    for r in rows:
        print(f"{r['depth']:>2}{r['batch']:>6}{1e3 * r['dfa']:>9.2f}{1e3 * r['fa']:>9.2f}"
              f"{1e3 * r['bp']:>9.2f}{r['dfa'] / r['bp']:>8.2f}{r['fa'] / r['bp']:>7.2f}"
              f"{r['mac_dfa']:>13.2f}{r['mac_fa']:>12.2f}")
    target_row = next(r for r in rows if (r["depth"], r["batch"]) == TARGET_NET)
    ratio = target_row["dfa"] / target_row["bp"]

    times, same = bench_class_averaging(max(5, args.rounds // 2), args.device)
    vs_plain, vs_naive = times["class"] / times["plain"], times["naive"] / times["class"]
    print("\nOne MNIST epoch of DFA (60,000 samples), 784-80-10, batch 500")
    print(f"{'plain DFA (dh.train)':<36}{times['plain']:>8.3f} s")
    print(f"{'class-averaged DFA (dh.train)':<36}{times['class']:>8.3f} s   "
          f"{vs_plain:.2f} x plain")
    print(f"{'per-class Python loop (original)':<36}{times['naive']:>8.3f} s   "
          f"{vs_naive:.1f} x slower than dh.train (same weights: {same})")

    checks = [
        (f"DFA/BP for 784-800x4-10, batch 256 <= {TARGET_RATIO:.2f}", f"{ratio:.2f}",
         ratio <= TARGET_RATIO),
        (f"class-averaged / plain DFA epoch <= {TARGET_CLASS_VS_PLAIN}", f"{vs_plain:.2f}",
         vs_plain <= TARGET_CLASS_VS_PLAIN),
        ("class averaging gives the Python loop's weights", str(same), same),
    ]
    print("\nTargets")
    for text, value, ok in checks:
        print(f"  {text:<50}{value:>8}  {'MET' if ok else 'NOT MET'}")
    print(f"\nload average at the end: {', '.join(f'{x:.1f}' for x in os.getloadavg())}; "
          f"bench took {time.perf_counter() - tic:.0f} s")
    return 0 if all(ok for _, _, ok in checks) else 1


if __name__ == "__main__":
    sys.exit(main())
