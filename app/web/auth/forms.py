"""Forms for signing in and looking after an account."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovPasswordInput, GovSubmitInput, GovTextInput
from wtforms import EmailField, PasswordField, StringField, SubmitField
from wtforms.validators import Email, EqualTo, InputRequired, Length, ValidationError

from app.accounts.credentials import MAX_PASSWORD_LENGTH, password_problem


class SignInForm(FlaskForm):
    email = EmailField(_l("Email address"), widget=GovTextInput(), validators=[
        InputRequired(_l("Enter your email address")), Length(max=254)])
    password = PasswordField(_l("Password"), widget=GovPasswordInput(), validators=[
        InputRequired(_l("Enter your password")), Length(max=MAX_PASSWORD_LENGTH)])
    submit = SubmitField(_l("Sign in"), widget=GovSubmitInput())


class ConfirmPasswordForm(FlaskForm):
    password = PasswordField(_l("Password"), widget=GovPasswordInput(), validators=[
        InputRequired(_l("Enter your password")), Length(max=MAX_PASSWORD_LENGTH)])
    submit = SubmitField(_l("Continue"), widget=GovSubmitInput())


class CodeForm(FlaskForm):
    code = StringField(
        _l("Security code"), widget=GovTextInput(),
        description=_l("The 6-digit code from your authenticator app, or one of your recovery codes"),
        validators=[InputRequired(_l("Enter the security code")), Length(max=20)])
    submit = SubmitField(_l("Continue"), widget=GovSubmitInput())


class NewPasswordForm(FlaskForm):
    """Choosing a password: on accepting an invitation and on a reset."""

    password = PasswordField(
        _l("New password"), widget=GovPasswordInput(),
        description=_l("At least 8 characters. A few random words together make a strong password."),
        validators=[InputRequired(_l("Enter a new password"))])
    confirm = PasswordField(_l("Confirm new password"), widget=GovPasswordInput(), validators=[
        InputRequired(_l("Confirm your new password")),
        EqualTo("password", _l("The passwords do not match"))])
    submit = SubmitField(_l("Save password"), widget=GovSubmitInput())

    def __init__(self, *args, email: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.email = email

    def validate_password(self, field) -> None:
        problem = password_problem(field.data or "", self.email)
        if problem:
            raise ValidationError(problem)


class ResetRequestForm(FlaskForm):
    email = EmailField(_l("Email address"), widget=GovTextInput(), validators=[
        InputRequired(_l("Enter your email address")),
        Email(_l("Enter an email address in the correct format, like name@example.org")),
        Length(max=254)])
    submit = SubmitField(_l("Send me a link"), widget=GovSubmitInput())
