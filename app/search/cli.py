"""flask search rebuild|check."""

import click
from flask.cli import AppGroup

from app import search

search_cli = AppGroup("search", help="The search index.")


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


COMMANDS = [search_cli]
