"""`make bench`: speed of DFA against backprop, and of class-averaged DFA against a naive loop.

One run, repetitions interleaved (DFA, BP, DFA, BP, ...) so that both see the same machine
load; medians reported. Targets (issue 2): DFA/BP <= 0.80 per step for 784-800x4-10 at
batch 256, and class-averaged DFA >= 20x faster per MNIST epoch than the naive loop.
"""
import argparse
import statistics
import sys
import time

import torch

import dfa_helpers as dh

torch.set_flush_denormal(True)

ARCHS = {"784-80-10": [784, 80, 10], "784-800-10": [784, 800, 10],
         "784-800-800-10": [784, 800, 800, 10], "784-800x4-10": [784] + [800] * 4 + [10]}


def step_timer(method, sizes, batch_size, device):
    """A function that times `steps` training steps of one method on a fixed random batch."""
    model = dh.MLP(sizes, seed=0, device=device)
    fb = dh.Feedback(model, seed=0)
    opt = torch.optim.SGD(model.parameters(), lr=1e-3)
    gen = torch.Generator().manual_seed(0)
    x = torch.rand(batch_size, sizes[0], generator=gen).to(device)
    y = dh.one_hot(torch.randint(0, sizes[-1], (batch_size,), generator=gen), sizes[-1]).to(device)

    def steps_of(steps):
        for _ in range(steps):
            if method == "dfa":
                dh.dfa_grads(model, fb, x, y)
            else:
                dh.bp_grads(model, x, y)
            opt.step()
    return lambda steps: timed(lambda: steps_of(steps), device) / steps


def sync(device):
    if torch.device(device).type == "cuda":
        torch.cuda.synchronize()


def timed(fn, device):
    """Wall seconds that ``fn()`` takes, with the device synchronised on both sides."""
    sync(device)
    tic = time.perf_counter()
    fn()
    sync(device)
    return time.perf_counter() - tic


def bench_steps(batch_size, rounds, device, min_seconds=0.25):
    rows = []
    for name, sizes in ARCHS.items():
        timers = {m: step_timer(m, sizes, batch_size, device) for m in ("dfa", "bp")}
        for t in timers.values():
            t(3)                                              # warm-up
        steps = max(2, int(min_seconds / timers["bp"](3)))    # ~min_seconds per repetition
        times = {"dfa": [], "bp": []}
        for _ in range(rounds):
            for m in ("dfa", "bp"):
                times[m].append(timers[m](steps))
        dfa, bp = statistics.median(times["dfa"]), statistics.median(times["bp"])
        macs = dh.step_macs(sizes, "dfa") / dh.step_macs(sizes, "bp")
        rows.append((name, dfa, bp, dfa / bp, macs))
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


def forward_only_epoch(model, data, batch_size, seed):
    """The forward passes of one epoch alone: a floor that every implementation pays."""
    order = torch.randperm(len(data), generator=torch.Generator().manual_seed(seed))
    for start in range(0, len(data), batch_size):
        idx = order[start:start + batch_size]
        model.trace(data.X[idx])


def bench_class_averaging(rounds, device):
    data = dh.mnist(device=device)
    fb_seed, lr, batch_size = 0, 1e-3, 500
    fast, naive, floor, models = [], [], [], {}
    for r in range(rounds):
        floor.append(timed(lambda: forward_only_epoch(
            dh.MLP([784, 80, 10], seed=0, device=device), data, batch_size, r), device))
        m_fast = dh.MLP([784, 80, 10], seed=0, device=device)
        hist = dh.train(m_fast, data, "dfa", "class", epochs=1, lr=lr, batch_size=batch_size,
                        feedback=dh.Feedback(m_fast, seed=fb_seed), seed=r, progress=False)
        fast.append(hist.time[1])
        m_naive = dh.MLP([784, 80, 10], seed=0, device=device)
        fb_naive = dh.Feedback(m_naive, seed=fb_seed)
        naive.append(timed(lambda: naive_class_epoch(m_naive, fb_naive, data, batch_size, lr, r),
                           device))
        models[r] = (m_fast, m_naive)
    m_fast, m_naive = models[0]
    same = all(torch.allclose(p, q, atol=1e-5) for p, q in
               zip(m_fast.parameters(), m_naive.parameters()))
    return statistics.median(fast), statistics.median(naive), statistics.median(floor), same


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7, help="interleaved repetitions")
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument("--device", default=str(dh.default_device()))
    args = parser.parse_args(argv)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, device {args.device}, "
          f"median of {args.rounds} interleaved rounds\n")

    rows = bench_steps(args.batch_size, args.rounds, args.device)
    print(f"Time per training step, batch {args.batch_size}")
    print(f"{'network':<16}{'DFA (ms)':>10}{'BP (ms)':>10}{'DFA/BP':>9}{'MAC ratio':>11}")
    for name, dfa, bp, ratio, macs in rows:
        print(f"{name:<16}{1e3 * dfa:>10.2f}{1e3 * bp:>10.2f}{ratio:>9.2f}{macs:>11.2f}")
    deep_ratio = rows[-1][3]
    ok_steps = deep_ratio <= 0.80

    fast, naive, floor, same = bench_class_averaging(max(3, args.rounds // 2), args.device)
    speedup = naive / fast
    ok_class = speedup >= 20
    print("\nClass-averaged DFA, one MNIST epoch (60,000 samples), 784-80-10, batch 500")
    print(f"{'vectorised (dh.train)':<34}{fast:>8.3f} s")
    print(f"{'naive Python loops (reference)':<34}{naive:>8.3f} s")
    print(f"{'speed-up':<34}{speedup:>8.1f} x   (same weights after one epoch: {same})")
    print(f"{'forward passes alone (floor)':<34}{floor:>8.3f} s   (no implementation beats "
          f"{naive / floor:.1f}x)")

    print("\nTargets")
    print(f"  DFA/BP for 784-800x4-10 <= 0.80: {deep_ratio:.2f}  {'MET' if ok_steps else 'NOT MET'}")
    print(f"  class averaging >= 20x naive:    {speedup:.1f}x  {'MET' if ok_class else 'NOT MET'}")
    return 0 if (ok_steps and ok_class and same) else 1


if __name__ == "__main__":
    sys.exit(main())
