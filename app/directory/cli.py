"""flask directory import|export (services.yml) and flask listings remind|stale (keeping
listings fresh)."""

import sys
from datetime import date
from pathlib import Path

import click
from flask.cli import AppGroup

from app.directory import directory_sync, freshness, listing_repair
from app.directory.directory_file import DirectoryFileInvalid, parse_directory_file

directory_cli = AppGroup("directory", help="Import and export the directory file (services.yml).")
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


@listings_cli.command("repair-descriptions")
def repair_descriptions_command() -> None:
    """Put back the paragraphs of descriptions stored with CR LF line breaks (before edits
    made them LF), from each listing's own earlier version; each repair is a new version."""
    repaired = listing_repair.repair_descriptions()
    for item in repaired:
        source = f"from version {item.from_version}" if item.from_version else "line breaks made LF"
        click.echo(f"{item.service_id}: {source}")
    click.echo(f"{len(repaired)} description(s) repaired")


@directory_cli.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Check and report, but write nothing.")
@click.option("--prune", is_flag=True,
              help="Withdraw services the file no longer lists, and remove unused entries.")
@click.option("--overwrite-site-changes", is_flag=True,
              help="Write the file's version even over listings and search words changed in the "
                   "site since the last import (kept by default).")
def import_command(path: Path, dry_run: bool, prune: bool, overwrite_site_changes: bool) -> None:
    """Import a services.yml file: all of it, or nothing if anything is wrong."""
    try:
        content = parse_directory_file(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        raise click.ClickException(f"{path} is not UTF-8 text") from None
    except DirectoryFileInvalid as invalid:
        for problem in invalid.problems:
            click.echo(f"{path}:{problem}", err=True)
        raise click.ClickException(
            f"{len(invalid.problems)} problem(s) found; nothing was imported") from None
    with click.progressbar(length=len(content.services), label="Importing services",
                           file=sys.stderr) as bar:
        report = directory_sync.import_directory(content, prune=prune, dry_run=dry_run,
                                                 progress=bar.update,
                                                 overwrite_site_changes=overwrite_site_changes)
    for warning in report.warnings:
        click.echo(f"warning: {warning}", err=True)
    for line in report.lines():
        click.echo(line)
    if dry_run:
        click.echo("Dry run: nothing was written.")


@directory_cli.command("export")
@click.argument("path", required=False, type=click.Path(dir_okay=False, path_type=Path))
def export_command(path: Path | None) -> None:
    """Write the published directory as services.yml (to PATH, or to standard output)."""
    text = directory_sync.export_directory()
    if path is None:
        click.echo(text, nl=False)
    else:
        path.write_text(text, encoding="utf-8")
        click.echo(f"Wrote {path}", err=True)


COMMANDS = [directory_cli, listings_cli]
