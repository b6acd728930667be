"""Chapter 11's checker (dfa_helpers.checks.alignment): True on a hand-written angle,
False on the usual mistakes (radians, B instead of B^T, -B^T), None on the stub; and the
figure helpers of dfa_helpers.alignment_plots draw without error."""
import math

import matplotlib
import pytest
import torch

import dfa_helpers as d
import dfa_helpers.checks as checks

matplotlib.use("Agg")


def angle_by_hand(W, B):
    """Degrees between W and B^T as flat vectors, with Python loops."""
    u, v = W.flatten().tolist(), B.T.flatten().tolist()
    dot = sum(a * b for a, b in zip(u, v))
    nu, nv = math.sqrt(sum(a * a for a in u)), math.sqrt(sum(b * b for b in v))
    return math.degrees(math.acos(max(-1.0, min(1.0, dot / (nu * nv)))))


def test_output_alignment_checker_passes_a_correct_answer(capsys):
    assert checks.check_output_alignment(angle_by_hand) is True
    assert checks.check_output_alignment(lambda W, B: d.angle(W, B.T)) is True
    assert "FAIL" not in capsys.readouterr().out


@pytest.mark.parametrize("wrong, says", [
    (lambda W, B: math.radians(d.angle(W, B.T)), "radians"),
    (lambda W, B: d.angle(W, B), "transpose B"),
    (lambda W, B: d.angle(W, -B.T), "sign is flipped"),
    (lambda W, B: torch.ones(3), "expected one number"),
    (lambda W, B: d.angle(W, B[:, :1]), "raised"),
    (lambda W, B: 45.0, "wrong value"),
])
def test_output_alignment_checker_fails_wrong_answers(wrong, says, capsys):
    assert checks.check_output_alignment(wrong) is False
    assert says in capsys.readouterr().out


def test_output_alignment_checker_says_none_for_the_stub(capsys):
    assert checks.check_output_alignment(lambda W, B: NotImplemented) is None
    assert "not written yet" in capsys.readouterr().out


def test_alignment_plots_draw():
    import matplotlib.pyplot as plt

    from dfa_helpers import alignment_plots as ap
    steps = [0, 1, 5]
    runs = [[80.0, 60.0, 40.0], [85.0, 62.0, 41.0]]
    curves = {"output": {"dfa": runs}, "update": {"dfa": runs},
              "error": {"dfa": runs, "bp": runs}}
    fig = ap.plot_tracks(steps, curves, {"dfa": "DFA", "bp": "backprop"},
                         {"dfa": "C0", "bp": "C1"}, total_steps=5, mark=1)
    assert len(fig.axes) == 3
    fig, ax = plt.subplots()
    ap.plot_sweep(ax, [0.01, 0.1], [[1.0, 2.0], [3.0, 4.0]], [5.0, 6.0], [0.5, 0.7],
                  "error")
    ap.plot_design_bars(ax, {"a": [1.0, 2.0], "backprop": [0.5, 0.6]})
    plt.close("all")
