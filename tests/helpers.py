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
