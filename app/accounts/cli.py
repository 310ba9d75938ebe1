"""`flask users ...`: the first admin is made here, never by default."""

import click
from flask.cli import AppGroup

from app.accounts import credentials
from app.accounts.audit import record_event
from app.extensions import db
from app.models.accounts import Role, User

users_cli = AppGroup("users", help="People who sign in.")


@users_cli.command("create-admin")
@click.argument("email")
@click.option("--name", default="", help="Their full name.")
def create_admin(email: str, name: str) -> None:
    """Make a partnership admin with a password typed at the prompt. They set up their
    authenticator app when they first sign in."""
    if credentials.find_user_by_email(email):
        raise click.ClickException(f"{email} already has an account")
    password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    problem = credentials.password_problem(password, email)
    if problem:
        raise click.ClickException(problem)
    user = User(email=email.strip().lower(), name=name, role=Role.ADMIN,
                password_hash=credentials.hash_password(password))
    db.session.add(user)
    db.session.flush()
    record_event("user.created", actor="command line", subject_type="user", subject_id=user.id,
                 detail={"email": user.email, "role": Role.ADMIN})
    db.session.commit()
    click.echo(f"Admin {user.email} created. Sign in at /sign-in to set up the authenticator app.")


COMMANDS = [users_cli]
