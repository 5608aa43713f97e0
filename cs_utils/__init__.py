"""Shared helpers for the course notebooks: data, gradient checks, layers, a solver, plots."""

from cs_utils.mode import GRADING_ENV_VAR, grading_mode

__all__ = ["GRADING_ENV_VAR", "grading_mode"]
