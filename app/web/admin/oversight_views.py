"""Partnership oversight pages: coverage, waiting, referrals, demand and freshness for a
district (or the whole county) and a period, with charts, their tables and a CSV of each.

Thin views: the figures, and the suppression of small numbers, come from
app/oversight/. Staff pages are English only, so the text here is not marked
for translation (it would only add untranslatable entries to the catalogues).
"""

import csv
import io
from datetime import date
from typing import Any

from flask import Response, abort, render_template, request, url_for
from markupsafe import Markup

from app import oversight as figures
from app.accounts.audit import record_event
from app.extensions import db
from app.web.admin import bp
from app.web.admin.charts import bar_chart
from app.web.auth import admin_required
from app.web.auth.access import reauthentication_required

PAGES = {"overview": "Overview", "coverage": "Coverage", "waiting": "Waiting", "referrals": "Referrals",
         "demand": "Demand", "freshness": "Freshness"}
INTROS = {
    "overview": "The period at a glance. Each figure links to the page that explains it.",
    "coverage": "What is on offer now, and what is missing: published services by category and "
                "district, with the ones a family can refer itself to.",
    "waiting": "How long families wait, from what providers confirmed: as the period ended, how it "
               "moved across the period, and which services have not confirmed a wait lately.",
    "referrals": "From a search to a decision, and whether referrals were answered in time. Fewer than "
                 "5 referrals are shown as \u201cfewer than 5\u201d so that no family can be identified. "
                 "Where that could be worked out from a total, the next smallest count is hidden too, and "
                 "both read \u201chidden\u201d.",
    "demand": "What families searched for, and what found nothing: where provision may be missing.",
    "freshness": "Listings overdue for review, problems reported by the public, and emails stuck in "
                 "the outbox, as of today.",
}
# The charts at the top of each page: (table, column, title, unit after each value).
CHARTS: dict[str, list[tuple[str, int, str, str]]] = {
    "overview": [],
    "coverage": [("coverage-by-district", 3, "Categories with no service, by district", ""),
                 ("coverage-by-district", 1, "Published services, by district", "")],
    "waiting": [("waits-by-category", 4, "Median wait by category", " weeks"),
                ("wait-trend", 2, "Median wait across the period", " weeks")],
    "referrals": [("funnel", 1, "From searching to a decision", ""),
                  ("outcomes", 1, "Where the referrals stand", ""),
                  ("decline-reasons", 1, "Why referrals were declined", ""),
                  ("referrers", 1, "Who made the referrals", "")],
    "demand": [("top-searches", 1, "Most frequent searches", ""),
               ("zero-searches", 1, "Searches that found nothing", "")],
    "freshness": [],
}


@bp.route("/oversight/")
@admin_required
def oversight():
    return _page("overview")


@admin_required
def oversight_section(page: str):
    return _page(page)


# One static address per section (/admin/oversight/coverage, ...), all one endpoint.
for _name in PAGES:
    if _name != "overview":
        bp.add_url_rule(f"/oversight/{_name}", endpoint="oversight_section", view_func=oversight_section,
                        defaults={"page": _name})


@bp.route("/oversight/<name>.csv")
@admin_required
@reauthentication_required
def oversight_csv(name: str):
    if name not in figures.TABLES:
        abort(404)
    try:
        scope = figures.parse_scope(request.args)
    except figures.ScopeError as error:
        abort(400, description=f"{error}.")
    table = figures.section(figures.TABLES[name], scope).table(name)
    columns, rows = table.csv()
    record_event("oversight.exported", subject_type="oversight-table", subject_id=name,
                 detail={"district": scope.district, "period": scope.period,
                         "from": scope.start.isoformat(), "to": scope.end.isoformat(), "rows": len(rows)})
    db.session.commit()
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(columns)
    writer.writerows([[_csv_value(value) for value in row] for row in rows])
    filename = f"oversight-{name}-{scope.district}-{scope.start.isoformat()}-to-{scope.end.isoformat()}.csv"
    return Response(buffer.getvalue(), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


def _page(page: str):
    choices = figures.district_choices()
    try:
        scope = figures.parse_scope(request.args)
    except figures.ScopeError as error:
        return render_template("admin/oversight.html", page=page, pages=PAGES, intro=INTROS[page],
                               scope=None, errors=error.errors, values=request.args, choices=choices,
                               periods=figures.PERIODS, section=None, charts=[], cell=cell_text), 400
    section = figures.section(page, scope)
    charts = [_chart(section.table(table), column, title, unit)
              for table, column, title, unit in CHARTS[page]]
    return render_template("admin/oversight.html", page=page, pages=PAGES, intro=INTROS[page], scope=scope,
                           errors=[], values=scope.args(), choices=choices, periods=figures.PERIODS,
                           section=section, charts=charts, cell=cell_text,
                           page_url=lambda name: _page_url(name, scope),
                           csv_url=lambda name: url_for("admin.oversight_csv", name=name, **scope.args()))


def _page_url(name: str, scope: figures.Scope) -> str:
    if name == "overview":
        return url_for("admin.oversight", **scope.args())
    return url_for("admin.oversight_section", page=name, **scope.args())


def _chart(table: figures.Table, column: int, title: str, unit: str) -> Markup:
    return bar_chart(f"chart-{table.name}-{column}", title, table.column(column),
                     table_id=f"table-{table.name}", table_caption=table.caption, unit=unit)


def cell_text(value: Any) -> str:
    """How a figure reads on the page."""
    if value is None:
        return "\u2013"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:,.1f}"
    if isinstance(value, date):
        return f"{value.day} {value:%b %Y}"
    return str(value)


def _csv_value(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value  # searched words are typed by the public: never a spreadsheet formula
    return value
