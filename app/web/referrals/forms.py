"""The referral journey's questions. Messages follow the GOV.UK pattern: say what to do,
name the field, give an example."""

import re
from datetime import date

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, RadioField, StringField
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from app.dates import today_in_england
from app.models.referrals import ProfessionalKind, ReferrerType
from app.numbers import whole_number
from app.referrals.contact import normalise_phone
from app.referrals.lifecycle import NEED_MAX, normalise_reference
from app.web.text_fields import TextAreaField

EMAIL = re.compile(r"^[^@\s]+@[^@\s.]+(\.[^@\s.]+)+$")
MAX_AGE = 25  # early help runs to 25 for young people with SEND


def _strip(value):
    return value.strip() if isinstance(value, str) else value


def _one_line(value):
    """Collapses spaces and drops control characters (a name is never more than a line)."""
    return " ".join(value.split()) if isinstance(value, str) else value


def _lines(value):
    """Browsers send new lines as CR LF: count them as one character, as the page does."""
    return value.replace("\r\n", "\n").strip() if isinstance(value, str) else value


def valid_email(value: str) -> bool:
    return bool(EMAIL.match(value)) and len(value) <= 254


class JourneyForm(FlaskForm):
    # A honeypot: hidden from people (and from screen readers); bots fill in every field.
    website = StringField(filters=[_strip])

    @property
    def is_bot(self) -> bool:
        return bool(self.website.data)


class StartForm(JourneyForm):
    pass


class WhoForm(JourneyForm):
    referrer_type = RadioField(
        _l("Who is making this referral?"),
        choices=[(ReferrerType.PARENT, _l("A parent or carer")),
                 (ReferrerType.YOUNG_PERSON, _l("A young person aged 13 or over, for themselves")),
                 (ReferrerType.PROFESSIONAL, _l("A professional, on behalf of a family"))],
        invalid_choice_message=_l("Select who is making this referral"))


YES_NO = [("yes", _l("Yes")), ("no", _l("No"))]


class FamilyAgreedForm(JourneyForm):
    agreed = RadioField(
        _l("Has the family agreed to this referral?"), choices=YES_NO,
        invalid_choice_message=_l("Select yes if the family has agreed to this referral"))


class ProfessionalForm(JourneyForm):
    kind = RadioField(
        _l("Where do you work?"),
        choices=list(zip(ProfessionalKind.ALL, [_l("In a school or college"), _l("In health"),
                                                _l("Somewhere else")], strict=True)),
        invalid_choice_message=_l("Select where you work"))
    name = StringField(_l("Full name"), filters=[_one_line], validators=[
        DataRequired(_l("Enter your full name")),
        Length(max=100, message=_l("Full name must be 100 characters or fewer"))])
    role = StringField(_l("Job title"), filters=[_one_line], validators=[
        DataRequired(_l("Enter your job title")),
        Length(max=100, message=_l("Job title must be 100 characters or fewer"))])
    organisation = StringField(_l("Organisation"), filters=[_one_line], validators=[
        DataRequired(_l("Enter the name of your organisation")),
        Length(max=200, message=_l("Organisation must be 200 characters or fewer"))])
    email = StringField(_l("Work email address"), filters=[_strip], validators=[
        DataRequired(_l("Enter your work email address"))])

    def validate_email(self, field) -> None:
        if not valid_email(field.data):
            raise ValidationError(_l("Enter an email address in the correct format, like name@example.org"))


class UpdatesForm(JourneyForm):
    may_follow = RadioField(
        _l("Has the family agreed that you can be told how the referral goes?"), choices=YES_NO,
        invalid_choice_message=_l("Select yes if the family has agreed that you can be told "
                                  "how the referral goes"))


class ChildForm(JourneyForm):
    first_name = StringField(filters=[_one_line])
    age = StringField(filters=[_strip])
    dob_day = StringField(filters=[_strip])
    dob_month = StringField(filters=[_strip])
    dob_year = StringField(filters=[_strip])

    def __init__(self, *args, young_person: bool = False, today: date | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.young_person = young_person
        self.today = today or today_in_england()
        self.date_of_birth: date | None = None
        self.age_years: int | None = None

    def validate_first_name(self, field) -> None:
        if not field.data:
            raise ValidationError(_l("Enter your first name") if self.young_person
                                  else _l("Enter their first name"))
        if len(field.data) > 50:
            raise ValidationError(_l("First name must be 50 characters or fewer"))

    def validate_age(self, field) -> None:
        if not field.data and not any(self._dob_parts()):
            raise ValidationError(_l("Enter your age or date of birth") if self.young_person
                                  else _l("Enter their age or date of birth"))
        if field.data:
            self.age_years = whole_number(field.data)
            if self.age_years is None:
                raise ValidationError(_l("Age must be a whole number, like 7"))
            if self.age_years > MAX_AGE:
                raise ValidationError(_l("Age must be %(max)d or under", max=MAX_AGE))
            self._check_young_person(self.age_years)

    def validate_dob_day(self, field) -> None:
        parts = self._dob_parts()
        if not any(parts):
            return
        born = self._date_of_birth(parts)
        years = (self.today.year - born.year
                 - ((self.today.month, self.today.day) < (born.month, born.day)))
        given = whole_number(self.age.data)
        if given is not None and given != years:
            raise ValidationError(_l("The date of birth does not match the age"))
        self._check_young_person(years)
        self.date_of_birth, self.age_years = born, years

    def _dob_parts(self) -> list[str]:
        return [self.dob_day.data or "", self.dob_month.data or "", self.dob_year.data or ""]

    def _check_young_person(self, years: int) -> None:
        if self.young_person and years < 13:
            raise ValidationError(_l("You need to be 13 or over to refer yourself. Ask a parent, "
                                     "carer or someone at your school to refer you"))

    def _date_of_birth(self, parts: list[str]) -> date:
        if not all(parts):
            raise ValidationError(_l("Date of birth must include a day, month and year"))
        day, month, year = parts
        if not (re.fullmatch(r"[0-9]{1,2}", day) and re.fullmatch(r"[0-9]{1,2}", month)
                and re.fullmatch(r"[0-9]{4}", year)):
            raise ValidationError(_l("Date of birth must be a real date, like 27 3 2014"))
        try:
            born = date(int(year), int(month), int(day))
        except ValueError:
            raise ValidationError(_l("Date of birth must be a real date, like 27 3 2014")) from None
        if born > self.today:
            raise ValidationError(_l("Date of birth must be in the past"))
        had_birthday = (self.today.month, self.today.day) >= (born.month, born.day)
        if self.today.year - born.year - (not had_birthday) > MAX_AGE:
            raise ValidationError(_l("Date of birth must be for someone %(max)d or under", max=MAX_AGE))
        return born


class NeedForm(JourneyForm):
    need = TextAreaField(filters=[_lines], validators=[
        DataRequired(_l("Enter what help is needed")),
        Length(max=NEED_MAX, message=_l("What help is needed must be %(max)s characters or fewer",
                                        max="1,000"))])


class DetailsForm(JourneyForm):
    language = StringField(_l("Language, if not English (optional)"), filters=[_one_line], validators=[
        Optional(), Length(max=100, message=_l("Language must be 100 characters or fewer"))])
    adjustments = TextAreaField(_l("Any help needed to take part, such as an interpreter, "
                                   "access or communication needs (optional)"),
                                filters=[_lines], validators=[
        Optional(), Length(max=500, message=_l("Help needed to take part must be 500 characters or fewer"))])
    other_support = TextAreaField(_l("Other help the family has now, such as a social worker "
                                     "or a school's support (optional)"),
                                  filters=[_lines], validators=[
        Optional(), Length(max=500, message=_l("Other help must be 500 characters or fewer"))])


class ContactForm(JourneyForm):
    name = StringField(filters=[_one_line])
    phone = StringField(_l("Phone number"), filters=[_strip])
    email = StringField(_l("Email address"), filters=[_strip])
    safe_times = StringField(_l("Safe times to call (optional)"), filters=[_one_line], validators=[
        Optional(), Length(max=200, message=_l("Safe times to call must be 200 characters or fewer"))])
    leave_message = RadioField(_l("Is it safe to leave a voicemail or text message?"), choices=YES_NO,
                               validate_choice=False)

    def __init__(self, *args, for_self: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        self.for_self = for_self

    def validate_name(self, field) -> None:
        if not field.data:
            raise ValidationError(_l("Enter your name") if self.for_self
                                  else _l("Enter the name of the parent or carer to contact"))
        if len(field.data) > 100:
            raise ValidationError(_l("Name must be 100 characters or fewer"))

    def validate_phone(self, field) -> None:
        if not field.data and not self.email.data:
            raise ValidationError(_l("Enter a phone number or an email address, or both"))
        if field.data and normalise_phone(field.data) is None:
            raise ValidationError(_l("Enter a phone number, like 01632 960 001 or 07700 900 982"))

    def validate_email(self, field) -> None:
        if field.data and not valid_email(field.data):
            raise ValidationError(_l("Enter an email address in the correct format, like name@example.org"))

    def validate_leave_message(self, field) -> None:
        if field.data not in (None, "", "yes", "no") or (self.phone.data and not field.data):
            raise ValidationError(_l("Select yes if it is safe to leave a voicemail or text message"))


class PrivacyForm(JourneyForm):
    agree = BooleanField(_l("I agree to share these details as described above"))

    def validate_agree(self, field) -> None:
        if not field.data:
            raise ValidationError(_l("Select that you agree to share these details, or contact the "
                                     "service another way"))


class CheckForm(JourneyForm):
    submission_key = HiddenField()


class FindForm(FlaskForm):
    reference = StringField(_l("Reference"), filters=[_strip], validators=[
        DataRequired(_l("Enter your reference, like EH-7K4M-2Q"))])
    email = StringField(_l("Email address"), filters=[_strip], validators=[
        DataRequired(_l("Enter the email address you gave with the referral"))])

    def validate_reference(self, field) -> None:
        if normalise_reference(field.data) is None:
            raise ValidationError(_l("Enter the reference as it was given to you, like EH-7K4M-2Q"))

    def validate_email(self, field) -> None:
        if not valid_email(field.data):
            raise ValidationError(_l("Enter an email address in the correct format, like name@example.org"))
