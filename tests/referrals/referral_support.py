"""Helpers for the referral tests: a real SMTP server on a free port, a self-referral
service from the real directory, and the journey walked through the test client."""

import socket
import threading
import time
from collections.abc import Iterator
from email import message_from_bytes
from email.message import Message

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import delete, func, select

from app import rate_limits
from app.extensions import db
from app.models import AccessRoute, Service

REFERRAL_TABLES = ("notification", "referral_event", "referral", "audit_event")


@pytest.fixture
def referrals_db(app, surrey) -> Iterator[None]:
    """The real directory, with no referrals, emails or audit events before or after; the
    forms' rate limits reset."""
    _clear(app)
    yield
    _clear(app)


def _clear(app) -> None:
    db.session.rollback()
    for name in REFERRAL_TABLES:
        db.session.execute(delete(db.metadata.tables[name]))
    db.session.commit()
    rate_limits.reset_all()


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Inbox:
    """aiosmtpd handler: keeps every message it accepts."""

    def __init__(self):
        self.messages: list[Message] = []
        self.lock = threading.Lock()

    refuse: set[str] = {"refused@example.org"}
    # Answered "try again later", as a busy or greylisting server does.
    busy: set[str] = {"busy@example.org"}

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802
        if address in self.refuse:
            return "550 No such user here"
        if address in self.busy:
            return "451 4.7.1 Busy: try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
        with self.lock:
            message = message_from_bytes(envelope.content)
            message["X-Envelope-To"] = ",".join(envelope.rcpt_tos)
            self.messages.append(message)
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list[Message]:
        return [m for m in self.messages if m["To"] == address]

    def wait_for(self, count: int, timeout: float = 5.0) -> None:
        deadline = time.monotonic() + timeout
        while len(self.messages) < count and time.monotonic() < deadline:
            time.sleep(0.02)


class SmtpServer:
    def __init__(self, port: int):
        self.port = port
        self.inbox = Inbox()
        self.controller: Controller | None = None

    def start(self, *, smtputf8: bool = True) -> None:
        """smtputf8=False: a server that cannot take non-ASCII addresses."""
        self.controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port,
                                     enable_SMTPUTF8=smtputf8)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


@pytest.fixture
def smtp(app) -> Iterator[SmtpServer]:
    """A real SMTP server on a free port, and the app pointed at it (not started yet for
    tests that want it down first: call .start())."""
    server = SmtpServer(free_port())
    saved = {key: app.config[key] for key in ("MAIL_SERVER", "MAIL_PORT", "MAIL_TIMEOUT")}
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=server.port, MAIL_TIMEOUT=2)
    yield server
    server.stop()
    app.config.update(saved)


@pytest.fixture
def smtp_up(smtp) -> SmtpServer:
    smtp.start()
    return smtp


def self_referral_service(with_email: bool = True) -> Service:
    query = select(Service).where(Service.access == AccessRoute.SELF_REFERRAL).order_by(Service.id)
    if with_email:
        query = query.where(Service.referral_email.is_not(None))
    return db.session.scalars(query).first()


def other_service() -> Service:
    return db.session.scalars(select(Service).where(
        Service.access != AccessRoute.SELF_REFERRAL).order_by(Service.id)).first()


CHILD = {"first_name": "Sam", "age": "9", "dob_day": "", "dob_month": "", "dob_year": ""}
YOUNG_PERSON = {"first_name": "Alex", "age": "15", "dob_day": "", "dob_month": "", "dob_year": ""}
NEED = {"need": "Sam is very anxious about school and has stopped sleeping."}
DETAILS = {"language": "", "adjustments": "", "other_support": ""}
CONTACT = {"name": "Jo Parent", "phone": "07700 900982", "email": "jo@example.org",
           "safe_times": "After 3pm", "leave_message": "yes"}
PROFESSIONAL = {"kind": "school", "name": "Pat Teacher", "role": "Designated safeguarding lead",
                "organisation": "Example Primary School", "email": "pat@school.example.org"}


def refer_url(service_id: str, step: str = "") -> str:
    return f"/services/{service_id}/refer" + (f"/{step}" if step else "")


def post(client, service_id: str, step: str, data: dict, expect: str | None = None):
    response = client.post(refer_url(service_id, step), data=data)
    assert response.status_code == 302, (step, response.status_code, response.data[:2000])
    if expect is not None:
        assert response.headers["Location"].endswith(expect), (step, response.headers["Location"])
    return response


def walk_to_check(client, service_id: str, who: str = "parent", *, child: dict | None = None,
                  contact: dict | None = None, may_follow: str = "yes") -> None:
    """Answers every question for `who` ("parent", "young-person", "professional")."""
    post(client, service_id, "", {}, expect="/who")
    if who == "professional":
        post(client, service_id, "who", {"referrer_type": who}, expect="/family-agreed")
        post(client, service_id, "family-agreed", {"agreed": "yes"}, expect="/professional")
        post(client, service_id, "professional", PROFESSIONAL, expect="/updates")
        post(client, service_id, "updates", {"may_follow": may_follow}, expect="/child")
    else:
        post(client, service_id, "who", {"referrer_type": who}, expect="/child")
    post(client, service_id, "child",
         child or (YOUNG_PERSON if who == "young-person" else CHILD), expect="/need")
    post(client, service_id, "need", NEED, expect="/details")
    post(client, service_id, "details", DETAILS, expect="/contact")
    post(client, service_id, "contact", contact or CONTACT, expect="/privacy")
    post(client, service_id, "privacy", {"agree": "y"}, expect="/check")


def submit(client, service_id: str):
    check = client.get(refer_url(service_id, "check"))
    assert check.status_code == 200, check.data[:1000]
    key = _submission_key(check.get_data(as_text=True))
    return client.post(refer_url(service_id, "check"), data={"submission_key": key}), key


def _submission_key(html: str) -> str:
    marker = 'name="submission_key" type="hidden" value="'
    start = html.index(marker) + len(marker)
    return html[start:html.index('"', start)]


def make_referral(service: Service, who: str = "parent", *, email: str = "jo@example.org",
                  referrer_email: str = "pat@school.example.org", may_follow: bool = True,
                  now=None):
    """A referral straight through the service layer; returns (referral, family token,
    referrer token)."""
    from app import referrals

    family_token, referrer_token = referrals.new_token(), referrals.new_token()
    answers = {
        "referrer_type": who, "language": "en",
        "child": {"first_name": "Sam", "age": 9, "age_given": "9", "date_of_birth": None},
        "need": "Sam is very anxious about school.",
        "details": {"language": "", "adjustments": "", "other_support": ""},
        "contact": {"name": "Jo Parent", "phone": "07700900982", "email": email,
                    "safe_times": "", "leave_message": False},
        "consent": {"agreed": True, "version": "2026-11", "at": "2026-11-02T10:00:00"},
    }
    if who == "professional":
        answers.update(family_agreed=True, referrer_may_follow=may_follow,
                       referrer={**PROFESSIONAL, "email": referrer_email})
    result = referrals.submit(service, answers, submission_key=referrals.new_token(),
                              family_token=family_token,
                              referrer_token=referrer_token if who == "professional" else None,
                              now=now)
    return result.referral, family_token, referrer_token
