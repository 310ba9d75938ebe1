"""Coverage: which kinds of help each district has, and how many take self-referrals."""


from collections import Counter
from typing import Any

from sqlalchemy import case, func, select

from app.extensions import db
from app.models import (
    AccessRoute,
    Category,
    FeedListing,
    ListingStatus,
    Service,
)
from app.models.directory import service_category
from app.oversight.queries import (
    ONE,
    ZERO,
    area_names,
    district_keys,
    in_scope,
    in_taxonomy_order,
    service_district,
)
from app.oversight.scope import COUNTY_WIDE, Scope
from app.oversight.tables import Cell, Section, Table

# -- coverage ---------------------------------------------------------------------------------

def coverage(scope: Scope) -> Section:
    """What is on offer now: published services per category and district, with the
    self-referral ones (a family can ask without a professional) counted apart."""
    keys = district_keys(scope, county_wide_beside_district=True)
    names = area_names()
    sd = service_district()
    published = Service.status == ListingStatus.PUBLISHED
    is_self = Service.access == AccessRoute.SELF_REFERRAL
    base = (select().select_from(Service)
            .join(service_category, service_category.c.service_id == Service.id)
            .join(sd, sd.c.service_id == Service.id)
            .where(published, sd.c.district.in_(keys)))
    own = {(row[0], row[1]): (row[2], row[3] or 0) for row in db.session.execute(
        base.add_columns(service_category.c.category_id, sd.c.district, func.count(),
                         func.sum(case((is_self, ONE), else_=ZERO)))
        .group_by(service_category.c.category_id, sd.c.district))}
    # A category with children counts each service in any of them once.
    group = func.coalesce(Category.parent_id, Category.id)
    inner = (base.add_columns(group.label("category_id"), sd.c.district.label("district"),
                              Service.id.label("service_id"),
                              case((is_self, Service.id)).label("self_id"))
             .join(Category, Category.id == service_category.c.category_id).subquery())
    grouped = {(row[0], row[1]): (row[2], row[3]) for row in db.session.execute(
        select(inner.c.category_id, inner.c.district, func.count(func.distinct(inner.c.service_id)),
               func.count(func.distinct(inner.c.self_id)))
        .group_by(inner.c.category_id, inner.c.district))}

    rows, csv_rows = [], []
    gaps, no_self = Counter(), Counter()
    for category, has_children in in_taxonomy_order():
        counts = grouped if has_children else own
        row: list[Any] = [Cell(category.name, flag="group") if has_children else category.name]
        csv_row: list[Any] = [category.name if has_children else _parent_name(category),
                              "" if has_children else category.name]
        for key in keys:
            services, self_referral = counts.get((category.id, key), (0, 0))
            row.append(_coverage_cell(services, self_referral))
            csv_row += [services, self_referral]
            if not has_children:
                gaps[key] += services == 0
                no_self[key] += services > 0 and self_referral == 0
        rows.append(row)
        csv_rows.append(csv_row)
    matrix = Table(
        "coverage", "Published services by category and district", ["Category", *(names[k] for k in keys)],
        rows, numeric=tuple(range(1, len(keys) + 1)),
        note="Each cell: services in the category, and how many of them a family can refer "
             "itself to. County-wide services are counted only in their own column.",
        csv_columns=["Category group", "Category", *(f"{names[k]}: {what}" for k in keys
                                                      for what in ("services", "self-referral"))],
        csv_rows=csv_rows)

    # Listings taken from other directories' feeds are on offer too, and counted apart.
    from_feed = Service.id.in_(select(FeedListing.service_id))
    totals = {row[0]: (row[1], row[2], row[3]) for row in db.session.execute(
        select(sd.c.district, func.count(func.distinct(Service.id)),
               func.count(func.distinct(case((is_self, Service.id)))),
               func.count(func.distinct(case((from_feed, Service.id)))))
        .select_from(Service).join(sd, sd.c.service_id == Service.id)
        .where(published, sd.c.district.in_(keys)).group_by(sd.c.district))}
    by_district = Table(
        "coverage-by-district", "Services and gaps by district",
        ["District", "Services", "Self-referral services", "Listed by other directories' feeds",
         "Categories with no service", "Categories with no self-referral service"],
        [[names[k], *totals.get(k, (0, 0, 0)), gaps[k], no_self[k]] for k in keys],
        numeric=(1, 2, 3, 4, 5))
    offered, from_feeds = db.session.execute(
        select(func.count(), func.count(case((from_feed, ONE)))).select_from(Service)
        .where(published, *in_scope(Service.id, scope))).one()
    # Gaps are counted in the districts asked for; county-wide ones only when asked for.
    counted = [k for k in keys if k != COUNTY_WIDE] or keys
    facts = {"services": offered - from_feeds, "feed_services": from_feeds,
             "county_wide_services": totals.get(COUNTY_WIDE, (0, 0))[0],
             "gaps": sum(gaps[k] for k in counted)}
    return Section("coverage", "Coverage", [by_district, matrix], facts)


def _parent_name(category: Category) -> str:
    return category.parent.name if category.parent else ""


def _coverage_cell(services: int, self_referral: int) -> Cell:
    if services == 0:
        return Cell(0, flag="gap")
    if self_referral == 0:
        return Cell(services, note="no self-referral", flag="no-self")
    return Cell(services, note=f"{self_referral} self-referral")
