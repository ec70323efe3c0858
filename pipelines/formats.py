"""German number formats, one way for the workbench, the command line and the exports.

A German reader (and German Excel) reads "5.836" as five thousand eight hundred
and thirty-six: decimals take a comma, thousands a full stop.

>>> number(7.4512)
'7,45'
>>> number(1386)
'1.386'
>>> seconds(50.66)
'50,7 s'
"""

from __future__ import annotations

import math


def number(value: float | int, decimals: int | None = None, *, grouping: bool = True) -> str:
    """``value`` the German way: decimal comma, a full stop between thousands.

    Args:
        value: the number.
        decimals: digits after the comma; ``None``: none for an ``int``, two for a float.
        grouping: full stops between thousands; off for files that programs read back
            (German Excel reads "1386,5" and "1.386,5" alike, pandas only the first).
    """
    if decimals is None:
        decimals = 0 if isinstance(value, int) else 2
    if isinstance(value, float) and not math.isfinite(value):
        return "–"
    english = f"{value:{',' if grouping else ''}.{decimals}f}"  # 1,386.50
    return english.translate(str.maketrans({",": ".", ".": ","}))


def notes(n: int) -> str:
    """A count of notes with its noun: ``1 Beitrag``, ``1.234 Beiträge``."""
    return f"{number(n)} {'Beitrag' if n == 1 else 'Beiträge'}"


def seconds(value: float) -> str:
    """A duration: ``50,7 s``."""
    return f"{number(value, 1)} s"


def rate(done: int, elapsed: float) -> str:
    """Notes per second, ``1.234 Beiträge/s``; "–" before the first second has passed."""
    if elapsed <= 0 or done <= 0:
        return "– Beiträge/s"
    per_second = done / elapsed
    return f"{number(per_second, 0 if per_second >= 10 else 1)} Beiträge/s"
