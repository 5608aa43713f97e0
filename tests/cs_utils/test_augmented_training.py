import numpy as np
import pytest

from cs_utils.augmented_training import AugmentedSolver, accuracy, probability_function, softmax
from cs_utils.data import load_dataset
from cs_utils.fc_net import FullyConnectedNet
from cs_utils.solver import Solver


def sgd(w, dw, config=None):
    config = {} if config is None else config
    config.setdefault("learning_rate", 1e-2)
    return w - config["learning_rate"] * dw, config


@pytest.fixture(scope="module")
def images():
    data = load_dataset("digits", num_train=60, num_val=40, num_test=10, subtract_mean=False, flatten=False)
    return data


def _model(seed=0):
    return FullyConnectedNet([20], input_dim=64, weight_scale=1e-1, seed=seed)


def _options(**kwargs):
    options = {"optim_config": {"learning_rate": 1e-2}, "batch_size": 20, "num_epochs": 2,
               "verbose": False, "progress": False, "seed": 0}
    options.update(kwargs)
    return options


def test_without_augmentation_it_trains_like_the_solver(images):
    plain, augmented = _model(), _model()
    Solver(plain, images, sgd, **_options()).train()
    AugmentedSolver(augmented, images, sgd, augment=None, **_options()).train()
    for name in plain.params:
        np.testing.assert_array_equal(plain.params[name], augmented.params[name])


def test_every_minibatch_goes_through_the_augmentation(images):
    seen = []

    def augment(X, rng):
        assert isinstance(rng, np.random.Generator)
        seen.append(X.copy())
        return X[:, :, ::-1]

    solver = AugmentedSolver(_model(), images, sgd, augment=augment, augment_seed=3, **_options())
    solver.train()
    assert len(seen) == len(solver.loss_history) == 2 * 3
    assert sum(len(X) for X in seen) == 2 * len(images["X_train"])


def test_augmentation_randomness_is_separate_and_reproducible(images):
    def jitter(X, rng):
        return X + rng.normal(scale=0.1, size=X.shape)

    runs = [AugmentedSolver(_model(), images, sgd, augment=jitter, augment_seed=7, **_options()) for _ in range(2)]
    for solver in runs:
        solver.train()
    assert runs[0].loss_history == runs[1].loss_history
    other = AugmentedSolver(_model(), images, sgd, augment=jitter, augment_seed=8, **_options())
    other.train()
    assert other.loss_history != runs[0].loss_history


def test_augmentation_must_keep_the_batch(images):
    solver = AugmentedSolver(_model(), images, sgd, augment=lambda X, rng: X[1:], **_options())
    with pytest.raises(ValueError, match="minibatch"):
        solver.train()


def test_crops_train_and_the_test_transform_evaluates(images):
    def random_crop(X, rng):
        top, left = rng.integers(0, 3, size=2)
        return X[:, top:top + 6, left:left + 6]

    def centre_crop(X):
        centre_crop.calls += 1
        return X[:, 1:7, 1:7]

    centre_crop.calls = 0
    model = FullyConnectedNet([20], input_dim=36, weight_scale=1e-1, seed=0)
    solver = AugmentedSolver(model, images, sgd, augment=random_crop, augment_seed=0, test_transform=centre_crop,
                             **_options())
    solver.train()
    assert len(solver.val_acc_history) == 3
    assert centre_crop.calls == 2 * 3  # train and val, before training and after each of 2 epochs
    # The model ends with the best parameters, measured through the same view.
    assert solver.check_accuracy(images["X_val"], images["y_val"]) == solver.best_val_acc


@pytest.mark.parametrize("argument", ["augment", "test_transform"])
def test_functions_must_be_callable(images, argument):
    with pytest.raises(TypeError, match=argument):
        AugmentedSolver(_model(), images, sgd, **{argument: "flip"}, **_options())


def test_softmax_rows_are_probabilities_and_stable():
    probabilities = softmax(np.array([[1000.0, 1000.0], [0.0, np.log(3.0)]]))
    np.testing.assert_allclose(probabilities, [[0.5, 0.5], [0.25, 0.75]])


def test_probability_function_batches_the_model(images):
    model = _model()
    predict_proba = probability_function(model, batch_size=7)
    probabilities = predict_proba(images["X_val"])
    assert probabilities.shape == (40, 10)
    np.testing.assert_allclose(probabilities, softmax(model.loss(images["X_val"])))
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0)


def test_accuracy():
    assert accuracy(np.array([[0.9, 0.1], [0.2, 0.8], [0.6, 0.4]]), np.array([0, 1, 1])) == pytest.approx(2 / 3)
