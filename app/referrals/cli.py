"""flask notify send|list, flask referrals purge|flag-overdue|subject-access."""

import json

import click
from flask import Flask
from flask.cli import AppGroup

from app.services import outbox, referrals, working_days

notify_cli = AppGroup("notify", help="The email outbox.")
referrals_cli = AppGroup("referrals", help="Referrals: late ones, retention, subject access.")


@notify_cli.command("send")
def send_command() -> None:
    """Send every email that is due (run it from cron every minute or so)."""
    report = outbox.send_due()
    click.echo(f"sent {report.sent}, failed {report.failed} (given up {report.given_up}), "
               f"still queued {len([n for n in outbox.unsent() if not n.failed_at])}")
    for error in report.errors:
        click.echo(f"error: {error}", err=True)


@notify_cli.command("list")
def list_command() -> None:
    """List emails not yet sent: queued and failed."""
    waiting = outbox.unsent()
    for n in waiting:
        click.echo(f"{n.id}\t{n.state}\t{n.kind}\t{n.to}\tattempts={n.attempts}\t"
                   f"next={n.next_attempt_at:%Y-%m-%d %H:%M}\t{n.last_error or ''}")
    click.echo(f"{len(waiting)} not sent", err=True)


@referrals_cli.command("purge")
@click.option("--dry-run", is_flag=True, help="Say what would be anonymised, change nothing.")
def purge_command(dry_run: bool) -> None:
    """Anonymise referrals past REFERRAL_RETENTION_DAYS and delete their emails."""
    report = referrals.purge(dry_run=dry_run)
    for reference in report.anonymised:
        click.echo(reference)
    verb = "would be anonymised" if dry_run else "anonymised"
    click.echo(f"{len(report.anonymised)} referral(s) {verb}; "
               f"{report.notifications_deleted} email(s) deleted from the outbox")


@referrals_cli.command("flag-overdue")
def flag_overdue_command() -> None:
    """Tell providers and the partnership about referrals not opened in 5 working days or
    not decided in 20 (run it daily)."""
    today = working_days.today_in_england()
    if not working_days.covered(today):
        click.echo(f"Warning: the bank holidays of {today.year} are not listed in "
                   "app/services/working_days.py, so only weekends are skipped and flags may come "
                   "early. Add them.", err=True)
    flagged = referrals.flag_overdue()
    for item in flagged:
        click.echo(f"{item.referral.reference}\t{item.kind}\t{item.working_days} working days\t"
                   f"{item.referral.service_id}")
    click.echo(f"{len(flagged)} newly flagged")


@referrals_cli.command("subject-access")
@click.argument("email", required=False, default="")
@click.option("--phone", default="", help="For a family that gave only a phone number.")
def subject_access_command(email: str, phone: str) -> None:
    """Print, as JSON, everything held about the person with this email address (or phone)."""
    if not email and not phone:
        raise click.UsageError("Give an email address, or --phone NUMBER")
    try:
        found = referrals.subject_access(email, phone=phone)
    except referrals.NotAPhoneNumber:
        raise click.BadParameter(f"{phone!r} is not a phone number", param_hint="--phone") from None
    click.echo(json.dumps(found, indent=2, ensure_ascii=False, default=str))


def register_referral_commands(app: Flask) -> None:
    app.cli.add_command(notify_cli)
    app.cli.add_command(referrals_cli)
