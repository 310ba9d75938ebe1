"""The shortlist: add and remove with plain forms (no JavaScript), print, share."""

from flask import Blueprint, abort, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext

from app.services import shortlist

bp = Blueprint("shortlist", __name__)


@bp.get("/shortlist")
def view():
    services = shortlist.services_in_order(shortlist.ids(session))
    share = url_for("shortlist.shared", services=",".join(s.id for s in services), _external=True)
    return render_template("shortlist/view.html", services=services, share_url=share)


@bp.post("/shortlist/add")
def add():
    service_id = request.form.get("service_id", "")[:100]
    if not shortlist.add(session, service_id):
        abort(400, description=gettext("That service could not be added to your shortlist."))
    flash(gettext("Added to your shortlist"), "shortlist")
    return redirect(_back_to(service_id))


@bp.post("/shortlist/remove")
def remove():
    shortlist.remove(session, request.form.get("service_id", "")[:100])
    return redirect(url_for("shortlist.view"))


@bp.get("/shortlist/shared")
def shared():
    services = shortlist.services_in_order(shortlist.parse_shared(request.args.get("services", "")))
    return render_template("shortlist/shared.html", services=services)


@bp.post("/shortlist/keep")
def keep():
    shortlist.replace(session, shortlist.parse_shared(request.form.get("services", "")))
    return redirect(url_for("shortlist.view"))


def _back_to(service_id: str) -> str:
    """Back to the service page the family was on (never to another site)."""
    return url_for("public.service", service_id=service_id)
