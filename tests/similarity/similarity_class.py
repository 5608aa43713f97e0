"""A generated class for the similarity report: honest students and copiers of assignment 01.

Honest students each pick, per exercise, one of several genuinely different ways to write it
(inline or with intermediate variables, loops or vectorised, helper functions, some of them partly
wrong), with their own variable names, optional extra lines and comments. Copiers take an honest
student's answers and disguise them: new names, swapped independent statements, other comments,
dead code. One student hands in another's notebook unchanged.
"""
import random
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

import nbformat

from autograder.course import RELEASE_DIR

ASSIGNMENT, NOTEBOOK = "01_optimizers", "optimizers.ipynb"
PLACEHOLDER = re.compile(r"\{(\w+)\}")
# Lines starting with "?" are written by some students only.
WAYS = {
    "sgd": [
        'next_w = w - config["learning_rate"] * dw',
        '{lr} = config["learning_rate"]\nnext_w = w - {lr} * dw',
        '{step} = config.get("learning_rate") * dw\nnext_w = w - {step}',
        'next_w = w + config["learning_rate"] * dw',
        'next_w = w.copy()\nnext_w -= config["learning_rate"] * dw',
    ],
    "sgd_momentum": [
        '{v} = config["momentum"] * config["velocity"] - config["learning_rate"] * dw\nnext_w = w + {v}\n'
        'config["velocity"] = {v}',
        '{mu}, {lr} = config["momentum"], config["learning_rate"]\n{v} = {mu} * config["velocity"]\n'
        '{v} = {v} - {lr} * dw\n?assert {v}.shape == w.shape\nconfig["velocity"] = {v}\nnext_w = w + {v}',
        'config["velocity"] *= config["momentum"]\nconfig["velocity"] -= config["learning_rate"] * dw\n'
        'next_w = w + config["velocity"]',
        'def {helper}(previous, gradient, friction, rate):\n    return friction * previous - rate * gradient\n'
        '{v} = {helper}(config["velocity"], dw, config["momentum"], config["learning_rate"])\n'
        'config["velocity"] = {v}\nnext_w = w + {v}',
    ],
    "nesterov_momentum": [
        '{mu} = config["momentum"]\n{old} = config["velocity"]\n{v} = {mu} * {old} - config["learning_rate"] * dw\n'
        'next_w = w - {mu} * {old} + (1 + {mu}) * {v}\nconfig["velocity"] = {v}',
        '{old} = config["velocity"].copy()\n'
        'config["velocity"] = config["momentum"] * config["velocity"] - config["learning_rate"] * dw\n'
        'next_w = w + config["momentum"] * (config["velocity"] - {old}) + config["velocity"]',
        '{v} = config["momentum"] * config["velocity"] - config["learning_rate"] * dw\nconfig["velocity"] = {v}\n'
        'next_w = w + {v}',
        '{lr} = config["learning_rate"]\n{mu} = config["momentum"]\n{look} = {mu} * config["velocity"]\n'
        '{v} = {look} - {lr} * dw\n?{v} = np.asarray({v}, dtype=w.dtype)\nnext_w = w - {look} + {v} + {mu} * {v}\n'
        'config["velocity"] = {v}',
    ],
    "adagrad": [
        '{cache} = config["grad_squared"] + dw * dw\n'
        'next_w = w - config["learning_rate"] * dw / (np.sqrt({cache}) + config["epsilon"])\n'
        'config["grad_squared"] = {cache}',
        '{cache} = config["grad_squared"] + dw ** 2\nconfig["grad_squared"] = {cache}\n'
        '{denom} = np.sqrt({cache}) + config["epsilon"]\nnext_w = w - config["learning_rate"] * (dw / {denom})',
        '{cache} = config["grad_squared"].copy()\nnext_w = np.empty_like(w)\nfor {i} in range(w.size):\n'
        '    {cache}.flat[{i}] += dw.flat[{i}] ** 2\n'
        '    next_w.flat[{i}] = w.flat[{i}] - config["learning_rate"] * dw.flat[{i}] / '
        '(np.sqrt({cache}.flat[{i}]) + config["epsilon"])\nconfig["grad_squared"] = {cache}',
        'config["grad_squared"] = config["grad_squared"] + np.square(dw)\n'
        'next_w = w - config["learning_rate"] * dw / np.sqrt(config["grad_squared"] + config["epsilon"])',
    ],
    "rmsprop": [
        '{d} = config["decay_rate"]\n{cache} = {d} * config["cache"] + (1 - {d}) * dw * dw\n'
        'next_w = w - config["learning_rate"] * dw / (np.sqrt({cache}) + config["epsilon"])\n'
        'config["cache"] = {cache}',
        'config["cache"] = config["decay_rate"] * config["cache"] + (1 - config["decay_rate"]) * np.square(dw)\n'
        '{scale} = 1.0 / (np.sqrt(config["cache"]) + config["epsilon"])\n'
        'next_w = w - config["learning_rate"] * {scale} * dw',
        'def {helper}(old, new, rate):\n    return rate * old + (1 - rate) * new\n'
        '{cache} = {helper}(config["cache"], dw**2, config["decay_rate"])\nconfig["cache"] = {cache}\n'
        'next_w = w - config["learning_rate"] * dw / (np.sqrt({cache}) + config["epsilon"])',
        '{cache} = config["decay_rate"] * config["cache"] + dw * dw\nconfig["cache"] = {cache}\n'
        '?{eps} = config["epsilon"]\nnext_w = w - config["learning_rate"] * dw / (np.sqrt({cache}) + config["epsilon"])',
    ],
    "adam": [
        '{b1}, {b2} = config["beta1"], config["beta2"]\n{t} = config["t"] + 1\n'
        '{m} = {b1} * config["m"] + (1 - {b1}) * dw\n{v} = {b2} * config["v"] + (1 - {b2}) * dw * dw\n'
        '{mhat} = {m} / (1 - {b1}**{t})\n{vhat} = {v} / (1 - {b2}**{t})\n'
        'next_w = w - config["learning_rate"] * {mhat} / (np.sqrt({vhat}) + config["epsilon"])\n'
        'config["m"], config["v"], config["t"] = {m}, {v}, {t}',
        'config["t"] += 1\nconfig["m"] = config["beta1"] * config["m"] + (1 - config["beta1"]) * dw\n'
        'config["v"] = config["beta2"] * config["v"] + (1 - config["beta2"]) * (dw ** 2)\n'
        '{mhat} = config["m"] / (1 - config["beta1"] ** config["t"])\n'
        '{vhat} = config["v"] / (1 - config["beta2"] ** config["t"])\n'
        'next_w = w - config["learning_rate"] * {mhat} / (np.sqrt({vhat}) + config["epsilon"])',
        'def {helper}(moment, beta, step):\n    return moment / (1 - beta ** step)\n{t} = config["t"] + 1\n'
        '{m} = config["beta1"] * config["m"] + (1 - config["beta1"]) * dw\n'
        '{v} = config["beta2"] * config["v"] + (1 - config["beta2"]) * dw * dw\n{lr} = config["learning_rate"]\n'
        'next_w = w - {lr} * {helper}({m}, config["beta1"], {t}) / '
        '(np.sqrt({helper}({v}, config["beta2"], {t})) + config["epsilon"])\nconfig.update(m={m}, v={v}, t={t})',
        '{b1}, {b2}, {eps} = config["beta1"], config["beta2"], config["epsilon"]\n'
        '{m} = {b1} * config["m"] + (1 - {b1}) * dw\n{v} = {b2} * config["v"] + (1 - {b2}) * np.square(dw)\n'
        'config["t"] = config["t"] + 1\nconfig["m"] = {m}\nconfig["v"] = {v}\n'
        'next_w = w - config["learning_rate"] * {m} / (np.sqrt({v}) + {eps})',
        '{t} = config["t"] + 1\n'
        '{lr} = config["learning_rate"] * np.sqrt(1 - config["beta2"] ** {t}) / (1 - config["beta1"] ** {t})\n'
        '{m} = config["m"] + (1 - config["beta1"]) * (dw - config["m"])\n'
        '{v} = config["v"] + (1 - config["beta2"]) * (dw * dw - config["v"])\n'
        '?assert np.all({v} >= 0)\nnext_w = w - {lr} * {m} / (np.sqrt({v}) + config["epsilon"])\n'
        'config["m"], config["v"], config["t"] = {m}, {v}, {t}',
        '{t} = config["t"] + 1\n{m} = np.empty_like(w)\n{v} = np.empty_like(w)\nnext_w = np.empty_like(w)\n'
        'for {i} in np.ndindex(w.shape):\n    {m}[{i}] = config["beta1"] * config["m"][{i}] + (1 - config["beta1"]) * dw[{i}]\n'
        '    {v}[{i}] = config["beta2"] * config["v"][{i}] + (1 - config["beta2"]) * dw[{i}] ** 2\n'
        '    {mhat} = {m}[{i}] / (1 - config["beta1"] ** {t})\n    {vhat} = {v}[{i}] / (1 - config["beta2"] ** {t})\n'
        '    next_w[{i}] = w[{i}] - config["learning_rate"] * {mhat} / (math.sqrt({vhat}) + config["epsilon"])\n'
        'config["m"], config["v"], config["t"] = {m}, {v}, {t}',
        'config["t"] = config["t"] + 1\n'
        'for {key}, {bt}, {g} in (("m", config["beta1"], dw), ("v", config["beta2"], dw * dw)):\n'
        '    config[{key}] = {bt} * config[{key}] + (1 - {bt}) * {g}\n{corr1} = 1 - config["beta1"] ** config["t"]\n'
        '{corr2} = 1 - config["beta2"] ** config["t"]\n'
        'next_w = w - config["learning_rate"] * (config["m"] / {corr1}) / (np.sqrt(config["v"] / {corr2}) + config["epsilon"])',
    ],
    "step_decay": [
        'return learning_rate0 * drop ** (t // steps_per_drop)',
        '{n} = t // steps_per_drop\nreturn learning_rate0 * (drop ** {n})',
        '{rate} = learning_rate0\nfor _ in range(t // steps_per_drop):\n    {rate} *= drop\nreturn {rate}',
        'return learning_rate0 * drop ** (t / steps_per_drop)',
    ],
    "exponential_decay": [
        'return learning_rate0 * math.exp(-k * t)',
        'return learning_rate0 * np.exp(-k * t)',
        '{f} = math.exp(-k * t)\n{rate} = learning_rate0 * {f}\nreturn {rate}',
        'return learning_rate0 * math.exp(k * t)',
    ],
    "inverse_time_decay": [
        'return learning_rate0 / (1 + k * t)',
        '{den} = 1.0 + k * t\nreturn learning_rate0 / {den}',
        'return learning_rate0 / (k * t + 1e-8)',
    ],
    "cosine_annealing_warm_restarts": [
        '{tl}, {tc} = period, t\nwhile {tc} >= {tl}:\n    {tc} -= {tl}\n    {tl} *= period_mult\n'
        'return min_lr + 0.5 * (learning_rate0 - min_lr) * (1 + math.cos(math.pi * {tc} / {tl}))',
        'if period_mult == 1:\n    {tc}, {tl} = t % period, period\nelse:\n    {tc}, {tl} = t, period\n'
        '    while {tc} >= {tl}:\n        {tc} = {tc} - {tl}\n        {tl} = {tl} * period_mult\n'
        '{cos} = math.cos(math.pi * {tc} / {tl})\nreturn min_lr + (learning_rate0 - min_lr) * (1 + {cos}) / 2',
        '{start} = 0\n{i} = 0\nwhile True:\n    {tl} = period * period_mult ** {i}\n'
        '    if t < {start} + {tl}:\n        break\n    {start} += {tl}\n    {i} += 1\n'
        '{frac} = (t - {start}) / {tl}\nreturn min_lr + 0.5 * (learning_rate0 - min_lr) * (1 + np.cos(np.pi * {frac}))',
        'return min_lr + 0.5 * (learning_rate0 - min_lr) * (1 + math.cos(math.pi * (t % period) / period))',
        'def {helper}(step, length):\n    if step < length:\n        return step, length\n'
        '    return {helper}(step - length, length * period_mult)\n{tc}, {tl} = {helper}(t, period)\n'
        '{frac} = 0.5 * (1 + math.cos(math.pi * {tc} / {tl}))\nreturn min_lr + {frac} * (learning_rate0 - min_lr)',
    ],
    "newton_step": [
        'return w - np.linalg.solve(hessian, dw)',
        '{step} = np.linalg.solve(hessian, dw)\nnext_w = w - {step}\nreturn next_w',
        '{inv} = np.linalg.inv(hessian)\nreturn w - {inv} @ dw',
        'return w - hessian @ dw',
    ],
    "lbfgs_direction": [
        'if not s_history:\n    return -grad\n'
        '{rho} = [1.0 / np.dot(y, s) for s, y in zip(s_history, y_history)]\n{q} = grad\n{a} = []\n'
        'for s, y, r in reversed(list(zip(s_history, y_history, {rho}))):\n    {coef} = r * np.dot(s, {q})\n'
        '    {q} = {q} - {coef} * y\n    {a}.append({coef})\n'
        '{r} = (np.dot(s_history[-1], y_history[-1]) / np.dot(y_history[-1], y_history[-1])) * {q}\n'
        'for s, y, r, {coef} in zip(s_history, y_history, {rho}, reversed({a})):\n'
        '    {b} = r * np.dot(y, {r})\n    {r} = {r} + ({coef} - {b}) * s\nreturn -{r}',
        '{q} = grad.copy()\n{n} = len(s_history)\nif {n} == 0:\n    return -{q}\n{a} = [0.0] * {n}\n'
        '{rho} = [1.0 / np.dot(y_history[{i}], s_history[{i}]) for {i} in range({n})]\n'
        'for {i} in range({n} - 1, -1, -1):\n    {a}[{i}] = {rho}[{i}] * np.dot(s_history[{i}], {q})\n'
        '    {q} = {q} - {a}[{i}] * y_history[{i}]\n'
        '{gamma} = np.dot(s_history[-1], y_history[-1]) / np.dot(y_history[-1], y_history[-1])\n'
        '{r} = {gamma} * {q}\nfor {i} in range({n}):\n    {b} = {rho}[{i}] * np.dot(y_history[{i}], {r})\n'
        '    {r} = {r} + s_history[{i}] * ({a}[{i}] - {b})\nreturn -{r}',
        'def {helper}(vec, pairs):\n    coeffs = []\n    for s, y in reversed(pairs):\n'
        '        c = s @ vec / (y @ s)\n        vec = vec - c * y\n        coeffs.append(c)\n'
        '    return vec, coeffs[::-1]\n{pairs} = list(zip(s_history, y_history))\nif len({pairs}) == 0:\n'
        '    return -grad\n{q}, {a} = {helper}(grad, {pairs})\n{s_new}, {y_new} = {pairs}[-1]\n'
        '{r} = {q} * (({s_new} @ {y_new}) / ({y_new} @ {y_new}))\nfor (s, y), c in zip({pairs}, {a}):\n'
        '    {r} = {r} + s * (c - (y @ {r}) / (y @ s))\nreturn -{r}',
        'if len(s_history) == 0:\n    return -grad\n{q} = np.array(grad, dtype=float)\n{a} = []\n'
        'for s, y in zip(s_history[::-1], y_history[::-1]):\n    {coef} = np.dot(s, {q}) / np.dot(y, s)\n'
        '    {a}.insert(0, {coef})\n    {q} -= {coef} * y\n'
        '{r} = np.dot(s_history[0], y_history[0]) / np.dot(y_history[0], y_history[0]) * {q}\n'
        'for s, y, {coef} in zip(s_history, y_history, {a}):\n    {r} += s * ({coef} - np.dot(y, {r}) / np.dot(y, s))\n'
        'return -{r}',
        'if len(s_history) == 0:\n    return -grad\n{S} = np.array(s_history)\n{Y} = np.array(y_history)\n'
        '{rho} = 1.0 / np.sum({S} * {Y}, axis=1)\n{q} = grad.copy()\n{a} = np.zeros(len({S}))\n'
        'for {i} in reversed(range(len({S}))):\n    {a}[{i}] = {rho}[{i}] * {S}[{i}].dot({q})\n'
        '    {q} -= {a}[{i}] * {Y}[{i}]\n{r} = {q} * ({S}[-1].dot({Y}[-1]) / {Y}[-1].dot({Y}[-1]))\n'
        'for {i} in range(len({S})):\n    {r} += {S}[{i}] * ({a}[{i}] - {rho}[{i}] * {Y}[{i}].dot({r}))\nreturn -{r}',
        '{n} = len(s_history)\n{q} = np.copy(grad)\n{a} = {}\n{i} = {n} - 1\nwhile {i} >= 0:\n'
        '    {a}[{i}] = np.dot(s_history[{i}], {q}) / np.dot(y_history[{i}], s_history[{i}])\n'
        '    {q} = {q} - {a}[{i}] * y_history[{i}]\n    {i} -= 1\nif {n} > 0:\n'
        '    {gamma} = np.dot(s_history[{n} - 1], y_history[{n} - 1]) / '
        'np.dot(y_history[{n} - 1], y_history[{n} - 1])\nelse:\n    {gamma} = 1.0\n{r} = {gamma} * {q}\n{i} = 0\n'
        'while {i} < {n}:\n    {b} = np.dot(y_history[{i}], {r}) / np.dot(y_history[{i}], s_history[{i}])\n'
        '    {r} = {r} + s_history[{i}] * ({a}[{i}] - {b})\n    {i} += 1\nreturn -{r}',
    ],
}
NAMES = {
    "lr": ["lr", "alpha", "eta", "step_size", "rate"], "step": ["step", "delta", "update", "change"],
    "v": ["v", "vel", "velocity", "new_v", "new_velocity"], "mu": ["mu", "rho", "beta", "friction", "mom"],
    "old": ["old_v", "v_prev", "prev_velocity", "previous", "v_old"], "look": ["lookahead", "carry", "pushed"],
    "cache": ["cache", "g2", "sq", "accum", "squared_sum", "running"], "denom": ["denom", "scale_by", "div"],
    "i": ["i", "j", "idx", "k_"], "d": ["d", "decay", "gamma_", "keep"], "scale": ["scale", "factor", "inv_rms"],
    "eps": ["eps", "tiny", "epsilon_"], "b1": ["b1", "beta1", "beta_1"], "b2": ["b2", "beta2", "beta_2"],
    "t": ["t_new", "step_t", "count", "tt"], "m": ["m", "m_new", "first", "mean"],
    "mhat": ["m_hat", "mhat", "m_corr", "first_unbiased"], "vhat": ["v_hat", "vhat", "v_corr", "second_unbiased"],
    "n": ["n", "drops", "m_", "count_"], "rate": ["rate", "lr_now", "current", "value"],
    "f": ["f", "factor", "mult"], "den": ["den", "denominator", "bottom"],
    "tl": ["cycle_length", "T_i", "length", "span"], "tc": ["t_cur", "pos", "offset", "into"],
    "cos": ["c", "cosine", "cos_term"], "start": ["start", "begin", "cycle_start"], "frac": ["frac", "progress", "x"],
    "inv": ["inv", "h_inv", "inverse"], "rho": ["rhos", "rho_list", "inv_sy"], "q": ["q", "vec", "g"],
    "a": ["alphas", "alpha_list", "coeffs_"], "coef": ["alpha", "a_i", "coefficient"], "b": ["beta", "b_i", "corr"],
    "r": ["r", "z", "direction"], "gamma": ["gamma", "scale0", "h0"], "pairs": ["pairs", "history", "memory"],
    "s_new": ["s_last", "s_k", "newest_s"], "y_new": ["y_last", "y_k", "newest_y"],
    "S": ["S", "s_mat", "S_arr"], "Y": ["Y", "y_mat", "Y_arr"], "key": ["key", "name", "slot"],
    "bt": ["bt", "decay", "b"], "g": ["g", "signal", "src"], "corr1": ["corr1", "c1", "bias1"],
    "corr2": ["corr2", "c2", "bias2"],
    "helper": ["helper", "update_rule", "_step", "compute", "apply_step"],
}
COMMENTS = ["# update the weights", "# follow the formula", "# see lecture notes", "# TODO: double-check",
            "# vectorised", "# bias-corrected moments", "# keep state for the next call", "# step"]
DEAD_CODE = ["_debug = False", "if False:\n    print('never')", "unused_total = 0", "_ = None",
             "for _k in range(0):\n    pass"]


STYLES = ("hoist-config", "square", "sqrt", "dot", "augmented", "return-variable", "gradient-first", "last-index",
          "copy", "factor-first", "reorder")


@dataclass
class Student:
    """How one student writes: the way chosen per exercise, names, optional lines, comments, habits
    (``STYLES``) and the seed of their choices; a copier adds ``disguises`` drawn with ``disguise_seed``."""
    ways: dict
    names: dict
    optional: dict
    comments: dict
    styles: frozenset
    seed: int
    disguises: frozenset = frozenset()
    disguise_seed: int = 0


def honest_student(rng):
    return Student(ways={name: rng.randrange(len(ways)) for name, ways in WAYS.items()},
                   names={key: rng.choice(pool) for key, pool in NAMES.items()},
                   optional={name: rng.random() < 0.5 for name in WAYS},
                   comments={name: rng.choice(COMMENTS) if rng.random() < 0.4 else "" for name in WAYS},
                   styles=frozenset(style for style in STYLES if rng.random() < 0.5), seed=rng.randrange(2**32))


def copier_of(source, rng, disguises):
    """A copier of ``source`` using ``disguises`` out of rename, reorder, comments, dead-code."""
    names = {key: rng.choice([n for n in pool if n != source.names[key]] or pool) for key, pool in NAMES.items()} \
        if "rename" in disguises else dict(source.names)
    comments = {name: rng.choice(COMMENTS) for name in WAYS} if "comments" in disguises else dict(source.comments)
    return Student(dict(source.ways), names, dict(source.optional), comments, source.styles, source.seed,
                   frozenset(disguises), rng.randrange(2**32))


def answer(student, exercise):
    """The body a student writes for ``exercise``."""
    lines = []
    for line in WAYS[exercise][student.ways[exercise]].split("\n"):
        if line.startswith("?"):
            if not student.optional[exercise]:
                continue
            line = line[1:]
        lines.append(PLACEHOLDER.sub(lambda match: student.names[match.group(1)], line))
    rng = random.Random(f"{student.seed}-{exercise}")
    code = "\n".join(lines)
    for style in STYLES:
        if style in student.styles and style != "reorder":
            code = HABITS[style](code, rng)
    lines = code.split("\n")
    if "reorder" in student.styles:
        lines = _swap_independent(lines, rng)
    if student.comments[exercise]:
        lines.insert(0 if rng.random() < 0.5 else _last_statement(lines), student.comments[exercise])
    disguise = random.Random(f"{student.disguise_seed}-{exercise}")
    if "reorder" in student.disguises:
        lines = _swap_independent(lines, disguise)
    if "dead-code" in student.disguises:
        position = disguise.randrange(_last_statement(lines) + 1)
        lines[position:position] = disguise.choice(DEAD_CODE).split("\n")
    if "comments" in student.disguises:
        lines = [line for line in lines if not line.lstrip().startswith("#")]
        lines.insert(disguise.randrange(_last_statement(lines) + 1), disguise.choice(COMMENTS))
    return "\n".join(lines)


CONFIG_READ = re.compile(r'config\["(\w+)"\]')
SQRT = re.compile(r"np\.sqrt\(([^()]*(?:\([^()]*\)[^()]*)*)\)")
DOT = re.compile(r"np\.dot\(([^(),]+), ([^(),]+)\)")


def _hoist_config(code, rng):
    """Config values the body only reads become local variables set at the top."""
    assigned = {key for line in code.split("\n") if line.lstrip().startswith("config")
                for key in CONFIG_READ.findall(line.split("=")[0])}
    keys = sorted(set(CONFIG_READ.findall(code)) - assigned)
    rng.shuffle(keys)
    taken = set(re.findall(r"\w+", code))
    local = {key: next(n for n in (key, f"{key}_", f"c_{key}", f"cfg_{key}") if n not in taken) for key in keys}
    code = CONFIG_READ.sub(lambda m: local.get(m.group(1), m.group(0)), code)
    return "\n".join([f'{local[key]} = config["{key}"]' for key in keys] + [code])


def _return_variable(code, rng):
    return re.sub(r"^return (?!-?\w+$)(.+)$", lambda m: f"result = {m.group(1)}\nreturn result", code, flags=re.M)


HABITS = {
    "hoist-config": _hoist_config,
    "square": lambda code, rng: code.replace("dw * dw", rng.choice(["dw ** 2", "np.square(dw)", "np.power(dw, 2)"])),
    "sqrt": lambda code, rng: SQRT.sub(lambda m: f"({m.group(1)}) ** 0.5", code),
    "dot": lambda code, rng: DOT.sub(lambda m: rng.choice(["({} @ {})", "{}.dot({})"]).format(*m.groups()), code),
    "augmented": lambda code, rng: re.sub(r"^(\s*)(\S+) = \2 ([-+]) ", r"\1\2 \3= ", code, flags=re.M),
    "return-variable": _return_variable,
    "gradient-first": lambda code, rng: re.sub(r'(\w+|config\["\w+"\]) \* dw\b', r"dw * \1", code),
    "last-index": lambda code, rng: re.sub(r"(\w+)\[-1\]", r"\1[len(\1) - 1]", code),
    "copy": lambda code, rng: re.sub(r"(\w+)\.copy\(\)", rng.choice([r"np.copy(\1)", r"np.array(\1)"]), code),
    "factor-first": lambda code, rng: re.sub(r'\b(\w+) \* (config\["\w+"\])', r"\2 * \1", code),
}


def _last_statement(lines):
    """Index of the last top-level line (a return, usually): code must go before it."""
    return max(i for i, line in enumerate(lines) if not line.startswith(" "))


ASSIGNED = re.compile(r"^([\w\[\]\"., ]+?)\s*[-+*]?=\s")


def _swap_independent(lines, rng):
    """``lines`` with one pair of adjacent top-level assignments that do not use each other swapped."""
    candidates = []
    for i in range(len(lines) - 1):
        first, second = lines[i], lines[i + 1]
        if any(line.startswith((" ", "return", "if", "for", "while", "def", "else")) for line in (first, second)):
            continue
        if i + 2 < len(lines) and lines[i + 2].startswith(" "):
            continue
        targets = [ASSIGNED.match(line) for line in (first, second)]
        if not all(targets):
            continue
        words = [set(re.findall(r"\w+", m.group(1))) - {"config"} for m in targets]
        keys = [set(re.findall(r'"(\w+)"', m.group(1))) for m in targets]
        if not (words[0] & set(re.findall(r"\w+", second)) or words[1] & set(re.findall(r"\w+", first))
                or keys[0] & set(re.findall(r'"(\w+)"', second)) or keys[1] & set(re.findall(r'"(\w+)"', first))):
            candidates.append(i)
    if candidates:
        i = rng.choice(candidates)
        lines[i], lines[i + 1] = lines[i + 1], lines[i]
    return lines


def notebook_of(student, release_dir=RELEASE_DIR):
    """The release notebook of assignment 01 with ``student``'s answers in its solution cells."""
    notebook = nbformat.read(Path(release_dir) / ASSIGNMENT / NOTEBOOK, as_version=4)
    for cell in notebook.cells:
        exercise = cell.metadata.get("nbgrader", {}).get("grade_id")
        if exercise in WAYS:
            indent = re.search(r"^([ \t]*)# YOUR CODE HERE", cell.source, re.M).group(1)
            body = "\n".join(indent + line if line else line for line in answer(student, exercise).split("\n"))
            cell.source = re.sub(r"^[ \t]*# YOUR CODE HERE\n[ \t]*raise NotImplementedError\(\)",
                                 lambda _: body, cell.source, flags=re.M)
    return notebook


COPIER_DISGUISES = [{"rename"}, {"rename", "reorder"}, {"comments"}, {"dead-code"},
                    {"rename", "reorder", "comments", "dead-code"}, {"rename", "comments", "dead-code"}]


def write_class(folder, honest=30, seed=0, release_dir=RELEASE_DIR):
    """Write ``honest`` honest students, one copier per disguise of ``COPIER_DISGUISES`` (each copying
    a different honest student) and one identical copy, in the nbgrader collect layout under ``folder``.

    Returns ``(copier_pairs, identical_pair)``: frozensets of the two students' names.
    """
    rng = random.Random(seed)
    folder = Path(folder)
    students = {f"honest_{i:03d}": honest_student(rng) for i in range(honest)}
    sources = rng.sample(sorted(students), len(COPIER_DISGUISES) + 1)
    copiers = {}
    for i, (source, disguises) in enumerate(zip(sources, COPIER_DISGUISES)):
        copiers[f"copier_{i:02d}_{'_'.join(sorted(disguises))}"] = (source, copier_of(students[source], rng, disguises))
    for name, student in {**students, **{name: copier for name, (_, copier) in copiers.items()}}.items():
        path = folder / name / ASSIGNMENT / NOTEBOOK
        path.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(notebook_of(student, release_dir), path)
    twin = folder / f"twin_of_{sources[-1]}" / ASSIGNMENT
    twin.mkdir(parents=True, exist_ok=True)
    shutil.copy(folder / sources[-1] / ASSIGNMENT / NOTEBOOK, twin / NOTEBOOK)
    pairs = {frozenset((name, source)) for name, (source, _) in copiers.items()}
    return pairs, frozenset((f"twin_of_{sources[-1]}", sources[-1]))
