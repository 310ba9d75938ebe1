"""Forms for moving a referral on: one page for each kind of step."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import (
    GovDateInput,
    GovRadioInput,
    GovSubmitInput,
    GovTextArea,
    GovTextInput,
)
from wtforms import DateField, RadioField, StringField, SubmitField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional, ValidationError

from app.models.referrals import ReferralStatus
from app.services.referrals import CLOSE_OUTCOMES, DECLINE_REASONS, TEXT_MAX

_text = [Optional(), Length(max=TEXT_MAX, message=_l("Keep it to 1,000 characters or fewer"))]


class StepForm(FlaskForm):
    submit = SubmitField(_l("Save and tell the family"), widget=GovSubmitInput())

    def details(self) -> dict:
        """The values change_status() takes for this step."""
        return {name: field.data for name, field in self._fields.items()
                if name not in ("csrf_token", "submit")}


class ContactedForm(StepForm):
    note = TextAreaField(_l("Note for your records (optional)"), widget=GovTextArea(), validators=_text)


class AcceptedForm(StepForm):
    expected_start = DateField(
        _l("When do you expect the help to start?"), widget=GovDateInput(), format="%d %m %Y",
        description=_l("For example, 27 3 2027"),
        validators=[InputRequired(_l("Enter the date the help is expected to start"))])
    note = TextAreaField(_l("Anything the family should know (optional)"), widget=GovTextArea(),
                         validators=_text)


class WaitingListForm(StepForm):
    estimate_weeks = StringField(
        _l("About how many weeks will the family wait?"), widget=GovTextInput(),
        validators=[InputRequired(_l("Enter about how many weeks the family will wait, like 6"))])
    note = TextAreaField(_l("Anything the family should know (optional)"), widget=GovTextArea(),
                         validators=_text)

    def validate_estimate_weeks(self, field) -> None:
        if not field.data.strip().isdigit() or not 1 <= int(field.data) <= 104:
            raise ValidationError(_l("Enter a whole number of weeks from 1 to 104"))

    def details(self) -> dict:
        return {**super().details(), "estimate_weeks": int(self.estimate_weeks.data)}


class DeclinedForm(StepForm):
    reason = RadioField(_l("Why can't the service help?"), widget=GovRadioInput(),
                        choices=list(DECLINE_REASONS.items()),
                        validators=[InputRequired(_l("Select why the service can't help"))])
    reason_text = TextAreaField(_l("Say more (needed for 'Another reason')"), widget=GovTextArea(),
                                validators=_text)
    suggestion = TextAreaField(
        _l("Where could the family go instead?"), widget=GovTextArea(),
        description=_l("The family sees this. Name a service or a place to start, like their GP"),
        validators=[InputRequired(_l("Say where the family could go instead")),
                    Length(max=TEXT_MAX, message=_l("Keep it to 1,000 characters or fewer"))])

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        # Here, not in a field validator: Optional() stops those when the field is empty.
        if self.reason.data == "other" and not (self.reason_text.data or "").strip():
            self.reason_text.errors = [*self.reason_text.errors, _l("Say why the service can't help")]
            return False
        return valid


class ClosedForm(StepForm):
    outcome = RadioField(_l("How did it end?"), widget=GovRadioInput(),
                         choices=list(CLOSE_OUTCOMES.items()),
                         validators=[InputRequired(_l("Select how the referral ended"))])
    note = TextAreaField(_l("Note (optional)"), widget=GovTextArea(), validators=_text)


STEP_FORMS: dict[str, type[StepForm]] = {
    ReferralStatus.CONTACTED: ContactedForm,
    ReferralStatus.ACCEPTED: AcceptedForm,
    ReferralStatus.WAITING_LIST: WaitingListForm,
    ReferralStatus.DECLINED: DeclinedForm,
    ReferralStatus.CLOSED: ClosedForm,
}
