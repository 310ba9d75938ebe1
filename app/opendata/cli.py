"""flask feeds add|list|pull: other directories' Open Referral UK feeds, taken in."""

import click
from flask.cli import AppGroup

from app.opendata import feeds
from app.opendata.feed_client import FeedError

feeds_cli = AppGroup("feeds", help="Take in other directories' Open Referral UK feeds.")


@feeds_cli.command("add")
@click.argument("name")
@click.argument("url")
@click.option("--publish-at-once", is_flag=True,
              help="Publish its new services at once instead of waiting for an admin's approval.")
def add_command(name: str, url: str, publish_at_once: bool) -> None:
    """Add a feed: NAME is shown on its listings ("Listed by NAME"), URL is the base of its
    API (the address whose /services lists its services)."""
    try:
        feed = feeds.add_feed(name, url, publish_at_once)
    except FeedError as error:
        raise click.ClickException(str(error)) from None
    waiting = "published at once" if feed.publish_at_once else "waiting for approval"
    click.echo(f"Added {feed.name} ({feed.url}); new services: {waiting}. "
               "Run `flask feeds pull` to read it.")


@feeds_cli.command("list")
def list_command() -> None:
    """Every feed, how its new services are published, its last pull and listings."""
    counts = feeds.counts_by_feed()
    for feed in feeds.all_feeds():
        waiting = "publish at once" if feed.publish_at_once else "approval first"
        pulled = feed.pulled_at.isoformat(timespec="minutes") if feed.pulled_at else "never"
        listed = ", ".join(f"{n} {status}" for status, n in sorted(counts[feed.name].items()))
        click.echo(f"{feed.name}\t{feed.url}\t{waiting}\tpulled {pulled}\t{listed or 'no listings'}")
        if feed.last_error:
            click.echo(f"  last error: {feed.last_error}")


@feeds_cli.command("pull")
@click.argument("name", required=False)
@click.option("--full", is_flag=True, help="Also read the whole list of ids now, to notice deletions.")
def pull_command(name: str | None, full: bool) -> None:
    """Read what changed in every feed (or in NAME) and write it, each feed all or nothing."""
    chosen = feeds.all_feeds() if name is None else [feeds.get_feed(name)]
    if chosen == [None]:
        raise click.ClickException(f"there is no feed called {name!r} (see `flask feeds list`)")
    failed = 0
    for feed in chosen:
        try:
            report = feeds.pull(feed, full=full)
        except FeedError as error:
            failed += 1
            click.echo(f"{feed.name}: refused, nothing written: {error}", err=True)
            continue
        for warning in report.warnings:
            click.echo(f"warning: {feed.name}: {warning}", err=True)
        click.echo(report.line())
    if failed:
        raise click.ClickException(f"{failed} feed(s) refused")


COMMANDS = [feeds_cli]
