"""dfa_helpers: the tensor code behind the course on Direct Feedback Alignment.

Every chapter starts with ``import dfa_helpers as dh`` and calls ``dh.train(...)`` etc.
Modules: ``config`` (seed, FAST switch), ``data``, ``models``, ``feedback``, ``rules``
(DFA and backprop), ``training``, ``metrics``, ``perceptron``, ``averaging``, ``plots``,
``diagrams``, ``widgets``.
"""
from .averaging import defective_error, output_update_terms, single_class_batches
from .config import default_device, is_fast, is_headless, set_seed, setting
from .data import MNIST_FILES, Data, data_dir, fashion_mnist, mnist, one_hot, xor
from .diagrams import draw_error_paths
from .feedback import Feedback
from .metrics import (angle, bce, confusion_matrix, error_rate, evaluate, layer_angles, mse,
                      nearest_class_mean, predict_labels, rmse, step_macs)
from .models import ACTIVATIONS, MLP, output_loss
from .perceptron import linearly_separable, mcp_neuron, train_perceptron
from .plots import (COLORS, log_axis, plot_confusion, plot_decision_boundary, plot_histories,
                    show_digits, slider_animation, use_style)
from .rules import bp_grads, dfa_grads, group_mean_matrix, parameter_names, update_directions
from .training import History, one_step_errors, train
from .widgets import live_controls

__version__ = "0.1.0"
