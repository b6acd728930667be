"""Seeds, the FAST switch and the default device (used by every chapter's setup cell)."""
import os
import random

import numpy as np
import torch

__all__ = ["set_seed", "is_fast", "setting", "default_device", "is_headless"]


def set_seed(seed=0):
    """Seed Python, NumPy and PyTorch (CPU and CUDA) so that a chapter reruns bit for bit.

    Introduced in every chapter's setup cell.
    """
    if not isinstance(seed, int) or seed < 0:
        raise ValueError(f"seed must be a non-negative int, got {seed!r}")
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)  # also seeds every CUDA device
    return seed


def is_fast():
    """True when the environment variable ``DFA_FAST=1`` asks for the small test settings."""
    return os.environ.get("DFA_FAST", "0").strip().lower() in {"1", "true", "yes"}


def setting(full, fast):
    """Return ``full`` (what the book publishes) unless ``DFA_FAST=1``, then ``fast``.

    Chapters write e.g. ``num_epochs = setting(200, 3)`` so that tests and CI run the
    same code on less data and fewer epochs.
    """
    return fast if is_fast() else full


def is_headless():
    """True when notebooks run unattended (book build, nbval, CI): widgets then run once.

    Set by ``DFA_HEADLESS=1`` (the Makefile does this) or ``CI=true``.
    """
    flags = (os.environ.get("DFA_HEADLESS", ""), os.environ.get("CI", ""))
    return any(f.strip().lower() in {"1", "true", "yes"} for f in flags)


def default_device():
    """The device chapters use: ``DFA_DEVICE`` if set (e.g. ``cuda``), else ``cpu``.

    The course runs on a CPU; every function also accepts ``device="cuda"``.
    """
    return torch.device(os.environ.get("DFA_DEVICE", "cpu"))
