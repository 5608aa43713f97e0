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
# # Foundations: activations, initialization, preprocessing, babysitting and hyper-parameter search
#
# Before any clever optimizer or regularizer, a network has to be *trainable at all*: its units must
# pass gradients back, its initial weights must keep the signal alive through many layers, its inputs
# must be on a sensible scale, and someone has to watch the first minutes of training and choose the
# hyper-parameters. This notebook covers those foundations, each with code you write and an
# experiment whose numbers you can check.
#
# In this notebook you will:
#
# 1. implement the forward and backward passes of **sigmoid, tanh, leaky ReLU, PReLU, ELU and
#    maxout**, and measure how much gradient each lets through;
# 2. implement **Xavier and He initialization** and rerun the classic experiment of a 10-layer net
#    with small, large, Xavier and He weights: activation statistics layer by layer, the gradient
#    that reaches the first layer, and which of them train;
# 3. implement **data preprocessing** fitted on the training set only (centring, standardising, PCA
#    whitening), and measure what fitting it on more than the training set does to a validation score;
# 4. **babysit** a real training run: the initial loss, the effect of regularization, overfitting a
#    tiny subset, and the **update-to-weight ratio**;
# 5. implement an **early-stopping** tracker and use it on a run that overfits;
# 6. implement **log-uniform sampling, grid search, random search and a coarse-to-fine step**, and
#    compare random with grid search over many seeds.
#
# **Conventions.** Layers follow the cache convention of `cs_utils.layers`: a forward function returns
# `(out, cache)`, and the backward function takes the upstream gradient `dout` and that cache. No
# function may modify its inputs. Everything random takes a `numpy.random.Generator` called `rng`.
#
# The `cs_utils` package gives you the parts this notebook does not grade: affine and ReLU layers,
# the softmax loss, numerical gradients, a two-layer net and a `Solver` that trains it. The data are
# scikit-learn's 8x8 handwritten digits (1797 images, 10 classes), small enough that every
# experiment below, dozens of training runs in all, takes seconds.

# %% id="setup"
import copy
import itertools
import math

import matplotlib.pyplot as plt
import numpy as np

from cs_utils import grading_mode
from cs_utils.data import load_dataset
from cs_utils.fc_net import FullyConnectedNet
from cs_utils.gradient_check import eval_numerical_gradient_array, rel_error
from cs_utils.layers import affine_backward, affine_forward, relu_backward, relu_forward, softmax_loss
from cs_utils.solver import Solver

# %matplotlib inline
plt.rcParams["figure.figsize"] = (10.0, 4.0)

GRADING = grading_mode()
# Grading mode shrinks every experiment so that the notebook runs in seconds.
WIDTH = 40 if GRADING else 250  # units per layer in the 10-layer statistics experiment
STACK_EXAMPLES = 200 if GRADING else 500  # random inputs pushed through it
DEEP_WIDTH = 30 if GRADING else 100  # units per layer of the 10-layer nets that are trained
DEEP_EPOCHS = 1 if GRADING else 5
NUM_SPLITS = 3 if GRADING else 20  # random splits in the preprocessing experiment
STOP_EPOCHS = 8 if GRADING else 60  # epochs of the overfitting run (part 5)
STOP_SEEDS = 1 if GRADING else 3
SEARCH_SEEDS = 20 if GRADING else 500  # seeds of the random-vs-grid comparison (cheap objective)
TUNING_SEEDS = 1 if GRADING else 3  # seeds of the coarse-to-fine search on a real net
TUNING_TRIALS = 3 if GRADING else 12  # trials per stage of that search

# This notebook always uses the 8x8 digits, even where CIFAR-10 is downloaded: its experiments
# train dozens of nets, which would take hours on CIFAR-10 on a laptop CPU.
data = load_dataset("digits")
# The pixels are already centred by load_dataset; divide by their overall standard deviation so
# that one learning rate suits every experiment below.
pixel_scale = data["X_train"].std()
for split in ("X_train", "X_val", "X_test"):
    data[split] = data[split] / pixel_scale
NUM_FEATURES, NUM_CLASSES = data["X_train"].shape[1], data["num_classes"]
print(f"{data['name']}: {len(data['X_train'])} train, {len(data['X_val'])} val, {len(data['X_test'])} test "
      f"images of {NUM_FEATURES} features, {NUM_CLASSES} classes")


def show():
    """plt.show(), except in grading mode, where nobody looks at the figures: they are closed unrendered."""
    if GRADING:
        plt.close("all")
    else:
        plt.show()


def sgd_momentum(w, dw, config=None):
    """SGD with momentum in the update-rule convention of the Solver (see 01 Optimizers)."""
    config = {} if config is None else config
    config.setdefault("learning_rate", 1e-2)
    config.setdefault("momentum", 0.9)
    velocity = config["momentum"] * config.get("velocity", np.zeros_like(w)) - config["learning_rate"] * dw
    config["velocity"] = velocity
    return w + velocity, config


# %% [markdown] id="md-activations"
# ## 1. Activation functions
#
# A unit computes $a = w^\top x + b$ and passes it through a nonlinearity $f$. In the backward pass
# the upstream gradient is multiplied by the **local gradient** $f'(a)$: wherever $f'(a) \approx 0$
# the unit is *saturated*, and nothing flows back to the weights below it, however wrong the output.
# That single fact explains most of the history of activation functions:
#
# | activation | $f(x)$ | $f'(x)$ | what goes wrong |
# |---|---|---|---|
# | sigmoid | $\sigma(x) = 1/(1+e^{-x})$ | $\sigma(x)(1-\sigma(x)) \le 0.25$ | saturates for large $\lvert x\rvert$; outputs are all positive (not zero-centred); `exp` is costly |
# | tanh | $\tanh x$ | $1-\tanh^2 x$ | zero-centred, but saturates just like sigmoid |
# | ReLU | $\max(0, x)$ | $1$ if $x>0$, else $0$ | no saturation for $x>0$, but a unit whose input is always negative is **dead**: it never gets a gradient again |
# | leaky ReLU | $x$ if $x>0$, else $\alpha x$ | $1$ or $\alpha$ | a small slope ($\alpha = 0.01$) keeps dead units alive |
# | PReLU | same, with one *learned* $\alpha_j$ per feature | $1$ or $\alpha_j$; $\partial f/\partial\alpha_j = x$ where $x \le 0$ | one more parameter per feature |
# | ELU | $x$ if $x>0$, else $\alpha(e^x-1)$ | $1$ or $\alpha e^x$ | negative outputs push the mean activation towards 0; saturates smoothly for $x \ll 0$ |
# | maxout | $\max(w_1^\top x + b_1,\, w_2^\top x + b_2)$ | the gradient goes to the piece that won | never saturates or dies, but doubles the parameters |
#
# ### Sigmoid
#
# Implement the forward and backward pass. The forward pass must work for **any** input, including
# $x = \pm 800$: `np.exp(800)` overflows to `inf`, and a formula such as `exp(x) / (1 + exp(x))` then
# returns `inf / inf = nan`. One way out is to use $\sigma(x) = e^{x}/(1+e^{x})$ for $x<0$ and
# $1/(1+e^{-x})$ for $x \ge 0$, so that `exp` only ever sees numbers $\le 0$. For the backward pass,
# note that $\sigma'(x) = \sigma(x)(1-\sigma(x))$ only needs the output, so the output is a good cache.

# %% id="sigmoid" nbgrader={"grade": false, "grade_id": "sigmoid", "locked": false, "schema_version": 3, "solution": true, "task": false}
def sigmoid_forward(x):
    """Sigmoid, elementwise: out = 1 / (1 + exp(-x)), without overflow for large |x|.

    Inputs:
    - x: float array of any shape.

    Returns a tuple of:
    - out: float array of x's shape, values in [0, 1].
    - cache: whatever sigmoid_backward needs (for example out).
    """
    ### BEGIN SOLUTION
    z = np.exp(-np.abs(x))  # in (0, 1]: never overflows
    out = np.where(x >= 0, 1 / (1 + z), z / (1 + z))
    cache = out
    ### END SOLUTION
    return out, cache


def sigmoid_backward(dout, cache):
    """Backward pass of sigmoid_forward: dx = dout * s * (1 - s) with s = sigmoid(x).

    Inputs:
    - dout: float array, upstream gradient, same shape as x.
    - cache: from sigmoid_forward.

    Returns:
    - dx: float array of x's shape.
    """
    ### BEGIN SOLUTION
    out = cache
    dx = dout * out * (1 - out)
    ### END SOLUTION
    return dx


# %% id="test-sigmoid" nbgrader={"grade": true, "grade_id": "test_sigmoid", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
x = np.array([[-3.0, -0.5, 0.25, 2.0], [-1.0, 0.75, -0.1, 4.0]])
out, cache = sigmoid_forward(x)
expected_out = np.array([[0.047425873178, 0.377540668798, 0.562176500886, 0.880797077978],
                         [0.26894142137, 0.679178699175, 0.475020812521, 0.982013790038]])
print("forward error:           ", rel_error(out, expected_out))
assert rel_error(out, expected_out) < 1e-9

dout = np.array([[1.0, -2.0, 0.5, 1.5], [0.5, 1.0, -1.0, 2.0]])
numerical_dx = eval_numerical_gradient_array(lambda v: sigmoid_forward(v)[0], x.copy(), dout)
print("backward error:          ", rel_error(sigmoid_backward(dout, cache), numerical_dx))
assert rel_error(sigmoid_backward(dout, cache), numerical_dx) < 1e-8

extreme = np.array([-800.0, 800.0])
print("sigmoid(+-800):          ", sigmoid_forward(extreme)[0])
assert np.allclose(sigmoid_forward(extreme)[0], [0.0, 1.0])
print("sigmoid: visible checks passed")

### BEGIN HIDDEN TESTS
from autograder.checks.foundations import check_sigmoid
check_sigmoid(sigmoid_forward, sigmoid_backward)
### END HIDDEN TESTS

# %% [markdown] id="md-tanh"
# ### Tanh
#
# $\tanh x = 2\sigma(2x) - 1$ is a rescaled sigmoid with outputs in $[-1, 1]$, centred at zero. Its
# local gradient $1 - \tanh^2 x$ reaches 1 at $x = 0$, four times the sigmoid's best, but it still
# vanishes for large $|x|$. Use `np.tanh`, which does not overflow.

# %% id="tanh" nbgrader={"grade": false, "grade_id": "tanh", "locked": false, "schema_version": 3, "solution": true, "task": false}
def tanh_forward(x):
    """Hyperbolic tangent, elementwise.

    Inputs:
    - x: float array of any shape.

    Returns a tuple of:
    - out: float array of x's shape, values in [-1, 1].
    - cache: whatever tanh_backward needs.
    """
    ### BEGIN SOLUTION
    out = np.tanh(x)
    cache = out
    ### END SOLUTION
    return out, cache


def tanh_backward(dout, cache):
    """Backward pass of tanh_forward: dx = dout * (1 - tanh(x)**2).

    Inputs:
    - dout: float array, upstream gradient, same shape as x.
    - cache: from tanh_forward.

    Returns:
    - dx: float array of x's shape.
    """
    ### BEGIN SOLUTION
    dx = dout * (1 - cache**2)
    ### END SOLUTION
    return dx


# %% id="test-tanh" nbgrader={"grade": true, "grade_id": "test_tanh", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
x = np.array([[-3.0, -0.5, 0.25, 2.0], [-1.0, 0.75, -0.1, 4.0]])
out, cache = tanh_forward(x)
expected_out = np.array([[-0.995054753687, -0.46211715726, 0.244918662404, 0.964027580076],
                         [-0.761594155956, 0.635148952387, -0.099667994625, 0.999329299739]])
print("forward error: ", rel_error(out, expected_out))
assert rel_error(out, expected_out) < 1e-9

dout = np.array([[1.0, -2.0, 0.5, 1.5], [0.5, 1.0, -1.0, 2.0]])
numerical_dx = eval_numerical_gradient_array(lambda v: tanh_forward(v)[0], x.copy(), dout)
print("backward error:", rel_error(tanh_backward(dout, cache), numerical_dx))
assert rel_error(tanh_backward(dout, cache), numerical_dx) < 1e-8
assert np.allclose(tanh_forward(np.array([-800.0, 800.0]))[0], [-1.0, 1.0])
print("tanh: visible checks passed")

### BEGIN HIDDEN TESTS
from autograder.checks.foundations import check_tanh
check_tanh(tanh_forward, tanh_backward)
### END HIDDEN TESTS

# %% [markdown] id="md-leaky"
# ### Leaky ReLU
#
# ReLU itself comes with `cs_utils.layers` (`relu_forward`, `relu_backward`). Its leaky version lets a
# small fraction $\alpha$ of the signal (and of the gradient) through for negative inputs. The
# backward pass needs $\alpha$, so keep it in the cache.

# %% id="leaky-relu" nbgrader={"grade": false, "grade_id": "leaky_relu", "locked": false, "schema_version": 3, "solution": true, "task": false}
def leaky_relu_forward(x, alpha=0.01):
    """Leaky ReLU, elementwise: out = x where x > 0, alpha * x elsewhere.

    Inputs:
    - x: float array of any shape.
    - alpha: float, the slope for x <= 0 (default 0.01).

    Returns a tuple of:
    - out: float array of x's shape.
    - cache: whatever leaky_relu_backward needs (x and alpha).
    """
    ### BEGIN SOLUTION
    out = np.where(x > 0, x, alpha * x)
    cache = (x, alpha)
    ### END SOLUTION
    return out, cache


def leaky_relu_backward(dout, cache):
    """Backward pass of leaky_relu_forward: dx = dout where x > 0, alpha * dout elsewhere.

    Inputs:
    - dout: float array, upstream gradient, same shape as x.
    - cache: from leaky_relu_forward.

    Returns:
    - dx: float array of x's shape.
    """
    ### BEGIN SOLUTION
    x, alpha = cache
    dx = np.where(x > 0, dout, alpha * dout)
    ### END SOLUTION
    return dx


# %% id="test-leaky-relu" nbgrader={"grade": true, "grade_id": "test_leaky_relu", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
x = np.array([[-3.0, -0.5, 0.25, 2.0], [-1.0, 0.75, -0.1, 4.0]])
dout = np.array([[1.0, -2.0, 0.5, 1.5], [0.5, 1.0, -1.0, 2.0]])
expected = {0.01: np.array([[-0.03, -0.005, 0.25, 2.0], [-0.01, 0.75, -0.001, 4.0]]),
            0.2: np.array([[-0.6, -0.1, 0.25, 2.0], [-0.2, 0.75, -0.02, 4.0]])}
for alpha, expected_out in expected.items():
    out, cache = leaky_relu_forward(x) if alpha == 0.01 else leaky_relu_forward(x, alpha)
    numerical_dx = eval_numerical_gradient_array(lambda v: leaky_relu_forward(v, alpha)[0], x.copy(), dout)
    print(f"alpha={alpha}: forward error {rel_error(out, expected_out):.2e}, "
          f"backward error {rel_error(leaky_relu_backward(dout, cache), numerical_dx):.2e}")
    assert rel_error(out, expected_out) < 1e-9
    assert rel_error(leaky_relu_backward(dout, cache), numerical_dx) < 1e-8
print("leaky_relu: visible checks passed")

### BEGIN HIDDEN TESTS
from autograder.checks.foundations import check_leaky_relu
check_leaky_relu(leaky_relu_forward, leaky_relu_backward)
### END HIDDEN TESTS

# %% [markdown] id="md-prelu"
# ### PReLU
#
# The parametric ReLU learns the slope: feature $j$ of an input batch `x` of shape `(N, D)` has its
# own slope $\alpha_j$, so `alpha` has shape `(D,)`. Besides `dx`, the backward pass returns the
# gradient of the loss with respect to each slope. Since $\partial(\alpha_j x_{ij})/\partial\alpha_j
# = x_{ij}$ and the slope is only used where $x_{ij} \le 0$,
# $$\frac{\partial L}{\partial \alpha_j} = \sum_{i:\, x_{ij} \le 0} \text{dout}_{ij}\; x_{ij},$$
# a sum over the examples of the batch (the same slope served all of them).

# %% id="prelu" nbgrader={"grade": false, "grade_id": "prelu", "locked": false, "schema_version": 3, "solution": true, "task": false}
def prelu_forward(x, alpha):
    """Parametric ReLU: out[i, j] = x[i, j] if x[i, j] > 0 else alpha[j] * x[i, j].

    Inputs:
    - x: float array (N, D).
    - alpha: float array (D,), one slope per feature. Not modified.

    Returns a tuple of:
    - out: float array (N, D).
    - cache: whatever prelu_backward needs (x and alpha).
    """
    ### BEGIN SOLUTION
    out = np.where(x > 0, x, alpha * x)
    cache = (x, alpha)
    ### END SOLUTION
    return out, cache


def prelu_backward(dout, cache):
    """Backward pass of prelu_forward.

    Inputs:
    - dout: float array (N, D), upstream gradient.
    - cache: from prelu_forward.

    Returns a tuple of:
    - dx: float array (N, D).
    - dalpha: float array (D,), summed over the N examples.
    """
    ### BEGIN SOLUTION
    x, alpha = cache
    negative = x <= 0
    dx = np.where(negative, alpha * dout, dout)
    dalpha = np.sum(dout * x * negative, axis=0)
    ### END SOLUTION
    return dx, dalpha


# %% id="test-prelu" nbgrader={"grade": true, "grade_id": "test_prelu", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
x = np.array([[-3.0, -0.5, 0.25, 2.0], [-1.0, 0.75, -0.1, 4.0]])
alpha = np.array([0.1, 0.2, 0.3, 0.4])
dout = np.array([[1.0, -2.0, 0.5, 1.5], [0.5, 1.0, -1.0, 2.0]])
out, cache = prelu_forward(x, alpha)
expected_out = np.array([[-0.3, -0.1, 0.25, 2.0], [-0.1, 0.75, -0.03, 4.0]])
dx, dalpha = prelu_backward(dout, cache)
numerical_dx = eval_numerical_gradient_array(lambda v: prelu_forward(v, alpha)[0], x.copy(), dout)
numerical_dalpha = eval_numerical_gradient_array(lambda v: prelu_forward(x, v)[0], alpha.copy(), dout)
print("forward error:", rel_error(out, expected_out))
print("dx error:     ", rel_error(dx, numerical_dx))
print("dalpha:       ", dalpha, "expected", np.array([-3.5, 1.0, 0.1, 0.0]))
print("dalpha error: ", rel_error(dalpha, numerical_dalpha))
assert rel_error(out, expected_out) < 1e-9
assert rel_error(dx, numerical_dx) < 1e-8
assert dalpha.shape == (4,) and rel_error(dalpha, numerical_dalpha) < 1e-8
print("prelu: visible checks passed")

### BEGIN HIDDEN TESTS
from autograder.checks.foundations import check_prelu
check_prelu(prelu_forward, prelu_backward)
### END HIDDEN TESTS

# %% [markdown] id="md-elu"
# ### ELU
#
# The exponential linear unit is the identity for $x > 0$ and $\alpha(e^x - 1)$ below, which tends
# to $-\alpha$ for $x \to -\infty$. Its derivative there, $\alpha e^x$, equals `out + alpha`, so the
# output is again a useful cache. With `np.where` both branches are evaluated everywhere, so
# `np.exp(x)` of a large positive `x` overflows (a harmless warning, the branch is discarded); taking
# `np.exp(np.minimum(x, 0))` avoids even that.

# %% id="elu" nbgrader={"grade": false, "grade_id": "elu", "locked": false, "schema_version": 3, "solution": true, "task": false}
def elu_forward(x, alpha=1.0):
    """Exponential linear unit, elementwise: x where x > 0, alpha * (exp(x) - 1) elsewhere.

    Inputs:
    - x: float array of any shape.
    - alpha: float > 0, the value the output approaches for x -> -inf is -alpha (default 1.0).

    Returns a tuple of:
    - out: float array of x's shape.
    - cache: whatever elu_backward needs.
    """
    ### BEGIN SOLUTION
    out = np.where(x > 0, x, alpha * np.expm1(np.minimum(x, 0)))
    cache = (x, out, alpha)
    ### END SOLUTION
    return out, cache


def elu_backward(dout, cache):
    """Backward pass of elu_forward: dx = dout where x > 0, dout * alpha * exp(x) elsewhere.

    Inputs:
    - dout: float array, upstream gradient, same shape as x.
    - cache: from elu_forward.

    Returns:
    - dx: float array of x's shape.
    """
    ### BEGIN SOLUTION
    x, out, alpha = cache
    dx = np.where(x > 0, dout, dout * (out + alpha))
    ### END SOLUTION
    return dx


# %% id="test-elu" nbgrader={"grade": true, "grade_id": "test_elu", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
x = np.array([[-3.0, -0.5, 0.25, 2.0], [-1.0, 0.75, -0.1, 4.0]])
dout = np.array([[1.0, -2.0, 0.5, 1.5], [0.5, 1.0, -1.0, 2.0]])
expected = {1.0: np.array([[-0.950212931632, -0.393469340287, 0.25, 2.0],
                           [-0.632120558829, 0.75, -0.095162581964, 4.0]]),
            0.5: np.array([[-0.475106465816, -0.196734670144, 0.25, 2.0],
                           [-0.316060279414, 0.75, -0.047581290982, 4.0]])}
for alpha, expected_out in expected.items():
    out, cache = elu_forward(x) if alpha == 1.0 else elu_forward(x, alpha)
    numerical_dx = eval_numerical_gradient_array(lambda v: elu_forward(v, alpha)[0], x.copy(), dout)
    print(f"alpha={alpha}: forward error {rel_error(out, expected_out):.2e}, "
          f"backward error {rel_error(elu_backward(dout, cache), numerical_dx):.2e}")
    assert rel_error(out, expected_out) < 1e-9
    assert rel_error(elu_backward(dout, cache), numerical_dx) < 1e-8
print("elu: visible checks passed")

### BEGIN HIDDEN TESTS
from autograder.checks.foundations import check_elu
check_elu(elu_forward, elu_backward)
### END HIDDEN TESTS

# %% [markdown] id="md-maxout"
# ### Maxout
#
# A maxout unit is not applied to a given pre-activation: it *is* the layer. Each of its $M$ outputs
# is the larger of two affine functions of the input,
# `out = np.maximum(x @ w1 + b1, x @ w2 + b2)`. ReLU is the special case $w_2 = 0, b_2 = 0$. In the
# backward pass each output's gradient goes entirely to the piece that was larger (the other piece
# did not influence the output), so remember which one won.

# %% id="maxout" nbgrader={"grade": false, "grade_id": "maxout", "locked": false, "schema_version": 3, "solution": true, "task": false}
def maxout_forward(x, w1, b1, w2, b2):
    """Maxout layer with two pieces: out = max(x @ w1 + b1, x @ w2 + b2), elementwise.

    Inputs:
    - x: float array (N, D).
    - w1, w2: float arrays (D, M).
    - b1, b2: float arrays (M,).

    Returns a tuple of:
    - out: float array (N, M).
    - cache: whatever maxout_backward needs.
    """
    ### BEGIN SOLUTION
    first, second = x @ w1 + b1, x @ w2 + b2
    out = np.maximum(first, second)
    cache = (x, w1, w2, first >= second)
    ### END SOLUTION
    return out, cache


def maxout_backward(dout, cache):
    """Backward pass of maxout_forward.

    Inputs:
    - dout: float array (N, M), upstream gradient.
    - cache: from maxout_forward.

    Returns a tuple of:
    - dx: float array (N, D).
    - dw1, dw2: float arrays (D, M).
    - db1, db2: float arrays (M,).
    Order: (dx, dw1, db1, dw2, db2).
    """
    ### BEGIN SOLUTION
    x, w1, w2, first_won = cache
    dfirst, dsecond = dout * first_won, dout * ~first_won
    dx = dfirst @ w1.T + dsecond @ w2.T
    dw1, db1 = x.T @ dfirst, dfirst.sum(axis=0)
    dw2, db2 = x.T @ dsecond, dsecond.sum(axis=0)
    ### END SOLUTION
    return dx, dw1, db1, dw2, db2


# %% id="test-maxout" nbgrader={"grade": true, "grade_id": "test_maxout", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
x = np.array([[1.0, -2.0], [0.5, 0.5], [-1.0, 3.0]])
w1 = np.array([[1.0, -1.0, 0.5], [0.5, 2.0, -1.0]])
b1 = np.array([0.0, 0.5, -0.5])
w2 = np.array([[-1.0, 1.0, 0.0], [1.0, 0.5, 1.0]])
b2 = np.array([0.5, 0.0, 0.0])
out, cache = maxout_forward(x, w1, b1, w2, b2)
expected_out = np.array([[0.0, 0.0, 2.0], [0.75, 1.0, 0.5], [4.5, 7.5, 3.0]])
print("forward error:", rel_error(out, expected_out))
assert rel_error(out, expected_out) < 1e-9

dout = np.array([[1.0, -2.0, 0.5], [0.5, 1.0, -1.0], [2.0, 0.25, 1.5]])
inputs = [x, w1, b1, w2, b2]
for index, (name, grad) in enumerate(zip(["dx", "dw1", "db1", "dw2", "db2"], maxout_backward(dout, cache))):
    def forward_of(value, index=index):
        args = list(inputs)
        args[index] = value
        return maxout_forward(*args)[0]
    numerical = eval_numerical_gradient_array(forward_of, inputs[index].copy(), dout)
    print(f"{name} error: {rel_error(grad, numerical):.2e}")
    assert rel_error(grad, numerical) < 1e-8
print("maxout: visible checks passed")

### BEGIN HIDDEN TESTS
from autograder.checks.foundations import check_maxout
check_maxout(maxout_forward, maxout_backward)
### END HIDDEN TESTS

# %% [markdown] id="md-saturation"
# ### How much gradient gets through?
#
# Here are the six activations and their local gradients (maxout is drawn as the maximum of the two
# lines $x$ and $-0.5x + 1$). Below the plot, each activation's backward pass is fed inputs
# $x \sim \mathcal N(0, s^2)$ of growing spread $s$ with `dout = 1`, which returns exactly the local
# gradient: the table gives its mean and the fraction of inputs where it is below $10^{-3}$ (a
# saturated unit).

# %% id="saturation"
xs = np.linspace(-6, 6, 601)
curves = {
    "sigmoid": (sigmoid_forward, sigmoid_backward, {}),
    "tanh": (tanh_forward, tanh_backward, {}),
    "ReLU": (relu_forward, relu_backward, {}),
    "leaky ReLU (0.1)": (leaky_relu_forward, leaky_relu_backward, {"alpha": 0.1}),
    "ELU": (elu_forward, elu_backward, {}),
}
fig, (ax_f, ax_g) = plt.subplots(1, 2, figsize=(14, 4))
for name, (forward, backward, kwargs) in curves.items():
    out, cache = forward(xs, **kwargs)
    ax_f.plot(xs, out, label=name)
    ax_g.plot(xs, backward(np.ones_like(xs), cache), label=name)
maxout_out, maxout_cache = maxout_forward(xs[:, None], np.ones((1, 1)), np.zeros(1), -0.5 * np.ones((1, 1)), np.ones(1))
ax_f.plot(xs, maxout_out[:, 0], "k--", label="maxout(x, -0.5x + 1)")
ax_g.plot(xs, maxout_backward(np.ones((len(xs), 1)), maxout_cache)[0][:, 0], "k--", label="maxout: d/dx")
ax_f.set(title="activation f(x)", xlabel="x", ylim=(-2, 4))
ax_g.set(title="local gradient f'(x)", xlabel="x")
for ax in (ax_f, ax_g):
    ax.axhline(0, color="gray", lw=0.5)
    ax.legend(fontsize=8)
plt.tight_layout()
show()

rng = np.random.default_rng(0)
print(f"{'activation':<18}" + "".join(f"{f'spread s={s}':>26}" for s in (1, 5, 20)))
print(f"{'':<18}" + "".join(f"{'mean grad / saturated':>26}" for _ in range(3)))
for name, (forward, backward, kwargs) in curves.items():
    row = f"{name:<18}"
    for spread in (1, 5, 20):
        local = backward(np.ones(100000), forward(spread * rng.standard_normal(100000), **kwargs)[1])
        row += f"{np.mean(local):>17.3f} / {np.mean(local < 1e-3):>5.1%}"
    print(row)


# %% [markdown] id="md-saturation-read"
# Read the table row by row (the numbers quoted here are those of the full run). Sigmoid never
# passes back more than a quarter of the gradient (a mean of 0.21 for $s = 1$), and once the inputs
# spread out, more and more units saturate: about a sixth at $s = 5$ and three quarters at
# $s = 20$, where the mean local gradient is 0.02. Stack ten such layers and the gradient shrinks by
# orders of magnitude. Tanh is better near zero (0.60) but saturates the same way (41% and 84%). ReLU and its relatives pass the full gradient for every positive input whatever its
# size; plain ReLU passes nothing for the negative half, which is where leaky ReLU, PReLU and ELU
# keep a little.
#
# ### Dead ReLUs
#
# A ReLU unit whose pre-activation is negative for *every* training example gets no gradient at
# all, so nothing can ever change its weights: it is dead for good. The usual causes are a bad
# initialization (for example biases that start negative) or a learning rate so large that one
# update throws the weights into that region. Below, the hidden layer of a two-layer net from
# `cs_utils.fc_net` is initialized with He weights and a bias of 0, -1, -3 or -6, and we count the
# units that are off for every training image, before and after two epochs of training.

# %% id="dead-relus"
def dead_fraction(model, X):
    """Fraction of the first hidden layer's ReLUs that are off for every row of X."""
    pre_activation, _ = affine_forward(X, model.params["W1"], model.params["b1"])
    return float(np.mean(np.all(pre_activation <= 0, axis=0)))


print(f"{'initial bias':>12} {'dead at start':>14} {'dead after training':>20} {'val accuracy':>13}")
for bias in (0.0, -1.0, -3.0, -6.0):
    model = FullyConnectedNet([100], NUM_FEATURES, NUM_CLASSES, seed=0)
    model.params["W1"] = np.random.default_rng(0).standard_normal((NUM_FEATURES, 100)) * math.sqrt(2 / NUM_FEATURES)
    model.params["b1"] = np.full(100, bias)
    dead_before = dead_fraction(model, data["X_train"])
    solver = Solver(model, data, sgd_momentum, optim_config={"learning_rate": 1e-2}, num_epochs=2,
                    batch_size=50, verbose=False, progress=False, seed=0)
    solver.train()
    print(f"{bias:>12} {dead_before:>14.0%} {dead_fraction(model, data['X_train']):>20.0%} "
          f"{solver.best_val_acc:>13.3f}")


# %% [markdown] id="md-dead-read"
# The dead units stay dead: training cannot revive a unit that never receives a gradient, so the
# net simply has fewer units than it was built with. A zero (or slightly positive) bias and a
# sensible weight scale avoid this; so does a leaky variant.

# %% [markdown] id="q-zero-centred" nbgrader={"grade": false, "grade_id": "q_zero_centred_prompt", "locked": true, "schema_version": 3, "solution": false, "task": false}
# **Question.** A sigmoid layer feeds its outputs $h$ (all positive) into the next layer,
# $a = w^\top h + b$. What can you say about the signs of the entries of $\partial L / \partial w$
# for one example? Why does that slow down gradient descent, and why does tanh not have this
# problem?

# %% [markdown] id="q-zero-centred-answer" nbgrader={"grade": true, "grade_id": "q_zero_centred", "locked": false, "points": 2, "schema_version": 3, "solution": true, "task": false}
# $\partial L/\partial w_i = (\partial L/\partial a)\, h_i$. For one example
# $\partial L/\partial a$ is a single number and every $h_i > 0$, so **all entries of the gradient
# have the same sign** (the sign of $\partial L/\partial a$): the update can only increase all
# weights together or decrease them all together. If the best direction needs some weights up and
# others down, gradient descent has to get there by a zig-zag of all-up and all-down steps, which
# is slow. (Averaging over a minibatch softens this, but the bias towards such directions remains.)
# Tanh outputs are centred around zero, positive and negative, so the signs of the gradient entries
# are mixed and any direction can be followed directly. The same argument is why we centre the
# input data.

# %% [markdown] id="md-init"
# ## 2. Weight initialization
#
# What scale should the initial weights have? Consider one layer $a_j = \sum_{i=1}^{n} w_{ij} h_i$
# with $n$ = `fan_in` inputs, independent zero-mean weights of variance $\mathrm{Var}(w)$ and inputs
# independent of them. Then
# $$\mathrm{Var}(a_j) = n\, \mathrm{Var}(w)\, \mathbb E[h_i^2].$$
# - **Xavier** (Glorot and Bengio, 2010): choose $\mathrm{Var}(w) = 1/n$. For a unit that behaves
#   like the identity near zero (tanh), the variance is then kept from layer to layer.
# - **He** (He et al., 2015): a ReLU zeroes half of its inputs, so $\mathbb E[h^2] =
#   \tfrac12 \mathrm{Var}(a)$ of the layer below; to compensate choose $\mathrm{Var}(w) = 2/n$.
#
# Any zero-mean distribution with that variance will do: `rng.standard_normal(shape) / sqrt(fan_in)`,
# or a uniform on $[-\ell, \ell]$ with $\ell^2/3$ equal to the variance. (Glorot and Bengio's own
# version averages fan-in and fan-out, $2/(n_\text{in} + n_\text{out})$; here we use the fan-in form.)
# Draw from the `rng` you are given, so that a seed reproduces the weights.

# %% id="xavier-init" nbgrader={"grade": false, "grade_id": "xavier_init", "locked": false, "schema_version": 3, "solution": true, "task": false}
def xavier_init(fan_in, fan_out, rng):
    """Xavier initialization: independent zero-mean weights with variance 1 / fan_in.

    Inputs:
    - fan_in: int, number of inputs of the layer.
    - fan_out: int, number of outputs of the layer.
    - rng: numpy.random.Generator to draw from.

    Returns:
    - W: float64 array (fan_in, fan_out).
    """
    ### BEGIN SOLUTION
    W = rng.standard_normal((fan_in, fan_out)) / math.sqrt(fan_in)
    ### END SOLUTION
    return W


# %% id="test-xavier-init" nbgrader={"grade": true, "grade_id": "test_xavier_init", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
W = xavier_init(400, 300, np.random.default_rng(0))
print("shape, dtype:", W.shape, W.dtype)
print(f"mean {W.mean():.2e}, variance {W.var():.5f} (expected 1 / 400 = {1 / 400:.5f})")
assert W.shape == (400, 300) and W.dtype == np.float64
assert abs(W.var() * 400 - 1) < 0.03 and abs(W.mean()) < 1e-3
assert np.array_equal(W, xavier_init(400, 300, np.random.default_rng(0))), "draw from rng"
print("xavier_init: visible checks passed")

### BEGIN HIDDEN TESTS
from autograder.checks.foundations import check_xavier_init
check_xavier_init(xavier_init)
### END HIDDEN TESTS

# %% id="he-init" nbgrader={"grade": false, "grade_id": "he_init", "locked": false, "schema_version": 3, "solution": true, "task": false}
def he_init(fan_in, fan_out, rng):
    """He initialization for ReLU layers: independent zero-mean weights with variance 2 / fan_in.

    Inputs:
    - fan_in: int, number of inputs of the layer.
    - fan_out: int, number of outputs of the layer.
    - rng: numpy.random.Generator to draw from.

    Returns:
    - W: float64 array (fan_in, fan_out).
    """
    ### BEGIN SOLUTION
    W = rng.standard_normal((fan_in, fan_out)) * math.sqrt(2.0 / fan_in)
    ### END SOLUTION
    return W


# %% id="test-he-init" nbgrader={"grade": true, "grade_id": "test_he_init", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
W = he_init(400, 300, np.random.default_rng(0))
print("shape, dtype:", W.shape, W.dtype)
print(f"mean {W.mean():.2e}, variance {W.var():.5f} (expected 2 / 400 = {2 / 400:.5f})")
assert W.shape == (400, 300) and W.dtype == np.float64
assert abs(W.var() * 200 - 1) < 0.03 and abs(W.mean()) < 1e-3
assert np.array_equal(W, he_init(400, 300, np.random.default_rng(0))), "draw from rng"
print("he_init: visible checks passed")

### BEGIN HIDDEN TESTS
from autograder.checks.foundations import check_he_init
check_he_init(he_init)
### END HIDDEN TESTS

# %% [markdown] id="md-ten-layers"
# ### The 10-layer experiment
#
# Now the experiment from the lecture: push a batch of random inputs (`STACK_EXAMPLES` examples,
# standard normal)
# through 10 layers of `WIDTH` units with zero biases, for tanh and ReLU and four initializations:
# weights $0.01 \cdot \mathcal N(0,1)$ ("small"), $\mathcal N(0,1)$ ("large"), Xavier and He. A
# softmax output layer with random labels on top gives a loss, and its gradient is propagated back
# to every layer, using your `tanh_backward` and `cs_utils`' `relu_backward`.

# %% id="ten-layers"
def small_init(fan_in, fan_out, rng):
    return 0.01 * rng.standard_normal((fan_in, fan_out))


def large_init(fan_in, fan_out, rng):
    return rng.standard_normal((fan_in, fan_out))


ACTIVATIONS = {"tanh": (tanh_forward, tanh_backward), "ReLU": (relu_forward, relu_backward)}
INITS = {"small": small_init, "large": large_init, "Xavier": xavier_init, "He": he_init}
NUM_LAYERS = 10


def run_deep_stack(activation, init, seed=0):
    """Forward and backward through NUM_LAYERS layers; returns activations and weight-gradient norms."""
    forward, backward = ACTIVATIONS[activation]
    rng = np.random.default_rng(seed)
    h = rng.standard_normal((STACK_EXAMPLES, WIDTH))
    labels = rng.integers(0, 10, size=STACK_EXAMPLES)
    activations, caches = [], []
    for _ in range(NUM_LAYERS):
        a, affine_cache = affine_forward(h, init(WIDTH, WIDTH, rng), np.zeros(WIDTH))
        h, activation_cache = forward(a)
        activations.append(h)
        caches.append((affine_cache, activation_cache))
    scores, output_cache = affine_forward(h, xavier_init(WIDTH, 10, rng), np.zeros(10))
    _, dscores = softmax_loss(scores, labels)
    dh, _, _ = affine_backward(dscores, output_cache)
    grad_norms = []
    for affine_cache, activation_cache in reversed(caches):
        dh, dw, _ = affine_backward(backward(dh, activation_cache), affine_cache)
        grad_norms.append(np.linalg.norm(dw))
    return activations, grad_norms[::-1]


with np.errstate(over="ignore", invalid="ignore"):
    stack_runs = {(activation, init_name): run_deep_stack(activation, init)
                  for activation in ACTIVATIONS for init_name, init in INITS.items()}

fig, axes = plt.subplots(1, 3, figsize=(16, 4))
for (activation, init_name), (activations, grad_norms) in stack_runs.items():
    style = "-" if activation == "tanh" else "--"
    layers = np.arange(1, NUM_LAYERS + 1)
    axes[0].plot(layers, [h.mean() for h in activations], style, marker="o", label=f"{activation}, {init_name}")
    axes[1].semilogy(layers, [max(h.std(), 1e-30) for h in activations], style, marker="o")
    axes[2].semilogy(layers, np.maximum(grad_norms, 1e-30), style, marker="o")
axes[0].set(title="mean of the activations", xlabel="layer")
axes[1].set(title="std of the activations (log)", xlabel="layer")
axes[2].set(title="norm of dL/dW per layer (log)", xlabel="layer")
axes[0].legend(fontsize=7, ncol=2)
plt.tight_layout()
show()

print(f"{'activation, init':<18} {'std layer 1':>12} {'std layer 10':>13} {'|dW| layer 1':>13} {'|dW| layer 10':>14}")
for (activation, init_name), (activations, grad_norms) in stack_runs.items():
    print(f"{activation + ', ' + init_name:<18} {activations[0].std():>12.3g} {activations[-1].std():>13.3g} "
          f"{grad_norms[0]:>13.3g} {grad_norms[-1]:>14.3g}")

# %% [markdown] id="md-histograms"
# The histograms show the whole distribution of the activations in layers 1, 4, 7 and 10 (only 1
# and 10 in grading mode; one row per setting; every panel has its own x range).

# %% id="histograms"
shown_layers = [1, 10] if GRADING else [1, 4, 7, 10]
fig, axes = plt.subplots(len(stack_runs), len(shown_layers), figsize=(13, 1.7 * len(stack_runs)),
                         gridspec_kw={"hspace": 0.45, "wspace": 0.15})
for row, ((activation, init_name), (activations, _)) in zip(axes, stack_runs.items()):
    for ax, layer in zip(row, shown_layers):
        values = activations[layer - 1].ravel()
        ax.hist(values[np.isfinite(values)], bins=30, color="tab:blue" if activation == "tanh" else "tab:orange")
        ax.set_yticks([])
        ax.tick_params(labelsize=7)
        if ax is row[0]:
            ax.set_ylabel(f"{activation}\n{init_name}", fontsize=9)
        if row is axes[0]:
            ax.set_title(f"layer {layer}")
show()


# %% [markdown] id="md-ten-layers-read"
# What the numbers say (read them off the table above; they hold for every width):
#
# - **small**: each layer multiplies the spread by about $0.01\sqrt{\text{WIDTH}}$ (0.16 for 250
#   units), far below 1, so the activations collapse to zero within a few layers (a std of about
#   $10^{-8}$ to $10^{-10}$ at layer 10 in the full run). The weight gradients of *every* layer are
#   then tiny too (about $10^{-8}$ for tanh, $10^{-9}$ for ReLU), because each is the product of a
#   tiny activation and a tiny backpropagated gradient.
# - **large**: tanh units are pushed into saturation, the histograms pile up at $-1$ and $+1$; the
#   few unsaturated units still pass gradient, and the large weights multiply it at every layer on
#   the way down, so the first layer's gradient is thousands of times larger than the last one's.
#   ReLU activations grow by a factor of about $\sqrt{\text{WIDTH}/2}$ per layer (about 11) and the
#   gradients explode with them.
# - **Xavier**: tanh keeps a healthy, slowly shrinking spread through all ten layers. With ReLU the
#   same weights halve the variance at every layer (half the units are zero), so the spread decays
#   by roughly $\sqrt 2$ per layer.
# - **He**: the factor 2 makes up for that halving, and the ReLU activations keep their scale from
#   the first layer to the last.
#
# ### Which ones train?
#
# Statistics at initialization are one thing; what matters is whether the net learns. Below, a
# 10-layer net (9 hidden layers of `DEEP_WIDTH` units) with each activation and initialization is
# trained on the digits with the same `Solver`, update rule and learning rate, and we print the loss
# at the start and end, the norm of the first layer's gradient at the start, and the final accuracies.

# %% id="deep-training"
class DeepNet:
    """Fully connected net {affine - activation} x (L - 1) - affine - softmax, with a chosen init.

    Same interface as cs_utils' FullyConnectedNet (params, loss), so the Solver can train it.
    """

    def __init__(self, dims, activation, init, seed=0):
        rng = np.random.default_rng(seed)
        self.forward, self.backward = ACTIVATIONS[activation]
        self.num_layers = len(dims) - 1
        self.params = {}
        for layer, (fan_in, fan_out) in enumerate(zip(dims[:-1], dims[1:]), start=1):
            self.params[f"W{layer}"] = init(fan_in, fan_out, rng)
            self.params[f"b{layer}"] = np.zeros(fan_out)

    def loss(self, X, y=None):
        h, caches = X, []
        for layer in range(1, self.num_layers):
            a, affine_cache = affine_forward(h, self.params[f"W{layer}"], self.params[f"b{layer}"])
            h, activation_cache = self.forward(a)
            caches.append((affine_cache, activation_cache))
        last = self.num_layers
        scores, output_cache = affine_forward(h, self.params[f"W{last}"], self.params[f"b{last}"])
        if y is None:
            return scores
        loss, dscores = softmax_loss(scores, y)
        grads = {}
        dh, grads[f"W{last}"], grads[f"b{last}"] = affine_backward(dscores, output_cache)
        for layer in range(last - 1, 0, -1):
            affine_cache, activation_cache = caches[layer - 1]
            dh, grads[f"W{layer}"], grads[f"b{layer}"] = affine_backward(self.backward(dh, activation_cache),
                                                                         affine_cache)
        return loss, grads


deep_dims = [NUM_FEATURES] + [DEEP_WIDTH] * 9 + [NUM_CLASSES]
print(f"{'activation, init':<18} {'loss at start':>14} {'|dW1| at start':>15} {'loss at end':>12} "
      f"{'train acc':>10} {'val acc':>8}")
deep_results = {}
for activation in ACTIVATIONS:
    for init_name, init in INITS.items():
        model = DeepNet(deep_dims, activation, init)
        start_loss, start_grads = model.loss(data["X_train"][:200], data["y_train"][:200])
        solver = Solver(model, data, sgd_momentum, optim_config={"learning_rate": 1e-2}, num_epochs=DEEP_EPOCHS,
                        batch_size=50, verbose=False, progress=False, seed=0)
        with np.errstate(over="ignore", invalid="ignore"):
            solver.train()
        deep_results[activation, init_name] = solver
        print(f"{activation + ', ' + init_name:<18} {start_loss:>14.3g} {np.linalg.norm(start_grads['W1']):>15.3g} "
              f"{solver.loss_history[-1]:>12.3g} {solver.train_acc_history[-1]:>10.3f} {solver.val_acc_history[-1]:>8.3f}")


# %% [markdown] id="md-deep-training-read"
# In the full run (5 epochs, width 100) the small initialization does not train at all: the
# first-layer gradient is $2 \cdot 10^{-9}$ (tanh) or $3 \cdot 10^{-11}$ (ReLU), the loss stays at $\ln 10 \approx 2.30$ and
# the accuracy at chance. The large one starts from a huge loss; with ReLU the activations overflow
# and the loss becomes `nan`, with tanh the saturated net crawls (26% training accuracy after 5
# epochs). Xavier trains tanh well (99%) but trains the ReLU net visibly slower (89% against 99%
# with He), with a first-layer gradient almost 30 times smaller than He's. He trains both. (In grading mode the nets are much smaller and see one epoch, so the numbers
# differ.)

# %% [markdown] id="q-he-factor" nbgrader={"grade": false, "grade_id": "q_he_factor_prompt", "locked": true, "schema_version": 3, "solution": false, "task": false}
# **Question.** Using $\mathrm{Var}(a) = n\,\mathrm{Var}(w)\,\mathbb E[h^2]$, explain why
# Xavier initialization keeps the activations of a deep tanh net at a stable scale but not those of
# a ReLU net, and where the factor 2 of He initialization comes from. What happens to the gradient
# of the first layer in a deep ReLU net initialized with Xavier, and why does that slow training?

# %% [markdown] id="q-he-factor-answer" nbgrader={"grade": true, "grade_id": "q_he_factor", "locked": false, "points": 2, "schema_version": 3, "solution": true, "task": false}
# For tanh, near zero $\tanh a \approx a$, so $\mathbb E[h^2] \approx \mathrm{Var}(a_\text{below})$
# and with $\mathrm{Var}(w) = 1/n$ each layer reproduces the variance of the one below (slightly
# less, because tanh squashes). For a ReLU, $h = \max(0, a)$ with $a$ symmetric around 0 gives
# $\mathbb E[h^2] = \tfrac12 \mathrm{Var}(a_\text{below})$: half the units are zero. With
# $\mathrm{Var}(w) = 1/n$ the variance therefore halves at every layer, and after 10 layers it is
# $2^{-10} \approx 10^{-3}$ of the input variance (the std falls by $\sqrt 2$ per layer, as in the
# plot). Choosing $\mathrm{Var}(w) = 2/n$ cancels the $\tfrac12$ exactly: that is He's factor 2.
#
# The backward pass has the same structure (multiply by $W^\top$, then zero half of the entries), so
# with Xavier the gradient shrinks by about the same factor on its way down to the first layer. The
# first layers then get tiny updates compared with the last ones: they learn much more slowly, and the net as a
# whole trains more slowly, as the table shows.

# %% [markdown] id="md-preprocessing"
# ## 3. Data preprocessing
#
# Inputs on very different scales, or all far from zero, make the loss surface badly conditioned and
# (as the question above showed) bias the directions of the first layer's updates. The usual fixes,
# for an `(N, D)` data matrix:
#
# - **center**: subtract the mean of every feature, $x - \mu$;
# - **standardize**: also divide every feature by its standard deviation, $(x - \mu) / (\sigma + \epsilon)$;
# - **whiten** (PCA whitening): rotate the centred data onto the eigenvectors $U$ of its covariance
#   $\Sigma = \tfrac1N X_c^\top X_c = U \Lambda U^\top$, in order of *decreasing* eigenvalue, and
#   divide each component by $\sqrt{\lambda_k + \epsilon}$. The result has (nearly) the identity
#   as covariance; $\epsilon$ keeps directions with (almost) no variance from being blown up.
#
# The statistics ($\mu$, $\sigma$, $U$, $\Lambda$) are **fitted on the training set only** and then
# applied unchanged to the training, validation and test data: a model in production sees one new
# example at a time and must process it with statistics it already has. So the exercise comes in two
# halves: `fit_preprocessing(X_train, mode)` returns the statistics, and `apply_preprocessing(X,
# stats)` applies them. `np.linalg.eigh` gives the eigen-decomposition of a symmetric matrix, with
# eigenvalues in *increasing* order. (For images one usually stops at centring: pixels already share
# a scale, and a covariance of 3072 x 3072 pixels is costly.)

# %% id="preprocessing" nbgrader={"grade": false, "grade_id": "preprocessing", "locked": false, "schema_version": 3, "solution": true, "task": false}
def fit_preprocessing(X_train, mode, epsilon=1e-5):
    """Fit the statistics of one preprocessing mode on the training data.

    Inputs:
    - X_train: float array (N, D), one example per row. Not modified.
    - mode: "center", "standardize" or "whiten"; anything else raises ValueError.
    - epsilon: float > 0, added to the standard deviation ("standardize") or to the eigenvalues
      inside the square root ("whiten"), so that features without variance stay finite.

    Returns:
    - stats: a dict with everything apply_preprocessing needs (the mode included).
    """
    ### BEGIN SOLUTION
    if mode not in ("center", "standardize", "whiten"):
        raise ValueError(f'mode must be "center", "standardize" or "whiten", got {mode!r}')
    mean = X_train.mean(axis=0)
    stats = {"mode": mode, "mean": mean}
    if mode == "standardize":
        stats["scale"] = X_train.std(axis=0) + epsilon
    elif mode == "whiten":
        centred = X_train - mean
        eigenvalues, eigenvectors = np.linalg.eigh(centred.T @ centred / len(X_train))
        order = np.argsort(eigenvalues)[::-1]
        eigenvalues = np.clip(eigenvalues[order], 0, None)  # round-off can make zero slightly negative
        stats["projection"] = eigenvectors[:, order] / np.sqrt(eigenvalues + epsilon)
    ### END SOLUTION
    return stats


def apply_preprocessing(X, stats):
    """Apply statistics from fit_preprocessing to data X.

    Inputs:
    - X: float array (M, D), any split (training, validation, test). Not modified.
    - stats: the dict returned by fit_preprocessing.

    Returns:
    - out: float64 array (M, D). For "whiten", column k is the k-th principal component (in order
      of decreasing variance), scaled to unit variance on the training data.
    """
    ### BEGIN SOLUTION
    out = X - stats["mean"]
    if stats["mode"] == "standardize":
        out = out / stats["scale"]
    elif stats["mode"] == "whiten":
        out = out @ stats["projection"]
    ### END SOLUTION
    return out


# %% id="test-preprocessing" nbgrader={"grade": true, "grade_id": "test_preprocessing", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false}
X_small = np.array([[1.0, 2.0], [3.0, 6.0], [5.0, 4.0], [7.0, 8.0]])
X_new = np.array([[2.0, 3.0], [6.0, 9.0]])
X_small_before = X_small.copy()
expected = {
    "center": np.array([[-2.0, -2.0], [2.0, 4.0]]),
    "standardize": np.array([[-0.894423191018, -0.894423191018], [0.894423191018, 1.788846382036]]),
    # Each principal component's sign is arbitrary, so whitening is compared in absolute value.
    "whiten": np.array([[0.9428085178, 0.0], [1.4142127767, 1.414206491358]]),
}
for mode, expected_out in expected.items():
    out = apply_preprocessing(X_new, fit_preprocessing(X_small, mode))
    if mode == "whiten":
        out = np.abs(out)
    print(f"{mode:<12} error on new data: {rel_error(out, expected_out):.2e}")
    assert rel_error(out, expected_out) < 1e-8
assert np.array_equal(X_small, X_small_before), "X_train was modified"

rng = np.random.default_rng(0)
X_corr = rng.standard_normal((2000, 3)) @ np.array([[3.0, 1.0, 0.0], [0.0, 1.0, 0.5], [0.0, 0.0, 0.2]]) + 4
white = apply_preprocessing(X_corr, fit_preprocessing(X_corr, "whiten"))
print("covariance of whitened training data:\n", np.round(np.cov(white, rowvar=False, bias=True), 4))
assert np.allclose(white.mean(axis=0), 0, atol=1e-10)
assert np.allclose(np.cov(white, rowvar=False, bias=True), np.eye(3), atol=1e-3)
try:
    fit_preprocessing(X_small, "zca")
    raise AssertionError('an unknown mode should raise ValueError')
except ValueError:
    pass
print("preprocessing: visible checks passed")

### BEGIN HIDDEN TESTS
from autograder.checks.foundations import check_preprocessing
check_preprocessing(fit_preprocessing, apply_preprocessing)
### END HIDDEN TESTS

# %% [markdown] id="md-preprocessing-plot"
# The classic picture, on 2-D data that is correlated and far from the origin: centring moves the
# cloud to the origin, standardizing gives both axes unit spread (the correlation remains), and
# whitening removes the correlation too, leaving a round cloud.

# %% id="preprocessing-plot"
rng = np.random.default_rng(1)
cloud = rng.standard_normal((500, 2)) @ np.array([[2.0, 1.2], [0.0, 0.5]]) + np.array([6.0, 3.0])
fig, axes = plt.subplots(1, 4, figsize=(16, 4))
panels = [("original", cloud)] + [(mode, apply_preprocessing(cloud, fit_preprocessing(cloud, mode)))
                                    for mode in ("center", "standardize", "whiten")]
for ax, (title, points) in zip(axes, panels):
    ax.scatter(points[:, 0], points[:, 1], s=4, alpha=0.5)
    ax.axhline(0, color="gray", lw=0.5)
    ax.axvline(0, color="gray", lw=0.5)
    ax.set(title=title, xlim=(-10, 10), ylim=(-10, 10), aspect="equal")
plt.tight_layout()
show()

# %% [markdown] id="md-leak"
# ### Fitting on more than the training set
#
# The classic mistake is to compute the statistics on the whole data set, validation (and test)
# examples included, before splitting. How much does that change a validation score? To measure
# only the effect of the preprocessing, we use a classifier with nothing to tune: **nearest class
# mean** (predict the class whose mean training image is closest in the preprocessed space). We
# draw `NUM_SPLITS` random splits of the raw digits into 100 training, 100 validation and the rest as
# *fresh* examples that no statistic ever sees (standing in for the data the model meets after
# deployment). The **honest** pipeline fits on the training set; the **leaky** one on training plus
# validation set. For each we print the validation accuracy, the accuracy on the fresh examples, and
# the difference between the two: the validation score is only useful if it predicts the fresh one.

# %% id="leak"
raw = load_dataset("digits", subtract_mean=False)
X_pool = np.concatenate([raw["X_train"], raw["X_val"], raw["X_test"]])
y_pool = np.concatenate([raw["y_train"], raw["y_val"], raw["y_test"]])


def nearest_mean_accuracy(X_train, y_train, X, y):
    """Accuracy of predicting the class whose mean training example is closest to each row of X."""
    means = np.stack([X_train[y_train == c].mean(axis=0) for c in range(NUM_CLASSES)])
    distances = ((X[:, None, :] - means[None, :, :]) ** 2).sum(axis=2)
    return float(np.mean(np.argmin(distances, axis=1) == y))


leak_results = {}
for mode in ("center", "standardize", "whiten"):
    for pipeline in ("honest", "leaky"):
        scores = []
        for seed in range(NUM_SPLITS):
            order = np.random.default_rng(seed).permutation(len(X_pool))
            train, val, fresh = order[:100], order[100:200], order[200:]
            fitted_on = train if pipeline == "honest" else np.concatenate([train, val])
            stats = fit_preprocessing(X_pool[fitted_on], mode)
            X_train_p = apply_preprocessing(X_pool[train], stats)
            scores.append([nearest_mean_accuracy(X_train_p, y_pool[train], apply_preprocessing(X_pool[part], stats),
                                                 y_pool[part]) for part in (val, fresh)])
        leak_results[mode, pipeline] = np.array(scores)

print(f"mean +- std over {NUM_SPLITS} splits")
print(f"{'mode':<12} {'pipeline':<8} {'val accuracy':>15} {'fresh accuracy':>16} {'val - fresh':>16}")
for (mode, pipeline), scores in leak_results.items():
    gap = scores[:, 0] - scores[:, 1]
    print(f"{mode:<12} {pipeline:<8} {scores[:, 0].mean():>8.3f} +- {scores[:, 0].std():.3f} "
          f"{scores[:, 1].mean():>9.3f} +- {scores[:, 1].std():.3f} {gap.mean():>+9.3f} +- {gap.std():.3f}")

# %% [markdown] id="md-leak-read"
# What the table says (full run, 20 splits):
#
# - Centring cannot change a nearest-mean classifier at all (shifting every point by the same
#   vector leaves all distances alone), so its two rows are identical.
# - Standardizing fits one mean and one spread per feature; 100 or 200 examples estimate these
#   equally well, and the leak moves the validation accuracy by half a point (0.840 against 0.835),
#   well inside the spread over splits.
# - Whitening fits a whole $64 \times 64$ covariance, more numbers than there are examples, and
#   there the leak matters: the validation accuracy drops from 0.732 to 0.674, and the leaky
#   validation score no longer predicts the score on fresh data. The honest pipeline's
#   "val - fresh" is -0.006 on average, the leaky one's -0.030. Here the leak made the validation
#   score *pessimistic* (and the leaky pipeline also did worse on fresh data, 0.704 against 0.739);
#   which way it errs depends on the data.
#
# The honest validation score is an unbiased estimate of what fresh data will give, because the
# validation examples play exactly the role that fresh examples will play; the leak gives that
# guarantee away. In grading mode only 3 splits are drawn, so the numbers there are rough.

# %% [markdown] id="q-leak" nbgrader={"grade": false, "grade_id": "q_leak_prompt", "locked": true, "schema_version": 3, "solution": false, "task": false}
# **Question.** A classmate standardizes the whole CIFAR-10 data set (training, validation and
# test images together) before splitting it, and argues that "the mean and standard deviation do not
# contain any labels, so nothing leaks". What is wrong with that argument? Give one situation in
# which the mistake would change the reported test accuracy noticeably.

# %% [markdown] id="q-leak-answer" nbgrader={"grade": true, "grade_id": "q_leak", "locked": false, "points": 2, "schema_version": 3, "solution": true, "task": false}
# Leakage is not only about labels: the statistics are part of the model, and the test images
# helped choose them. The reported test accuracy is then a measurement of a model that has already
# seen (a summary of) the test set, not of what the model will do on new images, which it must
# process with statistics fitted without them. The test set no longer plays the role of unseen data.
#
# With mean and standard deviation on 50000 i.i.d. images the numbers barely change, so the bias is
# tiny there; it becomes noticeable when (a) the statistics have many parameters relative to the
# data (PCA/ZCA whitening of 3072-dimensional images from a few thousand examples, as the whitening
# rows above show), (b) the data set is small, or (c) the test data differ in distribution from the
# training data (another camera, a later period): fitting on them partly adapts the preprocessing
# to the shift, and the test score hides a drop that new data would show. In all cases the honest
# procedure costs nothing: fit on the training set, apply everywhere.

# %% [markdown] id="md-babysitting"
# ## 4. Babysitting the learning process
#
# Before a long training run, a few minutes of checks catch most bugs and most bad settings. We use
# the two-layer net of `cs_utils.fc_net` (affine - ReLU - affine - softmax, 100 hidden units) and
# its `Solver`.
#
# **Check 1: the initial loss.** With small random weights all scores are close to 0, so the softmax
# gives every one of the $C$ classes probability about $1/C$, and the loss is $-\ln(1/C) = \ln C$.
# A first loss far from that means a bug in the loss or a bad initialization.
#
# **Check 2: regularization adds to the loss.** With the same weights, cranking up the L2 strength
# must raise the loss (by $\tfrac12 \lambda \sum W^2$).

# %% id="initial-loss"
X_check, y_check = data["X_train"][:200], data["y_train"][:200]
print(f"ln C = ln {NUM_CLASSES} = {math.log(NUM_CLASSES):.4f}")
for reg in (0.0, 1e-1, 1e1, 1e3):
    model = FullyConnectedNet([100], NUM_FEATURES, NUM_CLASSES, weight_scale=1e-3, reg=reg, seed=0)
    loss, _ = model.loss(X_check, y_check)
    print(f"reg = {reg:<7g} initial loss = {loss:.4f}")

# %% [markdown] id="md-overfit"
# **Check 3: overfit a tiny subset.** Take 20 training examples, no regularization, and train until
# the training accuracy reaches 100% and the loss approaches 0. A net that cannot memorize 20
# examples has a bug (or a learning rate far off); the validation accuracy is meaningless here.

# %% id="overfit"
tiny = {"X_train": data["X_train"][:20], "y_train": data["y_train"][:20],
        "X_val": data["X_val"], "y_val": data["y_val"]}
model = FullyConnectedNet([100], NUM_FEATURES, NUM_CLASSES, weight_scale=1e-2, seed=0)
tiny_solver = Solver(model, tiny, sgd_momentum, optim_config={"learning_rate": 5e-2}, num_epochs=60,
                     batch_size=20, verbose=False, progress=False, seed=0)
tiny_solver.train()
first_perfect = int(np.argmax(np.array(tiny_solver.train_acc_history) == 1.0))
print(f"training accuracy after 60 epochs: {tiny_solver.train_acc_history[-1]:.0%} "
      f"(first 100% after {first_perfect} epochs); final loss {tiny_solver.loss_history[-1]:.4f}; "
      f"validation accuracy {tiny_solver.val_acc_history[-1]:.3f}")
fig, (ax_loss, ax_acc) = plt.subplots(1, 2, figsize=(12, 3.5))
ax_loss.semilogy(tiny_solver.loss_history)
ax_loss.set(title="loss on the 20 examples", xlabel="iteration")
ax_acc.plot(tiny_solver.train_acc_history, label="train (20 examples)")
ax_acc.plot(tiny_solver.val_acc_history, label="validation")
ax_acc.set(title="accuracy", xlabel="epoch")
ax_acc.legend()
plt.tight_layout()
show()


# %% [markdown] id="md-update-ratio"
# **Check 4: the size of the updates.** The learning rate is the first hyper-parameter to set, and
# a handy gauge is the ratio of the size of an update to the size of the weights it changes,
# $$\text{ratio} = \frac{\lVert W_\text{after} - W_\text{before} \rVert}{\lVert W_\text{before} \rVert},$$
# with the Euclidean norm over all entries. A common rule of thumb is a ratio around $10^{-3}$ per
# step: much smaller and training crawls, much larger and it jumps around or diverges. Implement it.

# %% id="update-ratio" nbgrader={"grade": false, "grade_id": "update_ratio", "locked": false, "schema_version": 3, "solution": true, "task": false}
def update_ratio(w_before, w_after):
    """Size of an update relative to the weights: ||w_after - w_before|| / ||w_before||.

    Inputs:
    - w_before: float array of any shape, the weights before the update (not all zero).
    - w_after: float array of the same shape, the weights after it.

    Returns:
    - ratio: float, with the Euclidean norm taken over all entries.
    """
    ### BEGIN SOLUTION
    ratio = float(np.linalg.norm(w_after - w_before) / np.linalg.norm(w_before))
    ### END SOLUTION
    return ratio


# %% id="test-update-ratio" nbgrader={"grade": true, "grade_id": "test_update_ratio", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
w_before = np.array([[3.0, 0.0], [0.0, 4.0]])
w_after = np.array([[3.03, 0.0], [0.04, 4.0]])
ratio = update_ratio(w_before, w_after)
print("ratio:", ratio, "(expected 0.05 / 5 = 0.01)")
assert abs(ratio - 0.01) < 1e-12
assert abs(update_ratio(np.ones((2, 3, 4)), 1.5 * np.ones((2, 3, 4))) - 0.5) < 1e-12
print("update_ratio: visible checks passed")

### BEGIN HIDDEN TESTS
from autograder.checks.foundations import check_update_ratio
check_update_ratio(update_ratio)
### END HIDDEN TESTS

# %% [markdown] id="md-ratio-experiment"
# Now the ratio across learning rates. For each rate, the two-layer net (He-initialized hidden
# layer) takes `RATIO_STEPS` steps of plain SGD on minibatches of 100, and we record the ratio of
# the first layer's update at every step and the loss.

# %% id="ratio-experiment"
RATIO_STEPS = 15 if GRADING else 50
LEARNING_RATES = [1e-5, 1e-4, 1e-3, 1e-2, 1e-1, 1.0, 10.0]
ratio_runs = {}
for learning_rate in LEARNING_RATES:
    model = FullyConnectedNet([100], NUM_FEATURES, NUM_CLASSES, seed=0)
    model.params["W1"] = he_init(NUM_FEATURES, 100, np.random.default_rng(0))
    batches = np.random.default_rng(1)
    ratios, losses = [], []
    with np.errstate(over="ignore", invalid="ignore"):
        for _ in range(RATIO_STEPS):
            batch = batches.choice(len(data["X_train"]), 100, replace=False)
            loss, grads = model.loss(data["X_train"][batch], data["y_train"][batch])
            new_params = {name: value - learning_rate * grads[name] for name, value in model.params.items()}
            ratios.append(update_ratio(model.params["W1"], new_params["W1"]))
            losses.append(loss)
            model.params = new_params
    ratio_runs[learning_rate] = (np.array(ratios), np.array(losses))

print(f"{'learning rate':>13} {'median ratio':>13} {'first loss':>11} {'loss, last 5 steps':>19}")
for learning_rate, (ratios, losses) in ratio_runs.items():
    print(f"{learning_rate:>13g} {np.median(ratios):>13.2e} {losses[0]:>11.3f} {np.mean(losses[-5:]):>19.3g}")

fig, (ax_ratio, ax_loss) = plt.subplots(1, 2, figsize=(14, 4))
ax_ratio.loglog(LEARNING_RATES, [np.median(ratios) for ratios, _ in ratio_runs.values()], "o-")
ax_ratio.axhspan(1e-4, 1e-2, color="green", alpha=0.1, label="1e-4 .. 1e-2")
ax_ratio.axhline(1e-3, color="green", lw=1)
ax_ratio.set(title="median update/weight ratio of W1", xlabel="learning rate", ylabel="ratio")
ax_ratio.legend()
for learning_rate, (_, losses) in ratio_runs.items():
    ax_loss.plot(np.clip(losses, 0, 10), label=f"lr = {learning_rate:g}")
ax_loss.set(title="minibatch loss (clipped at 10)", xlabel="step")
ax_loss.legend(fontsize=8)
plt.tight_layout()
show()


# %% [markdown] id="md-ratio-read"
# The ratio grows in proportion to the learning rate as long as the gradient keeps its size, so it
# is a direct read-out of "how big is my step". In the full run: up to a rate of $10^{-3}$ (ratios
# below $10^{-5}$) the loss hardly moves in 50 steps; at a ratio of about $10^{-4}$ (rate $10^{-2}$)
# it falls slowly; around $10^{-3}$ (rate 0.1, ratio $1.6 \cdot 10^{-3}$) it falls steadily, to
# 0.33; on these easy digits a ratio of $10^{-2}$ (rate 1) trains fastest of all in 50 steps; and at
# rate 10 the steps are several times larger than the weights and the loss blows up. The $10^{-3}$
# rule is a starting point for the search below, not an optimum.

# %% [markdown] id="md-early-stopping"
# ## 5. Early stopping
#
# A net that trains long enough starts to fit the noise of its training set: the training loss keeps
# falling while the validation loss turns back up. Early stopping watches a validation metric after
# every epoch, keeps a copy of the parameters at its best value, and ends training when the metric
# has not improved for `patience` epochs in a row; then the best parameters are restored.
#
# Implement the tracker. Counting epochs from 0 (the first call of `step`), it must:
# - count a value as an improvement only if it beats the best so far by **more than** `min_delta`
#   (higher is better for `mode="max"`, e.g. an accuracy; lower for `mode="min"`, e.g. a loss); the
#   first value always counts;
# - on an improvement, record `best_value`, `best_epoch` and a **deep copy** of `params` as
#   `best_params` (training goes on changing the arrays, often in place);
# - return `True` from `step` once `patience` consecutive calls brought no improvement.

# %% id="early-stopping" nbgrader={"grade": false, "grade_id": "early_stopping", "locked": false, "schema_version": 3, "solution": true, "task": false}
class EarlyStopping:
    """Tracks a validation metric and says when to stop.

    Attributes:
    - best_value: the best value seen so far (None before the first step).
    - best_epoch: int, the epoch (0 for the first call of step) of best_value.
    - best_params: a deep copy of the params passed with best_value.
    """

    def __init__(self, patience, min_delta=0.0, mode="max"):
        """Inputs:
        - patience: int >= 1, steps without improvement before stopping.
        - min_delta: float >= 0, how much a value must beat the best to count as an improvement.
        - mode: "max" (higher is better) or "min" (lower is better).
        """
        self.patience = patience
        self.min_delta = min_delta
        self.mode = mode
        self.best_value = None
        self.best_epoch = None
        self.best_params = None
        ### BEGIN SOLUTION
        self.epoch = 0
        self.steps_without_improvement = 0
        ### END SOLUTION

    def step(self, value, params):
        """Record the metric of one epoch.

        Inputs:
        - value: float, the validation metric of this epoch.
        - params: the model's parameters (e.g. a dict of arrays); copied when value is the best.

        Returns:
        - stop: bool, True when `patience` consecutive steps brought no improvement.
        """
        ### BEGIN SOLUTION
        if self.best_value is None:
            improved = True
        elif self.mode == "max":
            improved = value > self.best_value + self.min_delta
        else:
            improved = value < self.best_value - self.min_delta
        if improved:
            self.best_value, self.best_epoch = value, self.epoch
            self.best_params = copy.deepcopy(params)
            self.steps_without_improvement = 0
        else:
            self.steps_without_improvement += 1
        self.epoch += 1
        return self.steps_without_improvement >= self.patience
        ### END SOLUTION


# %% id="test-early-stopping" nbgrader={"grade": true, "grade_id": "test_early_stopping", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false}
tracker = EarlyStopping(patience=2)
params = {"w": np.zeros(3)}
decisions = []
for value in [0.5, 0.7, 0.7, 0.8, 0.75, 0.79]:
    decisions.append(tracker.step(value, params))
    params["w"] += 1  # training changes the arrays in place
print("stop decisions:", decisions)
print("best value, epoch, params:", tracker.best_value, tracker.best_epoch, tracker.best_params)
assert decisions == [False, False, False, False, False, True]
assert tracker.best_value == 0.8 and tracker.best_epoch == 3
assert np.array_equal(tracker.best_params["w"], np.full(3, 3.0)), "best_params must be a deep copy"

loss_tracker = EarlyStopping(patience=1, min_delta=0.1, mode="min")
print("min mode:", [loss_tracker.step(v, {}) for v in [1.0, 0.95]], loss_tracker.best_value)
assert loss_tracker.best_value == 1.0 and loss_tracker.best_epoch == 0
print("early_stopping: visible checks passed")

### BEGIN HIDDEN TESTS
from autograder.checks.foundations import check_early_stopping


def early_stopping_session(kwargs, params):
    """One tracker driven through plain calls: the grader only ever sees the values it reads."""
    tracker = EarlyStopping(**kwargs)

    def step(value, update):
        result = (tracker.step(value, params), tracker.best_value, tracker.best_epoch, tracker.best_params)
        for name, change in update.items():
            params[name] += change  # training goes on, changing the arrays in place
        return result

    return step


check_early_stopping(early_stopping_session)
### END HIDDEN TESTS

# %% [markdown] id="md-early-stopping-experiment"
# ### Early stopping on an overfitting run
#
# To get a run that overfits within seconds, we train the two-layer net (200 hidden units, He
# initialization) on 300 digits of which 30% have a random label, with plain SGD and no
# regularization, for `STOP_EPOCHS` epochs. The loop is written out (it is what `Solver.train` does
# inside) so that the tracker can watch the validation **loss** after every epoch, with patience 5.
# The run continues to the end so that we can compare; the tracker stops being consulted once it
# says stop. We report the test accuracy of the weights it restores and of the weights at the end of
# the run, for `STOP_SEEDS` seeds.

# %% id="early-stopping-experiment"
def evaluate(model, X, y):
    """(softmax loss, accuracy) of a model on X, y."""
    scores = model.loss(X)
    return softmax_loss(scores, y)[0], float(np.mean(np.argmax(scores, axis=1) == y))


def overfitting_run(seed, num_train=300, noise=0.3, learning_rate=0.1, batch_size=50):
    rng = np.random.default_rng(seed)
    X_noisy, y_noisy = data["X_train"][:num_train], data["y_train"][:num_train].copy()
    flipped = rng.random(num_train) < noise
    y_noisy[flipped] = rng.integers(0, NUM_CLASSES, size=flipped.sum())
    model = FullyConnectedNet([200], NUM_FEATURES, NUM_CLASSES, seed=seed)
    model.params["W1"] = he_init(NUM_FEATURES, 200, rng)
    model.params["W2"] = xavier_init(200, NUM_CLASSES, rng)
    tracker = EarlyStopping(patience=5, mode="min")
    history, stop_epoch = [], None
    for epoch in range(STOP_EPOCHS):
        order = rng.permutation(num_train)
        for start in range(0, num_train, batch_size):
            batch = order[start:start + batch_size]
            _, grads = model.loss(X_noisy[batch], y_noisy[batch])
            model.params = {name: value - learning_rate * grads[name] for name, value in model.params.items()}
        history.append(evaluate(model, X_noisy, y_noisy) + evaluate(model, data["X_val"], data["y_val"]))
        if stop_epoch is None and tracker.step(history[-1][2], model.params):
            stop_epoch = epoch
    last_test = evaluate(model, data["X_test"], data["y_test"])
    model.params = tracker.best_params
    restored_test = evaluate(model, data["X_test"], data["y_test"])
    return np.array(history), tracker, stop_epoch, last_test, restored_test


stopping_runs = [overfitting_run(seed) for seed in range(STOP_SEEDS)]
print(f"{'seed':>4} {'stopped at epoch':>17} {'best epoch':>11} {'test acc restored':>18} {'test acc last':>14}")
for seed, (_, tracker, stop_epoch, last_test, restored_test) in enumerate(stopping_runs):
    print(f"{seed:>4} {str(stop_epoch):>17} {tracker.best_epoch:>11} {restored_test[1]:>18.3f} {last_test[1]:>14.3f}")
restored = np.array([run[4][1] for run in stopping_runs])
last = np.array([run[3][1] for run in stopping_runs])
print(f"mean +- std: restored {restored.mean():.3f} +- {restored.std():.3f}, last {last.mean():.3f} +- {last.std():.3f}")

history, tracker, stop_epoch, _, _ = stopping_runs[0]
fig, (ax_loss, ax_acc) = plt.subplots(1, 2, figsize=(14, 4))
ax_loss.plot(history[:, 0], label="train loss (noisy labels)")
ax_loss.plot(history[:, 2], label="validation loss")
ax_acc.plot(history[:, 1], label="train accuracy (noisy labels)")
ax_acc.plot(history[:, 3], label="validation accuracy")
for ax in (ax_loss, ax_acc):
    ax.axvline(tracker.best_epoch, color="green", ls="--", label="best epoch (restored)")
    if stop_epoch is not None:
        ax.axvline(stop_epoch, color="red", ls=":", label="early stop")
    ax.set(xlabel="epoch")
    ax.legend(fontsize=8)
ax_loss.set(title="loss (seed 0)")
ax_acc.set(title="accuracy (seed 0)")
plt.tight_layout()
show()


# %% [markdown] id="md-early-stopping-read"
# The training loss keeps falling and the training accuracy climbs to 100% as the net memorizes the
# wrong labels, while the validation loss stops improving after 10 to 20 epochs and from then on
# only wobbles around its floor, and the validation accuracy slowly falls (for seed 0 from 0.88 at
# the best epoch to about 0.82 at the end). The tracker stops 5 epochs after the minimum of the
# validation loss (that is what patience costs), and restores the weights of the minimum. In the full
# run it stopped at epochs 26, 16 and 19 of 60 for the three seeds, and the restored weights reach
# a test accuracy of 0.820 +- 0.018 against 0.754 +- 0.026 for the weights at the end of the run.
# Early stopping also saves the epochs after the stop, which on a real problem is most of the
# compute. (Grading mode trains 8 epochs only, too few to overfit.)

# %% [markdown] id="md-search"
# ## 6. Hyper-parameter search
#
# Learning rate, regularization strength, width, dropout: each run of a net is expensive, so the
# search over these settings has to be economical. Three ideas from practice:
#
# 1. **Search on the right scale.** A learning rate of $10^{-4}$ and one of $10^{-3}$ differ as much
#    as $10^{-2}$ and $10^{-1}$: what matters is the order of magnitude. So sample such parameters
#    **log-uniformly**: draw the exponent uniformly, $x = \exp(u)$ with $u \sim U(\ln a, \ln b)$.
#    Sampling $U(a, b)$ directly would put 90% of the draws in the top decade.
# 2. **Random search beats grid search** (Bergstra and Bengio, 2012). When only some hyper-parameters
#    matter, a $3 \times 3$ grid tries only 3 distinct values of the one that matters, while 9
#    random trials try 9.
# 3. **Coarse to fine.** Start wide with short runs, then narrow the ranges to where the best trials
#    landed, and search again there.
#
# First the sampler.

# %% id="sample-log-uniform" nbgrader={"grade": false, "grade_id": "sample_log_uniform", "locked": false, "schema_version": 3, "solution": true, "task": false}
def sample_log_uniform(low, high, size, rng):
    """Samples whose logarithm is uniform between log(low) and log(high).

    Inputs:
    - low, high: floats with 0 < low < high.
    - size: int, the number of samples.
    - rng: numpy.random.Generator to draw from.

    Returns:
    - samples: float64 array (size,), values in [low, high].
    """
    ### BEGIN SOLUTION
    samples = np.exp(rng.uniform(math.log(low), math.log(high), size=size))
    ### END SOLUTION
    return samples


# %% id="test-sample-log-uniform" nbgrader={"grade": true, "grade_id": "test_sample_log_uniform", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
samples = sample_log_uniform(1e-4, 1e-1, 30000, np.random.default_rng(0))
decades = np.histogram(np.log10(samples), bins=[-4, -3, -2, -1])[0] / len(samples)
print("shape:", samples.shape, " range:", samples.min(), samples.max())
print("fraction in [1e-4, 1e-3), [1e-3, 1e-2), [1e-2, 1e-1]:", np.round(decades, 3))
assert samples.shape == (30000,) and samples.min() >= 1e-4 and samples.max() <= 1e-1
assert np.allclose(decades, 1 / 3, atol=0.02), "each decade should get a third of the samples"
assert np.array_equal(samples, sample_log_uniform(1e-4, 1e-1, 30000, np.random.default_rng(0)))
print("sample_log_uniform: visible checks passed")

### BEGIN HIDDEN TESTS
from autograder.checks.foundations import check_sample_log_uniform
check_sample_log_uniform(sample_log_uniform)
### END HIDDEN TESTS

# %% [markdown] id="md-grid-random"
# Now the two searches. Both take an `objective(config) -> score` (higher is better, e.g. a
# validation accuracy), where `config` is a dict from hyper-parameter names to values, and both
# return the list of `(config, score)` pairs sorted **best first**.
#
# - `grid_search(objective, grid)`: `grid` maps each name to a list of values; evaluate every
#   combination once (`itertools.product` enumerates them).
# - `random_search(objective, space, num_trials, rng)`: `space` maps each name to
#   `(low, high, scale)` with scale `"log"` or `"linear"`; every trial draws each value
#   independently (log-uniform or uniform) as a Python float.
#
# Build a new dict for every config: if one dict is reused and modified, every result ends up
# holding the last config.

# %% id="toy-objective"
calls = []


def toy_objective(config):
    """A toy score that peaks at learning_rate = 1e-2 and reg = 0, recording every config it sees."""
    calls.append(dict(config))
    return -(math.log10(config["learning_rate"]) + 2) ** 2 - config["reg"]


# %% id="grid-search" nbgrader={"grade": false, "grade_id": "grid_search", "locked": false, "schema_version": 3, "solution": true, "task": false}
def grid_search(objective, grid):
    """Evaluate every combination of the grid.

    Inputs:
    - objective: callable, objective(config) -> float score, higher is better.
    - grid: dict name -> list of values. Not modified.

    Returns:
    - results: list of (config, score) for every combination, best score first; each config is
      its own dict name -> value.
    """
    ### BEGIN SOLUTION
    names = list(grid)
    results = []
    for values in itertools.product(*(grid[name] for name in names)):
        config = dict(zip(names, values))
        results.append((config, objective(config)))
    results.sort(key=lambda pair: pair[1], reverse=True)
    ### END SOLUTION
    return results


# %% id="test-grid-search" nbgrader={"grade": true, "grade_id": "test_grid_search", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
calls.clear()
results = grid_search(toy_objective, {"learning_rate": [1e-3, 1e-2, 1e-1], "reg": [0.0, 0.5]})
for config, score in results:
    print(config, round(score, 4))
assert len(calls) == 6 and len(results) == 6
assert results[0] == ({"learning_rate": 1e-2, "reg": 0.0}, 0.0)
assert [score for _, score in results] == sorted((score for _, score in results), reverse=True)
assert len({tuple(config.items()) for config, _ in results}) == 6, "one dict per config"
print("grid_search: visible checks passed")

### BEGIN HIDDEN TESTS
from autograder.checks.foundations import check_grid_search
check_grid_search(grid_search)
### END HIDDEN TESTS

# %% id="random-search" nbgrader={"grade": false, "grade_id": "random_search", "locked": false, "schema_version": 3, "solution": true, "task": false}
def random_search(objective, space, num_trials, rng):
    """Evaluate num_trials configs drawn at random from the space.

    Inputs:
    - objective: callable, objective(config) -> float score, higher is better.
    - space: dict name -> (low, high, scale), scale "log" (log-uniform, low > 0) or "linear"
      (uniform). Not modified.
    - num_trials: int, how many configs to draw and evaluate.
    - rng: numpy.random.Generator; each value of each trial is an independent draw from it.

    Returns:
    - results: list of (config, score), best score first; each config is a new dict
      name -> float.
    """
    ### BEGIN SOLUTION
    results = []
    for _ in range(num_trials):
        config = {}
        for name, (low, high, scale) in space.items():
            if scale == "log":
                config[name] = float(sample_log_uniform(low, high, 1, rng)[0])
            else:
                config[name] = float(rng.uniform(low, high))
        results.append((config, objective(config)))
    results.sort(key=lambda pair: pair[1], reverse=True)
    ### END SOLUTION
    return results


# %% id="test-random-search" nbgrader={"grade": true, "grade_id": "test_random_search", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
calls.clear()
space = {"learning_rate": (1e-4, 1e-1, "log"), "reg": (0.0, 1.0, "linear")}
results = random_search(toy_objective, space, 2000, np.random.default_rng(0))
learning_rates = np.array([config["learning_rate"] for config in calls])
regs = np.array([config["reg"] for config in calls])
print("best:", results[0])
print("fraction of learning rates below 1e-3:", np.mean(learning_rates < 1e-3), "(expected 1/3)")
print("mean reg:", regs.mean(), "(expected 0.5)")
assert len(calls) == 2000 and len(results) == 2000
assert abs(np.mean(learning_rates < 1e-3) - 1 / 3) < 0.04 and abs(regs.mean() - 0.5) < 0.04
assert learning_rates.min() >= 1e-4 and learning_rates.max() <= 1e-1
assert [score for _, score in results] == sorted((score for _, score in results), reverse=True)
assert abs(np.corrcoef(np.log(learning_rates), regs)[0, 1]) < 0.1, "draw each value independently"
print("random_search: visible checks passed")

### BEGIN HIDDEN TESTS
from autograder.checks.foundations import check_random_search
check_random_search(random_search)
### END HIDDEN TESTS

# %% [markdown] id="md-bergstra"
# ### Random against grid search, at the same budget
#
# The situation of Bergstra and Bengio's figure: two hyper-parameters, of which only one matters.
# Our stand-in objective is a validation accuracy that peaks at a learning rate $10^{c}$ (a bump of
# width 0.3 decades on a log scale) and barely depends on a second parameter, a dropout keep
# probability in $[0.3, 1]$. The peak position $c$ is drawn anew for every seed, uniformly in
# $[-4, -1]$, so neither search can be lucky by design. Both get 9 evaluations: the grid tries
# 3 learning rates (log-spaced over $[10^{-5}, 1]$) x 3 keep probabilities; random search draws 9
# independent configs from the same ranges. We repeat over `SEARCH_SEEDS` seeds and compare the
# best accuracy each finds.

# %% id="bergstra"
def make_objective(peak_exponent):
    def objective(config):
        distance = (math.log10(config["learning_rate"]) - peak_exponent) / 0.3
        return 0.1 + 0.8 * math.exp(-0.5 * distance**2) + 0.01 * (config["keep"] - 0.65)
    return objective


GRID = {"learning_rate": [1e-5, 10**-2.5, 1.0], "keep": [0.3, 0.65, 1.0]}
SPACE = {"learning_rate": (1e-5, 1.0, "log"), "keep": (0.3, 1.0, "linear")}
best_scores = {"grid": [], "random": []}
example = None
for seed in range(SEARCH_SEEDS):
    rng = np.random.default_rng(seed)
    objective = make_objective(rng.uniform(-4, -1))
    grid_results = grid_search(objective, GRID)
    random_results = random_search(objective, SPACE, 9, rng)
    best_scores["grid"].append(grid_results[0][1])
    best_scores["random"].append(random_results[0][1])
    if seed == 0:
        example = (objective, grid_results, random_results)
for name, scores in best_scores.items():
    scores = np.array(scores)
    print(f"{name:>6} search, 9 trials, {SEARCH_SEEDS} seeds: best accuracy {scores.mean():.3f} +- {scores.std():.3f} "
          f"(median {np.median(scores):.3f}, worst {scores.min():.3f})")
wins = np.mean(np.array(best_scores["random"]) > np.array(best_scores["grid"]))
print(f"random search found the better config in {wins:.0%} of the seeds")

objective, grid_results, random_results = example
fig = plt.figure(figsize=(12, 5))
lr_axis = np.logspace(-5, 0, 200)
for column, (title, results) in enumerate([("grid", grid_results), ("random", random_results)]):
    ax = fig.add_subplot(2, 2, column + 1)
    xs = np.log10([config["learning_rate"] for config, _ in results])
    ys = [config["keep"] for config, _ in results]
    ax.scatter(xs, ys, c="tab:red", zorder=3)
    ax.set(title=f"{title} search (seed 0)", ylabel="keep probability", xlim=(-5.1, 0.1))
    curve = fig.add_subplot(2, 2, column + 3)
    curve.plot(np.log10(lr_axis), [objective({"learning_rate": lr, "keep": 0.65}) for lr in lr_axis])
    curve.scatter(xs, [score for _, score in results], c="tab:red", zorder=3)
    curve.set(xlabel="log10 learning rate (the parameter that matters)", ylabel="accuracy", xlim=(-5.1, 0.1))
plt.tight_layout()
show()


# %% [markdown] id="md-bergstra-read"
# The top row shows where each search put its 9 trials; the bottom row projects them onto the
# learning rate, the only direction that matters. The grid's 9 trials collapse onto 3 points there,
# so unless the peak happens to sit near one of them it misses it; random search puts 9 distinct
# learning rates on the axis and usually lands one near the peak. In the full run (500 seeds) the
# best accuracy found is 0.672 +- 0.241 for random search against 0.304 +- 0.269 for the grid, and
# random search finds the better config in 81% of the seeds. The spreads are large because the peak
# moves from seed to seed: both searches sometimes miss it entirely.
#
# ### Coarse to fine
#
# The last exercise narrows a search space around the best trials of a finished search: for every
# hyper-parameter, the new range goes from the smallest to the largest value among the `top_k` best
# configs (the results are sorted best first), keeping its scale.

# %% id="coarse-to-fine" nbgrader={"grade": false, "grade_id": "coarse_to_fine", "locked": false, "schema_version": 3, "solution": true, "task": false}
def coarse_to_fine(results, space, top_k):
    """Narrow a search space to the range spanned by the best configs.

    Inputs:
    - results: list of (config, score), best first (as returned by random_search). Not modified.
    - space: dict name -> (low, high, scale), the space that was searched. Not modified.
    - top_k: int >= 1, how many of the best configs to keep.

    Returns:
    - narrowed: a new dict name -> (min, max, scale), min and max taken over the values of that
      name in the top_k best configs, scale unchanged.
    """
    ### BEGIN SOLUTION
    best = [config for config, _ in results[:top_k]]
    narrowed = {}
    for name, (_, _, scale) in space.items():
        values = [config[name] for config in best]
        narrowed[name] = (min(values), max(values), scale)
    ### END SOLUTION
    return narrowed


# %% id="test-coarse-to-fine" nbgrader={"grade": true, "grade_id": "test_coarse_to_fine", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
toy_results = [({"learning_rate": 3e-3, "reg": 0.2}, 0.9), ({"learning_rate": 1e-2, "reg": 0.1}, 0.8),
               ({"learning_rate": 2e-3, "reg": 0.6}, 0.7), ({"learning_rate": 1e-5, "reg": 0.9}, 0.1)]
toy_space = {"learning_rate": (1e-5, 1e-1, "log"), "reg": (0.0, 1.0, "linear")}
narrowed = coarse_to_fine(toy_results, toy_space, top_k=2)
print(narrowed)
assert narrowed == {"learning_rate": (3e-3, 1e-2, "log"), "reg": (0.1, 0.2, "linear")}
assert toy_space == {"learning_rate": (1e-5, 1e-1, "log"), "reg": (0.0, 1.0, "linear")}, "space modified"
print("coarse_to_fine: visible checks passed")

### BEGIN HIDDEN TESTS
from autograder.checks.foundations import check_coarse_to_fine
check_coarse_to_fine(coarse_to_fine)
### END HIDDEN TESTS

# %% [markdown] id="md-tuning"
# ### Coarse to fine on a real net
#
# Now a real objective: train the two-layer net of `cs_utils` for one epoch with a given learning
# rate and L2 strength, and return its validation accuracy. The coarse stage searches learning rates
# in $[10^{-6}, 10]$ and strengths in $[10^{-6}, 10]$, both on a log scale, with `TUNING_TRIALS`
# random trials. The fine stage narrows the space to the best 3 of them and runs as many trials
# again. Each of `TUNING_SEEDS` seeds repeats both stages with fresh draws.

# %% id="tuning"
def train_and_validate(config, seed=0):
    model = FullyConnectedNet([100], NUM_FEATURES, NUM_CLASSES, weight_scale=1e-2, reg=config["reg"], seed=seed)
    solver = Solver(model, data, sgd_momentum, optim_config={"learning_rate": config["learning_rate"]},
                    num_epochs=1, batch_size=100, verbose=False, progress=False, seed=seed)
    with np.errstate(over="ignore", invalid="ignore"):
        solver.train()
    return solver.best_val_acc


TUNING_SPACE = {"learning_rate": (1e-6, 10.0, "log"), "reg": (1e-6, 10.0, "log")}
tuning = []
for seed in range(TUNING_SEEDS):
    rng = np.random.default_rng(100 + seed)
    coarse = random_search(train_and_validate, TUNING_SPACE, TUNING_TRIALS, rng)
    fine_space = coarse_to_fine(coarse, TUNING_SPACE, top_k=3)
    fine = random_search(train_and_validate, fine_space, TUNING_TRIALS, rng)
    tuning.append((coarse, fine_space, fine))
    print(f"seed {seed}: coarse best {coarse[0][1]:.3f}, fine best {fine[0][1]:.3f}; fine space: "
          + ", ".join(f"{name} in [{low:.2e}, {high:.2e}]" for name, (low, high, _) in fine_space.items()))
coarse_best = np.array([coarse[0][1] for coarse, _, _ in tuning])
fine_best = np.array([fine[0][1] for _, _, fine in tuning])
print(f"best validation accuracy: coarse {coarse_best.mean():.3f} +- {coarse_best.std():.3f}, "
      f"fine {fine_best.mean():.3f} +- {fine_best.std():.3f}")
print(f"median over all trials: coarse {np.median([s for c, _, _ in tuning for _, s in c]):.3f}, "
      f"fine {np.median([s for _, _, f in tuning for _, s in f]):.3f}")

coarse, fine_space, fine = tuning[0]
fig, ax = plt.subplots(figsize=(7, 5))
for label, results, marker in [("coarse", coarse, "o"), ("fine", fine, "^")]:
    points = ax.scatter([c["learning_rate"] for c, _ in results], [c["reg"] for c, _ in results],
                        c=[s for _, s in results], cmap="viridis", vmin=0, vmax=1, marker=marker, s=60, label=label)
(lr_low, lr_high, _), (reg_low, reg_high, _) = fine_space["learning_rate"], fine_space["reg"]
ax.add_patch(plt.Rectangle((lr_low, reg_low), lr_high - lr_low, reg_high - reg_low, fill=False, ls="--"))
ax.set(xscale="log", yscale="log", xlabel="learning rate", ylabel="L2 strength", title="seed 0: colour = val accuracy")
fig.colorbar(points, ax=ax)
ax.legend()
show()

# %% [markdown] id="md-tuning-read"
# Most coarse trials are wasted on learning rates that are far too small or far too large, or on
# regularization so strong that nothing is learned; the fine stage spends all its trials inside the
# dashed box. In the full run the median trial rises from 0.281 (coarse) to 0.847 (fine), and the
# best validation accuracy from 0.904 +- 0.030 to 0.931 +- 0.011 over the 3 seeds; on one seed
# (seed 2) the fine stage's best, 0.917, stayed below the coarse best, 0.928: the fine stage makes a
# good trial likely, not certain. On a real problem the coarse stage would use short runs and the
# fine stage longer ones.

# %% [markdown] id="q-search" nbgrader={"grade": false, "grade_id": "q_search_prompt", "locked": true, "schema_version": 3, "solution": false, "task": false}
# **Question.** (a) Why is the learning rate searched on a log scale, and what fraction of
# uniform (linear-scale) draws from $[10^{-6}, 10]$ would fall below $10^{-2}$? (b) Explain with the
# figure above why random search beats a grid of the same size when only one of the
# hyper-parameters matters. (c) What is the danger of a fine range that is exactly the span of the
# best coarse trials, and how would you spot it?

# %% [markdown] id="q-search-answer" nbgrader={"grade": true, "grade_id": "q_search", "locked": false, "points": 2, "schema_version": 3, "solution": true, "task": false}
# (a) The effect of the learning rate is multiplicative: going from $10^{-4}$ to $10^{-3}$ changes
# training as much as going from $10^{-2}$ to $10^{-1}$, so equal steps in $\log$ are equally
# informative. On a linear scale the fraction of draws below $10^{-2}$ is
# $(10^{-2} - 10^{-6}) / (10 - 10^{-6}) \approx 0.1\%$: almost every trial would test rates between
# 1 and 10, and the interesting decades would never be seen. Log-uniform sampling gives each of the
# 7 decades the same share, $1/7$.
#
# (b) With a $3 \times 3$ grid, the 9 trials share only 3 distinct values of each parameter. If only
# the learning rate matters, the score is determined by those 3 values and the other 6 trials are
# wasted repetitions. Random search draws 9 different learning rates, so it samples the important
# direction 3 times more densely at the same cost; the projection in the bottom row of the figure
# shows exactly that. Since one rarely knows in advance which parameters matter, random search is
# the safer default.
#
# (c) The best value may lie *outside* the span: if the best coarse trials sit at the edge of the
# coarse range (for example all the best learning rates are the largest ones tried), the optimum
# may be beyond the edge, and narrowing to the span rules it out. Spot it by checking whether the
# best trials cluster at a boundary of the range; if so, widen or shift the range in that direction
# instead of narrowing (in practice one also pads the narrowed range a little).

# %% [markdown] id="md-summary"
# ## Summary
#
# - Activations: the local gradient decides whether a unit learns. Sigmoid and tanh saturate, ReLU
#   can die, leaky ReLU, PReLU, ELU and maxout keep a gradient for negative inputs.
# - Initialization: keep the variance of the activations constant through the layers: $1/n$ for
#   tanh-like units (Xavier), $2/n$ for ReLU (He). Too small and the signal and gradient vanish, too
#   large and they saturate or explode; you saw both in the 10-layer experiment.
# - Preprocessing: fit the statistics on the training set only and apply them everywhere.
# - Babysitting: check the initial loss ($\ln C$), that regularization raises it, that a tiny subset
#   can be overfitted, and that updates are about $10^{-3}$ of the weights.
# - Early stopping: keep the best weights by a validation metric and stop after `patience` epochs
#   without improvement.
# - Search: log scales, random rather than grid, coarse to fine.
