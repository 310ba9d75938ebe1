"""What partnership admins do with accounts: invite, change access, disable, enable."""

from sqlalchemy import func, select, update

from app.accounts.audit import record_event
from app.extensions import db
from app.models.accounts import AccountToken, Role, User, membership
from app.models.audit import AuditEvent
from app.models.directory import Organisation, Service, stable_uuid, utcnow


def all_users() -> list[User]:
    return list(db.session.scalars(select(User).order_by(User.active.desc(), User.email)))


def organisation_choices() -> list[tuple[str, str]]:
    return [(slug, name) for slug, name in db.session.execute(
        select(Organisation.id, Organisation.name).order_by(Organisation.name))]


def organisations_with_counts() -> list[tuple[Organisation, int, int]]:
    """Each organisation with its number of services and of active users, in one query."""
    services = (select(Service.organisation_id, func.count(Service.id).label("n"))
                .group_by(Service.organisation_id).subquery())
    users = (select(membership.c.organisation_id, func.count(User.id).label("n"))
             .join(User, User.id == membership.c.user_id).where(User.active)
             .group_by(membership.c.organisation_id).subquery())
    rows = db.session.execute(
        select(Organisation, services.c.n, users.c.n)
        .outerjoin(services, services.c.organisation_id == Organisation.id)
        .outerjoin(users, users.c.organisation_id == Organisation.id)
        .order_by(Organisation.name))
    return [(organisation, service_count or 0, user_count or 0)
            for organisation, service_count, user_count in rows]


def change_access(user: User, *, role: str, organisation_ids: list[str], by: User) -> None:
    if role not in Role.ALL:
        raise ValueError(f"unknown role {role!r}")
    before = {"role": user.role, "organisations": sorted(user.organisation_ids)}
    user.role = role
    user.organisations = [db.session.get(Organisation, slug) for slug in organisation_ids]
    # Access is read on every request, so the change applies at once.
    after = {"role": role, "organisations": sorted(organisation_ids)}
    record_event("user.access-changed", subject_type="user", subject_id=user.id, actor=by.email,
                 detail={"before": before, "after": after})
    db.session.commit()


def set_active(user: User, active: bool, *, by: User) -> None:
    user.active = active
    user.session_version += 1  # disabling ends their sessions now
    if not active:
        # And their unused invitation and reset links, which would work again on re-enabling.
        db.session.execute(update(AccountToken).where(AccountToken.user_id == user.id,
                                                      AccountToken.used_at.is_(None))
                           .values(used_at=utcnow()))
    record_event("user.enabled" if active else "user.disabled", subject_type="user",
                 subject_id=user.id, actor=by.email)
    db.session.commit()


def audit_page(page: int, page_size: int = 50, action_prefix: str = "") -> tuple[list[AuditEvent], bool]:
    """Newest first; returns the page and whether there is another."""
    query = select(AuditEvent).order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
    if action_prefix:
        query = query.where(AuditEvent.action.startswith(action_prefix))
    rows = list(db.session.scalars(query.offset((page - 1) * page_size).limit(page_size + 1)))
    return rows[:page_size], len(rows) > page_size


# -- organisations ---------------------------------------------------------------------------

ORGANISATION_FIELDS = ("name", "description", "website", "email", "phone")


class OrganisationExists(Exception):
    """An organisation with that id is already in the directory."""


def save_organisation(entry: dict, *, by: User, organisation: Organisation | None = None) -> Organisation:
    """Adds an organisation (checked by check_organisation_entry) or changes one, audited.
    An import of the directory file that lists the same id later writes over it; one that
    does not list it keeps it (and `--prune` keeps it while it has services)."""
    if organisation is None:
        if db.session.get(Organisation, entry["id"]) is not None:
            raise OrganisationExists(entry["id"])
        organisation = Organisation(id=entry["id"], uuid=stable_uuid("organisation", entry["id"]))
        db.session.add(organisation)
        action = "organisation.created"
    else:
        action = "organisation.updated"
    before = {key: getattr(organisation, key) for key in ORGANISATION_FIELDS}
    for key in ORGANISATION_FIELDS:
        setattr(organisation, key, entry.get(key))
    changed = {key: entry.get(key) for key in ORGANISATION_FIELDS if before[key] != entry.get(key)}
    record_event(action, subject_type="organisation", subject_id=organisation.id, actor=by.email,
                 detail=changed)
    db.session.commit()
    return organisation
