"""Two-dimensional loss surfaces that show how optimizers behave, and a loop that runs one.

Each loss is a ToyLoss of a point p = (x, y): value(p), grad(p) and hessian(p), plus
value_grid(X, Y) for contour plots, a default start point, the minimum it heads for and
the plotting extent.
"""

import copy

import numpy as np


class ToyLoss:
    """A differentiable function of two variables, with what is needed to plot it.

    Attributes:
    - name: str, for titles and legends
    - start: float64 array (2,), the default start point
    - minimum: float64 array (2,), the minimum a good optimizer reaches from start, or None
    - extent: (x_min, x_max, y_min, y_max) of the region to plot
    """

    def __init__(self, name, value_fn, grad_fn, hessian_fn=None, start=(0.0, 0.0), minimum=None,
                 extent=(-1.0, 1.0, -1.0, 1.0)):
        """Inputs:
        - name: str
        - value_fn: callable (x, y) -> f, elementwise on float arrays of any (equal) shape
        - grad_fn: callable (x, y) -> (df/dx, df/dy) for float scalars
        - hessian_fn: callable (x, y) -> float array (2, 2), or None when not available
        - start: pair of float
        - minimum: pair of float, or None
        - extent: tuple of 4 float
        """
        self.name = name
        self._value_fn = value_fn
        self._grad_fn = grad_fn
        self._hessian_fn = hessian_fn
        self.start = np.asarray(start, dtype=np.float64)
        self.minimum = None if minimum is None else np.asarray(minimum, dtype=np.float64)
        self.extent = tuple(float(v) for v in extent)

    def value(self, p):
        """Loss at p: float, for p a float array (2,)."""
        return float(self._value_fn(p[0], p[1]))

    def grad(self, p):
        """Gradient at p: float64 array (2,), for p a float array (2,)."""
        return np.array(self._grad_fn(p[0], p[1]), dtype=np.float64)

    def hessian(self, p):
        """Hessian at p: float64 array (2, 2), for p a float array (2,)."""
        if self._hessian_fn is None:
            raise NotImplementedError(f"{self.name} has no Hessian")
        return np.array(self._hessian_fn(p[0], p[1]), dtype=np.float64)

    def value_grid(self, X, Y):
        """Loss at every grid point: float64 array of X's shape, for X, Y as from np.meshgrid."""
        return np.asarray(self._value_fn(X, Y), dtype=np.float64)

    def __repr__(self):
        return f"ToyLoss({self.name!r})"


class NoisyToyLoss(ToyLoss):
    """A ToyLoss whose gradient carries Gaussian noise, like a minibatch gradient.

    value and hessian are those of the wrapped loss; every grad call adds fresh
    noise drawn from N(0, sigma^2 I) with the given generator.
    """

    def __init__(self, loss, sigma, rng):
        super().__init__(f"{loss.name}, noisy gradient (sigma={sigma:g})", loss._value_fn,
                         loss._grad_fn, loss._hessian_fn, loss.start, loss.minimum, loss.extent)
        self.base = loss
        self.sigma = float(sigma)
        self.rng = np.random.default_rng(rng)

    def grad(self, p):
        """Gradient of the wrapped loss plus noise: float64 array (2,)."""
        return self.base.grad(p) + self.sigma * self.rng.standard_normal(2)


def taco_shell(condition=25.0, angle=0.0):
    """Ill-conditioned quadratic f = 0.5 * (x^2 + condition * y^2), a long narrow valley.

    Its Hessian diag(1, condition) has condition number `condition`: a learning rate
    small enough not to bounce across the steep y direction crawls along x. With a
    nonzero `angle` the whole valley (and the start point) is rotated about the minimum,
    f(p) = 0.5 * p^T R diag(1, condition) R^T p: the same problem for any rule that does
    not care about the coordinate axes, a harder one for per-coordinate rules.

    Inputs:
    - condition: float > 0, the ratio of the two curvatures
    - angle: float, rotation of the valley in degrees (counter-clockwise)

    Returns:
    - ToyLoss with its minimum at (0, 0)
    """
    radians = np.deg2rad(angle)
    rotation = np.array([[np.cos(radians), -np.sin(radians)], [np.sin(radians), np.cos(radians)]])
    hessian = rotation @ np.diag([1.0, condition]) @ rotation.T
    (h_xx, h_xy), (_, h_yy) = hessian
    name = f"taco shell (condition number {condition:g})"
    extent = (-10.0, 10.0, -4.0, 4.0)
    if angle:
        name = f"taco shell rotated by {angle:g} degrees (condition number {condition:g})"
        extent = (-10.0, 10.0, -8.0, 8.0)
    return ToyLoss(
        name=name,
        value_fn=lambda x, y: 0.5 * (h_xx * x ** 2 + 2.0 * h_xy * x * y + h_yy * y ** 2),
        grad_fn=lambda x, y: (h_xx * x + h_xy * y, h_xy * x + h_yy * y),
        hessian_fn=lambda x, y: hessian,
        start=rotation @ np.array([-8.0, 2.0]),
        minimum=(0.0, 0.0),
        extent=extent,
    )


def saddle():
    """Saddle point at the origin: f = x^2 - y^2 + y^4 / 4.

    The origin is flat (zero gradient) but not a minimum; the two minima are at
    (0, +-sqrt(2)) with f = -1. The default start lies almost on the x axis, so plain
    gradient descent slides into the saddle and only slowly leaves it.

    Returns:
    - ToyLoss with minimum (0, sqrt(2)), the one on the start's side
    """
    return ToyLoss(
        name="saddle point",
        value_fn=lambda x, y: x ** 2 - y ** 2 + 0.25 * y ** 4,
        grad_fn=lambda x, y: (2.0 * x, -2.0 * y + y ** 3),
        hessian_fn=lambda x, y: np.array([[2.0, 0.0], [0.0, -2.0 + 3.0 * y ** 2]]),
        start=(2.0, 0.01),
        minimum=(0.0, np.sqrt(2.0)),
        extent=(-2.5, 2.5, -2.5, 2.5),
    )


def noisy(loss, sigma, rng):
    """The same loss with Gaussian noise added to every gradient.

    Inputs:
    - loss: ToyLoss
    - sigma: float, standard deviation of the noise per coordinate
    - rng: numpy.random.Generator or int seed; the same seed gives the same noise

    Returns:
    - NoisyToyLoss
    """
    return NoisyToyLoss(loss, sigma, rng)


def run_optimizer(update_rule, loss, start=None, num_steps=100, config=None):
    """Follow an update rule on a toy loss and return the path it takes.

    The caller's config is deep-copied, so one config dict can start several runs.
    Once the iterate is no longer finite (a learning rate that diverges), the
    remaining rows are NaN, which plots leave out.

    Inputs:
    - update_rule: callable (w, dw, config) -> (next_w, config), w and dw float64 (2,)
    - loss: ToyLoss
    - start: pair of float, or None for loss.start
    - num_steps: int, number of updates
    - config: dict of hyperparameters for update_rule, or None for its defaults

    Returns:
    - path: float64 array (num_steps + 1, 2); path[0] is the start, path[t] the point after t steps
    """
    w = np.array(loss.start if start is None else start, dtype=np.float64)
    config = copy.deepcopy(config)
    path = np.full((num_steps + 1, 2), np.nan)
    path[0] = w
    # A diverging run overflows on its way to inf; the NaN rows already report it.
    with np.errstate(over="ignore", invalid="ignore"):
        for step in range(1, num_steps + 1):
            w, config = update_rule(w, loss.grad(w), config)
            if not np.all(np.isfinite(w)):
                break
            path[step] = w
    return path
