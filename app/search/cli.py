"""flask search rebuild|catch-up|check."""

import click
from flask.cli import AppGroup

from app import search

search_cli = AppGroup("search", help="The search index.")


@search_cli.command("rebuild")
def rebuild_command() -> None:
    """Build a new index from the database and swap it in (searches go on meanwhile)."""
    try:
        click.echo(f"Indexed {search.rebuild()} services")
    except search.IndexBusy as busy:
        raise click.ClickException(str(busy)) from None


@search_cli.command("catch-up")
def catch_up_command() -> None:
    """Apply the search change log to this server's index now."""
    try:
        click.echo(f"Applied {search.catch_up()} changes")
    except search.IndexBusy as busy:
        raise click.ClickException(str(busy)) from None


@search_cli.command("check")
@click.option("--repair", is_flag=True, help="Rewrite the documents that differ.")
def check_command(repair: bool) -> None:
    """Compare each indexed document with the database; exit 1 when they disagree.

    Run it on every server: servers that agree with the database print the same
    fingerprint."""
    try:
        report = search.check(repair=repair)
    except search.IndexUnavailable as error:
        raise click.ClickException(f"{error}: run flask search rebuild") from None
    except search.IndexBusy as busy:
        raise click.ClickException(str(busy)) from None
    for label, ids in (("missing from the index", report.missing),
                       ("in the index but not published", report.extra),
                       ("stale in the index", report.stale)):
        for service_id in sorted(ids):
            click.echo(f"{label}: {service_id}")
    click.echo(f"Documents: {report.documents}; changes not yet applied: {report.pending}")
    click.echo(f"Index fingerprint: {report.fingerprint}")
    if report.agrees:
        click.echo("The index and the database agree")
    elif repair:
        click.echo(f"Repaired {len(report.missing | report.extra | report.stale)} documents")
    else:
        raise click.ClickException("the index and the database disagree: "
                                   "run flask search check --repair")


COMMANDS = [search_cli]
