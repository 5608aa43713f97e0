"""Hidden checks called from the hidden test cells of solutions/ (never part of the release).

Each ``check_<exercise>(student_function)`` draws fresh random inputs, compares what the student's
function does with the reference implementation in ``autograder.reference`` and raises
``AssertionError`` with a message naming the property that failed.
"""
