"""The exercise checkers of chapters 7 and 8 (dfa_helpers/checks/averaging.py): True on a
correct answer, False on common wrong ones (with the reason printed), None on the stub."""
import torch

import dfa_helpers as dh
import dfa_helpers.checks  # noqa: F401  (dh.checks)


def batch_mean_update(x, a1, h1, y_hat, y, B):
    """A correct hand-written answer of chapter 7's exercise."""
    e_bar = y_hat.mean(0) - y.mean(0)
    delta = (B @ e_bar) * (1 - torch.tanh(a1.mean(0)) ** 2)
    return torch.outer(delta, x.mean(0)), delta, torch.outer(e_bar, h1.mean(0)), e_bar


def stub(*args):
    return NotImplemented


def test_batch_mean_update_passes_on_a_correct_answer(capsys):
    assert dh.checks.check_batch_mean_update(batch_mean_update) is True
    out = capsys.readouterr().out
    assert out.count("pass") == 3 and "FAIL" not in out


def test_batch_mean_update_returns_none_on_the_stub(capsys):
    assert dh.checks.check_batch_mean_update(stub) is None
    assert "not written yet" in capsys.readouterr().out


def test_batch_mean_update_fails_on_a_flipped_sign(capsys):
    def flipped(*args):
        return tuple(-g for g in batch_mean_update(*args))

    assert dh.checks.check_batch_mean_update(flipped) is False
    assert "sign is flipped" in capsys.readouterr().out


def test_batch_mean_update_names_the_common_mistakes(capsys):
    def plain(x, a1, h1, y_hat, y, B):            # mean of per-sample updates
        e = (y_hat - y) / len(x)
        delta = (e @ B.T) * (1 - h1 ** 2)
        return delta.T @ x, delta.sum(0), e.T @ h1, e.sum(0)

    def mean_df(x, a1, h1, y_hat, y, B):          # f' averaged instead of f'(a_bar)
        e_bar = y_hat.mean(0) - y.mean(0)
        delta = (B @ e_bar) * (1 - h1 ** 2).mean(0)
        return torch.outer(delta, x.mean(0)), delta, torch.outer(e_bar, h1.mean(0)), e_bar

    def transposed(*args):
        W1, b1, W2, b2 = batch_mean_update(*args)
        return W1.T, b1, W2, b2

    assert dh.checks.check_batch_mean_update(plain) is False
    assert "plain DFA's update" in capsys.readouterr().out
    assert dh.checks.check_batch_mean_update(mean_df) is False
    assert "mean pre-activation" in capsys.readouterr().out
    assert dh.checks.check_batch_mean_update(transposed) is False
    assert "transposed" in capsys.readouterr().out


def test_batch_mean_update_reports_a_crash_and_a_wrong_type(capsys):
    def crash(*args):
        raise RuntimeError("boom")

    assert dh.checks.check_batch_mean_update(crash) is False
    assert "RuntimeError" in capsys.readouterr().out
    assert dh.checks.check_batch_mean_update(lambda *a: batch_mean_update(*a)[:2]) is False
    assert "tuple of 4" in capsys.readouterr().out


def test_batch_mean_update_reference_is_the_library():
    """The cases' reference is dh.dfa_grads(..., averaging="batch") on an MLP."""
    for case in dh.checks.batch_mean_cases():
        s = case["signals"]
        mine = batch_mean_update(s["x"], s["a1"], s["h1"], s["y_hat"], s["y"], s["B"])
        for m, ref in zip(mine, case["grads"]):
            torch.testing.assert_close(m, ref)


def class_means(v, labels, num_classes):
    """A correct hand-written answer of chapter 8's exercise (a loop over the classes)."""
    out = torch.zeros(num_classes, v.shape[1], dtype=v.dtype)
    for c in range(num_classes):
        if (labels == c).any():
            out[c] = v[labels == c].mean(0)
    return out


def test_class_means_passes_on_a_correct_answer(capsys):
    assert dh.checks.check_class_means(class_means) is True
    out = capsys.readouterr().out
    assert out.count("pass") == 3 and "FAIL" not in out


def test_class_means_returns_none_on_the_stub(capsys):
    assert dh.checks.check_class_means(stub) is None
    assert "not written yet" in capsys.readouterr().out


def test_class_means_names_the_common_mistakes(capsys):
    def sums(v, labels, num_classes):
        return torch.zeros(num_classes, v.shape[1], dtype=v.dtype).index_add_(0, labels, v)

    def nan_rows(v, labels, num_classes):
        return torch.stack([v[labels == c].mean(0) for c in range(num_classes)])

    def present_only(v, labels, num_classes):
        return torch.stack([v[labels == c].mean(0) for c in labels.unique()])

    def flipped(v, labels, num_classes):
        return -class_means(v, labels, num_classes)

    assert dh.checks.check_class_means(sums) is False
    assert "sums of each class" in capsys.readouterr().out
    assert dh.checks.check_class_means(nan_rows) is False
    assert "not NaN" in capsys.readouterr().out
    assert dh.checks.check_class_means(present_only) is False
    assert "absent classes included" in capsys.readouterr().out
    assert dh.checks.check_class_means(flipped) is False
    assert "sign is flipped" in capsys.readouterr().out


def test_class_means_does_not_let_the_student_change_the_cases():
    def in_place(v, labels, num_classes):
        v.zero_()
        return torch.zeros(num_classes, v.shape[1], dtype=v.dtype)

    assert dh.checks.check_class_means(in_place) is False
    assert dh.checks.check_class_means(class_means) is True
