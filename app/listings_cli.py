"""flask listings remind|stale: the freshness jobs, to run daily from cron."""

from datetime import date

import click
from flask.cli import AppGroup

from app.services import freshness

listings_cli = AppGroup("listings", help="Keep listings fresh: reminders and the stale report.")


def _day(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date like 2026-11-01") from None


@listings_cli.command("remind")
@click.option("--today", help="Act as if it were this day (YYYY-MM-DD), for testing.")
def remind_command(today: str | None) -> None:
    """Email a "still right?" link for every listing due for review (or with a stale
    waiting time), once each. `flask notify send` delivers them."""
    sent = freshness.send_reminders(_day(today))
    for reminder in sent:
        to = ", ".join(reminder.to) or "nobody: no email address"
        click.echo(f"{reminder.service.id}: {' and '.join(reminder.kinds)} reminder to {to}")
    click.echo(f"{len(sent)} reminder(s) queued")


@listings_cli.command("stale")
@click.option("--today", help="Act as if it were this day (YYYY-MM-DD), for testing.")
@click.option("--email", is_flag=True, help="Also email the report to PARTNERSHIP_EMAIL.")
def stale_command(today: str | None, email: bool) -> None:
    """Report listings shown as possibly out of date, due for review, or with a stale wait."""
    report = freshness.stale_report(_day(today))
    click.echo(freshness.report_text(report), nl=False)
    if email and not freshness.email_report(report):
        raise click.ClickException("PARTNERSHIP_EMAIL is not set: the report was not emailed")
