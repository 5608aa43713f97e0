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
# # Regularization: penalties, dropout, DropConnect, batch normalization, stochastic depth, ensembles
#
# Assignment 01 was about driving the training loss down. But a low training loss is not the goal:
# we want a network that does well on data it has never seen. A big network can fit its training
# set almost perfectly, including its accidents (odd examples, wrong labels), and then the
# validation accuracy stays far below the training accuracy. Everything that narrows this gap
# without hurting the validation accuracy is called **regularization**.
#
# Most of the methods in this notebook follow one pattern:
#
# > **add randomness at training time, average it out at test time.**
#
# During training the network computes $y = f_W(x, z)$ with some random $z$ (which units are
# dropped, which weights, which examples share a minibatch, which layers are skipped). That noise
# keeps the network from relying on any single unit or path. At test time we want a deterministic
# prediction, ideally the average $\mathbb{E}_z[f_W(x, z)]$, and each method has a cheap way to
# approximate it.
#
# In this notebook you will implement, in numpy, with forward and backward passes:
#
# 1. **weight penalties**: L2, L1 and elastic net;
# 2. **dropout** in its two forms, *vanilla* (scale at test time) and *inverted* (scale at training
#    time), and check that both give the same expected output;
# 3. **DropConnect**, which drops weights instead of activations;
# 4. **batch normalization** with running statistics for test time, and its backward pass twice;
# 5. then **train a network that overfits** a small training set, with each regularizer;
# 6. **stochastic depth**, which skips whole residual blocks;
# 7. **ensembles**: averaging predictions of several snapshots of one training run, and Polyak
#    averaging of the weights.
#
# **Conventions.** Layers follow the CS231n style: `forward(...) -> (out, cache)` and
# `backward(dout, cache) -> gradients`. The random layers take a parameter dict with `mode`
# (`"train"` or `"test"`), an optional `seed` and a probability of **keeping** (`p` for dropout and
# DropConnect, `survival` for stochastic depth). Draw random numbers with
# `np.random.default_rng(seed)`: the same seed must give the same mask (the gradient checks rely on
# it), no seed a fresh one. Never modify inputs in place.
#
# **How this notebook is graded.** Fill in every cell marked `YOUR CODE HERE` and run the cells top to
# bottom. Each exercise is followed by a check cell you can run; the grader runs further checks on
# other, random inputs. Cells that ask a question take a written answer. The autograder runs the
# notebook in *grading mode* (the environment variable `CS_GRADING_MODE=1`), which uses less data and
# fewer epochs; the code below picks its sizes from that flag, so leave that logic as it is. The
# experiments use your functions; until a function is written, the experiments that need it are
# skipped with a message.

# %% id="setup"
import math
import time
from functools import partial

import matplotlib.pyplot as plt
import numpy as np
from threadpoolctl import threadpool_limits

from cs_utils import grading_mode
from cs_utils.averaging import AveragingSolver, accuracy, predict_proba
from cs_utils.claims import mean_spread, print_claim
from cs_utils.data import cifar10_available, load_dataset
from cs_utils.gradient_check import eval_numerical_gradient, eval_numerical_gradient_array, rel_error
from cs_utils.plotting import plot_train_val
from cs_utils.regularized_net import RegularizedNet

# %matplotlib inline
plt.rcParams["figure.figsize"] = (10.0, 4.0)
# These matrices are small: several BLAS threads gain nothing and, on a busy machine, slow every
# product down many times over.
threadpool_limits(1)

GRADING = grading_mode()
if GRADING:
    plt.rcParams["figure.dpi"] = 30  # nobody looks at the figures while grading; small ones draw faster
# Grading mode keeps every experiment to a fraction of a second.
NUM_EPOCHS = 3 if GRADING else 40  # epochs of each training run of part 5
SNAPSHOT_PERIOD = 2 if GRADING else 8  # epochs per cosine cycle (part 7)
NUM_CYCLES = 2 if GRADING else 5  # cycles, hence snapshots (part 7)
NUM_MASKS = 50 if GRADING else 2000  # random masks averaged in the dropout statistics (part 2)
NUM_SEEDS = 1 if GRADING else 3  # independent runs behind every mean and spread (parts 5 and 7)
NUM_MEMBERS = 2 if GRADING else 5  # independently trained models in an ensemble (part 7)
# A deliberately small training set, so that the network can memorize it.
NUM_TRAIN = 1000 if cifar10_available() else 300
LABEL_NOISE = 0.2  # fraction of training labels replaced by random ones (see part 5)

data = load_dataset("auto", num_train=NUM_TRAIN, num_val=800)
# Scale the (already mean-centred) pixels to unit variance, so one set of learning rates fits
# both datasets.
pixel_std = data["X_train"].std()
for split in ("X_train", "X_val", "X_test"):
    data[split] = data[split] / pixel_std

# Replace a fraction of the training labels by random classes; validation labels stay correct.
label_rng = np.random.default_rng(0)
y_train_clean = data["y_train"].copy()
relabelled = label_rng.random(len(y_train_clean)) < LABEL_NOISE
data["y_train"] = np.where(relabelled, label_rng.integers(0, data["num_classes"], len(y_train_clean)),
                           y_train_clean)

print("grading mode" if GRADING else "full mode")
print(f"dataset: {data['name']}")
for split in ("train", "val", "test"):
    print(f"  {split:5s}: X {data['X_' + split].shape}, y {data['y_' + split].shape}")
print(f"training labels that are now wrong: {np.mean(data['y_train'] != y_train_clean):.1%}")


def note_dtype(value, dtype, what):
    """The course's dtype rule, applied as the hidden tests apply it: a result in a wider float dtype
    than its float input (float64 for float32) keeps its points but is noted; any other dtype is wrong."""
    got, wanted = np.asarray(value).dtype, np.dtype(dtype)
    if got == wanted:
        return
    assert got.kind == "f" and got.itemsize > wanted.itemsize, f"{what} should be {wanted}, got {got}"
    print(f"note: {what} came back {got} for {wanted} inputs: a {got} operand promoted it (an array made "
          "without dtype=, or a NumPy float64 scalar such as np.power(x, t)); keep the input's dtype")


# %% [markdown] id="md-given"
# Two functions from assignment 01 are used here: SGD with momentum (the update rule of every
# training run below) and the cosine schedule with warm restarts (for the snapshot ensemble of part 7).
# **Paste your own solutions from assignment 01 into the cell below** (their bodies only; the
# signatures are given). No points ride on this cell, but the experiments need it.

# %% id="given-from-01" nbgrader={"grade": false, "grade_id": "from_assignment_01", "locked": false, "schema_version": 3, "solution": true, "task": false}
def sgd_momentum(w, dw, config=None):
    """SGD with momentum (assignment 01). Config: learning_rate (1e-2), momentum (0.9), velocity."""
    ### BEGIN SOLUTION
    config = {} if config is None else config
    config.setdefault("learning_rate", 1e-2)
    config.setdefault("momentum", 0.9)
    velocity = config["momentum"] * config.get("velocity", np.zeros_like(w)) - config["learning_rate"] * dw
    config["velocity"] = velocity
    return w + velocity, config
    ### END SOLUTION


def cosine_annealing_warm_restarts(learning_rate0, t, period=10, period_mult=1, min_lr=0.0):
    """SGDR (assignment 01): cosine from learning_rate0 to min_lr over cycles of period * period_mult**i steps."""
    ### BEGIN SOLUTION
    cycle_length, t_cur = period, t
    while t_cur >= cycle_length:
        t_cur -= cycle_length
        cycle_length *= period_mult
    return min_lr + 0.5 * (learning_rate0 - min_lr) * (1 + math.cos(math.pi * t_cur / cycle_length))
    ### END SOLUTION


# %% [markdown] id="md-penalties"
# ## 1. Weight penalties
#
# The oldest regularizer adds a term to the loss that prefers "simple" weights:
# $$L = \frac{1}{N}\sum_{i=1}^{N} L_i(f(x_i; W), y_i) + \lambda\, R(W).$$
#
# - **L2**, $R(W) = \tfrac12 \sum_{k,l} W_{k,l}^2$. Its gradient is $\lambda W$, so a gradient step
#   $W \leftarrow W - \alpha(\nabla_W L_{\text{data}} + \lambda W) = (1 - \alpha\lambda) W - \alpha \nabla_W L_{\text{data}}$
#   first shrinks every weight by the same factor: hence the name **weight decay**. It prefers many
#   small weights to a few large ones, i.e. spreading the evidence over many inputs. (The $\tfrac12$
#   only makes the gradient neater; some texts leave it out and double $\lambda$ instead.)
# - **L1**, $R(W) = \sum_{k,l} |W_{k,l}|$. Its gradient $\lambda\,\mathrm{sign}(W)$ pulls every weight
#   towards 0 with the same force however small it already is, so many weights end up at (or very
#   near) zero: L1 makes the weights **sparse**. $|w|$ has a kink at 0; any value in $[-1, 1]$ is a
#   valid *subgradient* there, and the usual choice is $\mathrm{sign}(0) = 0$.
# - **Elastic net**, $R(W) = \sum_{k,l} \beta W_{k,l}^2 + |W_{k,l}|$, mixes the two.
#
# Penalties apply to the weight matrices, not to the biases: a bias does not multiply an input, so a
# large one does not make the network more sensitive to its input. In this notebook each penalty is
# a function of one weight array returning `(loss, grad)`; the network adds it for every weight
# matrix.
#
# **A doubt from the lecture.** L2 is the classic penalty of linear models, and the lecture doubts
# that it makes much sense for neural networks. Behind a normalization layer (batch norm, part 4)
# scaling a weight matrix does not change what the network computes, so the penalty restricts
# nothing; it only keeps the weights small, which changes the effective learning rate. And "small
# weights" is a weak notion of a simple function for a deep network. Keep that in mind when L2
# comes out on top in part 5: a shallow network without normalization, on 300 examples with noisy
# labels, is the one setting where a classic penalty is expected to shine, and its strength there
# was picked by hand.

# %% id="l2-penalty" nbgrader={"grade": false, "grade_id": "l2_penalty", "locked": false, "schema_version": 3, "solution": true, "task": false}
def l2_penalty(w, reg):
    """L2 penalty ("weight decay") of one weight array and its gradient.

    loss = 0.5 * reg * sum(w ** 2)
    grad = reg * w

    (The 0.5 makes the gradient reg * w, the convention of cs_utils.fc_net.)

    Inputs:
    - w: float array of any shape (float32 or float64), the weights.
    - reg: float >= 0, the regularization strength lambda.

    Returns a tuple of:
    - loss: float, the penalty.
    - grad: array of the same shape and dtype as w, d loss / d w.

    w must not be modified.
    """
    ### BEGIN SOLUTION
    loss = 0.5 * reg * float(np.sum(w * w))
    grad = reg * w
    ### END SOLUTION
    return loss, grad


# %% id="test-l2-penalty" nbgrader={"grade": true, "grade_id": "test_l2_penalty", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
# 0.5 * reg * sum(w**2) with reg = 0.3.
w = np.linspace(-1.05, 1.15, num=12).reshape(3, 4)
w_before = w.copy()
loss, grad = l2_penalty(w, 0.3)
expected_loss = 0.8625
expected_grad = np.array([
    [-0.315, -0.255, -0.195, -0.135],
    [-0.075, -0.015, 0.045, 0.105],
    [0.165, 0.225, 0.285, 0.345],
])
print("loss error:              ", rel_error(loss, expected_loss))
print("gradient error:          ", rel_error(grad, expected_grad))
assert rel_error(loss, expected_loss) < 1e-10, f"loss is off: relative error {rel_error(loss, expected_loss):.1e} to expected_loss, should be below 1e-10"
assert rel_error(grad, expected_grad) < 1e-10, f"grad is off: relative error {rel_error(grad, expected_grad):.1e} to expected_grad, should be below 1e-10"

# The gradient must be the derivative of the loss (w has no zero entry, where |w| has a kink).
numerical_grad = eval_numerical_gradient(lambda v: l2_penalty(v, 0.3)[0], w)
print("numerical gradient error:", rel_error(grad, numerical_grad))
assert rel_error(grad, numerical_grad) < 1e-8, f"grad is off: relative error {rel_error(grad, numerical_grad):.1e} to numerical_grad, should be below 1e-08"
assert np.array_equal(w, w_before), "w was modified in place"
assert l2_penalty(w, 0.3)[1].dtype == np.float64, f"the gradient should be float64 like w, got {l2_penalty(w, 0.3)[1].dtype}"
note_dtype(l2_penalty(w.astype(np.float32), 0.3)[1], np.float32, "the gradient of l2_penalty")
print("l2_penalty: visible checks passed")

### BEGIN HIDDEN TESTS
from autograder.checks.regularization import check_l2_penalty
check_l2_penalty(l2_penalty)
### END HIDDEN TESTS

# %% id="l1-penalty" nbgrader={"grade": false, "grade_id": "l1_penalty", "locked": false, "schema_version": 3, "solution": true, "task": false}
def l1_penalty(w, reg):
    """L1 penalty of one weight array and its (sub)gradient.

    loss = reg * sum(|w|)
    grad = reg * sign(w)     (|w| has no derivative at 0; use sign(0) = 0 there)

    Inputs:
    - w: float array of any shape (float32 or float64), the weights.
    - reg: float >= 0, the regularization strength.

    Returns a tuple of:
    - loss: float, the penalty.
    - grad: array of the same shape and dtype as w.

    w must not be modified.
    """
    ### BEGIN SOLUTION
    loss = reg * float(np.sum(np.abs(w)))
    grad = reg * np.sign(w)
    ### END SOLUTION
    return loss, grad


# %% id="test-l1-penalty" nbgrader={"grade": true, "grade_id": "test_l1_penalty", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
# reg * sum(|w|) with reg = 0.3.
w = np.linspace(-1.05, 1.15, num=12).reshape(3, 4)
w_before = w.copy()
loss, grad = l1_penalty(w, 0.3)
expected_loss = 2.16
expected_grad = np.array([
    [-0.3, -0.3, -0.3, -0.3],
    [-0.3, -0.3, 0.3, 0.3],
    [0.3, 0.3, 0.3, 0.3],
])
print("loss error:              ", rel_error(loss, expected_loss))
print("gradient error:          ", rel_error(grad, expected_grad))
assert rel_error(loss, expected_loss) < 1e-10, f"loss is off: relative error {rel_error(loss, expected_loss):.1e} to expected_loss, should be below 1e-10"
assert rel_error(grad, expected_grad) < 1e-10, f"grad is off: relative error {rel_error(grad, expected_grad):.1e} to expected_grad, should be below 1e-10"

# The gradient must be the derivative of the loss (w has no zero entry, where |w| has a kink).
numerical_grad = eval_numerical_gradient(lambda v: l1_penalty(v, 0.3)[0], w)
print("numerical gradient error:", rel_error(grad, numerical_grad))
assert rel_error(grad, numerical_grad) < 1e-8, f"grad is off: relative error {rel_error(grad, numerical_grad):.1e} to numerical_grad, should be below 1e-08"
assert np.array_equal(w, w_before), "w was modified in place"
assert l1_penalty(w, 0.3)[1].dtype == np.float64, f"the gradient should be float64 like w, got {l1_penalty(w, 0.3)[1].dtype}"
note_dtype(l1_penalty(w.astype(np.float32), 0.3)[1], np.float32, "the gradient of l1_penalty")
print("l1_penalty: visible checks passed")

### BEGIN HIDDEN TESTS
from autograder.checks.regularization import check_l1_penalty
check_l1_penalty(l1_penalty)
### END HIDDEN TESTS

# %% id="elastic-net-penalty" nbgrader={"grade": false, "grade_id": "elastic_net_penalty", "locked": false, "schema_version": 3, "solution": true, "task": false}
def elastic_net_penalty(w, reg, beta=0.5):
    """Elastic net: a mix of the L2 and the L1 penalty, as on the lecture slides.

    loss = reg * sum(beta * w ** 2 + |w|)
    grad = reg * (2 * beta * w + sign(w))     (sign(0) = 0)

    With the default beta = 0.5 it is l2_penalty(w, reg) + l1_penalty(w, reg).

    Inputs:
    - w: float array of any shape (float32 or float64), the weights.
    - reg: float >= 0, the overall strength.
    - beta: float >= 0, the weight of the squared term relative to the absolute one.

    Returns a tuple of:
    - loss: float, the penalty.
    - grad: array of the same shape and dtype as w.

    w must not be modified.
    """
    ### BEGIN SOLUTION
    loss = reg * float(np.sum(beta * w * w + np.abs(w)))
    grad = reg * (2 * beta * w + np.sign(w))
    ### END SOLUTION
    return loss, grad


# %% id="test-elastic-net-penalty" nbgrader={"grade": true, "grade_id": "test_elastic_net_penalty", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
# reg * sum(beta * w**2 + |w|) with reg = 0.3 and beta = 2.
w = np.linspace(-1.05, 1.15, num=12).reshape(3, 4)
w_before = w.copy()
loss, grad = elastic_net_penalty(w, 0.3, beta=2.0)
expected_loss = 5.61
expected_grad = np.array([
    [-1.56, -1.32, -1.08, -0.84],
    [-0.6, -0.36, 0.48, 0.72],
    [0.96, 1.2, 1.44, 1.68],
])
print("loss error:              ", rel_error(loss, expected_loss))
print("gradient error:          ", rel_error(grad, expected_grad))
assert rel_error(loss, expected_loss) < 1e-10, f"loss is off: relative error {rel_error(loss, expected_loss):.1e} to expected_loss, should be below 1e-10"
assert rel_error(grad, expected_grad) < 1e-10, f"grad is off: relative error {rel_error(grad, expected_grad):.1e} to expected_grad, should be below 1e-10"

# The gradient must be the derivative of the loss (w has no zero entry, where |w| has a kink).
numerical_grad = eval_numerical_gradient(lambda v: elastic_net_penalty(v, 0.3, beta=2.0)[0], w)
print("numerical gradient error:", rel_error(grad, numerical_grad))
assert rel_error(grad, numerical_grad) < 1e-8, f"grad is off: relative error {rel_error(grad, numerical_grad):.1e} to numerical_grad, should be below 1e-08"
assert np.array_equal(w, w_before), "w was modified in place"
assert elastic_net_penalty(w, 0.3, beta=2.0)[1].dtype == np.float64, f"the gradient should be float64 like w, got {elastic_net_penalty(w, 0.3, beta=2.0)[1].dtype}"
note_dtype(elastic_net_penalty(w.astype(np.float32), 0.3, beta=2.0)[1], np.float32, "the gradient of elastic_net_penalty")
# The default beta = 0.5 makes it the sum of the two penalties above.
combined_loss = l2_penalty(w, 0.3)[0] + l1_penalty(w, 0.3)[0]
print("default beta error:      ", rel_error(elastic_net_penalty(w, 0.3)[0], combined_loss))
assert rel_error(elastic_net_penalty(w, 0.3)[0], combined_loss) < 1e-10, f"elastic_net_penalty(w, 0.3)[0] is off: relative error {rel_error(elastic_net_penalty(w, 0.3)[0], combined_loss):.1e} to combined_loss, should be below 1e-10"
print("elastic_net_penalty: visible checks passed")

### BEGIN HIDDEN TESTS
from autograder.checks.regularization import check_elastic_net_penalty
check_elastic_net_penalty(elastic_net_penalty)
### END HIDDEN TESTS

# %% [markdown] id="md-penalty-plot"
# The three penalties on a single weight $w$ with $\lambda = 1$, and their gradients. The L2 gradient
# fades away near 0, so L2 shrinks weights but rarely makes them exactly zero; the L1 gradient keeps
# its full size right up to 0.

# %% id="penalty-plot"
grid = np.linspace(-2.0, 2.0, 401)
penalties = {
    "L2": partial(l2_penalty, reg=1.0),
    "L1": partial(l1_penalty, reg=1.0),
    "elastic net (beta=0.5)": partial(elastic_net_penalty, reg=1.0),
}
try:
    # Each entry of the gradient array is the derivative at that entry, so one call gives the curve.
    curves = {name: ([penalty(np.array([w]))[0] for w in grid], penalty(grid)[1]) for name, penalty in penalties.items()}
except NotImplementedError:
    print("skipped: implement the three penalties first")
else:
    fig, (value_ax, grad_ax) = plt.subplots(1, 2, figsize=(12, 4))
    for name, (values, gradients) in curves.items():
        value_ax.plot(grid, values, label=name)
        grad_ax.plot(grid, gradients, label=name)
    value_ax.set(xlabel="weight $w$", ylabel="penalty $R(w)$", title="penalty")
    grad_ax.set(xlabel="weight $w$", ylabel="$dR/dw$", title="gradient")
    for ax in (value_ax, grad_ax):
        ax.grid(True, alpha=0.3)
        ax.legend()
    plt.tight_layout()
    plt.show()


# %% [markdown] id="md-dropout"
# ## 2. Dropout
#
# **Dropout** (Srivastava et al., 2014): in every forward pass during training, each hidden unit is
# kept with probability $p$ and set to zero otherwise, independently of every other unit and of
# every other forward pass. Each example of a minibatch gets its own mask. $p = 0.5$ is a common
# choice for fully connected layers; higher $p$ means less dropout.
#
# Why would breaking the network on purpose help?
#
# - A unit cannot count on any particular other unit being present, so units cannot *co-adapt*
#   (build features that only work in a fixed combination); the network has to spread what it
#   knows over many units, a redundant representation.
# - Every mask selects a different sub-network, and all of them share the same weights. Training
#   with dropout trains a huge **ensemble**: a layer of 4096 units alone has $2^{4096}$ masks.
#
# **Test time.** The output is now random, $y = f_W(x, z)$ with mask $z$. At test time we want the
# ensemble's answer $\mathbb{E}_z[f_W(x, z)]$, which is an intractable sum over all masks. The cheap
# approximation matches the expectation layer by layer: a kept unit passes $h$, a dropped one
# passes 0, so during training its **expected** output is $p \cdot h$. Take a single neuron
# $a = w_1 x_1 + w_2 x_2$ after a dropout layer with $p = \tfrac12$: the four masks are equally
# likely and give $a \in \{w_1x_1 + w_2x_2,\; w_1x_1,\; w_2x_2,\; 0\}$, whose average is
# $\tfrac12 (w_1 x_1 + w_2 x_2)$. Without dropout the neuron would see twice as much. Two ways to
# make training and test agree:
#
# | | training | test |
# |---|---|---|
# | **vanilla dropout** | `out = x * mask` | `out = p * x` |
# | **inverted dropout** | `out = x * mask / p` | `out = x` |
#
# Both make the expected training output equal to the test output. **Inverted dropout** is what
# libraries use: the extra multiplication happens during training, and the test-time network is the
# plain network, with no trace of dropout in the code that runs in production.
#
# **Backward pass.** The forward pass multiplied by a constant mask (and scale), so the backward pass
# multiplies `dout` by the same mask (and scale): a dropped unit gets no gradient. That is why the
# forward pass stores its mask in the cache; drawing a new mask in the backward pass would be a
# different function.

# %% id="vanilla-dropout-forward" nbgrader={"grade": false, "grade_id": "vanilla_dropout_forward", "locked": false, "schema_version": 3, "solution": true, "task": false}
def vanilla_dropout_forward(x, dropout_param):
    """Dropout that scales at TEST time (the form first proposed; not the one used in practice).

    train: every unit (every entry of x) is kept with probability p, independently of all the
           others, and dropped (set to 0) otherwise: out = x * mask. No scaling.
    test:  nothing is dropped; out = p * x, the expected value of the training output.

    Inputs:
    - x: float array (N, ...) of any shape, float32 or float64.
    - dropout_param: dict with the keys
      - p: float in (0, 1], the probability of KEEPING each unit.
      - mode: "train" or "test".
      - seed: optional int. The mask is drawn with np.random.default_rng(seed): the same
        seed gives the same mask, no seed gives a fresh mask on every call.

    Returns a tuple of:
    - out: array of the same shape and dtype as x.
    - cache: (dropout_param, mask), with mask a boolean array of x's shape, True where the
      unit was kept (training mode), or None (test mode).

    Neither x nor dropout_param may be modified.
    """
    p, mode = dropout_param["p"], dropout_param["mode"]
    rng = np.random.default_rng(dropout_param.get("seed"))

    ### BEGIN SOLUTION
    if mode == "train":
        mask = rng.random(x.shape) < p
        out = x * mask
    else:
        mask = None
        out = x * p
    ### END SOLUTION
    return out, (dropout_param, mask)


# %% id="test-vanilla-dropout-forward" nbgrader={"grade": true, "grade_id": "test_vanilla_dropout_forward", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
# Positive inputs like ReLU activations; none is zero, so a zero in the output is a dropped unit.
x = np.random.default_rng(0).uniform(0.5, 1.5, size=(500, 400))
x_before = x.copy()

out, cache = vanilla_dropout_forward(x, {"p": 0.3, "mode": "train"})
kept = out != 0
print("fraction of units kept (should be close to p = 0.3):", kept.mean())
print("kept units are x    , error:              ", rel_error(out[kept], x[kept]))
assert abs(kept.mean() - 0.3) < 0.01, "p is the probability of KEEPING a unit"
assert rel_error(out[kept], x[kept]) < 1e-12, f"out[kept] is off: relative error {rel_error(out[kept], x[kept]):.1e} to x[kept], should be below 1e-12"
assert not np.all(kept == kept[0]), "every example got the same mask: draw one number per entry of x"

out_test, _ = vanilla_dropout_forward(x, {"p": 0.3, "mode": "test"})
print("test mode gives p * x, error:                   ", rel_error(out_test, 0.3 * x))
assert rel_error(out_test, 0.3 * x) < 1e-12, f"out_test is off: relative error {rel_error(out_test, 0.3 * x):.1e} to 0.3 * x, should be below 1e-12"

# Same seed, same mask; no seed, a fresh mask on every call.
first, _ = vanilla_dropout_forward(x, {"p": 0.3, "mode": "train", "seed": 42})
again, _ = vanilla_dropout_forward(x, {"p": 0.3, "mode": "train", "seed": 42})
fresh, _ = vanilla_dropout_forward(x, {"p": 0.3, "mode": "train"})
assert np.array_equal(first, again), "the same seed should give the same mask"
assert not np.array_equal(out != 0, fresh != 0), "every call without a seed should draw a new mask"

note_dtype(vanilla_dropout_forward(x.astype(np.float32), {"p": 0.3, "mode": "train"})[0], np.float32, "out of vanilla_dropout_forward")
assert np.array_equal(x, x_before), "x was modified in place"
print("vanilla_dropout_forward: visible checks passed")

### BEGIN HIDDEN TESTS
from autograder.checks.regularization import check_vanilla_dropout_forward
check_vanilla_dropout_forward(vanilla_dropout_forward)
### END HIDDEN TESTS

# %% id="vanilla-dropout-backward" nbgrader={"grade": false, "grade_id": "vanilla_dropout_backward", "locked": false, "schema_version": 3, "solution": true, "task": false}
def vanilla_dropout_backward(dout, cache):
    """Backward pass of vanilla_dropout_forward.

    Inputs:
    - dout: float array, the upstream gradient, of the shape of the forward pass's x.
    - cache: (dropout_param, mask) from vanilla_dropout_forward.

    Returns:
    - dx: array of the same shape and dtype as dout. In training mode the gradient flows only
      through the kept units (the mask of the forward pass, not a new one); in test mode the
      forward pass multiplied by p.

    dout must not be modified.
    """
    dropout_param, mask = cache

    ### BEGIN SOLUTION
    if dropout_param["mode"] == "train":
        dx = dout * mask
    else:
        dx = dout * dropout_param["p"]
    ### END SOLUTION
    return dx


# %% id="test-vanilla-dropout-backward" nbgrader={"grade": true, "grade_id": "test_vanilla_dropout_backward", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
# With a fixed seed every call of the forward pass uses the same mask, so the numerical gradient
# of the forward pass is well defined and must equal the backward pass, in both modes.
rng = np.random.default_rng(1)
x = rng.standard_normal((10, 8))
dout = rng.standard_normal((10, 8))
for mode in ("train", "test"):
    dropout_param = {"p": 0.6, "mode": mode, "seed": 123}
    out, cache = vanilla_dropout_forward(x, dropout_param)
    dx = vanilla_dropout_backward(dout, cache)
    numerical_dx = eval_numerical_gradient_array(lambda v: vanilla_dropout_forward(v, dropout_param)[0], x, dout)
    print(f"{mode} mode: dx error {rel_error(dx, numerical_dx):.2e}")
    assert rel_error(dx, numerical_dx) < 1e-8, f"dx is off: relative error {rel_error(dx, numerical_dx):.1e} to numerical_dx, should be below 1e-08"

# In training mode no gradient reaches a dropped unit.
out, cache = vanilla_dropout_forward(x, {"p": 0.6, "mode": "train"})
dx = vanilla_dropout_backward(dout, cache)
assert np.array_equal(dx == 0, out == 0), "dx should be zero exactly where the unit was dropped"
print("vanilla_dropout_backward: visible checks passed")

### BEGIN HIDDEN TESTS
from autograder.checks.regularization import check_vanilla_dropout_backward
check_vanilla_dropout_backward(vanilla_dropout_backward, vanilla_dropout_forward)
### END HIDDEN TESTS

# %% id="dropout-forward" nbgrader={"grade": false, "grade_id": "dropout_forward", "locked": false, "schema_version": 3, "solution": true, "task": false}
def dropout_forward(x, dropout_param):
    """Inverted dropout: scale at TRAINING time, so that test time is a plain forward pass.

    train: every unit is kept with probability p, independently, and dropped otherwise; the
           kept units are divided by p: out = x * mask / p.
    test:  out = x (the identity).

    Inputs:
    - x: float array (N, ...) of any shape, float32 or float64.
    - dropout_param: dict with the keys
      - p: float in (0, 1], the probability of KEEPING each unit.
      - mode: "train" or "test".
      - seed: optional int. The mask is drawn with np.random.default_rng(seed): the same
        seed gives the same mask, no seed gives a fresh mask on every call.

    Returns a tuple of:
    - out: array of the same shape and dtype as x.
    - cache: (dropout_param, mask), with mask a boolean array of x's shape, True where the
      unit was kept (training mode), or None (test mode).

    Neither x nor dropout_param may be modified.
    """
    p, mode = dropout_param["p"], dropout_param["mode"]
    rng = np.random.default_rng(dropout_param.get("seed"))

    ### BEGIN SOLUTION
    if mode == "train":
        mask = rng.random(x.shape) < p
        out = x * mask / p
    else:
        mask = None
        out = x.copy()
    ### END SOLUTION
    return out, (dropout_param, mask)


# %% id="test-dropout-forward" nbgrader={"grade": true, "grade_id": "test_dropout_forward", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
# Positive inputs like ReLU activations; none is zero, so a zero in the output is a dropped unit.
x = np.random.default_rng(0).uniform(0.5, 1.5, size=(500, 400))
x_before = x.copy()

out, cache = dropout_forward(x, {"p": 0.3, "mode": "train"})
kept = out != 0
print("fraction of units kept (should be close to p = 0.3):", kept.mean())
print("kept units are x / p, error:              ", rel_error(out[kept], x[kept] / 0.3))
assert abs(kept.mean() - 0.3) < 0.01, "p is the probability of KEEPING a unit"
assert rel_error(out[kept], x[kept] / 0.3) < 1e-12, f"out[kept] is off: relative error {rel_error(out[kept], x[kept] / 0.3):.1e} to x[kept] / 0.3, should be below 1e-12"
assert not np.all(kept == kept[0]), "every example got the same mask: draw one number per entry of x"

out_test, _ = dropout_forward(x, {"p": 0.3, "mode": "test"})
print("test mode gives x, error:                   ", rel_error(out_test, x))
assert rel_error(out_test, x) < 1e-12, f"out_test is off: relative error {rel_error(out_test, x):.1e} to x, should be below 1e-12"

# Same seed, same mask; no seed, a fresh mask on every call.
first, _ = dropout_forward(x, {"p": 0.3, "mode": "train", "seed": 42})
again, _ = dropout_forward(x, {"p": 0.3, "mode": "train", "seed": 42})
fresh, _ = dropout_forward(x, {"p": 0.3, "mode": "train"})
assert np.array_equal(first, again), "the same seed should give the same mask"
assert not np.array_equal(out != 0, fresh != 0), "every call without a seed should draw a new mask"

note_dtype(dropout_forward(x.astype(np.float32), {"p": 0.3, "mode": "train"})[0], np.float32, "out of dropout_forward")
assert np.array_equal(x, x_before), "x was modified in place"
print("dropout_forward: visible checks passed")

### BEGIN HIDDEN TESTS
from autograder.checks.regularization import check_dropout_forward
check_dropout_forward(dropout_forward)
### END HIDDEN TESTS

# %% id="dropout-backward" nbgrader={"grade": false, "grade_id": "dropout_backward", "locked": false, "schema_version": 3, "solution": true, "task": false}
def dropout_backward(dout, cache):
    """Backward pass of (inverted) dropout_forward.

    Inputs:
    - dout: float array, the upstream gradient, of the shape of the forward pass's x.
    - cache: (dropout_param, mask) from dropout_forward.

    Returns:
    - dx: array of the same shape and dtype as dout.

    dout must not be modified.
    """
    dropout_param, mask = cache

    ### BEGIN SOLUTION
    if dropout_param["mode"] == "train":
        dx = dout * mask / dropout_param["p"]
    else:
        dx = dout.copy()
    ### END SOLUTION
    return dx


# %% id="test-dropout-backward" nbgrader={"grade": true, "grade_id": "test_dropout_backward", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
# With a fixed seed every call of the forward pass uses the same mask, so the numerical gradient
# of the forward pass is well defined and must equal the backward pass, in both modes.
rng = np.random.default_rng(1)
x = rng.standard_normal((10, 8))
dout = rng.standard_normal((10, 8))
for mode in ("train", "test"):
    dropout_param = {"p": 0.6, "mode": mode, "seed": 123}
    out, cache = dropout_forward(x, dropout_param)
    dx = dropout_backward(dout, cache)
    numerical_dx = eval_numerical_gradient_array(lambda v: dropout_forward(v, dropout_param)[0], x, dout)
    print(f"{mode} mode: dx error {rel_error(dx, numerical_dx):.2e}")
    assert rel_error(dx, numerical_dx) < 1e-8, f"dx is off: relative error {rel_error(dx, numerical_dx):.1e} to numerical_dx, should be below 1e-08"

# In training mode no gradient reaches a dropped unit.
out, cache = dropout_forward(x, {"p": 0.6, "mode": "train"})
dx = dropout_backward(dout, cache)
assert np.array_equal(dx == 0, out == 0), "dx should be zero exactly where the unit was dropped"
print("dropout_backward: visible checks passed")

### BEGIN HIDDEN TESTS
from autograder.checks.regularization import check_dropout_backward
check_dropout_backward(dropout_backward, dropout_forward)
### END HIDDEN TESTS

# %% [markdown] id="md-dropout-stats"
# ### Dropout statistics: do training and test time agree?
#
# Below, a minibatch of ReLU activations goes through each dropout variant (with $p = 0.5$): once in
# test mode, and `NUM_MASKS` times in training mode with fresh masks. Each dot is one unit of one
# example: its test-mode output against its training-mode output averaged over the masks. If the
# two variants do what the table says, the dots lie on the diagonal (up to the sampling noise of
# the average).
#
# The right panel goes one layer further: the dropped-out activations feed an affine layer and a
# ReLU, and we compare the average of that layer's output over the masks with its output at test
# time (inverted dropout). The expectation passes through the affine layer unchanged (it is linear)
# but not through the ReLU: there test-time scaling is only an approximation of the average, and the
# printout shows by how much.

# %% id="dropout-stats"
stats_rng = np.random.default_rng(0)
activations = np.maximum(0.0, stats_rng.standard_normal((20, 50)))  # 20 examples, 50 ReLU units
next_weights = stats_rng.standard_normal((50, 30)) / np.sqrt(50)
KEEP = 0.5


def train_and_test_means(forward):
    """Average training output over NUM_MASKS masks, and the test output, of a dropout forward pass."""
    train_mean = np.mean([forward(activations, {"p": KEEP, "mode": "train"})[0] for _ in range(NUM_MASKS)], axis=0)
    return train_mean, forward(activations, {"p": KEEP, "mode": "test"})[0]


try:
    means = {"vanilla dropout": train_and_test_means(vanilla_dropout_forward),
             "inverted dropout": train_and_test_means(dropout_forward)}
    next_train = np.mean([np.maximum(0.0, dropout_forward(activations, {"p": KEEP, "mode": "train"})[0] @ next_weights)
                          for _ in range(NUM_MASKS)], axis=0)
    next_test = np.maximum(0.0, dropout_forward(activations, {"p": KEEP, "mode": "test"})[0] @ next_weights)
except NotImplementedError:
    print("skipped: implement vanilla_dropout_forward and dropout_forward first")
else:
    fig, axes = plt.subplots(1, 3, figsize=(16, 4.8))
    panels = [*((name, train, test) for name, (train, test) in means.items()),
              ("next layer: relu(dropout(h) @ W)", next_train, next_test)]
    for ax, (name, train, test) in zip(axes, panels):
        ax.scatter(test.ravel(), train.ravel(), s=6, alpha=0.5)
        top = max(test.max(), train.max())
        ax.plot([0, top], [0, top], "k--", linewidth=1, label="train mean = test")
        ax.set(xlabel="test-mode output", ylabel=f"training output, mean of {NUM_MASKS} masks", title=name)
        ax.legend(loc="upper left")
        ax.grid(True, alpha=0.3)
        print(f"{name:34s} mean activation: train {train.mean():.4f}, test {test.mean():.4f}")
    plt.tight_layout()
    plt.show()
    print_claim("02.dropout-scaling-exact-before-relu-only",
                vanilla_train=means["vanilla dropout"][0].mean(), vanilla_test=means["vanilla dropout"][1].mean(),
                inverted_train=means["inverted dropout"][0].mean(), inverted_test=means["inverted dropout"][1].mean(),
                after_relu_train=next_train.mean(), after_relu_test=next_test.mean())


# %% [markdown] id="q-dropout-expectation" nbgrader={"grade": false, "grade_id": "q_dropout_expectation_prompt", "locked": true, "schema_version": 3, "solution": false, "task": false}
# **Question.** Explain why vanilla and inverted dropout give the same *expected* output, although
# their training-time outputs differ by a factor $1/p$. Then look at the right panel: why is the
# test-time output exact for the dropout layer's expectation (and for the affine layer after it)
# but only an approximation of the average network output after a ReLU? Which way do the dots lean,
# and why? Finally, why do libraries implement the inverted form?

# %% [markdown] id="q-dropout-expectation-answer" nbgrader={"grade": true, "grade_id": "q_dropout_expectation", "locked": false, "points": 2, "schema_version": 3, "solution": true, "task": false}
# For one unit with activation $h$ and keep mask $m \sim \text{Bernoulli}(p)$:
# vanilla training gives $m h$ with $\mathbb{E}[m h] = p h$, and its test output is $p h$; inverted
# training gives $m h / p$ with $\mathbb{E}[m h / p] = h$, and its test output is $h$. In both, the
# test output equals the expected training output. The two only differ by the constant factor $p$
# on everything the next layer sees, which the next layer's weights absorb (inverted weights = $p$
# times vanilla weights give the same network), so they describe the same model.
#
# Expectation is linear, so it passes exactly through the dropout layer and through any affine layer
# after it: $\mathbb{E}[W^\top (m \odot h)/p] = W^\top h$. A ReLU is not linear:
# $\mathbb{E}[\max(0, z)] \ne \max(0, \mathbb{E}[z])$ in general. Since $\max(0, \cdot)$ is convex,
# Jensen's inequality gives $\mathbb{E}[\max(0, z)] \ge \max(0, \mathbb{E}[z])$: the averaged
# training outputs lie on or above the diagonal, most visibly for units whose pre-activation is near
# zero, where the noise sometimes pushes it positive. So scaling is a cheap, local approximation of
# the ensemble average $\mathbb{E}_z[f(x, z)]$ (sometimes called weight scaling inference), not the
# exact average; it works well in practice.
#
# Libraries use inverted dropout because the test-time network is then the ordinary network: no
# extra multiplication at prediction time (where speed matters and which may run on other hardware
# or code), and the same inference code works whether or not the model was trained with dropout, or
# with different keep probabilities in different layers. The extra cost moves to training, where one
# more elementwise multiply is negligible.

# %% [markdown] id="md-dropconnect"
# ## 3. DropConnect
#
# **DropConnect** (Wan et al., 2013) applies the same idea to the **weights** of an affine layer:
# during training each weight $W_{kl}$ is kept with probability $p$ and zeroed otherwise, so every
# output unit sees a random subset of its inputs rather than every unit seeing all inputs of a
# random subset. Dropping input unit $k$ (dropout) is the special case of dropping the whole row $k$
# of $W$; DropConnect drops connections one by one.
#
# In the paper, every example draws its own weight mask. That means a separate $D \times M$ matrix
# per example; to keep the layer as cheap as an ordinary affine layer we draw **one mask per forward
# pass**, shared by the minibatch (every minibatch still gets a new one). As with inverted dropout,
# the kept weights are divided by $p$ during training, and the test-time layer uses the full
# weights, $x W + b$: the expected pre-activation is matched. (The paper approximates the test-time
# average more carefully, by sampling from a Gaussian fitted to the pre-activations; we keep the
# simple mean.) The biases are never dropped.

# %% id="dropconnect-forward" nbgrader={"grade": false, "grade_id": "dropconnect_forward", "locked": false, "schema_version": 3, "solution": true, "task": false}
def dropconnect_forward(x, w, b, param):
    """Affine layer with DropConnect: drop random WEIGHTS instead of random activations.

    train: draw ONE mask of w's shape for the whole minibatch, keeping each weight with
           probability p, and divide the kept weights by p (inverted, like dropout_forward):
           out = x @ (w * mask / p) + b
    test:  out = x @ w + b

    Inputs:
    - x: float array (N, d_1, ..., d_k), reshaped to (N, D) rows with D = d_1 * ... * d_k.
    - w: float array (D, M), the weights.
    - b: float array (M,), the biases (never dropped).
    - param: dict with p (probability of keeping a weight), mode ("train" or "test") and an
      optional seed, exactly as dropout_param.

    Returns a tuple of:
    - out: float array (N, M).
    - cache: (x, w, b, param, mask), mask a boolean (D, M) array (None in test mode).

    None of x, w, b, param may be modified.
    """
    p, mode = param["p"], param["mode"]
    rng = np.random.default_rng(param.get("seed"))
    x_rows = x.reshape(x.shape[0], -1)

    ### BEGIN SOLUTION
    if mode == "train":
        mask = rng.random(w.shape) < p
        out = x_rows @ (w * mask / p) + b
    else:
        mask = None
        out = x_rows @ w + b
    ### END SOLUTION
    return out, (x, w, b, param, mask)


# %% id="test-dropconnect-forward" nbgrader={"grade": true, "grade_id": "test_dropconnect_forward", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
rng = np.random.default_rng(2)
x = rng.standard_normal((200, 30))
w = rng.standard_normal((30, 40))
b = rng.standard_normal(40)
x_before, w_before = x.copy(), w.copy()

out_test, _ = dropconnect_forward(x, w, b, {"p": 0.25, "mode": "test"})
print("test mode is an affine layer, error:                ", rel_error(out_test, x @ w + b))
assert rel_error(out_test, x @ w + b) < 1e-12, f"out_test is off: relative error {rel_error(out_test, x @ w + b):.1e} to x @ w + b, should be below 1e-12"

# With more examples (200) than inputs (30), least squares recovers the one weight matrix W'
# that the training-mode forward pass used for the whole minibatch: out = x @ W' + b.
out, _ = dropconnect_forward(x, w, b, {"p": 0.25, "mode": "train"})
w_used = np.linalg.lstsq(x, out - b, rcond=None)[0]
kept = np.abs(w_used) > 1e-6
print("out is x @ W' + b, residual:                        ",
      np.linalg.norm(x @ w_used + b - out) / np.linalg.norm(out))
print("fraction of weights kept (should be close to 0.25): ", kept.mean())
print("kept weights are w / p, error:                      ", rel_error(w_used[kept], w[kept] / 0.25))
assert np.linalg.norm(x @ w_used + b - out) < 1e-8 * np.linalg.norm(out), "use one mask of w's shape"
assert abs(kept.mean() - 0.25) < 0.06, "p is the probability of KEEPING a weight"
assert rel_error(w_used[kept], w[kept] / 0.25) < 1e-8, f"w_used[kept] is off: relative error {rel_error(w_used[kept], w[kept] / 0.25):.1e} to w[kept] / 0.25, should be below 1e-08"

# x of shape (N, d_1, d_2) is flattened to rows, as in an affine layer.
out_3d, _ = dropconnect_forward(x.reshape(200, 5, 6), w, b, {"p": 0.25, "mode": "test"})
assert out_3d.shape == (200, 40), f"out for 3-D x should have shape (200, 40), got {out_3d.shape}: flatten x to (N, D) first"
assert np.array_equal(x, x_before) and np.array_equal(w, w_before), "x or w was modified in place"
print("dropconnect_forward: visible checks passed")

### BEGIN HIDDEN TESTS
from autograder.checks.regularization import check_dropconnect_forward
check_dropconnect_forward(dropconnect_forward)
### END HIDDEN TESTS

# %% id="dropconnect-backward" nbgrader={"grade": false, "grade_id": "dropconnect_backward", "locked": false, "schema_version": 3, "solution": true, "task": false}
def dropconnect_backward(dout, cache):
    """Backward pass of dropconnect_forward.

    Inputs:
    - dout: float array (N, M), the upstream gradient.
    - cache: (x, w, b, param, mask) from dropconnect_forward.

    Returns a tuple of:
    - dx: float array of x's shape (N, d_1, ..., d_k).
    - dw: float array (D, M). A dropped weight took no part in the forward pass.
    - db: float array (M,).

    dout must not be modified.
    """
    x, w, b, param, mask = cache
    x_rows = x.reshape(x.shape[0], -1)

    ### BEGIN SOLUTION
    if param["mode"] == "train":
        scale = mask / param["p"]
    else:
        scale = np.ones_like(w)
    dx = (dout @ (w * scale).T).reshape(x.shape)
    dw = (x_rows.T @ dout) * scale
    db = dout.sum(axis=0)
    ### END SOLUTION
    return dx, dw, db


# %% id="test-dropconnect-backward" nbgrader={"grade": true, "grade_id": "test_dropconnect_backward", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false}
rng = np.random.default_rng(3)
x = rng.standard_normal((4, 2, 3))
w = rng.standard_normal((6, 5))
b = rng.standard_normal(5)
dout = rng.standard_normal((4, 5))
for mode in ("train", "test"):
    param = {"p": 0.7, "mode": mode, "seed": 7}
    _, cache = dropconnect_forward(x, w, b, param)
    dx, dw, db = dropconnect_backward(dout, cache)
    numerical_dx = eval_numerical_gradient_array(lambda v: dropconnect_forward(v, w, b, param)[0], x, dout)
    numerical_dw = eval_numerical_gradient_array(lambda v: dropconnect_forward(x, v, b, param)[0], w, dout)
    numerical_db = eval_numerical_gradient_array(lambda v: dropconnect_forward(x, w, v, param)[0], b, dout)
    print(f"{mode} mode: dx error {rel_error(dx, numerical_dx):.2e}, dw error {rel_error(dw, numerical_dw):.2e}, "
          f"db error {rel_error(db, numerical_db):.2e}")
    assert dx.shape == x.shape, f"dx should have the shape of x, {x.shape}, got {dx.shape}"
    assert rel_error(dx, numerical_dx) < 1e-8, f"dx is off: relative error {rel_error(dx, numerical_dx):.1e} to numerical_dx, should be below 1e-08"
    assert rel_error(dw, numerical_dw) < 1e-8, f"dw is off: relative error {rel_error(dw, numerical_dw):.1e} to numerical_dw, should be below 1e-08"
    assert rel_error(db, numerical_db) < 1e-8, f"db is off: relative error {rel_error(db, numerical_db):.1e} to numerical_db, should be below 1e-08"
print("dropconnect_backward: visible checks passed")

### BEGIN HIDDEN TESTS
from autograder.checks.regularization import check_dropconnect_backward
check_dropconnect_backward(dropconnect_backward, dropconnect_forward)
### END HIDDEN TESTS

# %% [markdown] id="q-dropconnect" nbgrader={"grade": false, "grade_id": "q_dropconnect_prompt", "locked": true, "schema_version": 3, "solution": false, "task": false}
# **Question.** What does DropConnect change compared with dropout? Discuss what is dropped, how
# many random numbers a layer draws, what a dropped weight receives in the backward pass compared
# with the weights of a dropped unit, and what our one-mask-per-minibatch simplification gives up.

# %% [markdown] id="q-dropconnect-answer" nbgrader={"grade": true, "grade_id": "q_dropconnect", "locked": false, "points": 2, "schema_version": 3, "solution": true, "task": false}
# Dropout zeroes **activations**: a dropped unit sends nothing to any unit of the next layer, so a
# whole row of the next weight matrix is switched off for that example. DropConnect zeroes individual
# **weights**: an input can still reach some output units and not others, so the set of possible
# sub-networks is much larger ($2^{DM}$ masks for a $D \times M$ layer instead of $2^{D}$ per
# example) and the noise is finer-grained. Dropout needs one random number per unit per example
# ($N \times D$); DropConnect as in the paper needs one per weight per example ($N \times D \times M$),
# which is also why it is more expensive: each example multiplies with its own masked matrix.
#
# In the backward pass, a dropped weight gets zero gradient in that forward pass (it did not take
# part), and the kept ones get the gradient scaled by $1/p$; the input gradient flows through the
# masked matrix. With dropout, all weights in the row of a dropped unit get zero gradient for that
# example, while its other rows update normally.
#
# Sharing one weight mask across the minibatch makes the layer as cheap as a plain affine layer, but
# then all examples of a minibatch see the same sub-network: the noise is correlated across the
# batch, each gradient step trains just one of the sub-networks instead of averaging over $N$ of
# them, so the gradient is noisier and the regularization per step weaker than with per-example
# masks. At test time both versions use the same mean approximation $xW + b$.

# %% [markdown] id="md-batchnorm"
# ## 4. Batch normalization
#
# Batch normalization (Ioffe and Szegedy, 2015; covered in the previous lecture) makes the inputs of
# a layer zero-mean and unit-variance **per feature**, using the statistics of the current minibatch,
# then lets the network scale and shift them back with learned $\gamma$ and $\beta$. For $x$ of shape
# $N \times D$:
# $$\mu_j = \frac1N \sum_i x_{ij}, \qquad \sigma_j^2 = \frac1N \sum_i (x_{ij} - \mu_j)^2, \qquad
# \hat x_{ij} = \frac{x_{ij} - \mu_j}{\sqrt{\sigma_j^2 + \epsilon}}, \qquad y_{ij} = \gamma_j \hat x_{ij} + \beta_j.$$
#
# It mainly makes deep networks easier to optimize, but it fits the pattern of this notebook too:
#
# - **training**: an example is normalized with the mean and variance of *whichever* examples happen
#   to share its minibatch, so its activations jitter from one epoch to the next: noise;
# - **test**: that noise is averaged out by normalizing with fixed statistics, running averages
#   collected during training, $\mu_{\text{run}} \leftarrow m\,\mu_{\text{run}} + (1 - m)\,\mu$ (and the
#   same for the variance) with momentum $m$ (0.9 here). The prediction for one example no longer
#   depends on the others.
#
# We follow the formula above (and CS231n): $\sigma^2$ is the **biased** batch variance (divide by
# $N$), both for normalizing and for the running variance. (PyTorch keeps an unbiased estimate, with
# $N - 1$, in its running variance; the difference matters only for small batches.)
#
# For the backward pass, remember that $\mu$ and $\sigma^2$ are functions of every $x_{ij}$ in the
# column: changing one example changes how all of them are normalized. Do it first step by step
# through the graph ($x \to \mu \to \sigma^2 \to \hat x \to y$), then simplify the algebra on paper
# into one expression for `batchnorm_backward_alt`.

# %% id="batchnorm-forward" nbgrader={"grade": false, "grade_id": "batchnorm_forward", "locked": false, "schema_version": 3, "solution": true, "task": false}
def batchnorm_forward(x, gamma, beta, bn_param):
    """Batch normalization of a minibatch of feature vectors.

    train: normalize every feature (column) with the mean and the BIASED variance (divide by
           N) of this minibatch, then scale and shift:
               mean = mean of x over the batch          (D,)
               var  = mean of (x - mean) ** 2            (D,)
               out  = gamma * (x - mean) / sqrt(var + eps) + beta
           and update the running statistics with the same batch mean and biased variance:
               running_mean = momentum * running_mean + (1 - momentum) * mean
               running_var  = momentum * running_var  + (1 - momentum) * var
    test:  normalize with the running statistics; they are not changed:
               out = gamma * (x - running_mean) / sqrt(running_var + eps) + beta

    Inputs:
    - x: float array (N, D).
    - gamma: float array (D,), the scale.
    - beta: float array (D,), the shift.
    - bn_param: dict. Reads:
      - mode: "train" or "test" (required).
      - eps: float, added to the variance (default 1e-5).
      - momentum: float in [0, 1), how slowly the running statistics move (default 0.9).
      - running_mean, running_var: float arrays (D,) (default zeros).
      Writes running_mean and running_var (updated in training mode only).

    Returns a tuple of:
    - out: float array (N, D).
    - cache: whatever batchnorm_backward needs (your choice; None in test mode is fine).

    None of x, gamma, beta may be modified.
    """
    mode = bn_param["mode"]
    eps = bn_param.get("eps", 1e-5)
    momentum = bn_param.get("momentum", 0.9)
    num_features = x.shape[1]
    running_mean = bn_param.get("running_mean", np.zeros(num_features, dtype=x.dtype))
    running_var = bn_param.get("running_var", np.zeros(num_features, dtype=x.dtype))
    # In training mode, assign the updated statistics to running_mean and running_var.

    ### BEGIN SOLUTION
    if mode == "train":
        mean = x.mean(axis=0)
        var = x.var(axis=0)
        inv_std = 1.0 / np.sqrt(var + eps)
        x_hat = (x - mean) * inv_std
        out = gamma * x_hat + beta
        running_mean = momentum * running_mean + (1 - momentum) * mean
        running_var = momentum * running_var + (1 - momentum) * var
        cache = (x_hat, gamma, inv_std)
    else:
        out = gamma * (x - running_mean) / np.sqrt(running_var + eps) + beta
        cache = None
    ### END SOLUTION
    # The running statistics live in bn_param between calls (unchanged in test mode).
    bn_param["running_mean"] = running_mean
    bn_param["running_var"] = running_var
    return out, cache


# %% id="test-batchnorm-forward" nbgrader={"grade": true, "grade_id": "test_batchnorm_forward", "locked": true, "points": 4, "schema_version": 3, "solution": false, "task": false}
# Features with very different means and scales.
rng = np.random.default_rng(4)
x = np.array([5.0, -3.0, 0.5]) + np.array([1.0, 4.0, 0.5]) * rng.standard_normal((200, 3))
x_before = x.copy()
out, _ = batchnorm_forward(x, np.ones(3), np.zeros(3), {"mode": "train"})
print("after normalizing, means:", out.mean(axis=0).round(6), "stds:", out.std(axis=0).round(6))
assert np.allclose(out.mean(axis=0), 0.0) and np.allclose(out.std(axis=0), 1.0, atol=1e-4), "with gamma=1, beta=0 every feature of out should have mean 0 and std 1 over the batch"
gamma, beta = np.array([1.0, 2.0, 3.0]), np.array([0.0, -1.0, 4.0])
out, _ = batchnorm_forward(x, gamma, beta, {"mode": "train"})
print("with gamma and beta, means:", out.mean(axis=0).round(6), "stds:", out.std(axis=0).round(6))
assert np.allclose(out.mean(axis=0), beta) and np.allclose(out.std(axis=0), gamma, atol=1e-3), "every feature of out should have mean beta and std gamma over the batch"
assert np.array_equal(x, x_before), "x was modified in place"

# A small batch (N = 4, where N and N - 1 differ a lot) with a large eps.
x_small = np.array([[1.0, -2.0, 0.5], [3.0, 0.0, 0.25], [-1.0, 4.0, 1.0], [2.0, 1.0, -0.75]])
bn_param = {"mode": "train", "momentum": 0.8, "eps": 0.01}
out, _ = batchnorm_forward(x_small, np.array([1.5, -0.5, 2.0]), np.array([0.1, 0.2, -0.3]), bn_param)
expected_out = np.array([
    [-0.152968721508, 0.834408953748, 0.474984258292],
    [1.87078105056, 0.37302062375, -0.3],
    [-2.17671849357, -0.549756036248, 2.02495277488],
    [0.858906164524, 0.14232645875, -3.39993703317],
])
expected_running_mean = np.array([0.25, 0.15, 0.05])
expected_running_var = np.array([0.4375, 0.9375, 0.08125])
print("small batch: out error         ", rel_error(out, expected_out))
print("             running_mean error", rel_error(bn_param["running_mean"], expected_running_mean))
print("             running_var error ", rel_error(bn_param["running_var"], expected_running_var))
assert rel_error(out, expected_out) < 1e-8, f"out is off: relative error {rel_error(out, expected_out):.1e} to expected_out, should be below 1e-08"
assert rel_error(bn_param["running_mean"], expected_running_mean) < 1e-8, f"bn_param['running_mean'] is off: relative error {rel_error(bn_param['running_mean'], expected_running_mean):.1e} to expected_running_mean, should be below 1e-08"
assert rel_error(bn_param["running_var"], expected_running_var) < 1e-8, f"bn_param['running_var'] is off: relative error {rel_error(bn_param['running_var'], expected_running_var):.1e} to expected_running_var, should be below 1e-08"

# Many training steps on batches from the same distribution: the running statistics converge to
# its mean and variance, so test mode then normalizes new data about as well as training mode.
bn_param = {"mode": "train"}
for _ in range(100):
    batch = np.array([5.0, -3.0, 0.5]) + np.array([1.0, 4.0, 0.5]) * rng.standard_normal((50, 3))
    batchnorm_forward(batch, np.ones(3), np.zeros(3), bn_param)
print("running_mean after 100 steps:", bn_param["running_mean"].round(3), "(true mean [5, -3, 0.5])")
print("running_var after 100 steps: ", bn_param["running_var"].round(3), "(true variance [1, 16, 0.25])")
bn_param["mode"] = "test"
running_before = bn_param["running_mean"].copy(), bn_param["running_var"].copy()
out_test, _ = batchnorm_forward(x, np.ones(3), np.zeros(3), bn_param)
print("test mode, means:", out_test.mean(axis=0).round(3), "stds:", out_test.std(axis=0).round(3))
assert np.allclose(out_test.mean(axis=0), 0.0, atol=0.3) and np.allclose(out_test.std(axis=0), 1.0, atol=0.3), "in test mode the running statistics should normalize out_test to mean about 0 and std about 1"
assert np.array_equal(bn_param["running_mean"], running_before[0]), "test mode must not update running_mean"
assert np.array_equal(bn_param["running_var"], running_before[1]), "test mode must not update running_var"
print("batchnorm_forward: visible checks passed")

### BEGIN HIDDEN TESTS
from autograder.checks.regularization import check_batchnorm_forward
check_batchnorm_forward(batchnorm_forward)
### END HIDDEN TESTS

# %% id="batchnorm-backward" nbgrader={"grade": false, "grade_id": "batchnorm_backward", "locked": false, "schema_version": 3, "solution": true, "task": false}
def batchnorm_backward(dout, cache):
    """Backward pass of batchnorm_forward in training mode, through the computational graph.

    Work backwards through the steps of the forward pass (x -> mean, var -> x_hat -> out),
    remembering that the batch mean and variance depend on every x in the batch.

    Inputs:
    - dout: float array (N, D), the upstream gradient.
    - cache: from batchnorm_forward in training mode.

    Returns a tuple of:
    - dx: float array (N, D).
    - dgamma: float array (D,).
    - dbeta: float array (D,).
    """
    ### BEGIN SOLUTION
    x_hat, gamma, inv_std = cache
    num_examples = dout.shape[0]
    dbeta = dout.sum(axis=0)
    dgamma = np.sum(dout * x_hat, axis=0)
    dx_hat = dout * gamma
    x_centered = x_hat / inv_std
    dvar = np.sum(dx_hat * x_centered, axis=0) * -0.5 * inv_std ** 3
    dmean = -np.sum(dx_hat * inv_std, axis=0) - 2.0 * dvar * np.mean(x_centered, axis=0)
    dx = dx_hat * inv_std + dvar * 2.0 * x_centered / num_examples + dmean / num_examples
    ### END SOLUTION
    return dx, dgamma, dbeta


# %% id="test-batchnorm-backward" nbgrader={"grade": true, "grade_id": "test_batchnorm_backward", "locked": true, "points": 4, "schema_version": 3, "solution": false, "task": false}
rng = np.random.default_rng(5)
x = 3.0 + 2.0 * rng.standard_normal((6, 4))
gamma, beta = rng.standard_normal(4), rng.standard_normal(4)
dout = rng.standard_normal((6, 4))
bn_param = {"mode": "train", "eps": 1e-5}
_, cache = batchnorm_forward(x, gamma, beta, bn_param)
dx, dgamma, dbeta = batchnorm_backward(dout, cache)


def forward_out(x_, gamma_, beta_):
    return batchnorm_forward(x_, gamma_, beta_, {"mode": "train", "eps": 1e-5})[0]


numerical_dx = eval_numerical_gradient_array(lambda v: forward_out(v, gamma, beta), x, dout)
numerical_dgamma = eval_numerical_gradient_array(lambda v: forward_out(x, v, beta), gamma, dout)
numerical_dbeta = eval_numerical_gradient_array(lambda v: forward_out(x, gamma, v), beta, dout)
print("dx error:    ", rel_error(dx, numerical_dx))
print("dgamma error:", rel_error(dgamma, numerical_dgamma))
print("dbeta error: ", rel_error(dbeta, numerical_dbeta))
assert rel_error(dx, numerical_dx) < 1e-7, f"dx is off: relative error {rel_error(dx, numerical_dx):.1e} to numerical_dx, should be below 1e-07"
assert rel_error(dgamma, numerical_dgamma) < 1e-8, f"dgamma is off: relative error {rel_error(dgamma, numerical_dgamma):.1e} to numerical_dgamma, should be below 1e-08"
assert rel_error(dbeta, numerical_dbeta) < 1e-8, f"dbeta is off: relative error {rel_error(dbeta, numerical_dbeta):.1e} to numerical_dbeta, should be below 1e-08"
print("batchnorm_backward: visible checks passed")

### BEGIN HIDDEN TESTS
from autograder.checks.regularization import check_batchnorm_backward
check_batchnorm_backward(batchnorm_backward, batchnorm_forward)
### END HIDDEN TESTS

# %% id="batchnorm-backward-alt" nbgrader={"grade": false, "grade_id": "batchnorm_backward_alt", "locked": false, "schema_version": 3, "solution": true, "task": false}
def batchnorm_backward_alt(dout, cache):
    """Backward pass of batchnorm_forward in one simplified expression for dx.

    Work out d out / d x on paper first (with x_hat = (x - mean) / sqrt(var + eps), the sums
    over the batch simplify a lot), then write dx as a single line of numpy. Same inputs and
    outputs as batchnorm_backward.

    Inputs:
    - dout: float array (N, D), the upstream gradient.
    - cache: from batchnorm_forward in training mode.

    Returns a tuple of:
    - dx: float array (N, D).
    - dgamma: float array (D,).
    - dbeta: float array (D,).
    """
    ### BEGIN SOLUTION
    x_hat, gamma, inv_std = cache
    num_examples = dout.shape[0]
    dbeta = dout.sum(axis=0)
    dgamma = np.sum(dout * x_hat, axis=0)
    dx = (gamma * inv_std / num_examples) * (num_examples * dout - dbeta - x_hat * dgamma)
    ### END SOLUTION
    return dx, dgamma, dbeta


# %% id="test-batchnorm-backward-alt" nbgrader={"grade": true, "grade_id": "test_batchnorm_backward_alt", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
rng = np.random.default_rng(5)
x = 3.0 + 2.0 * rng.standard_normal((6, 4))
gamma, beta = rng.standard_normal(4), rng.standard_normal(4)
dout = rng.standard_normal((6, 4))
bn_param = {"mode": "train", "eps": 1e-5}
_, cache = batchnorm_forward(x, gamma, beta, bn_param)
dx, dgamma, dbeta = batchnorm_backward_alt(dout, cache)


def forward_out(x_, gamma_, beta_):
    return batchnorm_forward(x_, gamma_, beta_, {"mode": "train", "eps": 1e-5})[0]


numerical_dx = eval_numerical_gradient_array(lambda v: forward_out(v, gamma, beta), x, dout)
numerical_dgamma = eval_numerical_gradient_array(lambda v: forward_out(x, v, beta), gamma, dout)
numerical_dbeta = eval_numerical_gradient_array(lambda v: forward_out(x, gamma, v), beta, dout)
print("dx error:    ", rel_error(dx, numerical_dx))
print("dgamma error:", rel_error(dgamma, numerical_dgamma))
print("dbeta error: ", rel_error(dbeta, numerical_dbeta))
assert rel_error(dx, numerical_dx) < 1e-7, f"dx is off: relative error {rel_error(dx, numerical_dx):.1e} to numerical_dx, should be below 1e-07"
assert rel_error(dgamma, numerical_dgamma) < 1e-8, f"dgamma is off: relative error {rel_error(dgamma, numerical_dgamma):.1e} to numerical_dgamma, should be below 1e-08"
assert rel_error(dbeta, numerical_dbeta) < 1e-8, f"dbeta is off: relative error {rel_error(dbeta, numerical_dbeta):.1e} to numerical_dbeta, should be below 1e-08"
# Both backward passes compute the same numbers; the closed form needs fewer passes over the data.
x_big = rng.standard_normal((2000, 500))
dout_big = rng.standard_normal((2000, 500))
_, cache = batchnorm_forward(x_big, np.ones(500), np.zeros(500), {"mode": "train"})
start = time.perf_counter()
graph_grads = batchnorm_backward(dout_big, cache)
graph_seconds = time.perf_counter() - start
start = time.perf_counter()
alt_grads = batchnorm_backward_alt(dout_big, cache)
alt_seconds = time.perf_counter() - start
print(f"graph: {graph_seconds * 1e3:.1f} ms, closed form: {alt_seconds * 1e3:.1f} ms, "
      f"largest difference of dx: {rel_error(graph_grads[0], alt_grads[0]):.1e}")
assert all(rel_error(a, b) < 1e-8 for a, b in zip(graph_grads, alt_grads)), "the closed-form backward pass should give the same dx, dgamma, dbeta as the step-by-step one"
print("batchnorm_backward_alt: visible checks passed")

### BEGIN HIDDEN TESTS
from autograder.checks.regularization import check_batchnorm_backward_alt
check_batchnorm_backward_alt(batchnorm_backward_alt, batchnorm_forward)
### END HIDDEN TESTS

# %% [markdown] id="md-batchnorm-noise"
# ### The noise batch normalization adds
#
# Take the pre-activations of a few hidden units for one fixed training image and normalize them, in
# training mode, inside 300 different random minibatches drawn from the training set, as happens
# over 300 epochs. The normalized value of a unit changes every time: the histograms show that
# spread for minibatches of 4, 25 and 100 examples. The vertical line is its value in test mode,
# with the running statistics (collected here from the same minibatches). The smaller the
# minibatch, the noisier its statistics, and the stronger the regularizing noise.

# %% id="batchnorm-noise"
noise_rng = np.random.default_rng(1)
# The pre-activations of 8 hidden units (a random first layer) for every training image.
features = data["X_train"] @ noise_rng.standard_normal((data["X_train"].shape[1], 8))
example, feature = 0, 0
try:
    fig, ax = plt.subplots(figsize=(9, 4))
    for batch_size in (4, 25, 100):
        bn_param = {"mode": "train"}
        values = []
        for _ in range(300):
            others = noise_rng.choice(np.arange(1, len(features)), size=batch_size - 1, replace=False)
            batch = features[np.concatenate([[example], others])]
            out, _ = batchnorm_forward(batch, np.ones(8), np.zeros(8), bn_param)
            values.append(out[0, feature])
        ax.hist(values, bins=40, alpha=0.5, density=True,
                label=f"minibatches of {batch_size}: std {np.std(values):.2f}")
    bn_param["mode"] = "test"
    test_value = batchnorm_forward(features[[example]], np.ones(8), np.zeros(8), bn_param)[0][0, feature]
    ax.axvline(test_value, color="black", linestyle="--", label="test mode (running statistics)")
    ax.set(xlabel=f"normalized pre-activation of unit {feature} for training image {example}", ylabel="density",
           title="the same example, normalized in different minibatches")
    ax.legend()
    plt.show()
except NotImplementedError:
    plt.close()
    print("skipped: implement batchnorm_forward first")

# %% [markdown] id="md-overfit"
# ## 5. A network that overfits, and what each regularizer does
#
# Time to train. The network is fully connected with two hidden layers of 200 units,
# `{affine - [batch norm] - relu - [dropout]} x 2 - affine - softmax`
# (`cs_utils.regularized_net.RegularizedNet`; it calls the functions you wrote). Within one seed, every
# run starts from the same initial weights and sees the same minibatches.
#
# **The setup is built to overfit.** The training set is small (300 digits), and 20% of its labels
# were replaced by random classes in the setup cell (the validation labels are correct). On clean
# digits a network generalizes quite well even without help; with wrong labels, fitting the
# training set perfectly means *memorizing* the wrong ones, which can only hurt on new data. A
# network that reaches 100% training accuracy here has memorized the noise; a well regularized one
# fits the correct majority and ignores the rest, so its training accuracy stays near the fraction
# of labels that are right (printed by the setup cell) while its validation accuracy is higher.
#
# Each panel shows the training accuracy (dashed; measured on the noisy labels the network is
# trained on) and the validation accuracy (solid) per epoch, next to the run without
# regularization. The `Solver` also remembers the epoch with the best validation accuracy and
# restores those weights at the end (early stopping, another regularizer); the table reports both
# the final and the best validation accuracy, each as the mean ± spread (standard deviation) over
# `NUM_SEEDS` runs that start from other initial weights and see the minibatches in another order.
# The validation set has 800 images, so one image is 0.125 points; treat differences smaller than
# about twice the spread as noise.
#
# The learning rate is the same for every run, and each regularizer's strength is one value picked
# by hand, not tuned. Note that vanilla and inverted dropout, although the
# same model, do not train identically at the same learning rate: inverted dropout multiplies the
# activations by $1/p$, so the gradients of the next layer's weights are $1/p$ times larger and that
# layer effectively learns faster.

# %% id="overfit"
HIDDEN_DIMS = [200, 200]
WEIGHT_SCALE = 0.1
LEARNING_RATE = 0.02
BATCH_SIZE = 25

REGULARIZERS = {
    "no regularization": {},
    "L2 (reg=0.05)": {"penalty": partial(l2_penalty, reg=0.05)},
    "L1 (reg=0.005)": {"penalty": partial(l1_penalty, reg=0.005)},
    "vanilla dropout (p=0.5)": {"dropout": (vanilla_dropout_forward, vanilla_dropout_backward), "keep_prob": 0.5},
    "inverted dropout (p=0.5)": {"dropout": (dropout_forward, dropout_backward), "keep_prob": 0.5},
    "DropConnect (p=0.5)": {"dropconnect": (dropconnect_forward, dropconnect_backward), "dropconnect_keep_prob": 0.5},
    "batch norm": {"batchnorm": (batchnorm_forward, batchnorm_backward_alt)},
}


def make_net(seed=0, **options):
    """The network of this part with the given regularizers, always the same initial weights."""
    return RegularizedNet(HIDDEN_DIMS, input_dim=data["X_train"].shape[1], num_classes=data["num_classes"],
                          weight_scale=WEIGHT_SCALE, seed=seed, **options)


def train_net(options, num_epochs=NUM_EPOCHS, learning_rate=LEARNING_RATE, seed=0):
    """Train a fresh network with SGD + momentum (initial weights and minibatch order from seed);
    returns its solver (a Solver that also keeps last_params)."""
    solver = AveragingSolver(make_net(seed=seed, **options), data, sgd_momentum,
                             optim_config={"learning_rate": learning_rate}, batch_size=BATCH_SIZE,
                             num_epochs=num_epochs, num_train_samples=None, verbose=False, progress=False, seed=seed)
    solver.train()
    return solver


overfit_runs = {}  # name -> one solver per seed
for name, options in REGULARIZERS.items():
    start = time.time()
    try:
        overfit_runs[name] = [train_net(options, seed=seed) for seed in range(NUM_SEEDS)]
    except NotImplementedError:
        print(f"{name:26s} skipped: a function it needs is not implemented yet")
        continue
    print(f"{name:26s} {time.time() - start:5.1f} s for {NUM_SEEDS} seeds")
overfit_solvers = {name: runs[0] for name, runs in overfit_runs.items()}  # the first seed, for the plots

# %% id="overfit-plots"
baseline = overfit_solvers["no regularization"]
others = [name for name in overfit_solvers if name != "no regularization"]
if others:
    columns = 3
    rows = -(-len(others) // columns)
    fig, axes = plt.subplots(rows, columns, figsize=(16, 4.2 * rows), squeeze=False)
    for ax, name in zip(axes.flat, others):
        plot_train_val({"none": baseline, name: overfit_solvers[name]}, ax=ax, title=name)
        ax.set_ylim(0.6, 1.01)  # epoch 0 (about 0.1, chance level) is off the scale
    for ax in axes.flat[len(others):]:
        ax.axis("off")
    plt.tight_layout()
    plt.show()

METRICS = {
    "train": lambda solver: solver.train_acc_history[-1],
    "val": lambda solver: solver.val_acc_history[-1],
    "gap": lambda solver: solver.train_acc_history[-1] - solver.val_acc_history[-1],
    "best_val": lambda solver: solver.best_val_acc,
}
print(f"mean ± spread over {NUM_SEEDS} seeds, {len(data['y_val'])} validation images")
print(f"{'regularizer':26s}" + "".join(f"{metric:>16s}" for metric in METRICS))
overfit_table = {}
for name, runs in overfit_runs.items():
    overfit_table[name] = {metric: mean_spread([value(solver) for solver in runs]) for metric, value in METRICS.items()}
    print(f"{name:26s}" + "".join(f"{mean:9.3f} ± {spread:.3f}" for mean, spread in overfit_table[name].values()))

SHORT_NAMES = {"no regularization": "none", "L2 (reg=0.05)": "l2", "L1 (reg=0.005)": "l1",
               "vanilla dropout (p=0.5)": "vanilla", "inverted dropout (p=0.5)": "inverted",
               "DropConnect (p=0.5)": "dropconnect", "batch norm": "batchnorm"}
if len(overfit_table) == len(REGULARIZERS):
    for metric in ("train", "val", "best_val"):
        print_claim(f"02.overfit.{metric}", n=NUM_SEEDS,
                    **{f"{SHORT_NAMES[name]}_{kind}": value for name, row in overfit_table.items()
                       for kind, value in zip(("mean", "sd"), row[metric])})
    print_claim("02.overfit.early-stopping-pays",
                **{f"{SHORT_NAMES[name]}_drop": row["best_val"][0] - row["val"][0] for name, row in overfit_table.items()})

# %% [markdown] id="md-overfit-reading"
# What to look for (the plots show one seed; the table's means and spreads say which differences
# are larger than the luck of the seeds):
#
# - **no regularization**: the training accuracy reaches 100% within a few epochs, and the
#   validation accuracy ends several points below its early peak (the "best val" column) while the
#   wrong labels are being memorized;
# - **penalties**: a strong enough L2 or L1 penalty stops the memorization: the training accuracy
#   levels off below 90%, near the fraction of correct labels, and the final validation accuracy
#   stays above the unregularized run's, clearly for L2 and by a couple of points for L1;
# - **dropout and DropConnect** slow memorization down rather than stop it: their training accuracy
#   sits between the penalties' and 100% and is still creeping up, and their final validation
#   accuracy is several points below their best, which is where early stopping pays off;
# - **batch norm** alone fits the noisy training set as fast as the plain network, and its
#   validation accuracy is the same within the noise.
#
# With early stopping ("best val") the regularizers end up within a point or so of each other,
# about 2 to 3 points above the unregularized network. L2 has the best *final* validation
# accuracy here. That is no verdict on the lecture's doubt about L2 (part 1): one hand-picked
# strength per method, a shallow network without normalization and 300 noisy examples are the
# setting where a weight penalty works best.

# %% [markdown] id="md-weights"
# The penalties also change the weights themselves. Histograms of the first layer's weights at the
# end of training (log scale): L2 shrinks them all towards zero, L1 piles many of them up at
# (almost) zero and leaves the others larger. (SGD with a penalty whose gradient jumps at 0 makes a
# weight hop around 0 rather than sit exactly on it, hence "almost".)

# %% id="weight-histograms"
fig, ax = plt.subplots(figsize=(9, 4))
for name in ("no regularization", "L2 (reg=0.05)", "L1 (reg=0.005)"):
    if name in overfit_solvers:
        weights = overfit_solvers[name].last_params["W1"].ravel()
        near_zero = np.mean(np.abs(weights) < 0.01)
        ax.hist(weights, bins=np.linspace(-0.4, 0.4, 81), alpha=0.5,
                label=f"{name}: {near_zero:.0%} of |w| < 0.01")
ax.set(xlabel="weight of the first layer", ylabel="count", yscale="log", title="first-layer weights")
ax.legend()
plt.show()


# %% [markdown] id="q-batchnorm-enough" nbgrader={"grade": false, "grade_id": "q_batchnorm_enough_prompt", "locked": true, "schema_version": 3, "solution": false, "task": false}
# **Question.** The lecture says that batch normalization alone is often regularization enough.
# Where does its regularizing effect come from, what controls how strong it is, and why does it do
# little against memorization in the experiment above? When would you add dropout on top of batch
# normalization?

# %% [markdown] id="q-batchnorm-enough-answer" nbgrader={"grade": true, "grade_id": "q_batchnorm_enough", "locked": false, "points": 2, "schema_version": 3, "solution": true, "task": false}
# Batch normalization regularizes through noise: during training each example is normalized with the
# mean and variance of a random minibatch, so its activations (and everything after them) change a
# little every time it is seen, depending on which other examples share its minibatch. At test time
# the fixed running statistics average that noise out. Its strength is set by the batch size (the
# statistics of 4 examples are far noisier than those of 256) and by the data, not by a dedicated
# knob; dropout's $p$ can be tuned directly.
#
# In the experiment the noise is mild (minibatches of 25, and the input features are themselves
# normalized already), while the network is large compared with 300 examples and batch
# normalization mainly makes optimization *easier*: the normalized network fits the training set,
# wrong labels included, as quickly as the plain one or faster. So it does not stop memorization;
# its training accuracy also reaches 100%.
#
# Batch normalization alone is often enough in large, deep networks trained on plenty of data
# (typical convolutional networks), where it is used anyway for its optimization benefits and the
# remaining overfitting is small. The recipe from the lecture: start with batch normalization, watch
# the training and validation curves, and if the network still overfits (a large and growing gap),
# add dropout (usually in the fully connected layers, tuning $p$) or other regularization, in a
# targeted way rather than by blind search. With very large batches its noise nearly vanishes, and
# then explicit regularization matters more.

# %% [markdown] id="md-stochastic-depth"
# ## 6. Stochastic depth
#
# Very deep residual networks are built from blocks $\text{out} = x + F(x)$: the *skip connection*
# passes $x$ through unchanged and the *residual branch* $F$ adds a correction. **Stochastic depth**
# (Huang et al., 2016) drops whole branches during training: a block's branch is used with
# probability `survival` and skipped otherwise, so the block becomes the identity and the network is
# temporarily shallower. That regularizes like dropout (an ensemble of networks of many depths that
# share weights), and it also shortens training, since the expected depth is smaller and the
# gradients reach the first layers through fewer blocks. At test time every block is used and its
# branch is scaled by `survival`, the probability it was present during training, exactly like
# vanilla dropout.
#
# The skip connection is what makes this possible: dropping a block of an ordinary network would cut
# the signal, while dropping a residual branch only removes a correction.
#
# Our block has the branch $F(x) = \mathrm{relu}(x W + b)$ and draws the gate **per example**, so
# every example of a minibatch trains a network of a different depth (the paper draws one gate per
# minibatch; per-example gates, as in the modern "drop path", are the same idea with more variety
# per step).

# %% id="stochastic-depth-forward" nbgrader={"grade": false, "grade_id": "stochastic_depth_forward", "locked": false, "schema_version": 3, "solution": true, "task": false}
def stochastic_depth_forward(x, w, b, sd_param):
    """A residual block whose branch is randomly skipped: stochastic depth.

    The block computes out = x + gate * relu(x @ w + b): the skip connection x always passes,
    the residual branch relu(x @ w + b) is switched by a per-example gate.

    train: every example (every row of x) draws its own gate: 1 with probability survival
           (the branch is used), 0 otherwise (the block is the identity for that example).
           No scaling.
    test:  every gate is survival: the branch is always used, scaled by its probability of
           being used during training (like vanilla dropout).

    Inputs:
    - x: float array (N, D).
    - w: float array (D, D), the branch's weights.
    - b: float array (D,), the branch's biases.
    - sd_param: dict with the keys
      - survival: float in (0, 1], the probability of KEEPING the branch.
      - mode: "train" or "test".
      - seed: optional int, as in dropout: the gates are drawn with np.random.default_rng(seed).

    Returns a tuple of:
    - out: float array (N, D).
    - cache: whatever stochastic_depth_backward needs (your choice).

    None of x, w, b, sd_param may be modified.
    """
    survival, mode = sd_param["survival"], sd_param["mode"]
    rng = np.random.default_rng(sd_param.get("seed"))

    ### BEGIN SOLUTION
    pre_activation = x @ w + b
    branch = np.maximum(0, pre_activation)
    if mode == "train":
        gate = (rng.random(x.shape[0]) < survival).astype(x.dtype)
    else:
        gate = np.full(x.shape[0], survival, dtype=x.dtype)
    out = x + gate[:, None] * branch
    cache = (x, w, pre_activation, gate)
    ### END SOLUTION
    return out, cache


# %% id="test-stochastic-depth-forward" nbgrader={"grade": true, "grade_id": "test_stochastic_depth_forward", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
rng = np.random.default_rng(6)
x = rng.standard_normal((2000, 6))
w = 0.3 * rng.standard_normal((6, 6))
b = rng.uniform(0.5, 1.0, size=6)  # positive, so the branch is nonzero for every example
branch = np.maximum(0, x @ w + b)
x_before = x.copy()

out, _ = stochastic_depth_forward(x, w, b, {"survival": 0.7, "mode": "train"})
kept = np.any(out != x, axis=1)
print("fraction of examples that used the branch (should be close to 0.7):", kept.mean())
print("kept: out = x + branch, error:   ", rel_error(out[kept], (x + branch)[kept]))
print("dropped: out = x, error:         ", rel_error(out[~kept], x[~kept]))
assert abs(kept.mean() - 0.7) < 0.05, "survival is the probability of KEEPING the branch"
assert rel_error(out[kept], (x + branch)[kept]) < 1e-12 and rel_error(out[~kept], x[~kept]) < 1e-12, "kept examples should get x + branch, dropped ones x alone"

out_test, _ = stochastic_depth_forward(x, w, b, {"survival": 0.7, "mode": "test"})
print("test: out = x + 0.7 * branch, error:", rel_error(out_test, x + 0.7 * branch))
assert rel_error(out_test, x + 0.7 * branch) < 1e-12, f"out_test is off: relative error {rel_error(out_test, x + 0.7 * branch):.1e} to x + 0.7 * branch, should be below 1e-12"

first, _ = stochastic_depth_forward(x, w, b, {"survival": 0.7, "mode": "train", "seed": 3})
again, _ = stochastic_depth_forward(x, w, b, {"survival": 0.7, "mode": "train", "seed": 3})
assert np.array_equal(first, again), "the same seed should give the same gates"
assert np.array_equal(x, x_before), "x was modified in place"
print("stochastic_depth_forward: visible checks passed")

### BEGIN HIDDEN TESTS
from autograder.checks.regularization import check_stochastic_depth_forward
check_stochastic_depth_forward(stochastic_depth_forward)
### END HIDDEN TESTS

# %% id="stochastic-depth-backward" nbgrader={"grade": false, "grade_id": "stochastic_depth_backward", "locked": false, "schema_version": 3, "solution": true, "task": false}
def stochastic_depth_backward(dout, cache):
    """Backward pass of stochastic_depth_forward, in training or test mode.

    Inputs:
    - dout: float array (N, D), the upstream gradient.
    - cache: from stochastic_depth_forward.

    Returns a tuple of:
    - dx: float array (N, D), through the skip connection and the branch.
    - dw: float array (D, D).
    - db: float array (D,).

    dout must not be modified.
    """
    ### BEGIN SOLUTION
    x, w, pre_activation, gate = cache
    dpre_activation = gate[:, None] * dout * (pre_activation > 0)
    dx = dout + dpre_activation @ w.T
    dw = x.T @ dpre_activation
    db = dpre_activation.sum(axis=0)
    ### END SOLUTION
    return dx, dw, db


# %% id="test-stochastic-depth-backward" nbgrader={"grade": true, "grade_id": "test_stochastic_depth_backward", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
rng = np.random.default_rng(7)
x = rng.standard_normal((12, 4))
w = rng.standard_normal((4, 4))
b = rng.uniform(0.2, 0.5, size=4)
dout = rng.standard_normal((12, 4))
for mode in ("train", "test"):
    sd_param = {"survival": 0.6, "mode": mode, "seed": 11}
    _, cache = stochastic_depth_forward(x, w, b, sd_param)
    dx, dw, db = stochastic_depth_backward(dout, cache)
    numerical_dx = eval_numerical_gradient_array(lambda v: stochastic_depth_forward(v, w, b, sd_param)[0], x, dout)
    numerical_dw = eval_numerical_gradient_array(lambda v: stochastic_depth_forward(x, v, b, sd_param)[0], w, dout)
    numerical_db = eval_numerical_gradient_array(lambda v: stochastic_depth_forward(x, w, v, sd_param)[0], b, dout)
    print(f"{mode} mode: dx error {rel_error(dx, numerical_dx):.2e}, dw error {rel_error(dw, numerical_dw):.2e}, "
          f"db error {rel_error(db, numerical_db):.2e}")
    assert rel_error(dx, numerical_dx) < 1e-8, f"dx is off: relative error {rel_error(dx, numerical_dx):.1e} to numerical_dx, should be below 1e-08"
    assert rel_error(dw, numerical_dw) < 1e-8, f"dw is off: relative error {rel_error(dw, numerical_dw):.1e} to numerical_dw, should be below 1e-08"
    assert rel_error(db, numerical_db) < 1e-8, f"db is off: relative error {rel_error(db, numerical_db):.1e} to numerical_db, should be below 1e-08"
print("stochastic_depth_backward: visible checks passed")

### BEGIN HIDDEN TESTS
from autograder.checks.regularization import check_stochastic_depth_backward
check_stochastic_depth_backward(stochastic_depth_backward, stochastic_depth_forward)
### END HIDDEN TESTS

# %% [markdown] id="md-stochastic-depth-demo"
# A stack of 8 residual blocks with random weights and, as in the paper, a survival probability
# that decreases linearly with depth, from 1 (first block, always kept) to 0.5 (last block). Left:
# which blocks each example used in one training-mode forward pass. Right: as for dropout, the
# network's output averaged over many training passes against its test-mode output (the gates of
# earlier blocks change the input of later ones, so after several nonlinear blocks the match is only
# approximate).

# %% id="stochastic-depth-demo"
depth_rng = np.random.default_rng(2)
NUM_BLOCKS, WIDTH = 8, 16
blocks = [(0.3 * depth_rng.standard_normal((WIDTH, WIDTH)) / np.sqrt(WIDTH), 0.1 * depth_rng.standard_normal(WIDTH))
          for _ in range(NUM_BLOCKS)]
survivals = np.linspace(1.0, 0.5, NUM_BLOCKS)
inputs = depth_rng.standard_normal((24, WIDTH))


def deep_forward(x, mode):
    """Run x through the stack; returns the output and which blocks used their branch (examples x blocks)."""
    used = np.zeros((len(x), NUM_BLOCKS), dtype=bool)
    for index, ((w, b), survival) in enumerate(zip(blocks, survivals)):
        out, _ = stochastic_depth_forward(x, w, b, {"survival": survival, "mode": mode})
        used[:, index] = np.any(out != x, axis=1)
        x = out
    return x, used


try:
    _, used = deep_forward(inputs, "train")
    mean_train = np.mean([deep_forward(inputs, "train")[0] for _ in range(NUM_MASKS // 4)], axis=0)
    test_out, _ = deep_forward(inputs, "test")
except NotImplementedError:
    print("skipped: implement stochastic_depth_forward first")
else:
    fig, (gate_ax, mean_ax) = plt.subplots(1, 2, figsize=(14, 4.5))
    gate_ax.imshow(used.T, cmap="Greys", aspect="auto", interpolation="nearest")
    gate_ax.set(xlabel="example", ylabel="block", title="branches used in one training pass (black)",
                yticks=range(NUM_BLOCKS), yticklabels=[f"{i + 1}: survival {s:.2f}" for i, s in enumerate(survivals)])
    mean_ax.scatter(test_out.ravel(), mean_train.ravel(), s=6, alpha=0.5)
    low, high = test_out.min(), test_out.max()
    mean_ax.plot([low, high], [low, high], "k--", linewidth=1, label="train mean = test")
    mean_ax.set(xlabel="test-mode output", ylabel=f"training output, mean of {NUM_MASKS // 4} passes",
                title="output of the 8-block stack")
    mean_ax.legend()
    mean_ax.grid(True, alpha=0.3)
    print(f"blocks used per example in that pass: {used.sum(axis=1).mean():.2f} on average "
          f"(expected {survivals.sum():.2f} of {NUM_BLOCKS})")
    plt.tight_layout()
    plt.show()


# %% [markdown] id="md-ensembles"
# ## 7. Ensembles
#
# The most reliable way to gain a little accuracy: train several models independently (different
# initializations, maybe different hyperparameters) and **average their predicted probabilities** at
# test time. Their errors are partly independent, so the average makes fewer of them; typically it
# is worth one or two percent. The price is training and running several models.
#
# Two tricks make it cheaper:
#
# - **Snapshot ensembles** (Huang et al., 2017) take the members from a *single* run: with a cyclic
#   learning rate, such as the cosine schedule with warm restarts of assignment 01 (Loshchilov and
#   Hutter, 2016), each cycle ends with a small learning rate in a good minimum, where we save a
#   snapshot; the restart to a large rate then kicks the weights towards a different minimum. $M$
#   cycles give $M$ models for the price of one training run.
# - **Polyak averaging** keeps an exponential moving average of the *weights* during training,
#   `w_avg = 0.995 * w_avg + 0.005 * w` after every step, and uses `w_avg` at test time: a smooth
#   ensemble of the last few hundred iterates, at no cost at test time. SGD with a constant learning
#   rate bounces around the bottom of a valley; the average sits closer to its centre.

# %% id="polyak-update" nbgrader={"grade": false, "grade_id": "polyak_update", "locked": false, "schema_version": 3, "solution": true, "task": false}
def polyak_update(w_avg, w, decay=0.995):
    """One step of Polyak averaging: an exponential moving average of a parameter array.

    next_w_avg = decay * w_avg + (1 - decay) * w
    With w_avg None (no average yet), the average starts at a copy of w.

    Inputs:
    - w_avg: float array like w, the current average, or None.
    - w: float array of any shape (float32 or float64), the current parameters.
    - decay: float in [0, 1), how slowly the average forgets.

    Returns:
    - next_w_avg: a new float array of w's shape and dtype.

    Neither w_avg nor w may be modified, and the result must not share memory with w.
    """
    ### BEGIN SOLUTION
    if w_avg is None:
        return w.copy()
    next_w_avg = decay * w_avg + (1 - decay) * w
    ### END SOLUTION
    return next_w_avg


# %% id="test-polyak-update" nbgrader={"grade": true, "grade_id": "test_polyak_update", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
w_avg = np.linspace(-1.0, 1.0, num=6).reshape(2, 3)
w = np.linspace(0.5, 3.0, num=6).reshape(2, 3)
w_avg_before, w_before = w_avg.copy(), w.copy()
next_w_avg = polyak_update(w_avg, w, decay=0.9)
expected_next_w_avg = np.array([
    [-0.85, -0.44, -0.03],
    [0.38, 0.79, 1.2],
])
default_w_avg = polyak_update(w_avg, w)
expected_default_w_avg = np.array([
    [-0.9925, -0.592, -0.1915],
    [0.209, 0.6095, 1.01],
])
print("decay=0.9 error:  ", rel_error(next_w_avg, expected_next_w_avg))
print("default decay error:", rel_error(default_w_avg, expected_default_w_avg))
assert rel_error(next_w_avg, expected_next_w_avg) < 1e-12, f"next_w_avg is off: relative error {rel_error(next_w_avg, expected_next_w_avg):.1e} to expected_next_w_avg, should be below 1e-12"
assert rel_error(default_w_avg, expected_default_w_avg) < 1e-12, f"default_w_avg is off: relative error {rel_error(default_w_avg, expected_default_w_avg):.1e} to expected_default_w_avg, should be below 1e-12"
assert np.array_equal(w_avg, w_avg_before) and np.array_equal(w, w_before), "an input was modified in place"

# The first call starts the average at a copy of w.
first = polyak_update(None, w)
assert np.array_equal(first, w) and not np.shares_memory(first, w), "start from a copy of w"
print("polyak_update: visible checks passed")

### BEGIN HIDDEN TESTS
from autograder.checks.regularization import check_polyak_update
check_polyak_update(polyak_update)
### END HIDDEN TESTS

# %% id="ensemble-predict" nbgrader={"grade": false, "grade_id": "ensemble_predict", "locked": false, "schema_version": 3, "solution": true, "task": false}
def ensemble_predict(probabilities):
    """Combine the predictions of several models by averaging their class probabilities.

    Inputs:
    - probabilities: the class probabilities of M models on the same N examples, either a
      list of M float arrays (N, C) or one float array (M, N, C); every row sums to 1.

    Returns a tuple of:
    - mean_probabilities: float array (N, C), the average over the M models.
    - labels: int array (N,), the class with the highest average probability.

    The inputs must not be modified.
    """
    ### BEGIN SOLUTION
    mean_probabilities = np.mean(np.stack([np.asarray(p) for p in probabilities]), axis=0)
    labels = np.argmax(mean_probabilities, axis=1)
    ### END SOLUTION
    return mean_probabilities, labels


# %% id="test-ensemble-predict" nbgrader={"grade": true, "grade_id": "test_ensemble_predict", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
# Three models, two examples, three classes. On the first example two models mildly prefer
# class 0 and one is sure of class 1: a majority vote says 0, the average probability says 1.
probabilities = [
    np.array([[0.5, 0.4, 0.1], [0.2, 0.2, 0.6]]),
    np.array([[0.5, 0.4, 0.1], [0.1, 0.3, 0.6]]),
    np.array([[0.0, 0.95, 0.05], [0.3, 0.4, 0.3]]),
]
mean_probabilities, labels = ensemble_predict(probabilities)
expected_mean = np.array([
    [0.333333333333, 0.583333333333, 0.0833333333333],
    [0.2, 0.3, 0.5],
])
print("mean probabilities error:", rel_error(mean_probabilities, expected_mean))
print("labels:", labels, "(expected [1 2])")
assert rel_error(mean_probabilities, expected_mean) < 1e-12, f"mean_probabilities is off: relative error {rel_error(mean_probabilities, expected_mean):.1e} to expected_mean, should be below 1e-12"
assert np.array_equal(labels, [1, 2]), f"labels should be [1, 2] (the class of highest mean probability), got {labels}"

# One array (M, N, C) works too, and a single model is its own ensemble.
assert np.array_equal(ensemble_predict(np.stack(probabilities))[1], [1, 2]), "a stacked (M, N, C) array of probabilities should give the same labels [1, 2]"
assert np.array_equal(ensemble_predict(probabilities[:1])[1], [0, 2]), "an ensemble of one model should predict that model's labels [0, 2]"
print("ensemble_predict: visible checks passed")

### BEGIN HIDDEN TESTS
from autograder.checks.regularization import check_ensemble_predict
check_ensemble_predict(ensemble_predict)
### END HIDDEN TESTS

# %% id="snapshot-epochs" nbgrader={"grade": false, "grade_id": "snapshot_epochs", "locked": false, "schema_version": 3, "solution": true, "task": false}
def snapshot_epochs(num_epochs, period, period_mult=1):
    """When to take the snapshots of a snapshot ensemble trained with cosine warm restarts.

    cosine_annealing_warm_restarts(lr0, t, period, period_mult) (assignment 01) runs cycles of
    period, period * period_mult, period * period_mult ** 2, ... epochs; the learning rate is
    lowest at the end of each cycle, the moment to save a snapshot of the model.

    Inputs:
    - num_epochs: int >= 0, the length of the training run in epochs.
    - period: int >= 1, the length of the first cycle.
    - period_mult: int >= 1, the factor by which each cycle is longer than the previous one.

    Returns:
    - list of int: the numbers of completed epochs at which a cycle ends, in increasing
      order, for every cycle that ends within num_epochs (an unfinished last cycle gives no
      snapshot). Example: snapshot_epochs(14, 2, 2) == [2, 6, 14].
    """
    ### BEGIN SOLUTION
    ends = []
    cycle_length = period
    end = period
    while end <= num_epochs:
        ends.append(end)
        cycle_length *= period_mult
        end += cycle_length
    ### END SOLUTION
    return ends


# %% id="test-snapshot-epochs" nbgrader={"grade": true, "grade_id": "test_snapshot_epochs", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
cases = {
    (40, 10): [10, 20, 30, 40],   # equal cycles of 10 epochs
    (35, 10): [10, 20, 30],       # the unfinished last cycle gives no snapshot
    (14, 2, 2): [2, 6, 14],       # cycles of 2, 4 and 8 epochs
    (20, 3, 3): [3, 12],          # cycles of 3 and 9; the next one would end at 39
    (5, 10): [],
}
for arguments, expected in cases.items():
    result = snapshot_epochs(*arguments)
    print(f"snapshot_epochs{arguments} = {result}")
    assert list(result) == expected, f"expected {expected}"
print("snapshot_epochs: visible checks passed")

### BEGIN HIDDEN TESTS
from autograder.checks.regularization import check_snapshot_epochs
check_snapshot_epochs(snapshot_epochs)
### END HIDDEN TESTS

# %% [markdown] id="md-snapshot-experiment"
# ### A snapshot ensemble
#
# One run of the network from part 5 with inverted dropout (a regularized network keeps a nonzero
# loss, so the restarts really move it), with the cosine schedule restarting every
# `SNAPSHOT_PERIOD` epochs. `cs_utils.averaging.AveragingSolver` is the `Solver` plus a recorder
# that copies the weights at the epochs returned by your `snapshot_epochs`. Then we compare the
# validation accuracy of every single snapshot with that of the ensemble of the first $k$
# snapshots, combined by your `ensemble_predict`. The plots show the first of `NUM_SEEDS` runs, the
# table below them the mean ± spread over all of them.

# %% id="snapshot-ensemble"
SNAPSHOT_LEARNING_RATE = 0.05
num_snapshot_epochs = SNAPSHOT_PERIOD * NUM_CYCLES
y_val = data["y_val"]


def snapshot_run(seed):
    """One cyclic run of the dropout network -> (its solver, accuracy of each snapshot,
    accuracy of the ensemble of the first k snapshots for every k)."""
    solver = AveragingSolver(
        make_net(seed=seed, dropout=(dropout_forward, dropout_backward), keep_prob=0.5), data, sgd_momentum,
        snapshot_epochs=snapshot_epochs(num_snapshot_epochs, SNAPSHOT_PERIOD),
        optim_config={"learning_rate": SNAPSHOT_LEARNING_RATE},
        lr_schedule=lambda epoch: cosine_annealing_warm_restarts(SNAPSHOT_LEARNING_RATE, epoch, period=SNAPSHOT_PERIOD),
        batch_size=BATCH_SIZE, num_epochs=num_snapshot_epochs, num_train_samples=None,
        verbose=False, progress=False, seed=seed)
    solver.train()
    probabilities = [predict_proba(solver.model, data["X_val"], params) for params in solver.snapshots]
    singles = [accuracy(member, y_val) for member in probabilities]
    ensembles = [accuracy(ensemble_predict(probabilities[:k])[0], y_val) for k in range(1, len(probabilities) + 1)]
    return solver, singles, ensembles


try:
    snapshot_runs = [snapshot_run(seed) for seed in range(NUM_SEEDS)]
except NotImplementedError:
    snapshot_runs = None
    print("skipped: implement dropout_forward/backward, snapshot_epochs and ensemble_predict first")
else:
    snapshot_solver, single_accuracies, ensemble_accuracies = snapshot_runs[0]
    fig, (schedule_ax, bar_ax) = plt.subplots(1, 2, figsize=(15, 4.5))
    epochs = np.arange(1, num_snapshot_epochs + 1)
    schedule_ax.plot(epochs, snapshot_solver.lr_history, "-", color="gray", label="learning rate (during the epoch)")
    schedule_ax.set(xlabel="epoch", ylabel="learning rate", title="cosine restarts and snapshots (first seed)")
    accuracy_ax = schedule_ax.twinx()
    accuracy_ax.plot(epochs, snapshot_solver.val_acc_history[1:], "-", marker=".",
                     label="val accuracy (after the epoch)")
    accuracy_ax.plot(snapshot_solver.snapshot_epochs_taken, single_accuracies, "*", markersize=14, color="gold",
                     markeredgecolor="black", label="snapshots")
    accuracy_ax.set_ylabel("validation accuracy")
    handles = schedule_ax.get_legend_handles_labels()[0] + accuracy_ax.get_legend_handles_labels()[0]
    accuracy_ax.legend(handles=handles, loc="lower right")

    positions = np.arange(1, len(single_accuracies) + 1)
    bar_ax.bar(positions, single_accuracies, color="lightgray", label="single snapshot k")
    bar_ax.plot(positions, ensemble_accuracies, "-o", color="tab:red", label="ensemble of snapshots 1..k")
    low = min(single_accuracies + ensemble_accuracies)
    bar_ax.set(xlabel="k", ylabel="validation accuracy", ylim=(low - 0.03, min(1.0, max(ensemble_accuracies) + 0.02)),
               xticks=positions, title="snapshots and their ensembles (first seed)")
    bar_ax.legend(loc="lower right")
    plt.tight_layout()
    plt.show()
    print(f"validation accuracy, mean ± spread over {NUM_SEEDS} seeds")
    all_singles = np.array([run[1] for run in snapshot_runs])
    all_ensembles = np.array([run[2] for run in snapshot_runs])
    for k in range(all_singles.shape[1]):
        single, single_spread = mean_spread(all_singles[:, k])
        ensemble, ensemble_spread = mean_spread(all_ensembles[:, k])
        print(f"snapshot {k + 1} (epoch {snapshot_solver.snapshot_epochs_taken[k]:3d}): {single:.3f} ± {single_spread:.3f}"
              f"   ensemble of 1..{k + 1}: {ensemble:.3f} ± {ensemble_spread:.3f}")
    best_single = mean_spread(all_singles.max(axis=1))
    snapshot_ensemble = mean_spread(all_ensembles[:, -1])
    print(f"best single snapshot of each run: {best_single[0]:.3f} ± {best_single[1]:.3f}")


# %% [markdown] id="md-independent-ensemble"
# ### Independently trained models, at the same budget
#
# The classic ensemble trains its members independently, from different initial weights and with
# different minibatch orders. To compare like with like, each of its `NUM_MEMBERS` members gets one
# cosine cycle of `SNAPSHOT_PERIOD` epochs, so the whole ensemble costs as many epochs as one
# snapshot run. A member is then exactly what the first snapshot of a run is; the later snapshots
# differ in that they start from the previous minimum instead of from random weights.

# %% id="independent-ensemble"
def independent_ensemble(seed):
    """NUM_MEMBERS networks trained independently for one cycle each -> (accuracy of each member,
    accuracy of the ensemble of the first k members for every k)."""
    probabilities = []
    for member in range(NUM_MEMBERS):
        member_seed = 1000 * (seed + 1) + member
        solver = AveragingSolver(
            make_net(seed=member_seed, dropout=(dropout_forward, dropout_backward), keep_prob=0.5), data,
            sgd_momentum, optim_config={"learning_rate": SNAPSHOT_LEARNING_RATE},
            lr_schedule=lambda epoch: cosine_annealing_warm_restarts(SNAPSHOT_LEARNING_RATE, epoch, period=SNAPSHOT_PERIOD),
            batch_size=BATCH_SIZE, num_epochs=SNAPSHOT_PERIOD, num_train_samples=None,
            verbose=False, progress=False, seed=member_seed)
        solver.train()
        probabilities.append(predict_proba(solver.model, data["X_val"], solver.last_params))
    singles = [accuracy(member, y_val) for member in probabilities]
    ensembles = [accuracy(ensemble_predict(probabilities[:k])[0], y_val) for k in range(1, len(probabilities) + 1)]
    return singles, ensembles


if snapshot_runs is None:
    print("skipped: the snapshot experiment above did not run")
else:
    start = time.time()
    independent_runs = [independent_ensemble(seed) for seed in range(NUM_SEEDS)]
    print(f"({time.time() - start:.1f} s)")
    member_accuracy = mean_spread([np.mean(run[0]) for run in independent_runs])
    independent = mean_spread([run[1][-1] for run in independent_runs])
    print(f"validation accuracy, mean ± spread over {NUM_SEEDS} seeds, {len(y_val)} validation images")
    print(f"  single independent member (average):    {member_accuracy[0]:.3f} ± {member_accuracy[1]:.3f}")
    print(f"  best single snapshot:                   {best_single[0]:.3f} ± {best_single[1]:.3f}")
    print(f"  ensemble of {NUM_MEMBERS} independent members:    {independent[0]:.3f} ± {independent[1]:.3f}")
    print(f"  ensemble of {len(snapshot_solver.snapshots)} snapshots of one run:    "
          f"{snapshot_ensemble[0]:.3f} ± {snapshot_ensemble[1]:.3f}")
    print_claim("02.ensembles", n=NUM_SEEDS, member_mean=member_accuracy[0], member_sd=member_accuracy[1],
                best_snapshot_mean=best_single[0], best_snapshot_sd=best_single[1],
                independent_mean=independent[0], independent_sd=independent[1],
                snapshots_mean=snapshot_ensemble[0], snapshots_sd=snapshot_ensemble[1])

# %% [markdown] id="md-ensembles-reading"
# Both ensembles beat their single members by about two points, far more than the spread: the
# "one or two percent" the lecture promises, here on a small network with noisy labels. At the
# same training budget the independent ensemble and the snapshot ensemble end within the noise of
# each other (the independent one slightly ahead on average): the snapshots' shared history makes
# their errors more alike, while the independent members, each trained for one short cycle, are
# individually no better. Where the budget allows, independent members trained for longer give the
# strongest ensemble; the snapshot ensemble gets most of the gain for the price of one run.

# %% [markdown] id="md-polyak-experiment"
# ### Polyak averaging
#
# The network with the L2 penalty of part 5, trained with a large *constant* learning rate, so that
# its weights keep bouncing around instead of settling. `AveragingSolver` updates an average of every
# parameter after every step with your `polyak_update` (decay 0.99, i.e. roughly the last 100
# steps) and measures the validation accuracy of the averaged weights after each epoch, next to that
# of the raw weights. The plot shows the first seed; the printout the mean ± spread over
# `NUM_SEEDS` runs.

# %% id="polyak"
POLYAK_LEARNING_RATE = 0.1
POLYAK_DECAY = 0.99


def polyak_run(seed):
    solver = AveragingSolver(
        make_net(seed=seed, penalty=partial(l2_penalty, reg=0.01)), data, sgd_momentum,
        polyak_update=polyak_update, polyak_decay=POLYAK_DECAY,
        optim_config={"learning_rate": POLYAK_LEARNING_RATE}, batch_size=BATCH_SIZE,
        num_epochs=num_snapshot_epochs, num_train_samples=None, verbose=False, progress=False, seed=seed)
    solver.train()
    return solver


try:
    polyak_solvers = [polyak_run(seed) for seed in range(NUM_SEEDS)]
except NotImplementedError:
    print("skipped: implement l2_penalty and polyak_update first")
else:
    polyak_solver = polyak_solvers[0]
    epochs = np.arange(1, num_snapshot_epochs + 1)
    fig, ax = plt.subplots(figsize=(9, 4))
    ax.plot(epochs, polyak_solver.val_acc_history[1:], "-", marker=".", label="raw weights")
    ax.plot(epochs, polyak_solver.polyak_val_acc_history, "-", marker=".",
            label=f"Polyak average (decay {POLYAK_DECAY})")
    ax.set(xlabel="epoch", ylabel="validation accuracy",
           title="constant learning rate: raw vs averaged weights (first seed)")
    ax.grid(True, alpha=0.3)
    ax.legend()
    plt.show()
    raw_final = mean_spread([accuracy(predict_proba(solver.model, data["X_val"], solver.last_params), y_val)
                             for solver in polyak_solvers])
    averaged_final = mean_spread([accuracy(predict_proba(solver.model, data["X_val"], solver.polyak_params), y_val)
                                  for solver in polyak_solvers])
    raw_over_epochs = mean_spread([np.mean(solver.val_acc_history[1:]) for solver in polyak_solvers])
    averaged_over_epochs = mean_spread([np.mean(solver.polyak_val_acc_history) for solver in polyak_solvers])
    print(f"mean ± spread over {NUM_SEEDS} seeds")
    print(f"final raw weights:      {raw_final[0]:.3f} ± {raw_final[1]:.3f}")
    print(f"final Polyak average:   {averaged_final[0]:.3f} ± {averaged_final[1]:.3f}")
    print(f"mean over the epochs:   raw {raw_over_epochs[0]:.3f} ± {raw_over_epochs[1]:.3f}, "
          f"averaged {averaged_over_epochs[0]:.3f} ± {averaged_over_epochs[1]:.3f}")
    print_claim("02.polyak", n=NUM_SEEDS, raw_mean=raw_final[0], raw_sd=raw_final[1],
                averaged_mean=averaged_final[0], averaged_sd=averaged_final[1],
                raw_epochs_mean=raw_over_epochs[0], raw_epochs_sd=raw_over_epochs[1],
                averaged_epochs_mean=averaged_over_epochs[0], averaged_epochs_sd=averaged_over_epochs[1])

# %% [markdown] id="md-summary"
# ## Summary
#
# - Regularization trades a little training accuracy for better accuracy on new data. Watch the
#   training and validation curves, and add regularization where they drift apart.
# - **Penalties**: L2 (weight decay) shrinks all weights; L1 makes them sparse; elastic net mixes them.
# - **Add randomness at training time, average it out at test time**: dropout (inverted: divide by
#   $p$ during training, identity at test time), DropConnect (drop weights), batch normalization
#   (minibatch statistics vs running averages), stochastic depth (skip residual branches, scale them
#   at test time), and data augmentation, the subject of assignment 03. Matching the expected output
#   is exact through linear layers but only approximate after a nonlinearity (part 2: after a ReLU
#   the mean training output was about a third above the test-time output); it works well in
#   practice all the same.
# - **Ensembles** average predictions of several models, independently trained ones or snapshots of
#   one run with a cyclic learning rate (at the same budget, within the noise of each other here); Polyak averaging averages the weights themselves.
# - In practice: batch normalization almost everywhere, dropout in large fully connected layers
#   when the network still overfits, and early stopping on the validation accuracy.
