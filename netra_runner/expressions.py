"""pytest's -k and -m expressions, judged by pytest's own parser before anything runs.

A bad expression otherwise fails inside every category's pytest process, after collection,
where all a run can say is that tests did not run.
"""

from __future__ import annotations


def expression_problem(expression: str) -> str | None:
    """pytest's complaint about an expression ('((: at column 3: ...'), or None."""
    try:
        from _pytest.mark.expression import Expression
    except ImportError:  # the parser moved: pytest itself judges at run time
        return None
    try:
        Expression.compile(expression)
    except SyntaxError as exc:  # pytest >= 8.3
        return f"{exc.text}: at column {exc.offset}: {exc.msg}"
    except RecursionError:
        return f"{_short(expression)}: nested too deeply"
    except Exception as exc:  # older pytest: its own ParseError, already 'at column N: ...'
        return f"{_short(expression)}: {exc}"
    return None


def _short(text: str) -> str:
    return text if len(text) <= 60 else f"{text[:60]}..."
