"""Forms on providers' pages."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovRadioInput, GovSubmitInput, GovTextArea, GovTextInput
from wtforms import RadioField, StringField, SubmitField
from wtforms.validators import InputRequired, Length, Optional, ValidationError

from app.directory.waiting_times import MAX_WEEKS
from app.models.directory import WaitingStatus
from app.numbers import whole_number
from app.web.text_fields import TextAreaField


def _whole_weeks(field) -> None:
    weeks = whole_number(field.data)
    if weeks is None:
        raise ValidationError(_l("Enter the number of weeks as a whole number, like 6"))
    if not 0 <= weeks <= MAX_WEEKS:
        raise ValidationError(_l("Enter a number of weeks from 0 to 104"))


class WaitingTimeForm(FlaskForm):
    status = RadioField(_l("Is the service taking new referrals?"), widget=GovRadioInput(), choices=[
        (WaitingStatus.OPEN, _l("Yes, with no waiting list")),
        (WaitingStatus.WAITLIST, _l("Yes, with a waiting list")),
        (WaitingStatus.CLOSED, _l("No, not taking new referrals")),
    ], validators=[InputRequired(_l("Select whether the service is taking new referrals"))])
    weeks = StringField(
        _l("About how many weeks is the wait?"), widget=GovTextInput(),
        description=_l("Only for a waiting list. A whole number, like 6"),
        filters=[lambda value: value.strip() if isinstance(value, str) else value],
        validators=[Optional(), lambda form, field: _whole_weeks(field)])
    note = TextAreaField(
        _l("Note for families (optional)"), widget=GovTextArea(),
        description=_l("For example: 'Shorter waits for under-5s'"),
        validators=[Optional(), Length(max=300, message=_l("The note must be 300 characters or fewer"))])
    submit = SubmitField(_l("Publish waiting time"), widget=GovSubmitInput())

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        # Checked here because Optional() stops the field's own validators when it is empty.
        if valid and self.status.data == WaitingStatus.WAITLIST and not self.weeks.data:
            self.weeks.errors = [_l("Enter about how many weeks the wait is, as a number, like 6")]
            return False
        return valid

    @property
    def weeks_number(self) -> int | None:
        return whole_number(self.weeks.data)
