"""The command line: each domain keeps its own click groups (app/<domain>/cli.py, listed
in its COMMANDS); this only gathers them, so `flask directory ...`, `flask referrals ...`,
`flask notify send` and the rest keep their names and options. `flask doctor`, which
looks across every domain, is here."""

import click
from flask import Flask, current_app


@click.command("doctor")
def doctor_command() -> None:
    """Check this configuration against the README's production checklist; exit 1 on problems."""
    from app import doctor

    findings = doctor.examine(current_app._get_current_object())
    for finding in findings:
        click.echo(f"{finding.level.upper():4}  {finding.topic}: {finding.message}")
    failed = [finding for finding in findings if finding.level == "fail"]
    if failed:
        raise click.ClickException(f"{len(failed)} problem(s) to fix before serving the public")
    click.echo("No problems found")


def register_commands(app: Flask) -> None:
    from app.accounts import cli as accounts_cli
    from app.directory import cli as directory_cli
    from app.notifications import cli as notifications_cli
    from app.opendata import cli as opendata_cli
    from app.oversight import cli as oversight_cli
    from app.places import cli as places_cli
    from app.referrals import cli as referrals_cli
    from app.search import cli as search_cli

    for domain in (accounts_cli, directory_cli, notifications_cli, opendata_cli, oversight_cli, places_cli,
                   referrals_cli, search_cli):
        for group in domain.COMMANDS:
            app.cli.add_command(group)
    app.cli.add_command(doctor_command)
