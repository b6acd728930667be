"""The exercise checker of chapter 6 (dfa_helpers/checks/angles.py): True on a correct
answer, False on common wrong ones (with the reason printed), None on the stub."""
import math

import torch

import dfa_helpers as dh
import dfa_helpers.checks  # noqa: F401  (dh.checks)


def angle(u, v):
    """A correct hand-written answer of chapter 6's exercise."""
    u, v = u.flatten().double(), v.flatten().double()
    cos = (u @ v / (u.norm() * v.norm())).clamp(-1, 1)
    return torch.rad2deg(torch.acos(cos)).item()


def test_angle_passes_on_a_correct_answer(capsys):
    assert dh.checks.check_angle(angle) is True
    out = capsys.readouterr().out
    assert out.count("pass") == len(dh.checks.angle_cases()) and "FAIL" not in out


def test_angle_cases_cover_parallel_antiparallel_orthogonal():
    angles = [dh.angle(u, v) for _, u, v in dh.checks.angle_cases()]
    assert min(angles) < 1e-3 and max(angles) > 180 - 1e-3
    assert any(abs(a - 90) < 1e-3 for a in angles)


def test_angle_returns_none_on_the_stub(capsys):
    assert dh.checks.check_angle(lambda u, v: NotImplemented) is None
    assert "not written yet" in capsys.readouterr().out


def test_angle_fails_on_common_mistakes(capsys):
    def unclamped(u, v):      # what arccos of a cosine a hair above 1 gives: NaN
        a = angle(u, v)
        return math.nan if a < 1 or a > 179 else a

    def radians(u, v):
        return math.radians(angle(u, v))

    def cosine(u, v):                       # the cosine, not the angle
        u, v = u.flatten().double(), v.flatten().double()
        return (u @ v / (u.norm() * v.norm())).item()

    def per_row(u, v):                      # not flattened: one angle per row
        return torch.stack([torch.tensor(angle(a, b)) for a, b in zip(u, v)])

    assert dh.checks.check_angle(unclamped) is False
    assert "clamp" in capsys.readouterr().out
    assert dh.checks.check_angle(radians) is False
    assert "radians" in capsys.readouterr().out
    assert dh.checks.check_angle(cosine) is False
    assert "FAIL" in capsys.readouterr().out
    assert dh.checks.check_angle(per_row) is False
    assert "expected one number" in capsys.readouterr().out
