"""The command line: each domain keeps its own click groups (app/<domain>/cli.py, listed
in its COMMANDS); this only gathers them, so `flask directory ...`, `flask referrals ...`,
`flask notify send` and the rest keep their names and options."""

from flask import Flask


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
