"""Course autograder: release, selfcheck and grading over nbgrader, with hidden checks."""
