"""Data sets: the XOR truth table (chapter 4), MNIST and Fashion-MNIST (chapters 5-8).

Every loader returns a :class:`Data` with float inputs ``X`` [N, d], one-hot float
targets ``Y`` [N, C] and integer ``labels`` [N].
"""
import os
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import torch

__all__ = ["Data", "one_hot", "xor", "mnist", "fashion_mnist", "data_dir", "MNIST_FILES"]

#: The four files torchvision reads from ``<data dir>/<MNIST|FashionMNIST>/raw/``.
MNIST_FILES = (
    "train-images-idx3-ubyte",
    "train-labels-idx1-ubyte",
    "t10k-images-idx3-ubyte",
    "t10k-labels-idx1-ubyte",
)

DIGITS = tuple(str(d) for d in range(10))
FASHION = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
           "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot")


@dataclass
class Data:
    """Inputs ``X`` [N, d], one-hot targets ``Y`` [N, C], integer ``labels`` [N]."""

    X: torch.Tensor
    Y: torch.Tensor
    labels: torch.Tensor
    classes: tuple = field(default=())
    name: str = ""

    def __post_init__(self):
        n = self.X.shape[0]
        if self.X.ndim != 2 or self.Y.ndim != 2 or self.labels.ndim != 1:
            raise ValueError("Data expects X [N, d], Y [N, C] and labels [N]; got "
                             f"{tuple(self.X.shape)}, {tuple(self.Y.shape)}, {tuple(self.labels.shape)}")
        if self.Y.shape[0] != n or self.labels.shape[0] != n:
            raise ValueError(f"X, Y and labels must have the same N; got {n}, "
                             f"{self.Y.shape[0]}, {self.labels.shape[0]}")

    def __len__(self):
        return self.X.shape[0]

    def __repr__(self):
        return (f"Data({self.name or 'unnamed'}: X {tuple(self.X.shape)}, "
                f"Y {tuple(self.Y.shape)}, {len(self.classes)} classes, device {self.X.device})")

    def to(self, device):
        """The same data on ``device``."""
        return Data(self.X.to(device), self.Y.to(device), self.labels.to(device),
                    self.classes, self.name)

    def subset(self, index):
        """The samples selected by ``index`` (indices or a boolean mask)."""
        return Data(self.X[index], self.Y[index], self.labels[index], self.classes, self.name)


def one_hot(labels, num_classes):
    """One-hot float targets [N, num_classes] from integer labels [N] in 0..num_classes-1."""
    labels = torch.as_tensor(labels)
    if labels.ndim != 1 or labels.is_floating_point():
        raise ValueError(f"labels must be a 1-D integer tensor, got {labels.dtype} "
                         f"of shape {tuple(labels.shape)}")
    if len(labels) and (labels.min() < 0 or labels.max() >= num_classes):
        raise ValueError(f"labels must lie in 0..{num_classes - 1}, got values from "
                         f"{labels.min().item()} to {labels.max().item()}")
    return torch.nn.functional.one_hot(labels.long(), num_classes).float()


def xor(device=None):
    """The XOR truth table of the report's Table 1: X [4, 2], Y [4, 1] (chapter 4)."""
    X = torch.tensor([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    labels = torch.tensor([0, 1, 1, 0])
    return Data(X, labels[:, None].float(), labels, ("0", "1"), "XOR").to(device or "cpu")


def data_dir(root=None):
    """The data folder: ``root`` if given, else ``$DFA_DATA_DIR``, else ``./data``."""
    return Path(root or os.environ.get("DFA_DATA_DIR") or "data")


def stratified_first(labels, limit):
    """Indices of ``limit`` samples, the first ones of each class in proportion to its size.

    Keeps the original order, so ``limit=5000`` is close to the first 5,000 samples but has
    every class in the proportion of the full set.
    """
    n = labels.shape[0]
    if limit is None or limit >= n:
        return torch.arange(n)
    if limit <= 0:
        raise ValueError(f"limit must be a positive number of samples, got {limit}")
    counts = torch.bincount(labels).float()
    order = torch.argsort(labels, stable=True)
    rank = torch.empty(n)
    starts = torch.cumsum(counts, 0) - counts
    rank[order] = torch.arange(n, dtype=torch.float32) - starts[labels[order]]
    position = rank / counts[labels]           # 0 for each class's first sample, < 1 for its last
    keep = torch.argsort(position, stable=True)[:limit]
    return torch.sort(keep).values


@lru_cache(maxsize=8)
def _load_raw(folder_name, train, root):
    from torchvision import datasets

    cls = {"MNIST": datasets.MNIST, "FashionMNIST": datasets.FashionMNIST}[folder_name]
    raw = Path(root) / folder_name / "raw"
    try:
        ds = cls(root, train=train, download=False)
    except RuntimeError:
        try:
            ds = cls(root, train=train, download=True)
        except Exception as err:  # offline, read-only folder, bad checksum ...
            raise FileNotFoundError(
                f"{folder_name} is not in {raw.resolve()} and could not be downloaded ({str(err).splitlines()[0]}). "
                f"Put the four files {', '.join(MNIST_FILES)} (or their .gz) there, or point "
                "DFA_DATA_DIR (or root=) at a folder that holds "
                f"{folder_name}/raw/.") from None
    X = ds.data.reshape(len(ds.data), -1).float().div_(255.0)
    return X, ds.targets.long()


def _load(folder_name, classes, train, limit, device, root):
    X, labels = _load_raw(folder_name, bool(train), str(data_dir(root)))
    index = stratified_first(labels, limit)
    X, labels = X[index], labels[index]
    Y = one_hot(labels, len(classes))
    split = "train" if train else "test"
    return Data(X, Y, labels, classes, f"{folder_name} {split}").to(device or "cpu")


def mnist(train=True, limit=None, device=None, root=None):
    """MNIST digits (chapters 5-8): X in [0, 1] of shape [N, 784], one-hot Y [N, 10].

    ``limit`` keeps the first ``limit`` samples, stratified by class. The files are read
    from ``data_dir(root)/MNIST/raw`` and downloaded there when missing and online.
    """
    return _load("MNIST", DIGITS, train, limit, device, root)


def fashion_mnist(train=True, limit=None, device=None, root=None):
    """Fashion-MNIST (same shapes as :func:`mnist`), for the exercises."""
    return _load("FashionMNIST", FASHION, train, limit, device, root)
