"""Data loaders: shapes, ranges, stratified limits, and a clear error when files are missing."""
import pytest
import torch

import dfa_helpers as d
from dfa_helpers.data import stratified_first


def test_xor_truth_table():
    data = d.xor()
    assert data.X.tolist() == [[0, 0], [0, 1], [1, 0], [1, 1]]
    assert data.Y[:, 0].tolist() == [0, 1, 1, 0] and data.labels.tolist() == [0, 1, 1, 0]


def test_stratified_first_keeps_proportions_and_order():
    labels = torch.tensor([0] * 60 + [1] * 30 + [2] * 10)[torch.randperm(100,
                          generator=torch.Generator().manual_seed(0))]
    idx = stratified_first(labels, 20)
    assert len(idx) == 20 and torch.all(idx[1:] > idx[:-1])
    assert torch.bincount(labels[idx], minlength=3).tolist() == [12, 6, 2]
    for c in range(3):   # the first samples of each class, in order
        first = torch.nonzero(labels == c)[:, 0][: (labels[idx] == c).sum()]
        assert set(first.tolist()) <= set(idx.tolist())
    assert torch.equal(stratified_first(labels, None), torch.arange(100))
    with pytest.raises(ValueError, match="positive number of samples"):
        stratified_first(labels, 0)


def test_one_hot_checks_range():
    assert d.one_hot(torch.tensor([2, 0]), 3).tolist() == [[0, 0, 1], [1, 0, 0]]
    with pytest.raises(ValueError, match="labels must lie in 0..2"):
        d.one_hot(torch.tensor([3]), 3)
    with pytest.raises(ValueError, match="1-D integer tensor"):
        d.one_hot(torch.tensor([0.5]), 3)


def test_mnist_shapes_and_ranges(mnist_dir):
    train, test = d.mnist(limit=1000), d.mnist(train=False)
    assert train.X.shape == (1000, 784) and train.Y.shape == (1000, 10)
    assert test.X.shape == (10000, 784)
    assert train.X.dtype == torch.float32 and 0 <= train.X.min() and train.X.max() == 1
    assert torch.equal(train.Y.argmax(1), train.labels) and torch.all(train.Y.sum(1) == 1)
    counts = torch.bincount(train.labels, minlength=10)
    assert counts.min() >= 85 and counts.max() <= 115
    assert d.mnist(limit=1000).X.data_ptr() != train.X.data_ptr()  # callers may edit copies


def test_fashion_mnist(mnist_dir):
    data = d.fashion_mnist(train=False, limit=500)
    assert data.X.shape == (500, 784) and data.classes[9] == "Ankle boot"


def test_missing_files_give_a_clear_error(tmp_path, monkeypatch):
    import torchvision

    def offline(self):
        raise RuntimeError("no network here")
    monkeypatch.setattr(torchvision.datasets.MNIST, "download", offline)
    with pytest.raises(FileNotFoundError) as err:
        d.mnist(root=tmp_path / "empty")
    msg = str(err.value)
    assert str(tmp_path / "empty" / "MNIST" / "raw") in msg
    for name in d.MNIST_FILES:
        assert name in msg
    assert "DFA_DATA_DIR" in msg
