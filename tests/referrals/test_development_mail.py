"""In development the outbox is sent by the app itself, to a local SMTP server when one is
configured and otherwise printed to the console, so a newcomer trying a referral sees the
emails arrive without cron or `flask notify send`. Production never prints emails."""

import time
from collections.abc import Iterator

import pytest

from app import create_app
from app.config import DevelopmentConfig, ProductionConfig
from app.extensions import db
from app.notifications import outbox
from tests.referrals.referral_support import smtp  # noqa: F401 (a fixture)


@pytest.fixture
def development_app(tmp_path, request) -> Iterator:
    made = []

    def make(**settings):
        class Development(DevelopmentConfig):
            SQLALCHEMY_DATABASE_URI = f"sqlite:///{tmp_path / 'dev.sqlite'}"
            SEARCH_INDEX_DIR = str(tmp_path / "index")
            MAIL_SEND_EVERY_SECONDS = 1

        for key, value in settings.items():
            setattr(Development, key, value)
        app = create_app(Development)
        with app.app_context():
            db.create_all()
            outbox.queue_email("jo@example.org", "Your referral to Family Link", "Hello Jo", kind="test")
            db.session.commit()
        made.append(app)
        return app

    yield make
    for app in made:
        app.extensions["outbox_sender_stop"].set()


def test_emails_go_to_a_local_smtp_server_without_flask_notify_send(development_app, smtp):  # noqa: F811
    smtp.start()
    app = development_app(MAIL_BACKEND="smtp", MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp.port)
    assert app.test_client().get("/healthz").status_code in (200, 503)  # any first request
    smtp.inbox.wait_for(1, timeout=15)
    assert [m["Subject"] for m in smtp.inbox.messages] == ["Your referral to Family Link"]


def test_without_a_mail_server_emails_are_printed_to_the_console(development_app, capfd):
    app = development_app(MAIL_BACKEND="console")
    app.test_client().get("/healthz")
    with app.app_context():
        for _ in range(150):
            if not outbox.unsent():
                break
            time.sleep(0.1)
        assert outbox.unsent() == []
    printed = capfd.readouterr().err
    assert "Subject: Your referral to Family Link" in printed and "Hello Jo" in printed


def test_production_sends_only_over_smtp_and_only_from_cron():
    assert ProductionConfig.MAIL_BACKEND == "smtp"
    assert ProductionConfig.MAIL_SEND_EVERY_SECONDS == 0
    assert DevelopmentConfig.MAIL_SEND_EVERY_SECONDS > 0


def test_serving_installs_no_browser_and_testing_does(tmp_path):
    import os
    import subprocess

    from tests.conftest import ROOT

    for script in ("serve", "setup"):
        text = (ROOT / "scripts" / script).read_text()
        assert "apt-get" not in text and "install-browser" not in text, script
    assert "scripts/install-browser" in (ROOT / "scripts" / "test").read_text()
    # On a machine without Chromium, the test path installs it (apt-get faked here).
    fake = tmp_path / "bin"
    fake.mkdir()
    for name in ("apt-get", "sudo"):
        script = f'#!/bin/sh\n[ "{name}" = sudo ] && exec "$@"\necho "$@" >> {tmp_path}/calls\n'
        (fake / name).write_text(script)
        (fake / name).chmod(0o755)
    env = {**os.environ, "PATH": f"{fake}:{os.environ['PATH']}", "CHROMIUM": str(tmp_path / "none")}
    subprocess.run([str(ROOT / "scripts" / "install-browser")], env=env, check=True)
    assert "install -y -qq --no-install-recommends chromium" in (tmp_path / "calls").read_text()
