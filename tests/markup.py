"""Markup a person would see as text: a tag the site's own templates write ("<br>", "<p>",
"<strong>"), or an entity ("&lt;"), shown as text means something was escaped twice, or
markup was built as plain text. (Other tags typed by a person, such as "<script>", are
their words and are shown as typed.)"""

import re
from html.parser import HTMLParser

SITE_TAGS = "br|p|a|span|strong|em|li|ul|ol|div|dl|dt|dd|h[1-6]|table|tr|td|th"
MARKUP_AS_TEXT = (rf"</?({SITE_TAGS})(\s[^<>]*)?/?>"
                  r"|&(lt|gt|amp|quot|apos|nbsp|#\d+|#x[0-9a-fA-F]+);")

_NOT_SHOWN_AS_PROSE = {"script", "style", "pre", "code", "textarea", "noscript", "template"}


class _ShownText(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.skipping = 0
        self.found: list[str] = []

    def handle_starttag(self, tag, attrs) -> None:
        if tag in _NOT_SHOWN_AS_PROSE:
            self.skipping += 1
        if tag == "input":
            attributes = dict(attrs)
            if attributes.get("type") != "hidden":
                self._check(attributes.get("value") or "")

    def handle_endtag(self, tag) -> None:
        if tag in _NOT_SHOWN_AS_PROSE and self.skipping:
            self.skipping -= 1

    def handle_data(self, data) -> None:
        if not self.skipping:
            self._check(data)

    def _check(self, text: str) -> None:
        if re.search(MARKUP_AS_TEXT, text):
            self.found.append(" ".join(text.split())[:160])


def markup_shown_as_text(html: str) -> list[str]:
    """The pieces of a page's text (and form field values) that are markup shown as text."""
    parser = _ShownText()
    parser.feed(html)
    return parser.found
