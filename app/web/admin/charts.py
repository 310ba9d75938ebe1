"""Charts drawn on the server as inline SVG: no script, nothing from another site.

Each chart is an image with a title and a description (role="img", <title>, <desc>), a
label and a value written beside every bar (so colour never carries the meaning alone),
and a visible link to the table with the same figures. A value that is not a number
(suppressed: "fewer than 5" or "hidden", or missing) gets no bar, only its words.
"""

import textwrap
from collections.abc import Sequence
from typing import Any

from markupsafe import Markup, escape

WIDTH = 400  # the viewBox; the SVG scales to the column, so text is sized for a phone
ROW = 44
BAR = 16
BAR_SPACE = 300  # the longest bar, leaving room for its value
LABEL_LINE = 44  # characters on one line of a label; a longer label wraps onto more lines
LINE = 18
BAR_COLOUR = "#1d70b8"  # GOV.UK blue: 5.2:1 on white
TEXT_COLOUR = "#0b0c0c"
MUTED_COLOUR = "#484949"  # for words in place of a bar: 9:1 on white


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def _words(value: Any, unit: str) -> str:
    if value is None:
        return "no figure"
    if _number(value) is None:
        return str(value)
    text = f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}"
    return f"{text}{unit}"


def _label_lines(label: str) -> list[str]:
    """A label in whole lines that fit the chart: never cut off."""
    return textwrap.wrap(label, LABEL_LINE, break_long_words=True) or [""]


def bar_chart(chart_id: str, title: str, rows: Sequence[tuple[str, Any]], *, table_id: str,
              table_caption: str, unit: str = "") -> Markup:
    """A horizontal bar chart: each row's label above its bar, the value after it."""
    numbers = [n for n in (_number(value) for _label, value in rows) if n is not None]
    largest = max(numbers, default=0) or 1
    labels = [_label_lines(str(label)) for label, _value in rows]
    height = max(sum(ROW + LINE * (len(lines) - 1) for lines in labels), ROW) + 8
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="ov-chart" viewBox="0 0 {WIDTH} {height}" '
        f'role="img" aria-labelledby="{chart_id}-title {chart_id}-desc" focusable="false">',
        f'<title id="{chart_id}-title">{escape(title)}</title>',
        f'<desc id="{chart_id}-desc">{escape(describe(rows, unit))}</desc>',
        f'<g font-family="system-ui, -apple-system, Segoe UI, Roboto, Helvetica, Arial, sans-serif" '
        f'font-size="15" fill="{TEXT_COLOUR}">',
    ]
    top = 0
    for lines, (_label, value) in zip(labels, rows, strict=True):
        for line_number, line in enumerate(lines):
            parts.append(f'<text x="0" y="{top + 15 + LINE * line_number}">{escape(line)}</text>')
        top += LINE * (len(lines) - 1)
        number = _number(value)
        words = escape(_words(value, unit))
        if number is None:
            parts.append(f'<text x="0" y="{top + 34}" fill="{MUTED_COLOUR}" font-style="italic">'
                         f'{words}</text>')
        else:
            length = round(BAR_SPACE * max(number, 0) / largest, 1)
            parts.append(f'<rect x="0" y="{top + 21}" width="{length}" height="{BAR}" fill="{BAR_COLOUR}"/>')
            parts.append(f'<text x="{length + 6}" y="{top + 34}" font-weight="bold">{words}</text>')
        top += ROW
    if not rows:
        parts.append(f'<text x="0" y="20" fill="{MUTED_COLOUR}">Nothing to show</text>')
    parts.append("</g></svg>")
    link = (f'<p class="govuk-body-s ov-chart-link"><a class="govuk-link" href="#{escape(table_id)}">'
            f'Table: {escape(table_caption)}</a></p>')
    caption = f'<figcaption class="govuk-heading-s govuk-!-margin-bottom-2">{escape(title)}</figcaption>'
    return Markup(f'<figure class="ov-figure">{caption}{"".join(parts)}{link}</figure>')


def describe(rows: Sequence[tuple[str, Any]], unit: str = "") -> str:
    """What a screen reader hears: the highest and lowest bars, and where the figures are."""
    if not rows:
        return "No figures for this choice."
    numbered = [(label, value) for label, value in rows if _number(value) is not None]
    text = f"Bar chart, {len(rows)} bars."
    if numbered:
        high = max(numbered, key=lambda row: _number(row[1]))
        low = min(numbered, key=lambda row: _number(row[1]))
        text += f" Highest: {high[0]}, {_words(high[1], unit)}. Lowest: {low[0]}, {_words(low[1], unit)}."
    hidden = len(rows) - len(numbered)
    if hidden:
        text += f" {hidden} shown in words only (fewer than 5, hidden, or no figure)."
    return text + " Every figure is in the table linked below the chart."
