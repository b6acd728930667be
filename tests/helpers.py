"""Small float64 nets and batches that the unit tests share (imported as
``from helpers import tiny_batch, tiny_net``; a module, not conftest.py, so that a second
conftest.py in a subfolder cannot shadow it)."""
import torch

import dfa_helpers as d


def tiny_net(sizes=(5, 4, 3, 2), activation="tanh", output="sigmoid", seed=0):
    """A small float64 net whose gradients can be checked to 1e-12."""
    return d.MLP(list(sizes), activation, output, seed=seed).double()


def tiny_batch(n=7, n_in=5, n_out=2, seed=1, labels=None):
    gen = torch.Generator().manual_seed(seed)
    x = torch.randn(n, n_in, generator=gen, dtype=torch.float64)
    if labels is None:
        labels = torch.randint(0, n_out, (n,), generator=gen)
    y = torch.nn.functional.one_hot(torch.as_tensor(labels), n_out).double()
    return x, y, torch.as_tensor(labels)


def load_experiment(name):
    """Import ``experiments/<name>.py`` as a module (the scripts are not a package)."""
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parents[1] / "experiments" / f"{name}.py"
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def read_csv(path):
    """The rows of a CSV file as dicts of strings."""
    import csv

    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def run_fast(script, out):
    """Run an experiment script's ``--fast`` mode into ``out`` on one thread, leaving
    torch's thread count as it was (``main()`` sets it for the whole process)."""
    threads = torch.get_num_threads()
    try:
        script.main(["--fast", "--out", str(out), "--threads", "1"])
    finally:
        torch.set_num_threads(threads)
    return out
