"""The shortlist: add and remove with plain forms (no JavaScript), print, share.

The add and remove forms on search results and on a service page send the family back
where they were. A results card sends `back` (the results URL) and `return_to=results`;
a service page sends `back` (the results it was reached from) so its "Back to results"
link survives the add. `back` is only ever followed as a search on this site: it is
rebuilt from the search's own parameters (results_url), so it cannot lead anywhere else.
"""

from urllib.parse import urlsplit

from flask import Blueprint, abort, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext
from werkzeug.wrappers import Response

from app.directory import shortlist
from app.web.public.routes import results_url

bp = Blueprint("shortlist", __name__)


@bp.get("/shortlist")
def view():
    services = shortlist.services_in_order(shortlist.ids(session))
    share = url_for("shortlist.shared", services=",".join(s.id for s in services), _external=True)
    return render_template("shortlist/view.html", services=services, share_url=share)


@bp.post("/shortlist/add")
def add() -> Response:
    service_id = request.form.get("service_id", "")[:100]
    if not shortlist.add(session, service_id):
        abort(400, description=gettext("That service could not be added to your shortlist."))
    flash(gettext("Added to your shortlist"), "shortlist")
    results = _results_to_return_to()
    # Back to the same place on the page (the fragment), not its top: the family's place.
    if results and request.form.get("return_to") == "results":
        return _redirect(f"{results}#{result_anchor(service_id)}")
    return _redirect(url_for("public.service", service_id=service_id,
                             back=urlsplit(results).query if results else None, _anchor="shortlist"))


@bp.post("/shortlist/remove")
def remove() -> Response:
    shortlist.remove(session, request.form.get("service_id", "")[:100])
    results = _results_to_return_to()
    if results and request.form.get("return_to") == "results":
        flash(gettext("Removed from your shortlist"), "shortlist")
        return _redirect(f"{results}#{result_anchor(request.form.get('service_id', '')[:100])}")
    return redirect(url_for("shortlist.view"))


@bp.get("/shortlist/shared")
def shared():
    services = shortlist.services_in_order(shortlist.parse_shared(request.args.get("services", "")))
    return render_template("shortlist/shared.html", services=services)


@bp.post("/shortlist/keep")
def keep():
    shortlist.replace(session, shortlist.parse_shared(request.form.get("services", "")))
    return redirect(url_for("shortlist.view"))


def result_anchor(service_id: str) -> str:
    """The id of a service's card on a results page."""
    return "result-" + "".join(ch for ch in service_id if ch.isalnum() or ch in "-_")


bp.add_app_template_filter(result_anchor)


def _results_to_return_to() -> str | None:
    """The results page in the form's `back` field, when it is this site's search page;
    rebuilt from the search's known parameters. None for anything else (another host,
    another page, a scheme, `//host` or `/\\host`)."""
    back = request.form.get("back", "")[:2000]
    try:
        parts = urlsplit(back)
    except ValueError:  # such as an unclosed [ in a host
        return None
    if parts.scheme or parts.netloc or parts.path != url_for("search.results"):
        return None
    return results_url(parts.query) or url_for("search.results")


def _redirect(location: str) -> Response:
    """A redirect to a page on this site, noted so the page is not counted as a new visit."""
    shortlist.note_redirect(session, urlsplit(location).path.removeprefix(request.script_root))
    return redirect(location)
