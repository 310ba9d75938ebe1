"""Signing in: passwords, the second factor, lockout, rate limits, emailed links,
session expiry, and the first admin."""

import re
import time
from datetime import timedelta

import pyotp
import pytest
from sqlalchemy import select

from app import rate_limits
from app.accounts import credentials
from app.extensions import db
from app.models import AccountToken, AuditEvent, Notification, User
from app.models.directory import utcnow
from app.web.auth import access
from tests.conftest import make_user, sign_in

PASSWORD = "a long enough passphrase"
GENERIC_FAILURE = "Enter a correct email address and password"


@pytest.fixture
def people(surrey):
    """Each test starts with no accounts, emails or audit events (the directory stays)."""
    clear_people()


def clear_people() -> None:
    rate_limits.reset_all()
    db.session.rollback()
    for model in (Notification, AccountToken, User, AuditEvent):
        db.session.execute(model.__table__.delete())
    db.session.commit()


def _sign_in_password(client, email, password=PASSWORD, **kwargs):
    return client.post("/sign-in", data={"email": email, "password": password}, **kwargs)


def _code(user: User) -> str:
    return pyotp.TOTP(user.totp_secret).now()


def _full_sign_in(client, user: User):
    response = _sign_in_password(client, user.email)
    assert response.headers["Location"].endswith("/sign-in/code")
    return client.post("/sign-in/code", data={"code": _code(user)})


def test_provider_signs_in_with_password_and_authenticator_code(client, people):
    user = make_user("Pat@Provider.example.org", organisations=("surrey-family-services",))
    assert client.get("/provider/").status_code == 302  # not yet
    response = _full_sign_in(client, user)
    assert response.status_code == 302 and response.headers["Location"].endswith("/provider/")
    page = client.get("/provider/")
    assert page.status_code == 200
    assert "Signed in as pat@provider.example.org" in page.get_data(as_text=True)
    assert db.session.scalar(select(User.last_signin_at).where(User.id == user.id)) is not None
    actions = list(db.session.scalars(select(AuditEvent.action)))
    assert "signin.succeeded" in actions


def test_password_alone_does_not_open_any_page(client, people):
    user = make_user("half@example.org")
    _sign_in_password(client, user.email)
    assert client.get("/provider/").status_code == 302
    assert client.post("/sign-in/code", data={"code": "000000"}).status_code == 400
    assert client.get("/provider/").status_code == 302


def test_unknown_address_and_wrong_password_get_the_same_answer(client, people):
    make_user("known@example.org")
    unknown = _sign_in_password(client, "nobody@example.org")
    wrong = _sign_in_password(client, "known@example.org", "not the password at all")
    assert unknown.status_code == wrong.status_code == 401
    assert GENERIC_FAILURE in unknown.get_data(as_text=True)
    assert GENERIC_FAILURE in wrong.get_data(as_text=True)
    assert unknown.get_data(as_text=True).count("known@") == 0


def test_a_code_works_once(client, app, people):
    user = make_user("once@example.org")
    code = _code(user)
    _sign_in_password(client, user.email)
    assert client.post("/sign-in/code", data={"code": code}).status_code == 302
    other = app.test_client()
    _sign_in_password(other, user.email)
    assert other.post("/sign-in/code", data={"code": code}).status_code == 400


def test_first_sign_in_sets_up_the_authenticator_and_shows_recovery_codes(client, people):
    user = make_user("new@example.org", totp=False)
    response = _sign_in_password(client, user.email)
    assert response.headers["Location"].endswith("/sign-in/set-up")
    page = client.get("/sign-in/set-up").get_data(as_text=True)
    assert "<svg" in page  # the QR code, drawn here, not fetched from elsewhere
    secret = re.search(r'class="app-secret">([A-Z2-7]+)<', page).group(1)
    assert client.post("/sign-in/set-up", data={"code": "123456"}).status_code == 400
    done = client.post("/sign-in/set-up", data={"code": pyotp.TOTP(secret).now()})
    codes = re.findall(r"<code>([A-Z0-9]{5}-[A-Z0-9]{5})</code>", done.get_data(as_text=True))
    assert len(codes) == 10
    assert client.get("/provider/").status_code == 200

    # A recovery code signs in once instead of the app.
    client.post("/sign-out")
    _sign_in_password(client, user.email)
    assert client.post("/sign-in/code", data={"code": codes[0].lower()}).status_code == 302
    client.post("/sign-out")
    _sign_in_password(client, user.email)
    assert client.post("/sign-in/code", data={"code": codes[0]}).status_code == 400


def test_ten_failures_lock_the_account_for_a_while(client, app, people):
    user = make_user("locked@example.org")
    for _ in range(10):
        _sign_in_password(client, user.email, "wrong password here")
    right = _sign_in_password(client, user.email)
    assert right.status_code == 401 and GENERIC_FAILURE in right.get_data(as_text=True)
    assert "account.locked" in db.session.scalars(select(AuditEvent.action)).all()
    # After the lockout period the right password works again.
    db.session.get(User, user.id).locked_until = utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert _sign_in_password(client, user.email).status_code == 302


def test_wrong_codes_lock_the_account_even_with_the_right_password_in_between(client, app, people):
    """Someone who has the password cannot guess codes for ever by signing in again."""
    user = make_user("guessed@example.org")
    for round_number in range(4):
        _sign_in_password(client, user.email, environ_base={"REMOTE_ADDR": f"192.0.2.{round_number}"})
        for _ in range(3):
            client.post("/sign-in/code", data={"code": "000000"})
    assert credentials.is_locked(db.session.get(User, user.id)), "12 wrong codes in all"
    # Locked: the right code is refused too, and so is the right password.
    assert client.post("/sign-in/code", data={"code": _code(user)}).status_code == 400
    assert client.get("/provider/").status_code == 302
    assert _sign_in_password(app.test_client(), user.email).status_code == 401


def test_a_successful_sign_in_clears_the_count_of_failures(client, people):
    user = make_user("forgetful@example.org")
    for _ in range(9):
        _sign_in_password(client, user.email, "wrong password here")
    assert _full_sign_in(client, user).status_code == 302
    assert db.session.get(User, user.id).failed_signins == 0


@pytest.mark.parametrize("code", ["é12345", "１２３４５x", "12345\u0000", "٣٤٥٦٧٨"])
def test_codes_in_any_characters_are_a_wrong_code_not_an_error(client, people, code):
    user = make_user("unicode@example.org", totp=False)
    _sign_in_password(client, user.email)
    assert client.post("/sign-in/set-up", data={"code": code}).status_code == 400
    user.totp_secret, user.totp_enabled = credentials.new_totp_secret(), True
    db.session.commit()
    assert client.post("/sign-in/code", data={"code": code}).status_code == 400


def test_full_width_digits_from_a_phone_keyboard_are_read_as_the_code(client, people):
    user = make_user("fullwidth@example.org")
    _sign_in_password(client, user.email)
    typed = _code(user).translate(str.maketrans("0123456789", "０１２３４５６７８９"))
    assert client.post("/sign-in/code", data={"code": typed}).status_code == 302


def test_sign_in_is_rate_limited_per_address(client, app, people, monkeypatch):
    monkeypatch.setitem(app.config, "SIGNIN_RATE_LIMIT", 3)
    for number in range(3):
        _sign_in_password(client, f"guess{number}@example.org")
    make_user("real@example.org")
    refused = _sign_in_password(client, "real@example.org")
    assert refused.status_code == 429
    assert "Too many attempts" in refused.get_data(as_text=True)
    # Another address is not affected.
    elsewhere = _sign_in_password(client, "real@example.org",
                                  environ_base={"REMOTE_ADDR": "192.0.2.9"})
    assert elsewhere.status_code == 302


def test_common_and_short_passwords_are_refused(app):
    assert credentials.password_problem("short") is not None
    assert "too common" in credentials.password_problem("password123")
    assert "too common" in credentials.password_problem("aaaaaaaaaaaa")
    assert credentials.password_problem("x@example.org", "x@example.org") is not None
    assert credentials.password_problem("correct horse battery staple, really") is None
    assert credentials.password_problem("żółw jeździ na rowerze " * 9) is None  # long passphrases are fine
    assert credentials.hash_password("anything at all").startswith("$argon2id$")


def _link_from_last_email(to: str) -> str:
    body = db.session.scalars(select(Notification.body).where(Notification.to == to)
                              .order_by(Notification.id.desc())).first()
    return re.search(r"https?://\S+", body).group(0)


def test_password_reset_link_works_once_and_expires(client, people):
    user = make_user("forgetful@example.org")
    response = client.post("/password-reset", data={"email": user.email})
    nobody = client.post("/password-reset", data={"email": "nobody@example.org"})
    assert "Check your email" in response.get_data(as_text=True)
    def same(page, email):  # the CSP nonce differs on every response
        return re.sub(r'nonce="[^"]+"', "", page.get_data(as_text=True).replace(email, "X"))

    assert same(response, user.email) == same(nobody, "nobody@example.org")
    path = _link_from_last_email(user.email).split("5000", 1)[1]
    new = "a completely new passphrase"
    assert client.post(path, data={"password": new, "confirm": new}).status_code == 302
    assert client.get(path).status_code == 404  # used
    assert _sign_in_password(client, user.email, new).status_code == 302

    client.post("/password-reset", data={"email": user.email})
    path = _link_from_last_email(user.email).split("5000", 1)[1]
    db.session.execute(AccountToken.__table__.update().values(expires_at=utcnow() - timedelta(seconds=1)))
    db.session.commit()
    assert client.get(path).status_code == 404


def test_asking_for_resets_again_and_again_cannot_flood_an_inbox_or_go_on_for_ever(client, app, people):
    user = make_user("flooded@example.org")
    answers = [client.post("/password-reset", data={"email": user.email}) for _ in range(5)]
    assert all("Check your email" in a.get_data(as_text=True) for a in answers), "the same page"
    sent = db.session.scalars(select(Notification).where(Notification.to == user.email)).all()
    assert len(sent) == app.config["PASSWORD_RESET_EMAILS_PER_HOUR"] == 3
    for number in range(5):  # up to 10 an hour from one connection, whatever the address
        client.post("/password-reset", data={"email": f"someone{number}@example.org"})
    refused = client.post("/password-reset", data={"email": "one.more@example.org"})
    assert refused.status_code == 429
    assert "Too many password resets asked for from this connection" in refused.get_data(as_text=True)


def test_reset_refuses_mismatched_and_weak_passwords(client, people):
    user = make_user("careful@example.org")
    client.post("/password-reset", data={"email": user.email})
    path = _link_from_last_email(user.email).split("5000", 1)[1]
    mismatch = client.post(path, data={"password": "one good passphrase", "confirm": "another"})
    assert mismatch.status_code == 400 and "do not match" in mismatch.get_data(as_text=True)
    weak = client.post(path, data={"password": "qwerty123", "confirm": "qwerty123"})
    page = weak.get_data(as_text=True)
    assert "too common" in page and "<title>Error:" in page
    assert 'href="#password"' in page  # the error summary links to the field


def test_passwords_zxcvbn_finds_guessable_are_refused_with_a_helpful_message(client, people):
    """Not in the word list exactly, but a common word with digits and a symbol added."""
    user = make_user("guessable@example.org")
    client.post("/password-reset", data={"email": user.email})
    path = _link_from_last_email(user.email).split("5000", 1)[1]
    for guessable in ("Password123!", "Qwerty123!", "guessable2026"):
        page = client.post(path, data={"password": guessable, "confirm": guessable})
        assert page.status_code == 400
        assert "easy to guess" in page.get_data(as_text=True)
        assert "random words" in page.get_data(as_text=True)
    assert client.post(path, data={"password": "lantern orbit marmalade",
                                   "confirm": "lantern orbit marmalade"}).status_code == 302


def test_idle_sessions_end(client, app, people):
    user = make_user("idle@example.org")
    sign_in(client, user)
    assert client.get("/provider/").status_code == 200
    with client.session_transaction() as session:
        session[access.LAST_SEEN] = time.time() - app.config["SESSION_IDLE_MINUTES"] * 60 - 1
    assert client.get("/provider/").status_code == 302


def test_sign_out_ends_the_session_everywhere(client, app, people):
    user = make_user("leaver@example.org")
    _full_sign_in(client, user)
    copied = app.test_client()
    with client.session_transaction() as original, copied.session_transaction() as copy:
        copy.update(dict(original))
    assert copied.get("/provider/").status_code == 200
    client.post("/sign-out")
    assert client.get("/provider/").status_code == 302
    assert copied.get("/provider/").status_code == 302  # the old cookie no longer works


def test_disabling_an_account_ends_its_session(client, app, people):
    admin = make_user("boss@example.org", role="admin")
    worker = make_user("worker@example.org")
    worker_client = app.test_client()
    sign_in(worker_client, worker)
    sign_in(client, admin)
    assert worker_client.get("/provider/").status_code == 200
    client.post(f"/admin/users/{worker.uuid}/active", data={"active": "0"})
    assert worker_client.get("/provider/").status_code == 302
    assert _sign_in_password(worker_client, worker.email).status_code == 401


def test_sign_in_rotates_the_session(client, people):
    user = make_user("rotate@example.org")
    with client.session_transaction() as session:
        session["shortlist"] = ["planted"]
    _full_sign_in(client, user)
    with client.session_transaction() as session:
        assert "shortlist" not in session and session[access.USER_ID] == user.id


@pytest.mark.parametrize("elsewhere", [
    "https://evil.example.com/", "//evil.example.com/", "/\\evil.example.com/", "/\tevil.example.com",
    "//[x", "http://[::1",
])
def test_next_never_leaves_this_site(client, people, elsewhere):
    user = make_user("next@example.org")
    _sign_in_password(client, user.email, query_string={"next": elsewhere})
    response = client.post("/sign-in/code", data={"code": _code(user)})
    assert response.status_code == 302
    assert response.headers["Location"] == "/provider/"


def test_next_only_goes_to_this_site(client, people):
    user = make_user("next@example.org")
    _sign_in_password(client, user.email, query_string={"next": "/provider/services/x/waiting-time"})
    next_code = pyotp.TOTP(user.totp_secret).at(time.time() + 30)  # each code works once
    assert client.post("/sign-in/code", data={"code": next_code}).headers["Location"] \
        .endswith("/provider/services/x/waiting-time")


def test_session_cookie_is_httponly_and_lax_and_secure_in_production(client, people):
    user = make_user("cookie@example.org")
    response = _sign_in_password(client, user.email)
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    from app.config import ProductionConfig

    assert ProductionConfig.SESSION_COOKIE_SECURE is True


def test_invitation_creates_an_account_that_sets_its_own_password(client, app, people):
    admin = make_user("inviter@example.org", role="admin")
    sign_in(client, admin)
    response = client.post("/admin/users/invite", data={
        "email": "New.Starter@Example.org", "name": "New Starter", "role": "provider",
        "organisations": ["surrey-family-services"]})
    assert response.status_code == 302
    invited = credentials.find_user_by_email("new.starter@example.org")
    assert invited.password_hash is None and invited.organisation_ids == {"surrey-family-services"}
    path = _link_from_last_email(invited.email).split("5000", 1)[1]
    newcomer = app.test_client()
    assert "Create your password" in newcomer.get(path).get_data(as_text=True)
    assert newcomer.post(path, data={"password": "my own passphrase", "confirm": "my own passphrase"}
                         ).status_code == 302
    assert newcomer.get(path).status_code == 404  # works once
    # The first sign-in asks for the authenticator app.
    response = _sign_in_password(newcomer, invited.email, "my own passphrase")
    assert response.headers["Location"].endswith("/sign-in/set-up")


def test_expired_invitation_is_refused(client, people):
    admin = make_user("inviter2@example.org", role="admin")
    sign_in(client, admin)
    client.post("/admin/users/invite", data={"email": "late@example.org", "name": "Late",
                                             "role": "provider"})
    path = _link_from_last_email("late@example.org").split("5000", 1)[1]
    db.session.execute(AccountToken.__table__.update().values(expires_at=utcnow() - timedelta(days=1)))
    db.session.commit()
    assert client.get(path).status_code == 404


def test_disabling_voids_the_invitation_even_after_re_enabling_and_a_resend_is_audited(client, app,
                                                                                     people):
    admin = make_user("inviter4@example.org", role="admin")
    sign_in(client, admin)
    client.post("/admin/users/invite", data={"email": "maybe@example.org", "name": "Maybe",
                                             "role": "provider"})
    invited = credentials.find_user_by_email("maybe@example.org")
    path = _link_from_last_email(invited.email).split("5000", 1)[1]
    newcomer = app.test_client()
    assert newcomer.get(path).status_code == 200
    client.post(f"/admin/users/{invited.uuid}/active", data={"active": "0"})
    client.post(f"/admin/users/{invited.uuid}/active", data={"active": "1"})
    assert newcomer.get(path).status_code == 404
    assert client.post(f"/admin/users/{invited.uuid}/invitation").status_code == 302
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "user.reinvited",
                                                      AuditEvent.subject_id == str(invited.id)))
    fresh = _link_from_last_email(invited.email).split("5000", 1)[1]
    assert fresh != path and newcomer.get(fresh).status_code == 200


def test_invite_form_explains_its_errors(client, people):
    admin = make_user("inviter3@example.org", role="admin")
    sign_in(client, admin)
    page = client.post("/admin/users/invite", data={"email": "not-an-email", "name": ""})
    text = page.get_data(as_text=True)
    assert page.status_code == 400
    for message in ("Enter an email address in the correct format", "Enter their name", "Select a role"):
        assert message in text


def test_no_admin_exists_until_one_is_made_on_the_command_line(cli, people):
    assert db.session.scalar(select(User).where(User.role == "admin")) is None
    weak = cli.invoke(args=["users", "create-admin", "first@example.org"], input="password\npassword\n")
    assert weak.exit_code != 0 and "too" in weak.output
    result = cli.invoke(args=["users", "create-admin", "first@example.org", "--name", "First"],
                        input="the first admin's passphrase\nthe first admin's passphrase\n")
    assert result.exit_code == 0, result.output
    admin = credentials.find_user_by_email("first@example.org")
    assert admin.is_admin and not admin.totp_enabled
    again = cli.invoke(args=["users", "create-admin", "first@example.org"], input="x\nx\n")
    assert again.exit_code != 0 and "already" in again.output
