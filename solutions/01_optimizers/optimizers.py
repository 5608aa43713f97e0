# ---
# jupyter:
#   jupytext:
#     notebook_metadata_filter: kernelspec,language_info,-jupytext.text_representation.jupytext_version
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
#   language_info:
#     name: python
# ---

# %% [markdown] id="md-intro"
# # Optimizers: from SGD to Adam, schedules, and second-order methods
#
# Training a network means minimising a loss $L(w)$ over a huge vector of weights $w$ when all we
# can afford is a gradient, and usually only a noisy one computed on a minibatch. How we turn those
# gradients into steps decides whether training takes an hour or a week, or converges at all.
#
# In this notebook you will:
#
# 1. see on three small 2-D losses **where plain SGD struggles**: bad conditioning, saddle points,
#    noisy gradients;
# 2. implement the **update rules** `sgd`, `sgd_momentum`, `nesterov_momentum`, `adagrad`,
#    `rmsprop` and `adam`, and watch them on those losses;
# 3. implement four **learning-rate schedules**;
# 4. **train a multi-layer network on real images** with every rule and compare;
# 5. implement a **Newton step** and the **L-BFGS** direction, and see why L-BFGS shines with
#    full-batch gradients but not with minibatches.
#
# **The update-rule convention.** Every rule has the signature
# `next_w, config = rule(w, dw, config=None)`. `config` is a dict that holds the hyperparameters
# (missing ones get defaults) *and* the rule's state between calls (a velocity, a running average,
# a step counter). The training loop keeps one `config` per parameter array and passes back whatever
# the rule returned. Never modify `w` or `dw` in place (`w -= ...`): the caller may still use them;
# build and return new arrays.
#
# **How this notebook is graded.** Fill in every cell marked `YOUR CODE HERE` and run the cells top to
# bottom. Each exercise is followed by a check cell you can run; the grader runs further checks on
# other inputs. Cells that ask a question take a written answer. The autograder runs the notebook in
# *grading mode* (the environment variable `CS_GRADING_MODE=1`), which uses less data and fewer
# iterations; the code below picks its sizes from that flag, so leave that logic as it is.

# %% id="setup"
import math
import time

import matplotlib.pyplot as plt
import numpy as np
from threadpoolctl import threadpool_limits

from cs_utils import grading_mode
from cs_utils.claims import mean_spread, print_claim
from cs_utils.data import cifar10_available, load_dataset
from cs_utils.fc_net import FullyConnectedNet, flat_loss_and_grad
from cs_utils.gradient_check import rel_error
from cs_utils.lr_search import search_learning_rate
from cs_utils.plotting import plot_loss_curves, plot_schedules, plot_train_val, plot_trajectories
from cs_utils.second_order import lbfgs_minimize
from cs_utils.solver import Solver
from cs_utils.toy_losses import noisy, run_optimizer, saddle, taco_shell

# %matplotlib inline
plt.rcParams["figure.figsize"] = (10.0, 4.0)
# These matrices are small: several BLAS threads gain nothing and, on a busy machine, slow every
# product down many times over.
threadpool_limits(1)

GRADING = grading_mode()
if GRADING:
    plt.rcParams["figure.dpi"] = 30  # nobody looks at the figures while grading; small ones draw faster
# Grading mode keeps every experiment to a fraction of a second.
NUM_EPOCHS = 2 if GRADING else 8  # epochs per training run on real data (part 4)
NUM_SEEDS = 2 if GRADING else 5  # independent runs behind every mean and spread
LR_TRIALS = 2 if GRADING else 12  # learning rates tried by each random search
SECOND_ORDER_ITERS = 8 if GRADING else 60  # iterations of L-BFGS and Adam (part 5)
TOY_STEPS = 50  # update steps on the 2-D losses: cheap in either mode
# 10000 CIFAR-10 images keep each training run to seconds. The digits are split so that the
# validation set is large (about 600 images): a difference of one image is then 0.17 points.
SPLITS = dict(num_train=10000) if cifar10_available() else dict(num_train=900, num_val=597, num_test=300)

data = load_dataset("auto", **SPLITS)
# Scale the (already mean-centred) pixels to unit variance, so one range of learning rates fits
# both datasets.
pixel_std = data["X_train"].std()
for split in ("X_train", "X_val", "X_test"):
    data[split] = data[split] / pixel_std

print("grading mode" if GRADING else "full mode")
print(f"dataset: {data['name']}")
for split in ("train", "val", "test"):
    print(f"  {split:5s}: X {data['X_' + split].shape}, y {data['y_' + split].shape}")


def note_dtype(value, dtype, what):
    """The course's dtype rule, applied as the hidden tests apply it: a result in a wider float dtype
    than its float input (float64 for float32) keeps its points but is noted; any other dtype is wrong."""
    got, wanted = np.asarray(value).dtype, np.dtype(dtype)
    if got == wanted:
        return
    assert got.kind == "f" and got.itemsize > wanted.itemsize, f"{what} should be {wanted}, got {got}"
    print(f"note: {what} came back {got} for {wanted} inputs: a {got} operand promoted it (an array made "
          "without dtype=, or a NumPy float64 scalar such as np.power(x, t)); keep the input's dtype")


def first_checks(rule, w, dw, config=None):
    """One step of an update rule, checked cheapest first: a (next_w, config) tuple, w and dw left as
    they were, next_w of w's shape, and w's dtype (a wider float is only noted). Returns the tuple."""
    w_before, dw_before = w.copy(), dw.copy()
    result = rule(w, dw, config)
    assert isinstance(result, tuple) and len(result) == 2, \
        f"{rule.__name__} should return a tuple (next_w, config), got {type(result).__name__}"
    next_w, config = result
    assert np.array_equal(w, w_before), "w was modified in place (w -= ... changes the caller's array): compute a new array"
    assert np.array_equal(dw, dw_before), "dw was modified in place: compute new arrays instead"
    assert isinstance(config, dict), f"the second value returned should be the config dict, got {type(config).__name__}"
    assert isinstance(next_w, np.ndarray) and next_w.shape == w.shape, \
        f"next_w should be an array of shape {w.shape}, got {getattr(next_w, 'shape', type(next_w).__name__)}"
    wider = [key for key, value in config.items() if isinstance(value, (np.ndarray, np.floating)) and value.dtype == np.float64]
    if wider and next_w.dtype.kind == "f" and next_w.dtype.itemsize > w.dtype.itemsize:
        print(f"note: {rule.__name__}'s next_w came back {next_w.dtype} for {w.dtype} weights: the state {wider} in "
              "config is float64 and promotes it; create state arrays with np.zeros_like(w)")
    else:
        note_dtype(next_w, w.dtype, f"{rule.__name__}'s next_w")
    return next_w, config


# %% [markdown] id="md-problems"
# ## 1. Where plain SGD struggles
#
# (Stochastic) gradient descent takes a step against the gradient,
# $$w_{t+1} = w_t - \alpha\, \nabla L(w_t),$$
# with one number, the learning rate $\alpha$, for every direction. Three small 2-D losses make its
# weak spots visible:
#
# - **Taco shell** (bad conditioning): $L(x, y) = \tfrac12 (a x^2 + b y^2)$ with $a = 1$, $b = 100$.
#   The *condition number* of a loss, the ratio of the largest to the smallest eigenvalue of its
#   Hessian, is 100 here and can be in the thousands for a real network. The gradient points mostly
#   across the valley, not along it. The learning rate must be small enough not to blow up in the
#   steep direction (on a quadratic: $\alpha < 2/b$), and such a rate crawls in the flat one: SGD
#   either zig-zags across the valley (a rate close to the limit) or creeps along its floor (a
#   smaller one), and in both cases it makes slow progress towards the minimum.
# - **Rotated taco shell**: the same valley turned by 45 degrees (and the start point with it).
#   For a rule that treats all directions alike it is the same problem; it tells us which rules
#   secretly rely on the valley being lined up with the coordinate axes.
# - **Saddle**: the gradient vanishes at the origin although it is not a minimum, and near the
#   origin it is tiny, so SGD's steps are tiny too. In high dimension saddles are the common
#   case: a critical point is a local minimum only if the curvature is positive in *every* one of
#   millions of directions, and a saddle needs just one direction where it is negative.
# - **Noisy gradients**: the loss is an average over $N$ examples,
#   $L(w) = \frac1N \sum_i L_i(w)$, and a minibatch gradient is only an unbiased estimate of
#   $\nabla L(w)$. On the last loss the gradient is the taco shell's plus Gaussian noise.

# %% id="toy-losses"
TACO_CONDITION = 100.0
# Functions that build each loss. Every run gets a freshly built loss, so on the noisy one all
# optimizers see the same sequence of noise (same seed).
TOY_LOSSES = {
    "taco shell": lambda: taco_shell(TACO_CONDITION),
    "rotated taco shell": lambda: taco_shell(TACO_CONDITION, angle=45.0),
    "saddle": saddle,
    "noisy gradients": lambda: noisy(taco_shell(TACO_CONDITION), sigma=3.0, rng=0),
}

fig, axes = plt.subplots(1, 4, figsize=(20, 4))
for ax, make_loss in zip(axes, TOY_LOSSES.values()):
    plot_trajectories(make_loss(), {}, ax=ax)
    ax.get_legend().remove()  # no paths yet; the star marks the minimum
plt.tight_layout()
plt.show()


# %% [markdown] id="md-update-rules"
# ## 2. Update rules
#
# ### SGD
#
# The baseline: `next_w = w - learning_rate * dw`. Implement it in the config-dict convention (the
# default already sits in `config`; you only compute `next_w`).

# %% id="sgd" nbgrader={"grade": false, "grade_id": "sgd", "locked": false, "schema_version": 3, "solution": true, "task": false}
def sgd(w, dw, config=None):
    """Vanilla stochastic gradient descent: step against the gradient.

    next_w = w - learning_rate * dw

    Inputs:
    - w: numpy array of any shape, float32 or float64: the current weights.
    - dw: numpy array of the same shape and dtype as w: the gradient of the loss at w.
    - config: dict or None. Reads:
      - learning_rate: float, step size (default 1e-2).

    Returns a tuple of:
    - next_w: numpy array of the same shape and dtype as w: the updated weights.
    - config: the same dict (created when None was given), with the default filled in.

    Neither w nor dw may be modified: return a new array.
    """
    if config is None:
        config = {}
    config.setdefault("learning_rate", 1e-2)

    ### BEGIN SOLUTION
    next_w = w - config["learning_rate"] * dw
    ### END SOLUTION
    return next_w, config


# %% id="test-sgd" nbgrader={"grade": true, "grade_id": "test_sgd", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
w = np.linspace(-0.5, 0.6, num=12).reshape(3, 4)
dw = np.linspace(-0.35, 0.75, num=12).reshape(3, 4)
w_before, dw_before = w.copy(), dw.copy()

# Cheap checks first: the tuple returned, w and dw untouched, shape and dtype.
first_checks(sgd, w, dw)

next_w, config = sgd(w, dw, {"learning_rate": 0.1})
expected_next_w = np.array([
    [-0.465, -0.375, -0.285, -0.195],
    [-0.105, -0.015, 0.075, 0.165],
    [0.255, 0.345, 0.435, 0.525],
])
print("next_w error:        ", rel_error(next_w, expected_next_w))
assert rel_error(next_w, expected_next_w) < 1e-6, f"next_w is off: relative error {rel_error(next_w, expected_next_w):.1e} to expected_next_w, should be below 1e-06"

# Without a config the default learning rate 1e-2 is used.
default_w, config = sgd(w, dw)
expected_default_w = np.array([
    [-0.4965, -0.3975, -0.2985, -0.1995],
    [-0.1005, -0.0015, 0.0975, 0.1965],
    [0.2955, 0.3945, 0.4935, 0.5925],
])
print("default next_w error:", rel_error(default_w, expected_default_w))
assert rel_error(default_w, expected_default_w) < 1e-6, f"default_w is off: relative error {rel_error(default_w, expected_default_w):.1e} to expected_default_w, should be below 1e-06"
assert config["learning_rate"] == 1e-2, f"config['learning_rate'] should be the default 1e-2, got {config['learning_rate']}"
assert np.array_equal(w, w_before) and np.array_equal(dw, dw_before), "w or dw was modified in place"

# The same steps on float32 weights: the values within float32 precision.
w32, config32 = first_checks(sgd, w.astype(np.float32), dw.astype(np.float32))
print("float32 error:       ", rel_error(w32, expected_default_w))
assert rel_error(w32, expected_default_w) < 1e-5, \
    f"on float32 weights the result is off: relative error {rel_error(w32, expected_default_w):.1e}, should be below 1e-5"
print("sgd: visible checks passed")

### BEGIN HIDDEN TESTS
from autograder.checks.optimizers import check_sgd
check_sgd(sgd)
### END HIDDEN TESTS

# %% [markdown] id="md-sgd-toy"
# Here is SGD on the four losses with two learning rates, for 50 steps each. On the taco shell
# ($b = 100$) any rate above $2/100 = 0.02$ diverges. At 0.019 SGD zig-zags across the valley; at
# 0.005 the zig-zag is gone, but the path creeps along the valley floor. Either way it stops far
# from the minimum (the printout gives the distances). On the saddle, with the rates the taco
# shell allows, it slides towards the flat origin and lingers there, and on the noisy loss it never
# settles.

# %% id="sgd-toy"
TOY_LEARNING_RATES = (0.005, 0.019)

fig, axes = plt.subplots(1, 4, figsize=(20, 4))
for ax, (loss_name, make_loss) in zip(axes, TOY_LOSSES.items()):
    paths = {f"SGD, lr={lr}": run_optimizer(sgd, make_loss(), num_steps=TOY_STEPS, config={"learning_rate": lr})
             for lr in TOY_LEARNING_RATES}
    plot_trajectories(make_loss(), paths, ax=ax)
    distances = ", ".join(f"{np.linalg.norm(path[-1] - make_loss().minimum):.2f} (lr={name.split('=')[1]})"
                          for name, path in paths.items())
    print(f"{loss_name:19s} distance to the minimum after {TOY_STEPS} steps: {distances}")
plt.tight_layout()
plt.show()
saddle_paths = [run_optimizer(sgd, saddle(), num_steps=TOY_STEPS, config={"learning_rate": lr})
                for lr in TOY_LEARNING_RATES]
print_claim("01.sgd-lingers-at-saddle", **{f"dist_minimum_lr{lr}": np.linalg.norm(path[-1] - saddle().minimum)
                                           for lr, path in zip(TOY_LEARNING_RATES, saddle_paths)})


# %% [markdown] id="md-momentum"
# ### SGD with momentum
#
# Think of a ball rolling down the loss surface: it keeps a **velocity** that the gradient
# accelerates and friction slows down. With friction $\rho$ (`momentum`, typically 0.9 or 0.99) the
# velocity is a decaying sum of past gradients. Two equivalent ways to write it:
#
# | form A (velocity in gradient units) | form B (velocity in weight units) |
# |---|---|
# | $v_{t+1} = \rho v_t + \nabla L(w_t)$ | $v_{t+1} = \rho v_t - \alpha \nabla L(w_t)$ |
# | $w_{t+1} = w_t - \alpha v_{t+1}$ | $w_{t+1} = w_t + v_{t+1}$ |
#
# With a constant $\alpha$, substituting $v^{B} = -\alpha v^{A}$ turns one into the other, so they
# produce exactly the same weights. They differ only in what is stored, which matters when $\alpha$
# changes during training: form A rescales the whole accumulated velocity at once, form B only the
# new contributions. **Implement form B** (the docstring says what to store): Nesterov below builds
# on it. The checks compare only the weights, so form A would pass them too.
#
# Why it helps: components of the gradient that flip sign from step to step (the zig-zag across a
# valley) cancel in the sum, while components that keep their sign add up. Along a direction where
# the gradient is a constant $g$, the velocity settles at $-\alpha g / (1 - \rho)$, ten times the SGD
# step for $\rho = 0.9$. The velocity also carries the ball through flat regions and saddles where
# the gradient alone is almost zero.

# %% id="sgd-momentum" nbgrader={"grade": false, "grade_id": "sgd_momentum", "locked": false, "schema_version": 3, "solution": true, "task": false}
def sgd_momentum(w, dw, config=None):
    """SGD with momentum, in the form that stores the velocity in weight units.

    velocity = momentum * velocity - learning_rate * dw
    next_w   = w + velocity

    Inputs:
    - w: numpy array of any shape, float32 or float64: the current weights.
    - dw: numpy array of the same shape and dtype as w: the gradient of the loss at w.
    - config: dict or None. Reads:
      - learning_rate: float (default 1e-2).
      - momentum: float in [0, 1), the "friction" rho (default 0.9).
      - velocity: numpy array like w (default np.zeros_like(w)).
      Writes:
      - velocity: the new velocity (a new array of the same shape and dtype as w).

    Returns a tuple of:
    - next_w: numpy array of the same shape and dtype as w.
    - config: the same dict, holding the new velocity for the next call.

    Neither w nor dw may be modified.
    """
    if config is None:
        config = {}
    config.setdefault("learning_rate", 1e-2)
    config.setdefault("momentum", 0.9)
    config.setdefault("velocity", np.zeros_like(w))

    ### BEGIN SOLUTION
    velocity = config["momentum"] * config["velocity"] - config["learning_rate"] * dw
    next_w = w + velocity
    config["velocity"] = velocity
    ### END SOLUTION
    return next_w, config


# %% id="test-sgd-momentum" nbgrader={"grade": true, "grade_id": "test_sgd_momentum", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
w = np.linspace(-0.5, 0.6, num=12).reshape(3, 4)
dw = np.linspace(-0.35, 0.75, num=12).reshape(3, 4)
w_before, dw_before = w.copy(), dw.copy()

# Cheap checks first: the tuple returned, w and dw untouched, shape and dtype.
first_checks(sgd_momentum, w, dw)

# Three steps with gradients dw, -0.5 dw and 2 dw; the velocity starts at zero. Only the weights
# are compared, so any correct way of storing the velocity passes.
next_w, config = w, {"learning_rate": 0.05, "momentum": 0.8}
for scale in (1.0, -0.5, 2.0):
    next_w, config = sgd_momentum(next_w, scale * dw, config)
expected_next_w = np.array([
    [-0.43805, -0.35575, -0.27345, -0.19115],
    [-0.10885, -0.02655, 0.05575, 0.13805],
    [0.22035, 0.30265, 0.38495, 0.46725],
])
print("three-step error:", rel_error(next_w, expected_next_w))
assert rel_error(next_w, expected_next_w) < 1e-6, f"next_w is off: relative error {rel_error(next_w, expected_next_w):.1e} to expected_next_w, should be below 1e-06"

# Two steps from an empty config: the defaults (learning_rate=1e-2, momentum=0.9) are used.
w_a, config = sgd_momentum(w, dw)
w_b, config = sgd_momentum(w_a, 0.5 * dw, config)
expected_w_b = np.array([
    [-0.4916, -0.394, -0.2964, -0.1988],
    [-0.1012, -0.0036, 0.094, 0.1916],
    [0.2892, 0.3868, 0.4844, 0.582],
])
print("two-step error:  ", rel_error(w_b, expected_w_b))
assert rel_error(w_b, expected_w_b) < 1e-6, f"w_b is off: relative error {rel_error(w_b, expected_w_b):.1e} to expected_w_b, should be below 1e-06"
assert np.array_equal(w, w_before) and np.array_equal(dw, dw_before), "w or dw was modified in place"

# The same steps on float32 weights: the values within float32 precision.
w32, config32 = first_checks(sgd_momentum, w.astype(np.float32), dw.astype(np.float32))
for scale in (0.5,):
    w32, config32 = sgd_momentum(w32, np.float32(scale) * dw.astype(np.float32), config32)
print("float32 error:   ", rel_error(w32, expected_w_b))
assert rel_error(w32, expected_w_b) < 1e-5, \
    f"on float32 weights the result is off: relative error {rel_error(w32, expected_w_b):.1e}, should be below 1e-5"
print("sgd_momentum: visible checks passed")

### BEGIN HIDDEN TESTS
from autograder.checks.optimizers import check_sgd_momentum
check_sgd_momentum(sgd_momentum)
### END HIDDEN TESTS

# %% [markdown] id="md-nesterov"
# ### Nesterov momentum
#
# Momentum will move us by about $\rho v_t$ anyway, so Nesterov's idea is to evaluate the gradient
# at that *look-ahead* point and correct the velocity from there:
# $$v_{t+1} = \rho v_t - \alpha \nabla L(w_t + \rho v_t), \qquad w_{t+1} = w_t + v_{t+1}.$$
# That is awkward in code: the loss and its gradient are normally computed at the weights we store.
# So store the look-ahead point instead, $\tilde w_t = w_t + \rho v_t$. Then the gradient is
# $\nabla L(\tilde w_t)$, and
# $$\tilde w_{t+1} = w_{t+1} + \rho v_{t+1} = (\tilde w_t - \rho v_t) + v_{t+1} + \rho v_{t+1}
# = \tilde w_t - \rho v_t + (1 + \rho) v_{t+1}.$$
# In code, with `dw` the gradient at the stored `w`:
#
#     v_new  = mu * v - learning_rate * dw
#     next_w = w - mu * v + (1 + mu) * v_new
#
# Rewritten as $\tilde w_{t+1} = \tilde w_t + v_{t+1} + \rho (v_{t+1} - v_t)$ it reads: a momentum
# step plus a term that reacts to the *change* of the velocity. When the velocity starts to turn
# around, Nesterov notices one step earlier, so it overshoots less than plain momentum.

# %% id="nesterov-momentum" nbgrader={"grade": false, "grade_id": "nesterov_momentum", "locked": false, "schema_version": 3, "solution": true, "task": false}
def nesterov_momentum(w, dw, config=None):
    """Nesterov momentum in the change-of-variables form: dw is the gradient at w itself.

    new_velocity = momentum * velocity - learning_rate * dw
    next_w       = w - momentum * velocity + (1 + momentum) * new_velocity

    Inputs:
    - w: numpy array of any shape, float32 or float64: the current (look-ahead) weights.
    - dw: numpy array of the same shape and dtype as w: the gradient of the loss at w.
    - config: dict or None. Reads:
      - learning_rate: float (default 1e-2).
      - momentum: float in [0, 1) (default 0.9).
      - velocity: numpy array like w (default np.zeros_like(w)).
      Writes:
      - velocity: the new velocity (a new array of the same shape and dtype as w).

    Returns a tuple of:
    - next_w: numpy array of the same shape and dtype as w.
    - config: the same dict, holding the new velocity for the next call.

    Neither w nor dw may be modified.
    """
    if config is None:
        config = {}
    config.setdefault("learning_rate", 1e-2)
    config.setdefault("momentum", 0.9)
    config.setdefault("velocity", np.zeros_like(w))

    ### BEGIN SOLUTION
    mu = config["momentum"]
    old_velocity = config["velocity"]
    velocity = mu * old_velocity - config["learning_rate"] * dw
    next_w = w - mu * old_velocity + (1 + mu) * velocity
    config["velocity"] = velocity
    ### END SOLUTION
    return next_w, config


# %% id="test-nesterov-momentum" nbgrader={"grade": true, "grade_id": "test_nesterov_momentum", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false}
w = np.linspace(-0.5, 0.6, num=12).reshape(3, 4)
dw = np.linspace(-0.35, 0.75, num=12).reshape(3, 4)
w_before, dw_before = w.copy(), dw.copy()

# Cheap checks first: the tuple returned, w and dw untouched, shape and dtype.
first_checks(nesterov_momentum, w, dw)

# Three steps with gradients dw, -0.5 dw and 2 dw; the velocity starts at zero. Only the weights
# are compared, so any correct way of storing the velocity passes.
next_w, config = w, {"learning_rate": 0.05, "momentum": 0.8}
for scale in (1.0, -0.5, 2.0):
    next_w, config = nesterov_momentum(next_w, scale * dw, config)
expected_next_w = np.array([
    [-0.40669, -0.33335, -0.26001, -0.18667],
    [-0.11333, -0.03999, 0.03335, 0.10669],
    [0.18003, 0.25337, 0.32671, 0.40005],
])
print("three-step error:", rel_error(next_w, expected_next_w))
assert rel_error(next_w, expected_next_w) < 1e-6, f"next_w is off: relative error {rel_error(next_w, expected_next_w):.1e} to expected_next_w, should be below 1e-06"

# Two steps from an empty config: the defaults (learning_rate=1e-2, momentum=0.9) are used.
w_a, config = nesterov_momentum(w, dw)
w_b, config = nesterov_momentum(w_a, 0.5 * dw, config)
expected_w_b = np.array([
    [-0.48719, -0.39085, -0.29451, -0.19817],
    [-0.10183, -0.00549, 0.09085, 0.18719],
    [0.28353, 0.37987, 0.47621, 0.57255],
])
print("two-step error:  ", rel_error(w_b, expected_w_b))
assert rel_error(w_b, expected_w_b) < 1e-6, f"w_b is off: relative error {rel_error(w_b, expected_w_b):.1e} to expected_w_b, should be below 1e-06"
assert np.array_equal(w, w_before) and np.array_equal(dw, dw_before), "w or dw was modified in place"

# The same steps on float32 weights: the values within float32 precision.
w32, config32 = first_checks(nesterov_momentum, w.astype(np.float32), dw.astype(np.float32))
for scale in (0.5,):
    w32, config32 = nesterov_momentum(w32, np.float32(scale) * dw.astype(np.float32), config32)
print("float32 error:   ", rel_error(w32, expected_w_b))
assert rel_error(w32, expected_w_b) < 1e-5, \
    f"on float32 weights the result is off: relative error {rel_error(w32, expected_w_b):.1e}, should be below 1e-5"
print("nesterov_momentum: visible checks passed")

### BEGIN HIDDEN TESTS
from autograder.checks.optimizers import check_nesterov_momentum
check_nesterov_momentum(nesterov_momentum)
### END HIDDEN TESTS

# %% [markdown] id="md-adagrad"
# ### AdaGrad
#
# Momentum uses one learning rate for all weights. AdaGrad gives each weight its own, by dividing its
# step by the root of the **sum of all its squared gradients so far**:
# $$G_t = G_{t-1} + g_t \odot g_t, \qquad w_{t+1} = w_t - \alpha\, \frac{g_t}{\sqrt{G_t} + \epsilon}$$
# (elementwise; $\epsilon$ only avoids a division by zero). Coordinates with large gradients (the
# steep side of the taco shell) get small steps, coordinates with small gradients (the flat floor of
# the valley) get large ones, so the valley looks rounder to the optimizer.

# %% id="adagrad" nbgrader={"grade": false, "grade_id": "adagrad", "locked": false, "schema_version": 3, "solution": true, "task": false}
def adagrad(w, dw, config=None):
    """AdaGrad: divide each coordinate's step by the root of its summed squared gradients.

    grad_squared = grad_squared + dw * dw
    next_w       = w - learning_rate * dw / (sqrt(grad_squared) + epsilon)

    Inputs:
    - w: numpy array of any shape, float32 or float64: the current weights.
    - dw: numpy array of the same shape and dtype as w: the gradient of the loss at w.
    - config: dict or None. Reads:
      - learning_rate: float (default 1e-2).
      - epsilon: float, keeps the division finite (default 1e-7).
      - grad_squared: numpy array like w, running sum of dw**2 (default np.zeros_like(w)).
      Writes:
      - grad_squared: the new running sum (a new array of the same shape and dtype as w).

    Returns a tuple of:
    - next_w: numpy array of the same shape and dtype as w.
    - config: the same dict, holding the new grad_squared for the next call.

    Neither w nor dw may be modified.
    """
    if config is None:
        config = {}
    config.setdefault("learning_rate", 1e-2)
    config.setdefault("epsilon", 1e-7)
    config.setdefault("grad_squared", np.zeros_like(w))

    ### BEGIN SOLUTION
    grad_squared = config["grad_squared"] + dw * dw
    next_w = w - config["learning_rate"] * dw / (np.sqrt(grad_squared) + config["epsilon"])
    config["grad_squared"] = grad_squared
    ### END SOLUTION
    return next_w, config


# %% id="test-adagrad" nbgrader={"grade": true, "grade_id": "test_adagrad", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
w = np.linspace(-0.5, 0.6, num=12).reshape(3, 4)
dw = np.linspace(-0.35, 0.75, num=12).reshape(3, 4)
w_before, dw_before = w.copy(), dw.copy()

# Cheap checks first: the tuple returned, w and dw untouched, shape and dtype.
first_checks(adagrad, w, dw)

# One step from a given state.
grad_squared = np.linspace(0.1, 0.9, num=12).reshape(3, 4)
config = {"learning_rate": 0.05, "grad_squared": grad_squared}
next_w, config = adagrad(w, dw, config)
expected_next_w = np.array([
    [-0.462900082065, -0.374226933946, -0.28551126013, -0.195585284073],
    [-0.103985820566, -0.010756776548, 0.0838472680791, 0.179540083931],
    [0.276073553953, 0.373252338399, 0.470928475907, 0.568991318917],
])
expected_grad_squared = np.array([
    [0.2225, 0.235227272727, 0.267954545455, 0.320681818182],
    [0.393409090909, 0.486136363636, 0.598863636364, 0.731590909091],
    [0.884318181818, 1.05704545455, 1.24977272727, 1.4625],
])
print("next_w error:      ", rel_error(next_w, expected_next_w))
print("grad_squared error:", rel_error(config["grad_squared"], expected_grad_squared))
assert rel_error(next_w, expected_next_w) < 1e-6, f"next_w is off: relative error {rel_error(next_w, expected_next_w):.1e} to expected_next_w, should be below 1e-06"
assert rel_error(config["grad_squared"], expected_grad_squared) < 1e-6, f"config['grad_squared'] is off: relative error {rel_error(config['grad_squared'], expected_grad_squared):.1e} to expected_grad_squared, should be below 1e-06"

# Two steps from an empty config: the defaults are used and the sum of squares is carried over.
w_a, config = adagrad(w, dw)
w_b, config = adagrad(w_a, 0.5 * dw, config)
expected_w_b = np.array([
    [-0.485527868045, -0.385527869645, -0.285527873378, -0.185527892045],
    [-0.114472107955, -0.0144721266217, 0.085527869645, 0.185527868045],
    [0.285527867156, 0.38552786659, 0.485527866199, 0.585527865912],
])
print("two-step error:    ", rel_error(w_b, expected_w_b))
assert rel_error(w_b, expected_w_b) < 1e-6, f"w_b is off: relative error {rel_error(w_b, expected_w_b):.1e} to expected_w_b, should be below 1e-06"
assert np.array_equal(w, w_before) and np.array_equal(dw, dw_before), "w or dw was modified in place"

# The same steps on float32 weights: the values within float32 precision.
w32, config32 = first_checks(adagrad, w.astype(np.float32), dw.astype(np.float32))
for scale in (0.5,):
    w32, config32 = adagrad(w32, np.float32(scale) * dw.astype(np.float32), config32)
print("float32 error:   ", rel_error(w32, expected_w_b))
assert rel_error(w32, expected_w_b) < 1e-5, \
    f"on float32 weights the result is off: relative error {rel_error(w32, expected_w_b):.1e}, should be below 1e-5"
print("adagrad: visible checks passed")

### BEGIN HIDDEN TESTS
from autograder.checks.optimizers import check_adagrad
check_adagrad(adagrad)
### END HIDDEN TESTS

# %% [markdown] id="q-adagrad-steps" nbgrader={"grade": false, "grade_id": "q_adagrad_steps_prompt", "locked": true, "schema_version": 3, "solution": false, "task": false}
# **Question.** What happens to the size of AdaGrad's steps over a long run, and why? When is that
# behaviour helpful and when does it hurt a neural network? How does the next rule, RMSProp, change
# it?

# %% [markdown] id="q-adagrad-steps-answer" nbgrader={"grade": true, "grade_id": "q_adagrad_steps", "locked": false, "points": 2, "schema_version": 3, "solution": true, "task": false}
# $G_t$ is a sum of non-negative terms, so it only grows: with gradients of typical size $g$ it grows
# like $t g^2$ and the step $\alpha g / \sqrt{G_t}$ shrinks like $\alpha / \sqrt{t}$. AdaGrad
# therefore has a built-in decaying learning rate.
#
# Helpful: on a convex problem, shrinking steps are exactly what is needed to settle into the
# minimum instead of bouncing around it, and rarely-updated (sparse) coordinates keep large steps.
#
# Harmful: a network's loss is non-convex and training is long. After many steps with large gradients
# the effective learning rate is tiny, so the optimizer can stall on a plateau or near a saddle
# point long before reaching a good region, and it cannot speed up again when the landscape becomes
# flatter, because $G_t$ never forgets.
#
# RMSProp replaces the sum by an exponential moving average,
# $S_t = \delta S_{t-1} + (1 - \delta) g_t^2$. It estimates the *recent* mean squared gradient
# (over roughly $1/(1-\delta)$ steps) and does not grow without bound, so the step size stays about
# $\alpha$ per coordinate and adapts up and down with the landscape.

# %% [markdown] id="md-rmsprop"
# ### RMSProp
#
# RMSProp keeps AdaGrad's per-coordinate scaling but lets the memory leak:
# $$S_t = \delta S_{t-1} + (1 - \delta)\, g_t \odot g_t, \qquad
# w_{t+1} = w_t - \alpha\, \frac{g_t}{\sqrt{S_t} + \epsilon},$$
# with `decay_rate` $\delta$ around 0.9 to 0.99. It is "momentum on the squared gradient": $S_t$ is a
# running estimate of $\mathbb{E}[g^2]$, so the step divides each gradient by its typical recent
# size.

# %% id="rmsprop" nbgrader={"grade": false, "grade_id": "rmsprop", "locked": false, "schema_version": 3, "solution": true, "task": false}
def rmsprop(w, dw, config=None):
    """RMSProp: AdaGrad with a leaky (exponentially decaying) average of squared gradients.

    cache  = decay_rate * cache + (1 - decay_rate) * dw * dw
    next_w = w - learning_rate * dw / (sqrt(cache) + epsilon)

    Inputs:
    - w: numpy array of any shape, float32 or float64: the current weights.
    - dw: numpy array of the same shape and dtype as w: the gradient of the loss at w.
    - config: dict or None. Reads:
      - learning_rate: float (default 1e-2).
      - decay_rate: float in [0, 1), how slowly the average forgets (default 0.99).
      - epsilon: float (default 1e-8).
      - cache: numpy array like w, moving average of dw**2 (default np.zeros_like(w)).
      Writes:
      - cache: the new moving average (a new array of the same shape and dtype as w).

    Returns a tuple of:
    - next_w: numpy array of the same shape and dtype as w.
    - config: the same dict, holding the new cache for the next call.

    Neither w nor dw may be modified.
    """
    if config is None:
        config = {}
    config.setdefault("learning_rate", 1e-2)
    config.setdefault("decay_rate", 0.99)
    config.setdefault("epsilon", 1e-8)
    config.setdefault("cache", np.zeros_like(w))

    ### BEGIN SOLUTION
    decay = config["decay_rate"]
    cache = decay * config["cache"] + (1 - decay) * dw * dw
    next_w = w - config["learning_rate"] * dw / (np.sqrt(cache) + config["epsilon"])
    config["cache"] = cache
    ### END SOLUTION
    return next_w, config


# %% id="test-rmsprop" nbgrader={"grade": true, "grade_id": "test_rmsprop", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
w = np.linspace(-0.5, 0.6, num=12).reshape(3, 4)
dw = np.linspace(-0.35, 0.75, num=12).reshape(3, 4)
w_before, dw_before = w.copy(), dw.copy()

# Cheap checks first: the tuple returned, w and dw untouched, shape and dtype.
first_checks(rmsprop, w, dw)

# One step from a given state.
cache = np.linspace(0.5, 1.5, num=12).reshape(3, 4)
config = {"learning_rate": 0.05, "decay_rate": 0.9, "cache": cache}
next_w, config = rmsprop(w, dw, config)
expected_next_w = np.array([
    [-0.474260531052, -0.38295914616, -0.290443233751, -0.197002718156],
    [-0.102835198416, -0.00808116029806, 0.0871560518839, 0.182798249752],
    [0.278784868028, 0.375068044106, 0.471609297266, 0.568377223665],
])
expected_cache = np.array([
    [0.46225, 0.538068181818, 0.615886363636, 0.695704545455],
    [0.777522727273, 0.861340909091, 0.947159090909, 1.03497727273],
    [1.12479545455, 1.21661363636, 1.31043181818, 1.40625],
])
print("next_w error:  ", rel_error(next_w, expected_next_w))
print("cache error:   ", rel_error(config["cache"], expected_cache))
assert rel_error(next_w, expected_next_w) < 1e-6, f"next_w is off: relative error {rel_error(next_w, expected_next_w):.1e} to expected_next_w, should be below 1e-06"
assert rel_error(config["cache"], expected_cache) < 1e-6, f"config['cache'] is off: relative error {rel_error(config['cache'], expected_cache):.1e} to expected_cache, should be below 1e-06"

# Two steps from an empty config: the defaults are used and the cache is carried over.
w_a, config = rmsprop(w, dw)
w_b, config = rmsprop(w_a, 0.5 * dw, config)
expected_w_b = np.array([
    [-0.355098714585, -0.255098730622, -0.155098768042, -0.0550989551379],
    [-0.244901044862, -0.144901231958, -0.0449012693777, 0.0550987145855],
    [0.155098705676, 0.255098700006, 0.355098696081, 0.455098693203],
])
print("two-step error:", rel_error(w_b, expected_w_b))
assert rel_error(w_b, expected_w_b) < 1e-6, f"w_b is off: relative error {rel_error(w_b, expected_w_b):.1e} to expected_w_b, should be below 1e-06"
assert np.array_equal(w, w_before) and np.array_equal(dw, dw_before), "w or dw was modified in place"

# The same steps on float32 weights: the values within float32 precision.
w32, config32 = first_checks(rmsprop, w.astype(np.float32), dw.astype(np.float32))
for scale in (0.5,):
    w32, config32 = rmsprop(w32, np.float32(scale) * dw.astype(np.float32), config32)
print("float32 error:   ", rel_error(w32, expected_w_b))
assert rel_error(w32, expected_w_b) < 1e-5, \
    f"on float32 weights the result is off: relative error {rel_error(w32, expected_w_b):.1e}, should be below 1e-5"
print("rmsprop: visible checks passed")

### BEGIN HIDDEN TESTS
from autograder.checks.optimizers import check_rmsprop
check_rmsprop(rmsprop)
### END HIDDEN TESTS

# %% [markdown] id="md-adam"
# ### Adam
#
# Adam combines the two ideas: a momentum-like moving average $m$ of the gradient (the direction) and
# an RMSProp-like moving average $v$ of its square (the per-coordinate scale):
# $$m_t = \beta_1 m_{t-1} + (1 - \beta_1) g_t, \qquad v_t = \beta_2 v_{t-1} + (1 - \beta_2)\, g_t \odot g_t.$$
#
# **Bias correction.** Both averages start at zero, so early on they are pulled towards zero: for a
# steady gradient $g$, $m_t = (1 - \beta_1^t)\, g$ and $v_t = (1 - \beta_2^t)\, g^2$. Dividing by
# those factors removes the pull exactly:
# $$\hat m_t = \frac{m_t}{1 - \beta_1^t}, \qquad \hat v_t = \frac{v_t}{1 - \beta_2^t}, \qquad
# w_{t+1} = w_t - \alpha\, \frac{\hat m_t}{\sqrt{\hat v_t} + \epsilon}.$$
# The step counter $t$ is incremented *before* it is used, so the first step has $t = 1$ (with
# $t = 0$ the corrections would divide by zero). The two factors fade at very different speeds:
# $1 - \beta_1^t$ is within 1% of 1 after about 44 steps, but with $\beta_2 = 0.999$ the factor
# $1 - \beta_2^t$ needs about 3,000 steps to come within 5% of 1 (about 4,600 for 1%), so the
# correction of $v$ matters for the first few thousand steps (the cell below computes these counts).
#
# $\beta_1 = 0.9$, $\beta_2 = 0.999$ and $\alpha$ = 1e-3 (or 5e-4) are a good starting point for
# many models, which is why Adam is a popular default.

# %% id="adam-bias-fade"
def steps_until_faded(beta, tolerance):
    """First step t with 1 - beta**t within `tolerance` of 1, i.e. beta**t <= tolerance."""
    return math.ceil(math.log(tolerance) / math.log(beta))


for beta in (0.9, 0.999):
    print(f"beta = {beta}: 1 - beta^t within 5% of 1 from step {steps_until_faded(beta, 0.05):5d}, "
          f"within 1% from step {steps_until_faded(beta, 0.01):5d}")
print_claim("01.adam-bias-correction-fades", beta1_steps_1pct=steps_until_faded(0.9, 0.01),
            beta2_steps_5pct=steps_until_faded(0.999, 0.05), beta2_steps_1pct=steps_until_faded(0.999, 0.01))


# %% id="adam" nbgrader={"grade": false, "grade_id": "adam", "locked": false, "schema_version": 3, "solution": true, "task": false}
def adam(w, dw, config=None):
    """Adam: momentum on the gradient, RMSProp on its square, both bias-corrected.

    t      = t + 1
    m      = beta1 * m + (1 - beta1) * dw
    v      = beta2 * v + (1 - beta2) * dw * dw
    m_hat  = m / (1 - beta1**t)
    v_hat  = v / (1 - beta2**t)
    next_w = w - learning_rate * m_hat / (sqrt(v_hat) + epsilon)

    Inputs:
    - w: numpy array of any shape, float32 or float64: the current weights.
    - dw: numpy array of the same shape and dtype as w: the gradient of the loss at w.
    - config: dict or None. Reads:
      - learning_rate: float (default 1e-3).
      - beta1: float in [0, 1), decay of the first moment (default 0.9).
      - beta2: float in [0, 1), decay of the second moment (default 0.999).
      - epsilon: float (default 1e-8).
      - m: numpy array like w, first-moment estimate (default np.zeros_like(w)).
      - v: numpy array like w, second-moment estimate (default np.zeros_like(w)).
      - t: int, number of steps taken so far (default 0).
      Writes:
      - m, v: the new (uncorrected) moment estimates (new arrays like w).
      - t: the step count including this step (the first call stores t = 1).

    Returns a tuple of:
    - next_w: numpy array of the same shape and dtype as w.
    - config: the same dict, holding m, v and t for the next call.

    Neither w nor dw may be modified.
    """
    if config is None:
        config = {}
    config.setdefault("learning_rate", 1e-3)
    config.setdefault("beta1", 0.9)
    config.setdefault("beta2", 0.999)
    config.setdefault("epsilon", 1e-8)
    config.setdefault("m", np.zeros_like(w))
    config.setdefault("v", np.zeros_like(w))
    config.setdefault("t", 0)

    ### BEGIN SOLUTION
    beta1, beta2 = config["beta1"], config["beta2"]
    t = config["t"] + 1
    m = beta1 * config["m"] + (1 - beta1) * dw
    v = beta2 * config["v"] + (1 - beta2) * dw * dw
    m_hat = m / (1 - beta1**t)
    v_hat = v / (1 - beta2**t)
    next_w = w - config["learning_rate"] * m_hat / (np.sqrt(v_hat) + config["epsilon"])
    config["m"], config["v"], config["t"] = m, v, t
    ### END SOLUTION
    return next_w, config


# %% id="test-adam" nbgrader={"grade": true, "grade_id": "test_adam", "locked": true, "points": 4, "schema_version": 3, "solution": false, "task": false}
w = np.linspace(-0.5, 0.6, num=12).reshape(3, 4)
dw = np.linspace(-0.35, 0.75, num=12).reshape(3, 4)
w_before, dw_before = w.copy(), dw.copy()

# Cheap checks first: the tuple returned, w and dw untouched, shape and dtype.
first_checks(adam, w, dw)

# One step from a given state.
m = np.linspace(0.3, -0.2, num=12).reshape(3, 4)
v = np.linspace(0.6, 0.1, num=12).reshape(3, 4)
config = {"learning_rate": 0.05, "m": m, "v": v, "t": 3}
next_w, config = adam(w, dw, config)
expected_next_w = np.array([
    [-0.502788734662, -0.402519358205, -0.30223128142, -0.201920839469],
    [-0.101583138325, -0.00121143805033, 0.0992039016308, 0.199677342667],
    [0.30023196579, 0.400907826393, 0.501783323555, 0.603043893013],
])
expected_m = np.array([
    [0.235, 0.204090909091, 0.173181818182, 0.142272727273],
    [0.111363636364, 0.0804545454545, 0.0495454545455, 0.0186363636364],
    [-0.0122727272727, -0.0431818181818, -0.0740909090909, -0.105],
])
expected_v = np.array([
    [0.5995225, 0.554053409091, 0.508604318182, 0.463175227273],
    [0.417766136364, 0.372377045455, 0.327007954545, 0.281658863636],
    [0.236329772727, 0.191020681818, 0.145731590909, 0.1004625],
])
print("next_w error:  ", rel_error(next_w, expected_next_w))
print("m error:       ", rel_error(config["m"], expected_m))
print("v error:       ", rel_error(config["v"], expected_v))
assert rel_error(next_w, expected_next_w) < 1e-6, f"next_w is off: relative error {rel_error(next_w, expected_next_w):.1e} to expected_next_w, should be below 1e-06"
assert rel_error(config["m"], expected_m) < 1e-6, f"config['m'] is off: relative error {rel_error(config['m'], expected_m):.1e} to expected_m, should be below 1e-06"
assert rel_error(config["v"], expected_v) < 1e-6, f"config['v'] is off: relative error {rel_error(config['v'], expected_v):.1e} to expected_v, should be below 1e-06"
assert config["t"] == 4, "t should be 4 after this step"

# Two steps from an empty config: the first bias-corrected step moves
# every weight by about learning_rate = 1e-3, whatever the size of its gradient.
w_a, config = adam(w, dw)
w_b, config = adam(w_a, 0.5 * dw, config)
expected_w_b = np.array([
    [-0.498067820423, -0.398067820448, -0.298067820506, -0.198067820797],
    [-0.101932179203, -0.00193217949352, 0.0980678204484, 0.198067820423],
    [0.29806782041, 0.398067820401, 0.498067820395, 0.59806782039],
])
print("two-step error:", rel_error(w_b, expected_w_b))
assert rel_error(w_b, expected_w_b) < 1e-6, f"w_b is off: relative error {rel_error(w_b, expected_w_b):.1e} to expected_w_b, should be below 1e-06"
assert np.array_equal(w, w_before) and np.array_equal(dw, dw_before), "w or dw was modified in place"

# The same steps on float32 weights: the values within float32 precision.
w32, config32 = first_checks(adam, w.astype(np.float32), dw.astype(np.float32))
for scale in (0.5,):
    w32, config32 = adam(w32, np.float32(scale) * dw.astype(np.float32), config32)
print("float32 error:   ", rel_error(w32, expected_w_b))
assert rel_error(w32, expected_w_b) < 1e-5, \
    f"on float32 weights the result is off: relative error {rel_error(w32, expected_w_b):.1e}, should be below 1e-5"
print("adam: visible checks passed")

### BEGIN HIDDEN TESTS
from autograder.checks.optimizers import check_adam
check_adam(adam)
### END HIDDEN TESTS

# %% [markdown] id="q-adam-bias" nbgrader={"grade": false, "grade_id": "q_adam_bias_prompt", "locked": true, "schema_version": 3, "solution": false, "task": false}
# **Question.** A scalar weight receives the gradient $g \neq 0$ at Adam's first step (default
# $\beta_1 = 0.9$, $\beta_2 = 0.999$, ignore $\epsilon$). How far does the weight move with bias
# correction, and how far without it? Why does that difference matter in practice?

# %% [markdown] id="q-adam-bias-answer" nbgrader={"grade": true, "grade_id": "q_adam_bias", "locked": false, "points": 2, "schema_version": 3, "solution": true, "task": false}
# With correction: $\hat m_1 = g$ and $\hat v_1 = g^2$, so the step is
# $\alpha\, g / |g| = \alpha\, \mathrm{sign}(g)$: every weight moves by exactly the learning rate,
# whatever the scale of its gradient.
#
# Without: $m_1 = 0.1\, g$ and $v_1 = 0.001\, g^2$, so the step is
# $\alpha \cdot 0.1 / \sqrt{0.001} \approx 3.2\,\alpha$. The ratio
# $(1 - 0.9^t)/\sqrt{1 - 0.999^t}$ even keeps growing for a while (about $6.5\,\alpha$ around
# $t \approx 10$ to $15$) and only comes back to $\alpha$ after thousands of steps.
#
# Why it matters: $\alpha$ is tuned for the long run, and without correction the effective learning
# rate in the first hundreds of steps is several times larger, exactly when the weights are random,
# the gradients are large and the moment estimates rest on very few samples. Those oversized first
# steps can throw the weights into a bad region or make the loss blow up. (With other betas the
# error could go the other way, e.g. tiny first steps if $\beta_1$ were closer to 1 than
# $\beta_2$.) The correction makes the early steps behave like the later ones.

# %% [markdown] id="md-compare-toy"
# ### Every rule on the four losses, each at its own tuned rate
#
# A comparison is only fair if every rule gets a good learning rate: a hand-picked rate flatters
# the rules the author knows best. So every rule gets the same **random search**: 30 rates drawn
# log-uniformly from $[10^{-3}, 3]$ (the same 30 for every rule), 50 steps each, and the rate with
# the lowest loss over the last 10 steps wins, separately on each loss (on the noisy loss the
# search averages three other noise sequences than the one plotted). Momentum-type rules keep
# $\rho = 0.9$, RMSProp $\delta = 0.9$, Adam its defaults. The printout lists the chosen rates and the
# distance to the minimum after 50 steps; on the noisy loss the mean and spread over 5 noise
# sequences (the other losses are deterministic). Top row: SGD and the two momentum rules; bottom
# row: SGD and the adaptive rules. What to look for:
#
# - **taco shell** (condition number 100): SGD's rate is capped at $2/100$ by the steep direction,
#   and it ends far from the minimum. Momentum and Nesterov, at a similar rate, get an order of
#   magnitude closer; Nesterov overshoots less. The adaptive rules first move *diagonally*, the same
#   distance in both coordinates although the gradient is 100 times steeper in one of them (the
#   per-coordinate normalisation at work); AdaGrad and RMSProp land almost exactly on the minimum.
# - **rotated taco shell**: SGD, momentum and Nesterov end *exactly* as far from the minimum as
#   before: they never look at the coordinate axes. AdaGrad and RMSProp lose their advantage: a
#   valley at 45 degrees has large gradients in both coordinates, and they now end several units
#   away, AdaGrad about as far as SGD. Adam does not suffer here: its first moment is a momentum
#   term, which does not care about the axes either, and at its tuned rate it ends close to the
#   minimum on both valleys. (The real question for a network is which case it resembles; its
#   valleys are rarely lined up with the weights.)
# - **saddle**: tuned on the saddle alone, every rule gets away, SGD included: nothing steep limits
#   its rate there. The trouble comes when one rate has to serve both: with the rates the taco shell
#   allows (cell above) SGD is still more than one unit from the minimum after 50 steps.
# - **noisy gradients**: no rule with a constant learning rate settles on the minimum. Without noise
#   the best rules reach a loss below $10^{-6}$; with noise every rule keeps hovering at a loss
#   well above that: that is what the schedules of part 3 are for.

# %% id="compare-toy"
TOY_RULES = {
    "SGD": (sgd, {}),
    "momentum": (sgd_momentum, {"momentum": 0.9}),
    "Nesterov": (nesterov_momentum, {"momentum": 0.9}),
    "AdaGrad": (adagrad, {}),
    "RMSProp": (rmsprop, {"decay_rate": 0.9}),
    "Adam": (adam, {}),
}
TOY_TRIALS = 3 if GRADING else 30
NOISE_SEEDS = range(5)  # noise sequences behind the noisy loss's mean and spread


def toy_loss(loss_name, noise_seed=0):
    """A fresh copy of a toy loss; noise_seed picks the noise sequence of the noisy one."""
    if loss_name == "noisy gradients":
        return noisy(taco_shell(TACO_CONDITION), sigma=3.0, rng=noise_seed)
    return TOY_LOSSES[loss_name]()


def final_toy_loss(rule, config, loss):
    """Mean loss over the last 10 of TOY_STEPS steps (inf when the run diverged)."""
    path = run_optimizer(rule, loss, num_steps=TOY_STEPS, config=config)
    if np.isnan(path[-1]).any():
        return math.inf
    return np.mean([loss.value(point) for point in path[-10:]])


def distance_to_minimum(rule, config, loss):
    return np.linalg.norm(run_optimizer(rule, loss, num_steps=TOY_STEPS, config=config)[-1] - loss.minimum)


toy_rates, toy_distances, toy_final_losses = {}, {}, {}
for loss_name in TOY_LOSSES:
    tuning_seeds = (101, 102, 103) if loss_name == "noisy gradients" else (0,)
    eval_seeds = NOISE_SEEDS if loss_name == "noisy gradients" else (0,)
    for rule_name, (rule, config) in TOY_RULES.items():
        search = search_learning_rate(
            lambda lr: np.mean([final_toy_loss(rule, dict(config, learning_rate=lr), toy_loss(loss_name, seed))
                                for seed in tuning_seeds]), 1e-3, 3.0, TOY_TRIALS, rng=0)
        tuned = dict(config, learning_rate=search.best_rate)
        toy_rates[loss_name, rule_name] = search.best_rate
        toy_distances[loss_name, rule_name] = mean_spread(
            [distance_to_minimum(rule, tuned, toy_loss(loss_name, seed)) for seed in eval_seeds])
        toy_final_losses[loss_name, rule_name] = np.mean(
            [final_toy_loss(rule, tuned, toy_loss(loss_name, seed)) for seed in eval_seeds])

print(f"tuned learning rate / distance to the minimum after {TOY_STEPS} steps")
print(f"{'':9s}" + "".join(f"{name:>26s}" for name in TOY_LOSSES))
for rule_name in TOY_RULES:
    cells = []
    for loss_name in TOY_LOSSES:
        distance, spread = toy_distances[loss_name, rule_name]
        spread_text = f" ± {spread:.2f}" if loss_name == "noisy gradients" else ""
        cells.append(f"{toy_rates[loss_name, rule_name]:8.4f} / {distance:.3f}{spread_text}")
    print(f"{rule_name:9s}" + "".join(f"{cell:>26s}" for cell in cells))

fig, axes = plt.subplots(2, 4, figsize=(20, 8))
row_rules = (["SGD", "momentum", "Nesterov"], ["SGD", "AdaGrad", "RMSProp", "Adam"])
for row, rule_names in zip(axes, row_rules):
    for ax, loss_name in zip(row, TOY_LOSSES):
        paths = {f"{name} ({toy_rates[loss_name, name]:.3g})": run_optimizer(
                     TOY_RULES[name][0], toy_loss(loss_name), num_steps=TOY_STEPS,
                     config=dict(TOY_RULES[name][1], learning_rate=toy_rates[loss_name, name]))
                 for name in rule_names}
        plot_trajectories(toy_loss(loss_name), paths, ax=ax)
plt.tight_layout()
plt.show()

distance = {key: value[0] for key, value in toy_distances.items()}
print_claim("01.taco.momentum-beats-sgd", sgd=distance["taco shell", "SGD"],
            momentum=distance["taco shell", "momentum"], nesterov=distance["taco shell", "Nesterov"])
print_claim("01.taco.adaptive-aligned", sgd=distance["taco shell", "SGD"], adagrad=distance["taco shell", "AdaGrad"],
            rmsprop=distance["taco shell", "RMSProp"], adam=distance["taco shell", "Adam"])
print_claim("01.rotated.momentum-rotation-invariant",
            **{f"{name}_{kind}": distance[loss, name] for name in ("SGD", "momentum", "Nesterov")
               for kind, loss in (("aligned", "taco shell"), ("rotated", "rotated taco shell"))})
print_claim("01.rotated.adaptive-lose-advantage",
            **{f"{name}_{kind}": distance[loss, name] for name in ("AdaGrad", "RMSProp", "Adam")
               for kind, loss in (("aligned", "taco shell"), ("rotated", "rotated taco shell"))},
            sgd_rotated=distance["rotated taco shell", "SGD"])
print_claim("01.saddle.tuned-rules-escape", **{name: distance["saddle", name] for name in TOY_RULES})
print_claim("01.noisy.no-constant-rate-settles",
            best_noise_free=min(toy_final_losses["taco shell", name] for name in TOY_RULES),
            best_noisy=min(toy_final_losses["noisy gradients", name] for name in TOY_RULES))


# %% [markdown] id="q-momentum-taco" nbgrader={"grade": false, "grade_id": "q_momentum_taco_prompt", "locked": true, "schema_version": 3, "solution": false, "task": false}
# **Question.** On the taco shell, SGD with momentum reaches the minimum much faster than SGD with the
# same learning rate. Explain why, in terms of what happens to the gradient's component along the
# steep axis and along the shallow axis. Would momentum still help if the valley were rotated by
# 45 degrees? Would the per-coordinate rules (AdaGrad, RMSProp, Adam) help as much in that case?

# %% [markdown] id="q-momentum-taco-answer" nbgrader={"grade": true, "grade_id": "q_momentum_taco", "locked": false, "points": 2, "schema_version": 3, "solution": true, "task": false}
# Along the **steep** axis SGD overshoots, so the gradient component flips sign from one step to the
# next; in the velocity these alternating contributions largely cancel, which damps the zig-zag.
# Along the **shallow** axis the gradient keeps the same sign step after step; the contributions add
# up, and the velocity grows towards $\alpha g / (1 - \rho)$, i.e. up to $1/(1 - \rho) = 10$ times
# SGD's step for $\rho = 0.9$. So momentum accelerates exactly the slow direction and damps the fast
# one, without raising the learning rate (which would make the steep direction diverge).
#
# Momentum is a linear combination of past gradients, so it does not care about the orientation of
# the coordinate axes: rotating the valley rotates its trajectory with it and it helps just as much.
# AdaGrad, RMSProp and Adam rescale each *coordinate* separately; they can stretch or squash an
# axis-aligned valley into a round bowl, but a valley at 45 degrees has large gradients in both
# coordinates, so the axis-wise scaling cannot undo the bad conditioning and they lose most of their
# advantage (the condition number of the rotated problem is left almost unchanged). The experiment
# shows it for AdaGrad and RMSProp; Adam keeps most of its advantage there because its first
# moment is itself a momentum term, which is indifferent to the orientation.

# %% [markdown] id="md-schedules"
# ## 3. Learning-rate schedules
#
# Every rule above has a learning rate, and no single value is best for a whole run: a large one makes
# fast progress at first, but then the loss stops improving and bounces around at a level set by the
# step size and the gradient noise; a small one reaches lower loss but takes forever to get there.
# A **schedule** starts large and decreases $\alpha$ as training goes on ($t$ counts epochs or
# iterations):
#
# - **step decay**: $\alpha_t = \alpha_0 \cdot \text{drop}^{\lfloor t / \text{steps\_per\_drop} \rfloor}$,
#   e.g. halve the rate every few epochs;
# - **exponential decay**: $\alpha_t = \alpha_0\, e^{-k t}$;
# - **1/t decay**: $\alpha_t = \alpha_0 / (1 + k t)$;
# - **cosine annealing with warm restarts** (SGDR, Loshchilov and Hutter 2016): within a cycle of
#   $T_i$ steps the rate follows half a cosine from $\alpha_0$ down to $\alpha_{\min}$,
#   $$\alpha_t = \alpha_{\min} + \tfrac12 (\alpha_0 - \alpha_{\min})\left(1 + \cos\frac{\pi\, t_{\text{cur}}}{T_i}\right),$$
#   where $t_{\text{cur}}$ counts steps since the start of the current cycle; then it jumps back to
#   $\alpha_0$. Cycle $i$ lasts $T_i = \text{period} \cdot \text{period\_mult}^i$ steps. The end of
#   every cycle (low rate) leaves a good model, and the restart kicks the weights somewhere else:
#   in assignment 02 you will collect those models into a *snapshot ensemble*.
#
# A practical note: decay is a second-order choice. First find a good constant learning rate, then add
# decay where the loss curve flattens out. Decay matters most for SGD with momentum; Adam is often
# run with a constant rate or a gentle decay.

# %% id="step-decay" nbgrader={"grade": false, "grade_id": "step_decay", "locked": false, "schema_version": 3, "solution": true, "task": false}
def step_decay(learning_rate0, t, drop=0.5, steps_per_drop=10):
    """Piecewise-constant schedule: multiply the rate by `drop` every `steps_per_drop` steps.

    learning_rate = learning_rate0 * drop ** (t // steps_per_drop)

    Inputs:
    - learning_rate0: float, the rate at t = 0.
    - t: int >= 0, the step (or epoch) index.
    - drop: float in (0, 1], factor applied at each drop (default 0.5).
    - steps_per_drop: int > 0, steps between two drops (default 10).

    Returns:
    - learning_rate: float.
    """
    ### BEGIN SOLUTION
    return learning_rate0 * drop ** (t // steps_per_drop)
    ### END SOLUTION


# %% id="test-step-decay" nbgrader={"grade": true, "grade_id": "test_step_decay", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
# Multiply by 0.3 every 4 steps, for t = 0..11.
lrs = np.array([step_decay(0.2, t, drop=0.3, steps_per_drop=4) for t in range(12)])
expected_lrs = np.array([
    0.2, 0.2, 0.2, 0.2, 0.06,
    0.06, 0.06, 0.06, 0.018, 0.018,
    0.018, 0.018,
])
print("schedule error:", rel_error(lrs, expected_lrs))
assert rel_error(lrs, expected_lrs) < 1e-8, f"lrs is off: relative error {rel_error(lrs, expected_lrs):.1e} to expected_lrs, should be below 1e-08"

# Defaults: drop=0.5 every 10 steps, so t=25 is after two drops.
default_lr = step_decay(0.2, 25)
print("default error: ", rel_error(default_lr, 0.05))
assert rel_error(default_lr, 0.05) < 1e-8, f"default_lr is off: relative error {rel_error(default_lr, 0.05):.1e} to 0.05, should be below 1e-08"
print("step_decay: visible checks passed")

### BEGIN HIDDEN TESTS
from autograder.checks.optimizers import check_step_decay
check_step_decay(step_decay)
### END HIDDEN TESTS

# %% id="exponential-decay" nbgrader={"grade": false, "grade_id": "exponential_decay", "locked": false, "schema_version": 3, "solution": true, "task": false}
def exponential_decay(learning_rate0, t, k=0.1):
    """Smooth exponential schedule.

    learning_rate = learning_rate0 * exp(-k * t)

    Inputs:
    - learning_rate0: float, the rate at t = 0.
    - t: int >= 0, the step (or epoch) index.
    - k: float >= 0, decay constant (default 0.1).

    Returns:
    - learning_rate: float.
    """
    ### BEGIN SOLUTION
    return learning_rate0 * math.exp(-k * t)
    ### END SOLUTION


# %% id="test-exponential-decay" nbgrader={"grade": true, "grade_id": "test_exponential_decay", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
# k = 0.25 for t = 0..7.
lrs = np.array([exponential_decay(0.2, t, k=0.25) for t in range(8)])
expected_lrs = np.array([
    0.2, 0.155760156614, 0.121306131943, 0.0944733105482, 0.0735758882343,
    0.057300959372, 0.0446260320297, 0.0347547886901,
])
print("schedule error:", rel_error(lrs, expected_lrs))
assert rel_error(lrs, expected_lrs) < 1e-8, f"lrs is off: relative error {rel_error(lrs, expected_lrs):.1e} to expected_lrs, should be below 1e-08"

# Default k = 0.1.
default_lr = exponential_decay(0.2, 7)
print("default error: ", rel_error(default_lr, 0.0993170607583))
assert rel_error(default_lr, 0.0993170607583) < 1e-8, f"default_lr is off: relative error {rel_error(default_lr, 0.0993170607583):.1e} to 0.0993170607583, should be below 1e-08"
print("exponential_decay: visible checks passed")

### BEGIN HIDDEN TESTS
from autograder.checks.optimizers import check_exponential_decay
check_exponential_decay(exponential_decay)
### END HIDDEN TESTS

# %% id="inverse-time-decay" nbgrader={"grade": false, "grade_id": "inverse_time_decay", "locked": false, "schema_version": 3, "solution": true, "task": false}
def inverse_time_decay(learning_rate0, t, k=0.1):
    """1/t schedule.

    learning_rate = learning_rate0 / (1 + k * t)

    Inputs:
    - learning_rate0: float, the rate at t = 0.
    - t: int >= 0, the step (or epoch) index.
    - k: float >= 0, decay constant (default 0.1).

    Returns:
    - learning_rate: float.
    """
    ### BEGIN SOLUTION
    return learning_rate0 / (1 + k * t)
    ### END SOLUTION


# %% id="test-inverse-time-decay" nbgrader={"grade": true, "grade_id": "test_inverse_time_decay", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
# k = 0.25 for t = 0..7.
lrs = np.array([inverse_time_decay(0.2, t, k=0.25) for t in range(8)])
expected_lrs = np.array([
    0.2, 0.16, 0.133333333333, 0.114285714286, 0.1,
    0.0888888888889, 0.08, 0.0727272727273,
])
print("schedule error:", rel_error(lrs, expected_lrs))
assert rel_error(lrs, expected_lrs) < 1e-8, f"lrs is off: relative error {rel_error(lrs, expected_lrs):.1e} to expected_lrs, should be below 1e-08"

# Default k = 0.1.
default_lr = inverse_time_decay(0.2, 7)
print("default error: ", rel_error(default_lr, 0.117647058824))
assert rel_error(default_lr, 0.117647058824) < 1e-8, f"default_lr is off: relative error {rel_error(default_lr, 0.117647058824):.1e} to 0.117647058824, should be below 1e-08"
print("inverse_time_decay: visible checks passed")

### BEGIN HIDDEN TESTS
from autograder.checks.optimizers import check_inverse_time_decay
check_inverse_time_decay(inverse_time_decay)
### END HIDDEN TESTS

# %% id="cosine-annealing-warm-restarts" nbgrader={"grade": false, "grade_id": "cosine_annealing_warm_restarts", "locked": false, "schema_version": 3, "solution": true, "task": false}
def cosine_annealing_warm_restarts(learning_rate0, t, period=10, period_mult=1, min_lr=0.0):
    """Cosine annealing with warm restarts (SGDR).

    Time is cut into cycles; cycle i (counting from 0) lasts T_i = period * period_mult**i steps.
    If step t lies t_cur steps into cycle i (0 <= t_cur < T_i):

    learning_rate = min_lr + 0.5 * (learning_rate0 - min_lr) * (1 + cos(pi * t_cur / T_i))

    so every cycle starts at learning_rate0 and glides down towards min_lr.

    Inputs:
    - learning_rate0: float, the rate at the start of every cycle.
    - t: int >= 0, the step (or epoch) index.
    - period: int > 0, length of the first cycle (default 10).
    - period_mult: int >= 1, growth factor of the cycle length (default 1: all cycles equal).
    - min_lr: float, the floor the cosine approaches at the end of a cycle (default 0.0).

    Returns:
    - learning_rate: float.
    """
    ### BEGIN SOLUTION
    cycle_length, t_cur = period, t
    while t_cur >= cycle_length:
        t_cur -= cycle_length
        cycle_length *= period_mult
    return min_lr + 0.5 * (learning_rate0 - min_lr) * (1 + math.cos(math.pi * t_cur / cycle_length))
    ### END SOLUTION


# %% id="test-cosine-annealing-warm-restarts" nbgrader={"grade": true, "grade_id": "test_cosine_annealing_warm_restarts", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
# Cycles of 3, 6 and 12 steps (period_mult=2), from 1.0 down towards 0.1, for t = 0..13.
lrs = np.array([cosine_annealing_warm_restarts(1.0, t, period=3, period_mult=2, min_lr=0.1) for t in range(14)])
expected_lrs = np.array([
    1, 0.775, 0.325, 1, 0.939711431703,
    0.775, 0.55, 0.325, 0.160288568297, 1,
    0.98466662183, 0.939711431703, 0.868198051534, 0.775,
])
print("schedule error:", rel_error(lrs, expected_lrs))
assert rel_error(lrs, expected_lrs) < 1e-8, f"lrs is off: relative error {rel_error(lrs, expected_lrs):.1e} to expected_lrs, should be below 1e-08"

# Defaults: equal cycles of 10 steps down to 0, so t = 13 is 3 steps into the second cycle.
default_lr = cosine_annealing_warm_restarts(1.0, 13)
print("default error: ", rel_error(default_lr, 0.793892626146))
assert rel_error(default_lr, 0.793892626146) < 1e-8, f"default_lr is off: relative error {rel_error(default_lr, 0.793892626146):.1e} to 0.793892626146, should be below 1e-08"
print("cosine_annealing_warm_restarts: visible checks passed")

### BEGIN HIDDEN TESTS
from autograder.checks.optimizers import check_cosine_annealing_warm_restarts
check_cosine_annealing_warm_restarts(cosine_annealing_warm_restarts)
### END HIDDEN TESTS

# %% [markdown] id="md-schedules-plot"
# The four schedules side by side, all from $\alpha_0 = 0.1$ over 60 steps:

# %% id="schedules-plot"
steps = range(60)
plot_schedules({
    "step decay (x0.5 every 10)": [step_decay(0.1, t) for t in steps],
    "exponential (k=0.05)": [exponential_decay(0.1, t, k=0.05) for t in steps],
    "1/t (k=0.1)": [inverse_time_decay(0.1, t) for t in steps],
    "cosine, warm restarts (10, x2)": [cosine_annealing_warm_restarts(0.1, t, period=10, period_mult=2) for t in steps],
})
plt.show()

# %% [markdown] id="md-real-net"
# ## 4. Training a real network
#
# Now the rules meet a real problem: a fully connected network with two hidden layers of 100 ReLU
# units, trained with a softmax loss on the dataset loaded above (CIFAR-10 when it has been
# downloaded with `python -m cs_utils.data download`, otherwise the 8x8 handwritten digits that ship
# with scikit-learn), for `NUM_EPOCHS` epochs.
#
# **A fair comparison.** Every rule gets its learning rate from the same random search:
# `LR_TRIALS` rates drawn log-uniformly from $[10^{-4}, 1]$ (the same rates for every rule), each
# scored by the training loss of its last epoch, averaged over two runs (their own seeds, not the
# ones reported below). Then every rule is trained
# `NUM_SEEDS` times at its chosen rate, each time from other initial weights and another order of
# the minibatches (all rules see the same `NUM_SEEDS` seeds), and the table gives the **mean and
# spread** (standard deviation) over these runs. The spread is the yardstick: a difference between
# two rules smaller than about twice the spread could be the luck of the seeds.
#
# **Schedules, fairly.** SGD with momentum runs three more times: with **your `step_decay`**
# (cutting the rate to 30% after each third of the run) and with a single cosine cycle from
# `cosine_annealing_warm_restarts` (no restart within the run), both handed to the `Solver` as
# `lr_schedule` (a function from the epoch number to the learning rate). First both start from
# **the same rate** as the constant-rate run, so only the decay differs; then each schedule gets its
# own starting rate from the same random search.

# %% id="train-rules"
HIDDEN_DIMS = [100, 100]
WEIGHT_SCALE = 5e-2
BATCH_SIZE = 50
RATE_RANGE = (1e-4, 1.0)  # the range every random search draws from
TUNING_SEEDS = (100, 101)  # the runs behind each search's score, apart from the reported ones
SEEDS = range(NUM_SEEDS)

RULES = {
    "sgd": (sgd, {}),
    "sgd_momentum": (sgd_momentum, {}),
    "nesterov_momentum": (nesterov_momentum, {}),
    "adagrad": (adagrad, {}),
    "rmsprop": (rmsprop, {}),
    "adam": (adam, {}),
}
batches_per_epoch = -(-len(data["X_train"]) // BATCH_SIZE)


def train(rule, config, lr_schedule=None, seed=0):
    """Train a fresh network (initial weights and minibatch order from seed); returns its Solver."""
    model = FullyConnectedNet(HIDDEN_DIMS, input_dim=data["X_train"].shape[1],
                              num_classes=data["num_classes"], weight_scale=WEIGHT_SCALE, seed=seed)
    solver = Solver(model, data, rule, optim_config=dict(config), lr_schedule=lr_schedule,
                    batch_size=BATCH_SIZE, num_epochs=NUM_EPOCHS, verbose=False, progress=False, seed=seed)
    solver.train()
    return solver


def final_training_loss(solver):
    """Mean minibatch loss of the last epoch (inf when training blew up)."""
    loss = float(np.mean(solver.loss_history[-batches_per_epoch:]))
    return loss if math.isfinite(loss) else math.inf


def tuned_rate(rule, config, schedule=None):
    """The best rate of a random search; schedule(rate) -> lr_schedule, or None for a constant rate."""
    def score(rate):
        make = None if schedule is None else schedule(rate)
        with np.errstate(all="ignore"):  # a diverging rate is simply scored inf
            return np.mean([final_training_loss(train(rule, dict(config, learning_rate=rate), make, seed))
                            for seed in TUNING_SEEDS])
    return search_learning_rate(score, *RATE_RANGE, LR_TRIALS, rng=0).best_rate


def run_seeds(rule, config, schedule=None):
    """NUM_SEEDS runs; returns (their solvers, log10 final training losses, final validation accuracies)."""
    solvers = [train(rule, config, None if schedule is None else schedule(config["learning_rate"]), seed)
               for seed in SEEDS]
    return (solvers, [math.log10(final_training_loss(solver)) for solver in solvers],
            [solver.val_acc_history[-1] for solver in solvers])


def step_schedule(rate):
    return lambda epoch: step_decay(rate, epoch, drop=0.3, steps_per_drop=max(1, NUM_EPOCHS // 3))


def cosine_schedule(rate):
    return lambda epoch: cosine_annealing_warm_restarts(rate, epoch, period=NUM_EPOCHS)


start = time.time()
rule_results = {}
for name, (rule, config) in RULES.items():
    rate = tuned_rate(rule, config)
    rule_results[name] = (rate, *run_seeds(rule, dict(config, learning_rate=rate)))
print(f"rules tuned and trained in {time.time() - start:.1f} s")

start = time.time()
constant_rate = rule_results["sgd_momentum"][0]
schedule_results = {"constant": rule_results["sgd_momentum"]}
for name, schedule in (("step decay", step_schedule), ("cosine", cosine_schedule)):
    schedule_results[f"{name}, same start"] = (
        constant_rate, *run_seeds(sgd_momentum, {"learning_rate": constant_rate}, schedule))
    rate = tuned_rate(sgd_momentum, {}, schedule)
    schedule_results[f"{name}, tuned start"] = (rate, *run_seeds(sgd_momentum, {"learning_rate": rate}, schedule))
print(f"schedules tuned and trained in {time.time() - start:.1f} s")

# %% [markdown] id="md-real-net-plots"
# Training loss per iteration of the first seed's runs (the faint lines are single minibatches, the
# bold ones a moving average; log scale) and the accuracies after every epoch (dashed: training,
# solid: validation). Below them, the tables over all seeds: the chosen rate, the training loss of
# the last epoch ($\log_{10}$, mean ± spread) and the final validation accuracy (mean ± spread).

# %% id="real-net-plots"
solvers = {name: result[1][0] for name, result in rule_results.items()}
fig, (loss_ax, accuracy_ax) = plt.subplots(1, 2, figsize=(16, 5.5))
plot_loss_curves({name: solver.loss_history for name, solver in solvers.items()}, ax=loss_ax,
                 smooth=20, logy=True, title="training loss (first seed)")
# Single minibatch losses can dip far below the averages; keep the axis on the averages.
lowest_average = min(np.mean(solver.loss_history[-20:]) for solver in solvers.values())
loss_ax.set_ylim(bottom=lowest_average / 3)
plot_train_val(solvers, ax=accuracy_ax)
plt.tight_layout()
plt.show()


def print_table(results):
    print(f"{'':30s} {'rate':>8s} {'log10 train loss':>17s} {'val acc':>15s}")
    for name, (rate, _, log_losses, accuracies) in results.items():
        loss_mean, loss_spread = mean_spread(log_losses)
        accuracy_mean, accuracy_spread = mean_spread(accuracies)
        print(f"{name:30s} {rate:8.4f} {loss_mean:9.2f} ± {loss_spread:4.2f} {accuracy_mean:8.3f} ± {accuracy_spread:.3f}")


def claim_numbers(results, value_index):
    """name_mean and name_sd of the runs' numbers for every entry of a results dict."""
    numbers = {}
    for name, result in results.items():
        mean, spread = mean_spread(result[value_index])
        key = name.replace(" ", "_").replace(",", "")
        numbers[f"{key}_mean"], numbers[f"{key}_sd"] = mean, spread
    return numbers


print(f"{NUM_SEEDS} seeds, {NUM_EPOCHS} epochs, {len(data['X_val'])} validation images\n")
print_table(rule_results)
print()
print_table(schedule_results)
print_claim("01.net.rules-train-loss", n=NUM_SEEDS, **claim_numbers(rule_results, 2))
print_claim("01.net.rules-val-accuracy", n=NUM_SEEDS, **claim_numbers(rule_results, 3))
print_claim("01.net.schedules-train-loss", n=NUM_SEEDS, **claim_numbers(schedule_results, 2))
print_claim("01.net.schedules-val-accuracy", n=NUM_SEEDS, **claim_numbers(schedule_results, 3))


# %% [markdown] id="md-real-net-reading"
# **Reading the tables.** Once every rule has its own tuned rate, this small problem does not
# separate them much. In **training loss**, the quantity an optimizer is asked to lower, SGD with
# momentum and Nesterov end clearly below plain SGD (by more than the spread); the adaptive rules
# vary more from seed to seed at the rates their search chose, a reminder that a rate picked on two
# runs can sit close to the edge of stability. In **validation accuracy** the rules that train
# stably end within about a point of each other, which at this size is within the seed-to-seed
# noise: on these digits the choice of rule matters less than giving each one a good rate.
#
# **Schedules.** Here the lecture's claim that decaying the rate helps does **not** show at this
# scale: started from the same rate, step decay and cosine end with a *higher* training loss than
# the constant rate, and with its own tuned starting rate neither beats the constant rate beyond
# the noise, in training loss or in validation accuracy. The reason is in the loss curves: after 8
# epochs the training loss is still falling steadily at the constant rate; it has not yet stalled
# at the level set by the gradient noise, which is the situation a decay is for. Lowering the rate
# early only slows the descent down. On long runs on a large dataset (CIFAR-10 for dozens of
# epochs, ImageNet), where the loss does plateau, the drops in the loss at each decay are easy to
# see.

# %% [markdown] id="md-second-order"
# ## 5. Second-order methods
#
# ### Newton's method
#
# All the rules above use only the gradient (the slope). A second-order method also uses the Hessian
# $H$ (the curvature) to build a local quadratic model of the loss around $w_0$,
# $$L(w) \approx L(w_0) + (w - w_0)^\top \nabla L(w_0) + \tfrac12 (w - w_0)^\top H (w - w_0),$$
# and jumps straight to the model's minimum by setting its gradient to zero:
# $$w_1 = w_0 - H^{-1} \nabla L(w_0).$$
# There is no learning rate: the curvature sets the step length in every direction, long along
# flat directions and short along steep ones, whatever their orientation. On a quadratic the model
# is exact, so a single step lands on the minimum, however bad the conditioning.
#
# The catch is size. For $D$ weights, $H$ has $D^2$ entries and solving with it costs $O(D^3)$; with
# $D$ in the tens of millions neither fits in memory nor in time.

# %% id="newton-step" nbgrader={"grade": false, "grade_id": "newton_step", "locked": false, "schema_version": 3, "solution": true, "task": false}
def newton_step(w, dw, hessian):
    """One Newton step: jump to the minimum of the local quadratic model of the loss.

    next_w = w - H^{-1} dw

    Solve the linear system H x = dw (np.linalg.solve) instead of forming the inverse: it is
    cheaper and more accurate.

    Inputs:
    - w: numpy array of shape (D,), float64: the current point.
    - dw: numpy array of shape (D,), float64: the gradient at w.
    - hessian: numpy array of shape (D, D), float64: the Hessian at w (invertible).

    Returns:
    - next_w: numpy array of shape (D,), float64. The inputs are not modified.
    """
    ### BEGIN SOLUTION
    return w - np.linalg.solve(hessian, dw)
    ### END SOLUTION


# %% id="test-newton-step" nbgrader={"grade": true, "grade_id": "test_newton_step", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
# A 3-D quadratic L(w) = 0.5 (w - w_star)^T H (w - w_star) with a non-diagonal Hessian:
# one Newton step from anywhere must land exactly on w_star.
hessian = np.array([[3.0, 1.0, 0.0], [1.0, 2.0, 0.5], [0.0, 0.5, 1.0]])
w_star = np.array([1.0, -2.0, 0.5])
w = np.array([0.3, 0.4, -0.7])
dw = hessian @ (w - w_star)
w_before, dw_before, hessian_before = w.copy(), dw.copy(), hessian.copy()
next_w = newton_step(w, dw, hessian)
print("error to the minimum:", rel_error(next_w, w_star))
assert rel_error(next_w, w_star) < 1e-10, f"next_w is off: relative error {rel_error(next_w, w_star):.1e} to w_star, should be below 1e-10"

# Any gradient: the step solves H x = dw.
other_w = newton_step(w, np.array([0.5, -1.0, 2.0]), hessian)
expected_other_w = np.array([-0.376470588235, 1.92941176471, -3.46470588235])
print("second case error:   ", rel_error(other_w, expected_other_w))
assert rel_error(other_w, expected_other_w) < 1e-8, f"other_w is off: relative error {rel_error(other_w, expected_other_w):.1e} to expected_other_w, should be below 1e-08"
assert (np.array_equal(w, w_before) and np.array_equal(dw, dw_before)
        and np.array_equal(hessian, hessian_before)), "an input was modified in place"
print("newton_step: visible checks passed")

### BEGIN HIDDEN TESTS
from autograder.checks.optimizers import check_newton_step
check_newton_step(newton_step)
### END HIDDEN TESTS

# %% [markdown] id="md-newton-demo"
# One Newton step from the start of the taco shell, compared with 50 SGD steps at its tuned rate. On the
# saddle, Newton's method has a problem of its own: it jumps to a point where the *model's* gradient
# vanishes, and near a saddle that point is the saddle itself, so it is attracted to it instead of
# escaping.

# %% id="newton-demo"
taco, saddle_loss = TOY_LOSSES["taco shell"](), saddle()
fig, axes = plt.subplots(1, 2, figsize=(12, 4.5))

w0 = taco.start
w1 = newton_step(w0, taco.grad(w0), taco.hessian(w0))
print(f"taco shell: start {w0}, after one Newton step {w1}, minimum {taco.minimum}")
print(f"  loss {taco.value(w0):.4f} -> {taco.value(w1):.2e}")
plot_trajectories(taco, {
    "SGD": run_optimizer(sgd, taco, num_steps=TOY_STEPS, config={"learning_rate": toy_rates["taco shell", "SGD"]}),
    "Newton (1 step)": np.stack([w0, w1]),
}, ax=axes[0], title="taco shell")

newton_path = [saddle_loss.start]
for _ in range(5):
    w = newton_path[-1]
    newton_path.append(newton_step(w, saddle_loss.grad(w), saddle_loss.hessian(w)))
newton_path = np.stack(newton_path)
end = newton_path[-1]
print(f"saddle: Newton ends at {end}, gradient norm {np.linalg.norm(saddle_loss.grad(end)):.1e}, "
      f"loss {saddle_loss.value(end):.2f} (the minima have loss {saddle_loss.value(saddle_loss.minimum):.2f})")
plot_trajectories(saddle_loss, {
    "SGD": run_optimizer(sgd, saddle_loss, num_steps=TOY_STEPS, config={"learning_rate": toy_rates["saddle", "SGD"]}),
    "Newton (5 steps)": newton_path,
}, ax=axes[1], title="saddle")
plt.tight_layout()
plt.show()


# %% [markdown] id="md-lbfgs"
# ### L-BFGS
#
# Quasi-Newton methods never compute $H$. They learn about the curvature from what the optimizer
# has already seen: after a step $s_k = w_{k+1} - w_k$ the gradient changed by
# $y_k = \nabla L(w_{k+1}) - \nabla L(w_k)$, and on a quadratic $y_k = H s_k$. BFGS keeps an
# approximation $H_k$ of the **inverse** Hessian and after each step corrects it with a rank-two
# update so that it satisfies the *secant equation* $H_{k+1} y_k = s_k$. That costs $O(D^2)$ memory
# and time per step, still too much for a network.
#
# **L-BFGS** (limited-memory BFGS) never stores a matrix. It keeps only the last $m$ pairs
# $(s_i, y_i)$ (typically 5 to 20) and computes the product $H_k\, g$ directly with the
# **two-loop recursion**, in $O(mD)$:
#
#     q = g
#     for i = newest ... oldest:               # first loop
#         rho_i   = 1 / (y_i . s_i)
#         alpha_i = rho_i * (s_i . q)
#         q       = q - alpha_i * y_i
#     r = gamma * q,  gamma = (s . y) / (y . y) of the newest pair    # H_0 = gamma * I
#     for i = oldest ... newest:               # second loop, same alphas in reverse order
#         beta = rho_i * (y_i . r)
#         r    = r + (alpha_i - beta) * s_i
#     direction = -r
#
# This is exactly the result of applying the $m$ BFGS updates to $H_0 = \gamma I$, unrolled into
# dot products. The scale $\gamma$ is the inverse of the curvature measured along the newest step,
# which gives the direction a sensible length, so a step of 1 is usually accepted. A line search
# along the direction (provided, `cs_utils.second_order`) picks the actual step.

# %% id="lbfgs-direction" nbgrader={"grade": false, "grade_id": "lbfgs_direction", "locked": false, "schema_version": 3, "solution": true, "task": false}
def lbfgs_direction(grad, s_history, y_history):
    """L-BFGS search direction -H_k grad by the two-loop recursion.

    H_k is the inverse-Hessian approximation built from the stored curvature pairs, starting from
    H_0 = gamma * I with gamma = (s . y) / (y . y) of the NEWEST pair.

    Inputs:
    - grad: numpy array of shape (D,), float64: the gradient at the current point.
    - s_history: list of numpy arrays of shape (D,), oldest first: s_i = w_{i+1} - w_i.
    - y_history: list of numpy arrays of shape (D,), oldest first: y_i = g_{i+1} - g_i.
      Both lists have the same length m >= 0, and s_i . y_i > 0 for every pair.

    Returns:
    - direction: numpy array of shape (D,), float64; -grad when the history is empty.
      The inputs (grad and the arrays in the lists) are not modified.
    """
    ### BEGIN SOLUTION
    if not s_history:
        return -grad
    rhos = [1.0 / np.dot(y, s) for s, y in zip(s_history, y_history)]
    q = grad
    alphas = []
    for s, y, rho in reversed(list(zip(s_history, y_history, rhos))):
        alpha = rho * np.dot(s, q)
        q = q - alpha * y
        alphas.append(alpha)
    newest_s, newest_y = s_history[-1], y_history[-1]
    r = (np.dot(newest_s, newest_y) / np.dot(newest_y, newest_y)) * q
    for s, y, rho, alpha in zip(s_history, y_history, rhos, reversed(alphas)):
        beta = rho * np.dot(y, r)
        r = r + (alpha - beta) * s
    return -r
    ### END SOLUTION


# %% id="test-lbfgs-direction" nbgrader={"grade": true, "grade_id": "test_lbfgs_direction", "locked": true, "points": 5, "schema_version": 3, "solution": false, "task": false}
grad = np.array([0.4, -1.2, 0.7, 0.1, -0.5])

# No curvature pairs yet: steepest descent.
direction = lbfgs_direction(grad, [], [])
print("empty history error: ", rel_error(direction, -grad))
assert rel_error(direction, -grad) < 1e-12, f"direction is off: relative error {rel_error(direction, -grad):.1e} to -grad, should be below 1e-12"

# Three pairs from the quadratic with Hessian H, so y = H s (oldest first).
hessian = np.diag([1.0, 2.0, 4.0, 8.0, 16.0]) + 0.5
s_history = [np.array([1.0, 0.0, -1.0, 0.5, 0.2]), np.array([0.3, -0.8, 0.1, 0.0, 0.4]),
             np.array([-0.2, 0.5, 0.6, -0.3, 0.1])]
y_history = [hessian @ s for s in s_history]
grad_before = grad.copy()
s_before, y_before = [s.copy() for s in s_history], [y.copy() for y in y_history]

direction = lbfgs_direction(grad, s_history, y_history)
expected_direction = np.array([-0.230708613367, 0.562785158438, -0.187708785699, -0.0502643403098, 0.0143608159757])
print("direction error:     ", rel_error(direction, expected_direction))
assert rel_error(direction, expected_direction) < 1e-8, f"direction is off: relative error {rel_error(direction, expected_direction):.1e} to expected_direction, should be below 1e-08"
assert direction @ grad < 0, "not a descent direction"

# The secant equation: the approximate inverse Hessian maps the newest y onto the newest s.
secant_direction = lbfgs_direction(y_history[-1], s_history, y_history)
print("secant equation error:", rel_error(secant_direction, -s_history[-1]))
assert rel_error(secant_direction, -s_history[-1]) < 1e-8, f"secant_direction is off: relative error {rel_error(secant_direction, -s_history[-1]):.1e} to -s_history[-1], should be below 1e-08"

assert np.array_equal(grad, grad_before), "grad was modified in place"
assert all(np.array_equal(a, b) for a, b in zip(s_history + y_history, s_before + y_before)), \
    "a history array was modified in place"
print("lbfgs_direction: visible checks passed")

### BEGIN HIDDEN TESTS
from autograder.checks.optimizers import check_lbfgs_direction
check_lbfgs_direction(lbfgs_direction)
### END HIDDEN TESTS

# %% [markdown] id="md-lbfgs-vs-adam"
# ### L-BFGS against Adam, with and without noise
#
# When the loss and its gradient are computed on the whole training set (full batch, deterministic),
# L-BFGS is hard to beat. Below it trains the network of part 4 from the same initial weights,
# against Adam, first on the full batch. Adam's rate is the best of a small random search on the full batch, at the same number of
# iterations. Then both get **minibatch** gradients instead (at the same rates), a fresh
# minibatch for every evaluation, as in ordinary training. Every curve shows the loss on the whole
# training set, so the four are comparable. An L-BFGS iteration can evaluate the loss several times
# in its line search; the printout counts those evaluations. Without regularization the network
# can fit its training set almost perfectly, so the loss can fall by many orders of magnitude: hence
# the log scale.

# %% id="lbfgs-vs-adam"
LBFGS_MEMORY = 10
ADAM_TRIALS = 2 if GRADING else 6


def fresh_model():
    """The network of part 4 with its initial weights (always the same)."""
    return FullyConnectedNet(HIDDEN_DIMS, input_dim=data["X_train"].shape[1],
                             num_classes=data["num_classes"], weight_scale=WEIGHT_SCALE, seed=0)


full_batch_fun, _ = flat_loss_and_grad(fresh_model(), data["X_train"], data["y_train"])


def training_loss(w):
    """Loss over the whole training set at the flat weights w (for the curves only)."""
    return full_batch_fun(w)[0]


def counted(fun):
    """Wrap fun so that fun.calls counts its evaluations."""
    def wrapper(w):
        wrapper.calls += 1
        return fun(w)
    wrapper.calls = 0
    return wrapper


def run_lbfgs(batch_size):
    """L-BFGS with full-batch (batch_size=None) or minibatch evaluations -> (losses, evaluations)."""
    fun, w0 = flat_loss_and_grad(fresh_model(), data["X_train"], data["y_train"], batch_size=batch_size, rng=0)
    fun = counted(fun)
    losses = [training_loss(w0)]
    lbfgs_minimize(fun, w0, lbfgs_direction, memory=LBFGS_MEMORY, num_iters=SECOND_ORDER_ITERS,
                   callback=lambda w: losses.append(training_loss(w)))
    return losses, fun.calls


def run_adam(batch_size, learning_rate):
    """Adam on the flat weights, one evaluation per iteration -> (losses, evaluations)."""
    fun, w = flat_loss_and_grad(fresh_model(), data["X_train"], data["y_train"], batch_size=batch_size, rng=0)
    losses, config = [training_loss(w)], {"learning_rate": learning_rate}
    for _ in range(SECOND_ORDER_ITERS):
        _, grad = fun(w)
        w, config = adam(w, grad, config)
        losses.append(training_loss(w))
    return losses, SECOND_ORDER_ITERS


start = time.time()
# L-BFGS needs no learning rate (its line search picks the step); Adam gets the best of a random
# search at the same number of iterations, on the full batch.
adam_rate = search_learning_rate(lambda rate: run_adam(None, rate)[0][-1], 1e-4, 1e-1, ADAM_TRIALS, rng=0).best_rate
print(f"Adam's tuned learning rate: {adam_rate:.4f}")
runs = {
    "L-BFGS, full batch": run_lbfgs(None),
    "Adam, full batch": run_adam(None, adam_rate),
    f"L-BFGS, minibatches of {BATCH_SIZE}": run_lbfgs(BATCH_SIZE),
    f"Adam, minibatches of {BATCH_SIZE}": run_adam(BATCH_SIZE, adam_rate),
}
print(f"({time.time() - start:.1f} s)")
for name, (losses, evaluations) in runs.items():
    print(f"{name:30s} final training loss {losses[-1]:9.2e} after {len(losses) - 1:3d} iterations, "
          f"{evaluations:3d} evaluations")

final = {name: losses[-1] for name, (losses, _) in runs.items()}
print_claim("01.lbfgs-full-batch-only", lbfgs_full=final["L-BFGS, full batch"], adam_full=final["Adam, full batch"],
            lbfgs_minibatch=final[f"L-BFGS, minibatches of {BATCH_SIZE}"],
            adam_minibatch=final[f"Adam, minibatches of {BATCH_SIZE}"])

plot_loss_curves({name: losses for name, (losses, _) in runs.items()}, logy=True,
                 ylabel="training loss (whole training set)", title="L-BFGS vs Adam")
plt.show()

# %% [markdown] id="q-lbfgs-minibatch" nbgrader={"grade": false, "grade_id": "q_lbfgs_minibatch_prompt", "locked": true, "schema_version": 3, "solution": false, "task": false}
# **Question.** Look at the two L-BFGS curves. Why does L-BFGS work so well with full-batch gradients
# and so poorly when every evaluation uses a different minibatch? Point to the specific parts of the
# method that the noise breaks, and say why Adam copes better.

# %% [markdown] id="q-lbfgs-minibatch-answer" nbgrader={"grade": true, "grade_id": "q_lbfgs_minibatch", "locked": false, "points": 2, "schema_version": 3, "solution": true, "task": false}
# L-BFGS estimates curvature from differences of gradients, $y_k = g_{k+1} - g_k$. With minibatches,
# $g_k$ and $g_{k+1}$ come from different batches, so $y_k$ is the curvature signal $H s_k$ plus the
# difference of two independent noise vectors. The steps are small, so the signal is small while the
# noise is not: $y_k$ is dominated by noise. Then:
#
# - the curvature pairs describe a random matrix, not the Hessian; $s_k \cdot y_k$ can be tiny or
#   negative, which makes $\rho_k = 1/(y_k \cdot s_k)$ and the scale $\gamma$ huge or of the wrong
#   sign, and the direction can become absurdly long or not even a descent direction;
# - the memory keeps these bad pairs for $m$ iterations, so one noisy pair spoils several steps;
# - the line search compares loss values measured on different minibatches, so it accepts or rejects
#   steps because of the noise rather than the true loss, and there is no learning rate that
#   averages the noise out.
#
# (The driver used here discards pairs with $s_k \cdot y_k \le 0$ and falls back on $-g$ when the
# direction is not downhill. That keeps it from diverging, but then it is little more than gradient
# descent with a line search fooled by noise.)
#
# Adam never differences gradients: it *averages* them ($m_t$) and their squares ($v_t$) over many
# steps, which cancels the noise, and it takes steps of bounded size ($\approx \alpha$ per
# coordinate), so a single bad minibatch cannot throw the weights far. That is why the advice is: use
# Adam (or SGD with momentum) for minibatch training, and L-BFGS when the problem is deterministic and
# the full gradient is affordable (and then switch off every source of noise, such as dropout).

# %% [markdown] id="md-summary"
# ## Summary
#
# - Plain SGD suffers from bad conditioning (zig-zag), saddle points (tiny gradients) and gradient
#   noise. **Momentum** and **Nesterov** average the gradients over time; **AdaGrad** and
#   **RMSProp** rescale each coordinate by its typical gradient size; **Adam** does both, with a bias
#   correction for the first steps.
# - **Adam** ($\alpha$ = 1e-3, $\beta_1 = 0.9$, $\beta_2 = 0.999$) is a good default; SGD with momentum
#   and a learning-rate **schedule** is a strong alternative once tuned. Compare rules only at their
#   own tuned rates, and over several seeds: at a single hand-picked rate and one seed, any ranking
#   can come out. A schedule pays once the loss stalls at its noise level, not before (part 4).
# - **Newton's method** needs no learning rate and solves a quadratic in one step, but the Hessian is
#   far too large for a network. **L-BFGS** approximates it from a few recent gradient differences and
#   works very well on deterministic full-batch problems, but minibatch noise ruins its curvature
#   estimates.
# - The cyclic schedule you wrote returns in assignment 02, for snapshot ensembles.
