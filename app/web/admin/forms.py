"""Forms on partnership admins' pages."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import (
    GovCheckboxesInput,
    GovRadioInput,
    GovSubmitInput,
    GovTextArea,
    GovTextInput,
)
from wtforms import EmailField, RadioField, SelectMultipleField, StringField, SubmitField
from wtforms.validators import Email, InputRequired, Length, Optional

from app.models.accounts import Role
from app.web.text_fields import TextAreaField

ROLE_CHOICES = [(Role.PROVIDER, _l("Provider: keeps their organisations' listings and answers referrals")),
                (Role.ADMIN, _l("Partnership admin: manages people, approvals and oversight"))]


class AccessForm(FlaskForm):
    """The role and organisations of an account."""

    role = RadioField(_l("Role"), widget=GovRadioInput(), choices=ROLE_CHOICES,
                      validators=[InputRequired(_l("Select a role"))])
    organisations = SelectMultipleField(
        _l("Organisations"), widget=GovCheckboxesInput(), validators=[Optional()],
        description=_l("A provider acts only for these organisations' services"))
    submit = SubmitField(_l("Save"), widget=GovSubmitInput())

    def __init__(self, *args, organisation_choices: list[tuple[str, str]], **kwargs):
        super().__init__(*args, **kwargs)
        self.organisations.choices = organisation_choices


class InviteForm(AccessForm):
    email = EmailField(_l("Email address"), widget=GovTextInput(), validators=[
        InputRequired(_l("Enter their email address")),
        Email(_l("Enter an email address in the correct format, like name@example.org")),
        Length(max=254)])
    name = StringField(_l("Full name"), widget=GovTextInput(), validators=[
        InputRequired(_l("Enter their name")), Length(max=200)])
    submit = SubmitField(_l("Send invitation"), widget=GovSubmitInput())

    field_order = ("email", "name", "role", "organisations")

    def __iter__(self):
        named = {field.name: field for field in super().__iter__()}
        yield from (named[name] for name in self.field_order)
        yield from (field for name, field in named.items() if name not in self.field_order)


class OrganisationForm(FlaskForm):
    """An organisation that provides services. Checked as the directory file's import
    checks it (people.save_organisation): it must export and import again."""

    id = StringField(_l("Short name for web addresses"), widget=GovTextInput(),
                     description=_l("Lowercase letters, digits and single hyphens, like "
                                    "woking-family-trust. It cannot be changed later"),
                     filters=[lambda value: value.strip().lower() if isinstance(value, str) else value],
                     validators=[InputRequired(_l("Enter a short name for web addresses"))])
    name = StringField(_l("Name"), widget=GovTextInput(),
                       validators=[InputRequired(_l("Enter the organisation's name"))])
    description = TextAreaField(_l("Description (optional)"), widget=GovTextArea())
    website = StringField(_l("Website (optional)"), widget=GovTextInput())
    email = StringField(_l("Email address (optional)"), widget=GovTextInput())
    phone = StringField(_l("Phone number (optional)"), widget=GovTextInput())
    submit = SubmitField(_l("Save organisation"), widget=GovSubmitInput())

    def entry(self) -> dict:
        """The organisation as the directory file would list it."""
        return {key: (field.data or "").strip() for key, field in self._fields.items()
                if key not in ("csrf_token", "submit") and (field.data or "").strip()}


class SearchWordForm(FlaskForm):
    """The partnership's own search words: checked as the directory file's import checks
    them (search_words.save), so they export and import again."""

    id = StringField(_l("Short name"), widget=GovTextInput(),
                     description=_l("Lowercase letters, digits and single hyphens, like "
                                    "self-harm-words. It cannot be changed later"),
                     filters=[lambda value: value.strip().lower() if isinstance(value, str) else value],
                     validators=[InputRequired(_l("Enter a short name"))])
    words = TextAreaField(_l("Words families use"), widget=GovTextArea(),
                          description=_l("One word or phrase a line, or separated by commas, "
                                         "like: cutting herself, hurting himself"),
                          validators=[InputRequired(_l("Enter the words families use"))])
    means = TextAreaField(_l("What they mean, in the words listings use"), widget=GovTextArea(),
                          description=_l("Search also looks for these, like: self-harm"),
                          validators=[InputRequired(_l("Enter what the words mean"))])
    lang = StringField(_l("Language of the words"), widget=GovTextInput(), default="en",
                       description=_l("A two-letter code: en for English, pl for Polish, "
                                      "uk for Ukrainian"))
    submit = SubmitField(_l("Save search words"), widget=GovSubmitInput())
