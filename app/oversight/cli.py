"""flask oversight generate: synthetic data for trying and measuring the oversight pages."""

import os

import click
from flask.cli import AppGroup

from app.extensions import db
from app.oversight.generate import generate

oversight_cli = AppGroup("oversight", help="The partnership's oversight pages.")


@oversight_cli.command("generate")
@click.option("--services", default=150, show_default=True, type=click.IntRange(1, 5000))
@click.option("--referrals", default=20_000, show_default=True, type=click.IntRange(0, 2_000_000))
@click.option("--searches", default=500_000, show_default=True, type=click.IntRange(0, 20_000_000))
@click.option("--seed", default=1, show_default=True, type=int)
def generate_command(services: int, referrals: int, searches: int, seed: int) -> None:
    """Fill the database with a year of synthetic services, waits, referrals, page views and
    searches (for trying and measuring the oversight pages; never in production)."""
    if os.environ.get("APP_ENV", "").lower() == "production":
        raise click.ClickException("refusing to put synthetic data in a production database")
    try:
        report = generate(services=services, referrals=referrals, searches=searches, seed=seed)
    except ValueError as error:
        db.session.rollback()
        raise click.ClickException(str(error)) from None
    for name, count in report.items():
        click.echo(f"{name}: {count:,}" if isinstance(count, int) else f"{name}: {count}")


COMMANDS = [oversight_cli]
