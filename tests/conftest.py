import os
from pathlib import Path

import pytest
import torch

import dfa_helpers as d

torch.set_flush_denormal(True)


@pytest.fixture(scope="session")
def mnist_dir():
    """The data folder with MNIST; tests that need it are skipped when it is missing."""
    root = d.data_dir()
    if not (Path(root) / "MNIST" / "raw" / "train-images-idx3-ubyte").exists() and \
            not (Path(root) / "MNIST" / "raw" / "train-images-idx3-ubyte.gz").exists():
        pytest.skip(f"MNIST not found under {Path(root).resolve()} (set DFA_DATA_DIR)")
    return root
