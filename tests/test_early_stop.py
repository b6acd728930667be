"""dh.defective_early_stop: the original code's early stopping (chapter 5), against a
hand-written loop and hand-computed cases."""
import pytest

import dfa_helpers as dh


def reference(errors, tol):
    """The original loop written out: previous error starts at 0, stop when |change| <= tol."""
    prev = 0
    for k in range(len(errors)):
        if -tol <= errors[k] - prev <= tol:
            return k + 1
        prev = errors[k]
    return None


@pytest.mark.parametrize("errors, tol, expected", [
    ([0.30, 0.25, 0.12, 0.11], 0.1, 2),     # 0.30 - 0 > tol; |0.25 - 0.30| <= tol
    ([0.08, 0.05], 0.1, 1),                 # a good first epoch stops at once (0 start)
    ([0.9, 0.7, 0.5, 0.45], 0.1, 4),        # steps of 0.2 continue
    ([0.9, 0.7, 0.5], 0.1, None),           # never within tol: trains all epochs
    ([0.9, 0.7, 0.5], 0.25, 2),             # |0.7 - 0.9| <= 0.25 stops
    ([], 0.1, None),
])
def test_hand_cases(errors, tol, expected):
    assert dh.defective_early_stop(errors, tol) == expected
    assert reference(errors, tol) == expected


def test_matches_reference_on_random_curves():
    import random
    rng = random.Random(0)
    for _ in range(200):
        errors = [rng.random() for _ in range(rng.randint(0, 8))]
        tol = rng.choice([0.0, 0.05, 0.1, 0.3])
        assert dh.defective_early_stop(errors, tol) == reference(errors, tol)


def test_bad_tol():
    with pytest.raises(ValueError, match="tol"):
        dh.defective_early_stop([0.5], tol=-1)
