"""Form fields for free text: whatever line breaks a browser sends (CR LF, LF or CR), the
value is stored with LF, so a form sent back unchanged changes nothing."""

from typing import Any

from wtforms import TextAreaField as _TextAreaField

from app.text import lf


class TextAreaField(_TextAreaField):
    """WTForms' TextAreaField with its line breaks made LF before any filter or validator."""

    def process_formdata(self, valuelist: list[Any]) -> None:
        super().process_formdata(valuelist)
        if isinstance(self.data, str):
            self.data = lf(self.data)
