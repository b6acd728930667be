"""Perceptron, metrics, config switches, plots and widgets."""
import matplotlib
import pytest
import torch

import dfa_helpers as d

matplotlib.use("Agg")


def test_mcp_neuron_fires_above_threshold():
    X = torch.tensor([[1.0, 0.0], [0.0, 1.0], [0.5, 0.5]])
    assert d.mcp_neuron(X, [0.6, -0.4], 0.0).tolist() == [1, 0, 1]


def test_perceptron_correct_rule_converges_on_report_example():
    X, t = torch.tensor([[1.0, 0.0], [0.0, 1.0]]), torch.tensor([1.0, 0.0])
    run = d.train_perceptron(X, t, lr=0.1, epochs=50, w=[-0.5, 0.5], b=0.0)
    assert run.converged is not None and run.errors[-1] == 0
    assert d.mcp_neuron(X, run.w[-1], run.b[-1]).tolist() == [1, 0]


def test_perceptron_report_sign_walks_away():
    X, t = torch.tensor([[1.0, 0.0], [0.0, 1.0]]), torch.tensor([1.0, 0.0])
    run = d.train_perceptron(X, t, lr=0.1, epochs=50, w=[-0.5, 0.5], b=0.0, rule="report")
    assert run.converged is None and run.errors[-1] == 2
    assert run.w[-1][0] < -0.5 and run.w[-1][1] > 0.5     # further from a solution


def test_perceptron_separable_converges_and_xor_does_not():
    X, t = d.linearly_separable(40, seed=0)
    assert d.train_perceptron(X, t, lr=0.5, epochs=100).converged is not None
    xor = d.xor()
    run = d.train_perceptron(xor.X, xor.Y[:, 0], lr=0.1, epochs=100)
    assert run.converged is None and min(run.errors) >= 1
    with pytest.raises(ValueError, match="rule must be"):
        d.train_perceptron(X, t, rule="hebb")


def test_losses_by_hand():
    y_hat, t = torch.tensor([[0.5, 1.0], [1.0, 2.0]]), torch.tensor([[0.0, 1.0], [1.0, 0.0]])
    assert d.mse(y_hat, t).item() == pytest.approx(0.5 * (0.25 + 4) / 2)
    assert d.rmse(y_hat, t).item() == pytest.approx(((0.25 + 4) / 4) ** 0.5)


def test_error_rate_and_confusion_matrix():
    y_hat = torch.tensor([[0.9, 0.1], [0.2, 0.8], [0.6, 0.4]])
    labels = torch.tensor([0, 1, 1])
    assert d.error_rate(y_hat, labels) == pytest.approx(1 / 3)
    C = d.confusion_matrix(labels, d.predict_labels(y_hat), 2)
    assert C.tolist() == [[1, 0], [1, 1]]
    assert d.error_rate(torch.tensor([[0.7], [0.2]]), torch.tensor([1, 1])) == 0.5


def test_setting_follows_dfa_fast(monkeypatch):
    monkeypatch.setenv("DFA_FAST", "1")
    assert d.is_fast() and d.setting(200, 3) == 3
    monkeypatch.setenv("DFA_FAST", "0")
    assert not d.is_fast() and d.setting(200, 3) == 200
    assert d.set_seed(3) == 3 and torch.rand(1).item() == pytest.approx(0.0043, abs=1e-4)
    with pytest.raises(ValueError, match="non-negative int"):
        d.set_seed(-1)


def test_live_controls_run_once_with_defaults_when_headless(monkeypatch):
    import ipywidgets as w
    monkeypatch.setenv("DFA_HEADLESS", "1")
    calls = []
    box = d.live_controls(lambda lr, epochs: calls.append((lr, epochs)),
                          lr=w.FloatLogSlider(value=0.1, min=-3, max=0),
                          epochs=w.IntSlider(value=5, min=1, max=10))
    assert box is None and calls == [(0.1, 5)]


def test_slider_animation_embeds_one_frame_per_value():
    import matplotlib.pyplot as plt
    html = d.slider_animation([1, 2, 3], lambda v, fig: fig.add_subplot().plot([0, v]),
                              fig=plt.figure(), label="v = {}")
    assert "<input" in html.data and "type=\"range\"" in html.data
    assert html.data.count("data:image/png;base64") == 3


def test_plot_histories_draws_mean_and_band():
    _, h1 = None, d.History(loss=[1, 0.5], train_error=[0.9, 0.5], time=[0, 1])
    h2 = d.History(loss=[1, 0.3], train_error=[0.9, 0.3], time=[0, 1])
    ax = d.plot_histories({"DFA": [h1, h2], "BP": h1})
    assert ax.get_ylabel() == "train error (%)"
    assert ax.lines[0].get_ydata().tolist() == pytest.approx([90, 40])


def test_nearest_class_mean():
    X = torch.tensor([[0.0, 0.0], [0.0, 2.0], [10.0, 10.0], [12.0, 10.0]])
    labels = torch.tensor([0, 0, 1, 1])
    data = d.Data(X, d.one_hot(labels, 2), labels)
    test = d.Data(torch.tensor([[1.0, 1.0], [9.0, 9.0], [6.0, 6.5]]),
                  d.one_hot(torch.tensor([0, 1, 0]), 2), torch.tensor([0, 1, 0]))
    err, means = d.nearest_class_mean(data, test)
    assert means.tolist() == [[0.0, 1.0], [11.0, 10.0]]
    assert err == pytest.approx(1 / 3)       # (6, 6.5) is nearer to class 1's mean


def test_one_step_errors_same_start_and_model_unchanged():
    data = d.xor()
    model = d.MLP([2, 4, 1], seed=0)
    before = [p.detach().clone() for p in model.parameters()]
    out = d.one_step_errors(model, d.Feedback.transposed(model), data.X, data.Y, 5.0, data)
    assert out["bp"] == out["dfa"]            # B = W2^T: the same step
    assert all(torch.equal(a, p) for a, p in zip(before, model.parameters()))
    out = d.one_step_errors(model, d.Feedback(model, seed=1), data.X, data.Y, 0.0, data)
    assert out["before"] == out["bp"] == out["dfa"]


def test_angle_every_measures_fewer_batches():
    data = d.xor()
    model = d.MLP([2, 4, 1], seed=0)
    h = d.train(model, data, "dfa", epochs=2, lr=0.1, batch_size=1, feedback=d.Feedback(model),
                record_angles=True, angle_every=2, progress=False)
    assert len(h.angles["W2"]) == 3 and h.angles["W2"][1] == pytest.approx(0, abs=1e-3)
    with pytest.raises(ValueError, match="angle_every must be a positive int"):
        d.train(model, data, "dfa", epochs=1, feedback=d.Feedback(model), angle_every=0,
                progress=False)


def test_slider_animation_frames_use_the_figure_dpi():
    import base64
    import io

    import matplotlib.pyplot as plt
    from PIL import Image
    html = d.slider_animation([1], lambda v, fig: fig.add_subplot().plot([0, v]),
                              fig=plt.figure(figsize=(4, 3), dpi=50))
    data = html.data.split("data:image/png;base64,")[1].split('"')[0]
    assert Image.open(io.BytesIO(base64.b64decode(data))).size == (200, 150)


def test_plot_histories_log_axis_has_plain_tick_labels():
    h = d.History(loss=[1, 0.5, 0.2], train_error=[0.9, 0.3, 0.06], time=[0, 1, 1])
    ax = d.plot_histories({"DFA": h}, logy=True)
    ax.figure.canvas.draw()
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert "10" in labels and "5" in labels and not any("times" in l for l in labels)
    assert all(t.get_text() == "" for t in ax.get_yticklabels(minor=True))
