"""flask referrals purge|flag-overdue|subject-access."""

import json

import click
from flask.cli import AppGroup

from app import dates
from app.referrals import deadlines, retention

referrals_cli = AppGroup("referrals", help="Referrals: late ones, retention, subject access.")


@referrals_cli.command("purge")
@click.option("--dry-run", is_flag=True, help="Say what would be anonymised, change nothing.")
def purge_command(dry_run: bool) -> None:
    """Anonymise referrals past REFERRAL_RETENTION_DAYS and delete their emails."""
    report = retention.purge(dry_run=dry_run)
    for reference in report.anonymised:
        click.echo(reference)
    verb = "would be anonymised" if dry_run else "anonymised"
    click.echo(f"{len(report.anonymised)} referral(s) {verb}; "
               f"{report.notifications_deleted} email(s) deleted from the outbox")


@referrals_cli.command("flag-overdue")
def flag_overdue_command() -> None:
    """Tell providers and the partnership about referrals not opened in 5 working days or
    not decided in 20 (run it daily)."""
    today = dates.today_in_england()
    if not dates.covered(today):
        click.echo(f"Warning: the bank holidays of {today.year} are not listed in the "
                   "`holidays` package (pinned in pyproject.toml), so only weekends are skipped "
                   "and flags may come early. Upgrade it.", err=True)
    flagged = deadlines.flag_overdue()
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
        found = retention.subject_access(email, phone=phone)
    except retention.NotAPhoneNumber:
        raise click.BadParameter(f"{phone!r} is not a phone number", param_hint="--phone") from None
    click.echo(json.dumps(found, indent=2, ensure_ascii=False, default=str))


COMMANDS = [referrals_cli]
