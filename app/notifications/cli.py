"""flask notify send|list: the email outbox (run `flask notify send` from cron every minute)."""

import click
from flask.cli import AppGroup

from app.notifications import outbox

notify_cli = AppGroup("notify", help="The email outbox.")


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


COMMANDS = [notify_cli]
