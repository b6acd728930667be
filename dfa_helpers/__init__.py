"""dfa_helpers: the tensor code behind the course on Direct Feedback Alignment.

Every chapter starts with ``import dfa_helpers as dh`` and calls ``dh.train(...)`` etc.
Modules: ``config`` (seed, FAST switch), ``data``, ``models``, ``feedback``, ``rules``
(DFA, feedback alignment and backprop), ``training``, ``metrics``, ``cost`` (time per
step), ``perceptron``, ``averaging``, ``alignment``, ``plots``, ``diagrams``, ``widgets``,
``provenance`` (which commit and library made a result row), ``stats`` (how large a
difference a few seeds can detect).
"""
from .averaging import defective_error, output_update_terms, single_class_batches
from .averaging import defective_early_stop
from .averaging import batch_means, finite_population_factor
from .alignment import (feedback_variant, output_alignment, signal_rank, span_share,
                        train_tracked, weight_change)
from .config import default_device, is_fast, is_headless, set_seed, setting
from .cost import time_step, user_loop_step
from .data import MNIST_FILES, Data, data_dir, fashion_mnist, mnist, one_hot, xor
from .diagrams import draw_error_paths
from .diagrams import critical_path, draw_update_graph, update_graph
from .feedback import Feedback, feedback_shapes
from .linear_dfa import (LinearDFARun, linear_dfa_run, linear_mlp, linear_teacher,
                         q_and_a)
from .metrics import (angle, bce, confusion_matrix, error_rate, evaluate, layer_angles,
                      mean_sd, mse, nearest_class_mean, pm, predict_labels, rmse, step_macs)
from .metrics import saturation
from .models import ACTIVATIONS, MLP, output_loss
from . import (alignment_plots, checks, mnist_results, nokland, nokland_plots,
               provenance, stats)
from .perceptron import linearly_separable, mcp_neuron, train_perceptron
from .plots import (COLORS, log_axis, plot_confusion, plot_decision_boundary, plot_histories,
                    show_digits, slider_animation, use_style)
from .plots import mean_band
from .rules import (bp_grads, dfa_grads, fa_grads, group_mean_matrix, parameter_names,
                    update_directions)
from .rules import rule_grads
from .training import History, one_step_errors, train
from .widgets import choice_slider, live_controls

__version__ = "0.1.0"
