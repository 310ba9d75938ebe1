"""Command-line tasks: flask directory import|export, flask postcodes load."""

import sys
from pathlib import Path

import click
from flask import Flask
from flask.cli import AppGroup

from app import search
from app.extensions import db
from app.services import directory_sync, postcodes
from app.services.directory_file import DirectoryFileInvalid, parse_directory_file

directory_cli = AppGroup("directory", help="Import and export the directory file (services.yml).")
postcodes_cli = AppGroup("postcodes", help="Load postcode geography.")
search_cli = AppGroup("search", help="The search index.")


@directory_cli.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Check and report, but write nothing.")
@click.option("--prune", is_flag=True,
              help="Withdraw services the file no longer lists, and remove unused entries.")
def import_command(path: Path, dry_run: bool, prune: bool) -> None:
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
                                                 progress=bar.update)
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


@postcodes_cli.command("load")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def load_postcodes_command(path: Path) -> None:
    """Load postcodes (simple CSV or ONS Postcode Directory layout) or outcode centroids."""
    with click.progressbar(length=0, label="Loading", file=sys.stderr) as bar:
        try:
            result = postcodes.load_file(path, progress=bar.update)
        except (ValueError, KeyError) as error:
            db.session.rollback()
            raise click.ClickException(f"{path}: {error}") from None
    click.echo(f"{result.kind}: {result.loaded} loaded, {result.skipped} skipped")


@search_cli.command("rebuild")
def rebuild_command() -> None:
    """Index every published service afresh."""
    click.echo(f"Indexed {search.rebuild()} services")


@search_cli.command("check")
def check_command() -> None:
    """Check that the index and the database agree; exit 1 when they do not."""
    missing, extra = search.consistency()
    for service_id in sorted(missing):
        click.echo(f"missing from the index: {service_id}")
    for service_id in sorted(extra):
        click.echo(f"in the index but not published: {service_id}")
    if missing or extra:
        raise click.ClickException("the index and the database disagree: run flask search rebuild")
    click.echo("The index and the database agree")


def register_commands(app: Flask) -> None:
    from app.auth.cli import users_cli
    from app.listings_cli import listings_cli
    from app.oversight_cli import oversight_cli
    from app.referrals.cli import register_referral_commands

    app.cli.add_command(users_cli)
    app.cli.add_command(directory_cli)
    app.cli.add_command(postcodes_cli)
    app.cli.add_command(search_cli)
    app.cli.add_command(listings_cli)
    app.cli.add_command(oversight_cli)
    register_referral_commands(app)
