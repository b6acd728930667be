"""The training loop: XOR and MNIST results, reproducibility, clear errors."""
import pytest
import torch

import dfa_helpers as d
from dfa_helpers.training import make_optimizer


def xor_run(seed=0, **kw):
    data = d.xor()
    model = d.MLP([2, 4, 1], seed=seed)
    fb = d.Feedback(model, seed=seed)
    hist = d.train(model, data, "dfa", epochs=kw.pop("epochs", 1000), lr=0.1, batch_size=1,
                   feedback=fb, seed=seed, progress=False, **kw)
    return model, hist


def test_xor_with_dfa_report_settings():
    model, hist = xor_run()
    out = model(d.xor().X).detach()[:, 0]
    assert (out - torch.tensor([0.0, 1.0, 1.0, 0.0])).abs().max() < 0.1
    assert hist.train_error[-1] == 0 and hist.loss[-1] < hist.loss[0] / 10
    assert len(hist.loss) == 1001 and hist.time[0] == 0 and all(t > 0 for t in hist.time[1:])


def test_same_seed_same_history_bit_for_bit():
    _, h1 = xor_run(epochs=50, record_angles=True)
    _, h2 = xor_run(epochs=50, record_angles=True)
    assert h1.loss == h2.loss and h1.train_error == h2.train_error and h1.angles == h2.angles
    _, h3 = xor_run(seed=1, epochs=50)
    assert h3.loss != h1.loss


def test_feedback_seed_std_and_scheme():
    model = d.MLP([6, 5, 4, 3], seed=0)
    f1, f2, f3 = d.Feedback(model, seed=1), d.Feedback(model, seed=1), d.Feedback(model, seed=2)
    assert [b.shape for b in f1.B] == [(5, 3), (4, 3)]
    assert all(torch.equal(a, b) for a, b in zip(f1.B, f2.B))
    assert not torch.equal(f1.B[0], f3.B[0])
    big = d.Feedback([784, 500, 10], std=1.9, seed=0)
    assert big.B[0].std().item() == pytest.approx(1.9, rel=0.02)
    assert big.B[0].mean().item() == pytest.approx(0, abs=0.02)
    uni = d.Feedback([784, 500, 10], scheme="uniform", seed=0)
    assert uni.B[0].abs().max() <= 1 / 10 ** 0.5 and uni.B[0].abs().max() > 0.3


def test_model_init_is_seeded_and_leaves_global_rng_alone():
    torch.manual_seed(5)
    expected = torch.rand(1)
    torch.manual_seed(5)
    m1 = d.MLP([3, 4, 2], seed=7)
    assert torch.equal(torch.rand(1), expected)
    m2 = d.MLP([3, 4, 2], seed=7)
    assert all(torch.equal(a, b) for a, b in zip(m1.parameters(), m2.parameters()))


def test_lr_schedule_and_optimizers():
    data = d.xor()
    model = d.MLP([2, 4, 1], seed=0)
    before = [p.detach().clone() for p in model.parameters()]
    d.train(model, data, "dfa", epochs=3, batch_size=2, feedback=d.Feedback(model),
            lr_schedule=lambda epoch: 0.0, progress=False)
    assert all(torch.equal(a, p) for a, p in zip(before, model.parameters()))
    for opt in ("sgd", "momentum", "adam"):
        m = d.MLP([2, 4, 1], seed=0)
        h = d.train(m, data, "bp", epochs=200, lr=0.05, batch_size=4, optimizer=opt,
                    progress=False)
        assert h.loss[-1] < h.loss[0]


def test_averaged_training_runs_and_learns_on_xor_labels():
    data = d.xor()
    for averaging in ("batch", "class"):
        m = d.MLP([2, 8, 1], seed=0)
        h = d.train(m, data, "dfa", averaging, epochs=20, lr=0.1, batch_size=4,
                    feedback=d.Feedback(m), progress=False)
        assert h.config["averaging"] == averaging and len(h.loss) == 21


def test_divergence_stops_with_a_message_naming_lr():
    data = d.xor()
    model = d.MLP([2, 4, 1], activation="relu", output="linear", seed=0)
    with pytest.raises(FloatingPointError, match=r"lr=1e\+30"):
        d.train(model, data, "bp", epochs=50, lr=1e30, batch_size=4, progress=False)


@pytest.mark.parametrize("kwargs, message", [
    (dict(method="hebb"), "method must be 'dfa', 'fa' or 'bp'"),
    (dict(averaging="median"), "averaging must be one of"),
    (dict(lr=0), "lr must be a positive number"),
    (dict(lr=-0.1), "lr must be a positive number"),
    (dict(batch_size=0), "batch_size must be a positive int"),
    (dict(epochs=-1), "epochs must be a non-negative int"),
    (dict(feedback=None), "need feedback"),
    (dict(optimizer="lbfgs"), "optimizer must be"),
    (dict(method="bp", averaging="class"), "averaging applies to DFA only"),
])
def test_bad_arguments_raise_clear_errors(kwargs, message):
    model = d.MLP([2, 4, 1], seed=0)
    args = dict(method="dfa", epochs=1, lr=0.1, batch_size=1, feedback=d.Feedback(model),
                progress=False)
    args.update(kwargs)
    with pytest.raises(ValueError, match=message):
        d.train(model, d.xor(), **args)


def test_bad_shapes_and_labels_raise_clear_errors():
    model = d.MLP([2, 4, 3], seed=0)
    fb = d.Feedback(model)
    x = torch.zeros(5, 2)
    with pytest.raises(ValueError, match=r"inputs of shape \[N, 2\], got \(5, 3\)"):
        d.dfa_grads(model, fb, torch.zeros(5, 3), torch.zeros(5, 3))
    with pytest.raises(ValueError, match=r"targets y of shape \[5, 3\]"):
        d.dfa_grads(model, fb, x, torch.zeros(5, 2))
    with pytest.raises(ValueError, match="must be float"):
        d.bp_grads(model, x, torch.zeros(5, 3, dtype=torch.long))
    with pytest.raises(ValueError, match=r"labels must lie in 0..2, got values from 0 to 3"):
        d.train(model, (x, torch.tensor([0, 1, 2, 3, 0])), "bp", progress=False)
    with pytest.raises(ValueError, match="need"):
        d.dfa_grads(model, d.Feedback([2, 5, 3]), x, torch.zeros(5, 3))
    with pytest.raises(ValueError, match=r"the model needs \[\(4, 3\)\]"):
        d.dfa_grads(model, d.Feedback([2, 5, 3]), x, torch.zeros(5, 3))
    with pytest.raises(ValueError, match="float64 on cpu but the model is torch.float32"):
        d.dfa_grads(model, d.Feedback(d.MLP([2, 4, 3]).double()), x, torch.zeros(5, 3))
    with pytest.raises(ValueError, match="at least one hidden layer"):
        d.Feedback([2, 3])
    with pytest.raises(ValueError, match="activation must be one of"):
        d.MLP([2, 3, 1], activation="gelu")
    with pytest.raises(ValueError, match="3 target columns, the model 1 outputs"):
        d.train(d.MLP([2, 4, 1]), (x, torch.zeros(5, 3)), "bp", progress=False)


def test_labels_as_targets_and_single_output():
    X = d.xor().X
    model = d.MLP([2, 4, 1], seed=0)
    h = d.train(model, (X, torch.tensor([0, 1, 1, 0])), "bp", epochs=1, progress=False)
    assert len(h.train_error) == 2


@pytest.mark.slow
@pytest.mark.parametrize("method", ["dfa", "bp"])
def test_mnist_5000_samples_under_15_percent_test_error_in_2_epochs(mnist_dir, method):
    train_data, test_data = d.mnist(limit=5000), d.mnist(train=False)
    model = d.MLP([784, 80, 10], seed=0)
    fb = d.Feedback(model, seed=0)
    h = d.train(model, train_data, method, epochs=2, lr=0.1, batch_size=10, feedback=fb,
                eval_data=test_data, progress=False)
    assert h.test_error[-1] < 0.15, h.summary()
    assert h.test_error[-1] < h.test_error[0] - 0.7


@pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device")
def test_cuda_matches_cpu():
    data = d.xor()
    hs = []
    for device in ("cpu", "cuda"):
        m = d.MLP([2, 4, 1], seed=0, device=device)
        hs.append(d.train(m, data.to(device), "dfa", epochs=30, batch_size=2,
                          feedback=d.Feedback(m, seed=0), progress=False))
    assert hs[0].loss == pytest.approx(hs[1].loss, rel=1e-4)


def test_time_step_times_the_user_loop_and_trains_like_it():
    gen = torch.Generator().manual_seed(0)
    x = torch.randn(16, 6, generator=gen)
    y = d.one_hot(torch.randint(0, 3, (16,), generator=gen), 3)
    for method in ("dfa", "fa", "bp"):
        timed, by_hand = d.MLP([6, 5, 4, 3], seed=0), d.MLP([6, 5, 4, 3], seed=0)
        fb = None if method == "bp" else d.Feedback(timed, seed=1, kind=method)
        seconds = d.time_step(timed, method, x, y, fb, repeats=4, warmup=2, lr=0.05)
        assert isinstance(seconds, float) and 0 < seconds < 60
        opt = torch.optim.SGD(by_hand.parameters(), lr=0.05)
        for _ in range(2 + 4):                               # warm-up steps train too
            opt.zero_grad()
            if method == "bp":
                by_hand.loss(x, y).backward()
            else:
                getattr(d, f"{method}_grads")(by_hand, fb, x, y)
            opt.step()
        for p, q in zip(timed.parameters(), by_hand.parameters()):
            assert torch.equal(p, q)
    model = d.MLP([6, 5, 4, 3], seed=0)
    with pytest.raises(ValueError, match="method must be one of"):
        d.time_step(model, "hebb", x, y)
    with pytest.raises(ValueError, match="needs feedback"):
        d.time_step(model, "dfa", x, y)
    with pytest.raises(ValueError, match="FA needs Feedback"):
        d.time_step(model, "fa", x, y, d.Feedback(model))
    with pytest.raises(ValueError, match="repeats must be a positive int"):
        d.time_step(model, "bp", x, y, repeats=0)
    with pytest.raises(ValueError, match="optimizer must be"):
        d.time_step(model, "bp", x, y, optimizer="lbfgs")


def test_time_step_cpu_clock():
    model = d.MLP([6, 5, 3], seed=0)
    x, y = torch.randn(8, 6), d.one_hot(torch.arange(8) % 3, 3)
    assert d.time_step(model, "bp", x, y, repeats=3, clock="cpu") > 0
    with pytest.raises(ValueError, match="clock must be 'wall' or 'cpu'"):
        d.time_step(model, "bp", x, y, clock="gpu")


def test_rmsprop_matches_a_hand_written_step():
    """RMSprop as Torch7's optim.rmsprop (Nokland 2016): v = 0.99 v + 0.01 g^2,
    w -= lr g / (sqrt(v) + 1e-8), from v = 0."""
    w = torch.tensor([1.0, -2.0, 0.5], requires_grad=True)
    opt = make_optimizer([w], "rmsprop", 0.1)
    v = torch.zeros(3)
    want = w.detach().clone()
    for g in (torch.tensor([0.3, -1.0, 2.0]), torch.tensor([-0.1, 0.4, 1.0])):
        w.grad = g.clone()
        opt.step()
        v = 0.99 * v + 0.01 * g**2
        want = want - 0.1 * g / (v.sqrt() + 1e-8)
        torch.testing.assert_close(w.detach(), want)
    with pytest.raises(ValueError, match="rmsprop"):
        make_optimizer([w], "lbfgs", 0.1)


def test_zero_init_backprop_is_stuck_and_dfa_is_not():
    """From all-zero weights every hidden delta of backprop is W^T delta = 0, so only the
    output bias moves; DFA's hidden deltas are B e * f'(0), not zero."""
    X, Y = torch.rand(32, 6), torch.eye(3)[torch.arange(32) % 3]
    model = d.MLP([6, 5, 4, 3], init="zero")
    assert all(p.abs().sum() == 0 for p in model.parameters())
    d.bp_grads(model, X, Y)
    hidden = [p.grad for layer in model.layers[:-1] for p in layer.parameters()]
    assert all(g.abs().sum() == 0 for g in hidden)
    assert model.layers[-1].bias.grad.abs().sum() > 0
    d.dfa_grads(model, d.Feedback(model, seed=0), X, Y)
    assert model.layers[0].weight.grad.abs().sum() > 0
    default = d.MLP([6, 5, 3], seed=0)
    assert default.layers[0].weight.abs().sum() > 0
    with pytest.raises(ValueError, match="init"):
        d.MLP([6, 5, 3], init="ones")


def test_more_eval_records_the_error_of_more_sets_after_every_epoch():
    gen = torch.Generator().manual_seed(0)
    X, labels = torch.rand(120, 6, generator=gen), torch.arange(120) % 3
    def part(a, b):
        return d.Data(X[a:b], d.one_hot(labels[a:b], 3), labels[a:b])

    sets = {"a": part(0, 40), "b": part(40, 80)}
    model = d.MLP([6, 8, 3], seed=0)
    hist = d.train(model, (X[80:], labels[80:]), "bp", epochs=3, lr=0.5, batch_size=10,
                   more_eval=sets, progress=False)
    assert set(hist.errors) == {"a", "b"} and all(len(v) == 4 for v in hist.errors.values())
    for name, data in sets.items():
        assert hist.errors[name][-1] == d.evaluate(model, data)[1]
    assert hist.errors["a"][0] == d.evaluate(d.MLP([6, 8, 3], seed=0), sets["a"])[1]
    with pytest.raises(ValueError, match="input"):
        d.train(d.MLP([6, 8, 3]), (X, labels), "bp", epochs=1,
                more_eval={"a": (X[:, :5], labels)}, progress=False)
