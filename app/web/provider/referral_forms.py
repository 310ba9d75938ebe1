"""Forms for moving a referral on: one page for each kind of step."""

import re
from datetime import timedelta

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import (
    GovDateInput,
    GovRadioInput,
    GovSubmitInput,
    GovTextArea,
    GovTextInput,
)
from wtforms import DateField, RadioField, StringField, SubmitField
from wtforms.validators import DataRequired, InputRequired, Length, Optional, ValidationError

from app.dates import today_in_england
from app.models.referrals import ReferralStatus
from app.numbers import whole_number
from app.referrals.lifecycle import CLOSE_OUTCOMES, DECLINE_REASONS, TEXT_MAX
from app.web.text_fields import TextAreaField

INVALID_DATE = _l("The expected start date must be a real date, like 27 3 2027")
START_TOO_SOON = _l("The expected start date must be today or later")
START_TOO_LATE = _l("The expected start date must be within 2 years")
TOO_LONG = _l("Keep it to 1,000 characters or fewer")
NO_START = _l("Enter the date the help is expected to start")
BAD_WEEKS = _l("Enter a whole number of weeks from 1 to 104")
NO_REASON = _l("Select why the service can't help")
NO_REASON_TEXT = _l("Say why the service can't help")
NO_SUGGESTION = _l("Say where the family could go instead")
NO_OUTCOME = _l("Select how the referral ended")

_text = [Optional(), Length(max=TEXT_MAX, message=TOO_LONG)]


def _strip(value):
    """Text that is only spaces or new lines is no text: the service would refuse it."""
    return value.strip() if isinstance(value, str) else value


class DayMonthYearField(DateField):
    """A date in three boxes (GovDateInput), sent as day, month and year under one name.
    Anything but three parts (a script, or a page from another version) is not a valid
    date, and empty boxes are no date: either way the widget gets three parts to show
    again, as it must."""

    def process_formdata(self, valuelist):
        parts = [part.strip() for part in valuelist]
        self.raw_data = (parts + ["", "", ""])[:3]
        self.data = None
        if not any(parts):
            return
        if len(parts) != 3:
            raise ValueError(str(INVALID_DATE))
        try:
            super().process_formdata(parts)
        except ValueError:
            raise ValueError(str(INVALID_DATE)) from None


class StepForm(FlaskForm):
    submit = SubmitField(_l("Save and tell the family"), widget=GovSubmitInput())

    # What to say when the service refuses a detail this form let through: the form's
    # own words for that field.
    REFUSED = {"expected_start": NO_START, "estimate_weeks": BAD_WEEKS, "reason": NO_REASON,
               "reason_text": NO_REASON_TEXT, "suggestion": NO_SUGGESTION, "outcome": NO_OUTCOME}

    def details(self) -> dict:
        """The values change_status() takes for this step."""
        return {name: field.data for name, field in self._fields.items()
                if name not in ("csrf_token", "submit")}

    def refused(self, error: Exception) -> None:
        """Shows change_status()'s InvalidDetails ("field: what is wrong", or "field is
        longer than …") by the field it names, or by the first field when it names none."""
        message = str(error)
        text = message[:1].upper() + message[1:]
        field = self._fields.get(re.match(r"[a-z_]*", message).group())
        if field is None or field.type in ("CSRFTokenField", "SubmitField"):
            field = next(field for field in self if field.type not in ("CSRFTokenField", "SubmitField"))
        elif " is longer than " in message:
            text = TOO_LONG
        else:
            text = self.REFUSED.get(field.name, text)
        field.errors = [*field.errors, text]


class ContactedForm(StepForm):
    note = TextAreaField(_l("Note for your records (optional)"), widget=GovTextArea(),
                         filters=[_strip], validators=_text)


class AcceptedForm(StepForm):
    expected_start = DayMonthYearField(
        _l("When do you expect the help to start?"), widget=GovDateInput(), format="%d %m %Y",
        description=_l("For example, 27 3 2027"), validators=[InputRequired(NO_START)])
    note = TextAreaField(_l("Anything the family should know (optional)"), widget=GovTextArea(),
                         filters=[_strip], validators=_text)

    def validate_expected_start(self, field) -> None:
        # The family reads this date: one in the past, or years away, is a slip of the keys.
        today = today_in_england()
        if field.data is None:  # not a date: already said so
            return
        if field.data < today:
            raise ValidationError(START_TOO_SOON)
        if field.data > today + timedelta(days=2 * 366):
            raise ValidationError(START_TOO_LATE)


class WaitingListForm(StepForm):
    estimate_weeks = StringField(
        _l("About how many weeks will the family wait?"), widget=GovTextInput(), filters=[_strip],
        validators=[DataRequired(_l("Enter about how many weeks the family will wait, like 6"))])
    note = TextAreaField(_l("Anything the family should know (optional)"), widget=GovTextArea(),
                         filters=[_strip], validators=_text)

    def validate_estimate_weeks(self, field) -> None:
        weeks = whole_number(field.data)
        if weeks is None or not 1 <= weeks <= 104:
            raise ValidationError(BAD_WEEKS)

    def details(self) -> dict:
        return {**super().details(), "estimate_weeks": whole_number(self.estimate_weeks.data)}


class DeclinedForm(StepForm):
    reason = RadioField(_l("Why can't the service help?"), widget=GovRadioInput(),
                        choices=list(DECLINE_REASONS.items()), validators=[InputRequired(NO_REASON)])
    reason_text = TextAreaField(_l("Say more (needed for 'Another reason')"), widget=GovTextArea(),
                                filters=[_strip], validators=_text)
    suggestion = TextAreaField(
        _l("Where could the family go instead?"), widget=GovTextArea(),
        description=_l("The family sees this. Name a service or a place to start, like their GP"),
        filters=[_strip],
        validators=[DataRequired(NO_SUGGESTION), Length(max=TEXT_MAX, message=TOO_LONG)])

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        # Here, not in a field validator: Optional() stops those when the field is empty.
        if self.reason.data == "other" and not self.reason_text.data:
            self.reason_text.errors = [*self.reason_text.errors, NO_REASON_TEXT]
            return False
        return valid


class ClosedForm(StepForm):
    outcome = RadioField(_l("How did it end?"), widget=GovRadioInput(),
                         choices=list(CLOSE_OUTCOMES.items()), validators=[InputRequired(NO_OUTCOME)])
    note = TextAreaField(_l("Note (optional)"), widget=GovTextArea(), filters=[_strip], validators=_text)


class OpenedForm(StepForm):
    """Nothing to fill in: the button is the explicit step that tells the family."""


STEP_FORMS: dict[str, type[StepForm]] = {
    ReferralStatus.OPENED: OpenedForm,
    ReferralStatus.CONTACTED: ContactedForm,
    ReferralStatus.ACCEPTED: AcceptedForm,
    ReferralStatus.WAITING_LIST: WaitingListForm,
    ReferralStatus.DECLINED: DeclinedForm,
    ReferralStatus.CLOSED: ClosedForm,
}
