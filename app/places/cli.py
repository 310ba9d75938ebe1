"""flask postcodes load."""

import sys
from pathlib import Path

import click
from flask.cli import AppGroup

from app.extensions import db
from app.places import postcodes

postcodes_cli = AppGroup("postcodes", help="Load postcode geography.")


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


COMMANDS = [postcodes_cli]
