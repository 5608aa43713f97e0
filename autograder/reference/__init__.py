"""Reference implementations of the student exercises (never part of the release)."""
