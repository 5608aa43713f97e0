"""What ``python -m autograder grade`` prints: the grade table on the terminal."""


def printable(text):
    """``text`` on one terminal line: line breaks and other control characters escaped."""
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


def format_table(rows):
    """A plain-text grade table for the terminal."""
    header = ["student", "assignment", "score", "status", "message"]
    lines = [[printable(r["student"]), r["assignment"], f"{r['score']:g} / {r['max_score']:g}", r["status"],
              printable(r["message"][:90])]
             for r in rows]
    widths = [max(len(str(x)) for x in column) for column in zip(header, *lines)]
    render = lambda values: "  ".join(str(v).ljust(w) for v, w in zip(values, widths)).rstrip()  # noqa: E731
    return "\n".join([render(header), render(["-" * w for w in widths])] + [render(line) for line in lines])
