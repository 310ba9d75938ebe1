"""Sessions end SESSION_ABSOLUTE_HOURS (12) after sign-in however active, and sensitive
actions (inviting, changing access, disabling, exports) need the password given again
within REAUTHENTICATE_MINUTES (15). Time is moved on by replacing the session clock."""

import time
from collections.abc import Callable, Iterator

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import AuditEvent, User
from app.web.auth import access
from tests.accounts.test_accounts import PASSWORD, people  # noqa: F401 (fixture)
from tests.conftest import make_user, sign_in

MINUTE = 60


@pytest.fixture
def clock(monkeypatch) -> Iterator[Callable[[float], None]]:
    """clock(minutes): the session clock stands that long after the test began."""
    start = time.time()
    now = [start]
    monkeypatch.setattr(access, "clock", lambda: now[0])

    def move_to(minutes: float) -> None:
        now[0] = start + minutes * MINUTE

    yield move_to


def test_an_active_session_ends_12_hours_after_sign_in(client, people, clock):  # noqa: F811
    sign_in(client, make_user("busy@example.org"))
    minutes = 0
    while minutes < 12 * 60 - 20:  # a request every 20 minutes: never idle
        minutes += 20
        clock(minutes)
        assert client.get("/provider/").status_code == 200, f"{minutes} minutes in"
    clock(12 * 60 + 1)
    ended = client.get("/provider/")
    assert ended.status_code == 302 and "/sign-in" in ended.headers["Location"]
    assert client.get("/provider/").status_code == 302, "the session is gone, not just refused"


def test_the_absolute_lifetime_is_configurable(app, client, people, clock):  # noqa: F811
    app.config["SESSION_ABSOLUTE_HOURS"] = 1
    try:
        sign_in(client, make_user("short@example.org"))
        for minutes in (25, 50, 59):
            clock(minutes)
            assert client.get("/provider/").status_code == 200
        clock(61)
        assert client.get("/provider/").status_code == 302
    finally:
        app.config["SESSION_ABSOLUTE_HOURS"] = 12


def _admin_with_a_colleague(client) -> tuple[User, User]:
    admin = make_user("admin@partnership.example.org", role="admin")
    colleague = make_user("colleague@example.org")
    sign_in(client, admin)
    return admin, colleague


def test_sensitive_actions_need_the_password_again_after_15_minutes(client, people, clock):  # noqa: F811
    admin, colleague = _admin_with_a_colleague(client)
    clock(14)
    assert client.get("/admin/users/invite").status_code == 200
    clock(28)  # active (not idle) but the password was given 28 minutes ago
    asked = client.get("/admin/users/invite")
    assert asked.status_code == 302
    assert asked.headers["Location"].endswith("/account/confirm-password?next=/admin/users/invite")
    for path, data in ((f"/admin/users/{colleague.uuid}", {"role": "admin"}),
                       (f"/admin/users/{colleague.uuid}/active", {"active": ""}),
                       ("/admin/users/invite", {"email": "new@example.org", "role": "provider"})):
        refused = client.post(path, data=data)
        assert refused.status_code == 302 and "/account/confirm-password" in refused.headers["Location"]
    assert client.get("/admin/oversight/referrals.csv").status_code == 302
    db.session.expire_all()
    still = db.session.get(User, colleague.id)
    assert (still.role, still.active) == ("provider", True), "nothing changed"
    assert db.session.scalar(select(User).where(User.email == "new@example.org")) is None

    page = client.get("/account/confirm-password?next=/admin/users/invite")
    assert "Confirm your password" in page.get_data(as_text=True)
    wrong = client.post("/account/confirm-password?next=/admin/users/invite",
                        data={"password": "not my password"})
    assert wrong.status_code == 401 and "The password is not right" in wrong.get_data(as_text=True)
    assert client.get("/admin/users/invite").status_code == 302
    right = client.post("/account/confirm-password?next=/admin/users/invite", data={"password": PASSWORD})
    assert right.status_code == 302 and right.headers["Location"] == "/admin/users/invite"
    assert client.get("/admin/users/invite").status_code == 200
    assert client.post(f"/admin/users/{colleague.uuid}/active", data={"active": ""}).status_code == 302
    db.session.expire_all()
    assert db.session.get(User, colleague.id).active is False
    assert db.session.scalar(select(AuditEvent.actor).where(
        AuditEvent.action == "account.reauthenticated")) == admin.email
    clock(28 + 16)
    assert client.get("/admin/users/invite").status_code == 302, "15 minutes from the password again"


def test_the_password_page_goes_back_only_to_this_site(client, people, clock):  # noqa: F811
    _admin_with_a_colleague(client)
    back = client.post("/account/confirm-password?next=//evil.example/x", data={"password": PASSWORD})
    assert back.status_code == 302 and back.headers["Location"] == "/admin/"
