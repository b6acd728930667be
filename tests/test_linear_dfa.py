"""The linear network of chapter 3b (dfa_helpers/linear_dfa.py): the library's run,
made with dh.update_directions, against a hand-written reference in plain torch (no
library rule), and the facts the chapter derives: W_1 = B_1 Q, W_2 = A B_1^T,
A + A^T = Q Q^T - lr^2 sum_t G_t G_t^T, and DFA's update of W_1 within 90 degrees of
backprop's gradient."""
import math

import pytest
import torch

import dfa_helpers as dh
import dfa_helpers.linear_dfa as ld


@pytest.fixture(autouse=True)
def one_thread():
    """Tiny matrices: one thread is many times faster than two on a busy machine."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def degrees(u, v):
    u, v = u.flatten(), v.flatten()
    return math.degrees(math.acos((u @ v / (u.norm() * v.norm())).clamp(-1, 1).item()))


def reference(X, Y, B1, lr, steps, batch_size=None, bias=False):
    """Plain torch: the DFA steps written out, and Q, A from their closed forms
    Q = -lr sum_t G_t and A = lr^2 sum_t G_t S_t^T, S_t the sum of the G before step t
    (not from the library's recursion)."""
    n1, n_out = B1.shape
    n_in = X.shape[1] + int(bias)
    W1 = torch.zeros(n1, n_in, dtype=torch.float64)      # [W_1, b_1] with a bias
    W2 = torch.zeros(n_out, n1, dtype=torch.float64)
    b2 = torch.zeros(n_out, dtype=torch.float64)
    Gs, losses, angles = [], [], []
    for t in range(steps):
        if batch_size is None:
            x, y = X, Y
        else:
            rows = [(t * batch_size + k) % len(X) for k in range(batch_size)]
            x, y = X[rows], Y[rows]
        if bias:
            x = torch.cat([x, torch.ones(len(x), 1, dtype=x.dtype)], 1)
        H = x @ W1.T                                      # [N, n1]
        E = H @ W2.T + b2 - y                             # [N, n_out]
        losses.append(0.5 * (E ** 2).sum(1).mean().item())
        dfa_W1 = (E @ B1.T).T @ x / len(x)                # B_1 e x^T, mean over N
        bp_W1 = (E @ W2).T @ x / len(x)                   # W_2^T e x^T
        angles.append(degrees(dfa_W1, bp_W1) if W2.abs().max() > 0 else math.nan)
        Gs.append(E.T @ x / len(x))
        W2 = W2 - lr * E.T @ H / len(x)
        if bias:
            b2 = b2 - lr * E.mean(0)
        W1 = W1 - lr * dfa_W1
    S = [torch.zeros_like(Gs[0])]
    for G in Gs:
        S.append(S[-1] + G)
    Q = -lr * S[-1]
    A = lr ** 2 * sum(G @ S_t.T for G, S_t in zip(Gs, S[:-1]))
    return dict(W1=W1, W2=W2, Q=Q, A=A, GG=sum(G @ G.T for G in Gs),
                loss=losses, angle=angles)


@pytest.mark.parametrize("batch_size, bias", [(None, False), (10, False), (None, True)])
def test_run_matches_the_hand_written_reference(batch_size, bias):
    X, Y = ld.linear_teacher(n_samples=40, n_in=6, n_out=3, seed=2)
    if bias:
        Y = Y + 0.5                                       # a target the bias must learn
    run = ld.linear_dfa_run(X, Y, n_hidden=12, steps=25, lr=0.05, std=0.3, seed=2,
                            batch_size=batch_size, bias=bias)
    ref = reference(X, Y, run.B1, 0.05, 25, batch_size, bias)
    for name in ("W1", "W2", "Q", "A", "GG"):
        torch.testing.assert_close(getattr(run, name), ref[name], rtol=1e-9, atol=1e-12)
    torch.testing.assert_close(torch.tensor(run.loss), torch.tensor(ref["loss"]))
    torch.testing.assert_close(torch.tensor(run.angle), torch.tensor(ref["angle"]),
                               equal_nan=True, rtol=1e-7, atol=1e-7)


def test_the_derivation_holds_on_the_chapter_run():
    run = ld.linear_dfa_run(steps=150)
    assert run.form_error < 1e-10                          # W1 = B1 Q, W2 = A B1^T
    torch.testing.assert_close(run.W1, run.B1 @ run.Q, rtol=0, atol=1e-10)
    torch.testing.assert_close(run.W2, run.A @ run.B1.T, rtol=0, atol=1e-10)
    torch.testing.assert_close(run.A + run.A.T, run.Q @ run.Q.T - run.lr ** 2 * run.GG,
                               rtol=0, atol=1e-12)
    assert math.isnan(run.angle[0]) and math.isnan(run.angle[1])   # W2 = 0 twice
    assert max(run.angle[2:]) < 90 and min(run.e_W2_B1_e[2:]) > 0
    assert run.wb_angle[-1] < 45 and run.loss[-1] < 1e-3 * run.loss[0]


def test_the_first_steps_give_a_positive_semi_definite_a():
    """From zero the output stays tiny for a while, so every G_t is close to
    G_0 = -mean(y x^T) and A is close to lr^2 t (t - 1) / 2 G_0 G_0^T."""
    X, Y = ld.linear_teacher()
    lr, t = 0.05, 4
    run = ld.linear_dfa_run(X, Y, steps=t, lr=lr)
    G0 = -Y.T @ X / len(X)
    early = lr ** 2 * t * (t - 1) / 2 * G0 @ G0.T
    assert (run.A - early).abs().max() < 1e-2 * early.abs().max()
    assert torch.linalg.eigvalsh((run.A + run.A.T) / 2).min() > -1e-3 * early.norm()


def test_linear_mlp_is_linear_and_starts_at_zero():
    model = ld.linear_mlp([3, 4, 2], init="default", seed=0)
    x = torch.randn(5, 3, dtype=torch.float64)
    W1, W2 = (l.weight.detach() for l in model.layers)
    b1, b2 = (l.bias.detach() for l in model.layers)
    torch.testing.assert_close(model(x), (x @ W1.T + b1) @ W2.T + b2)
    assert model.act.name == "linear"
    zero = ld.linear_mlp([3, 4, 2])
    assert all((p == 0).all() for p in zero.parameters())
    assert zero.layers[0].weight.dtype == torch.float64


def test_backprop_cannot_leave_zero_but_dfa_can():
    model = ld.linear_mlp([6, 12, 3])
    X, Y = ld.linear_teacher(n_samples=10, n_in=6, n_out=3)
    fb = dh.Feedback(model, std=0.3, seed=0)
    dfa, bp = dh.update_directions(model, fb, X, Y)
    assert all((g == 0).all() for name, g in bp.items() if name != "b2")
    assert dfa["W1"].abs().max() > 0


def test_q_and_a_rejects_lists_of_different_lengths():
    with pytest.raises(ValueError, match="equal length"):
        ld.q_and_a([torch.zeros(2, 2)], [], 0.1)
