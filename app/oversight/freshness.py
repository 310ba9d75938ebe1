"""Freshness: listings due for review, reminders sent and problems reported."""


from datetime import timedelta

from flask import current_app
from sqlalchemy import case, func, or_, select
from sqlalchemy.orm import selectinload

from app.directory.feedback import KIND_LABELS
from app.directory.freshness import add_months, freshness
from app.extensions import db
from app.models import (
    Feedback,
    FeedbackStatus,
    ListingStatus,
    Notification,
    ReminderKind,
    ReviewReminder,
    Service,
)
from app.notifications.outbox import STUCK_AFTER
from app.oversight.queries import ONE, in_scope, places_of
from app.oversight.scope import Scope
from app.oversight.tables import Section, Table

# -- freshness ------------------------------------------------------------------------------------

def freshness_section(scope: Scope) -> Section:
    """Listings overdue for review, open reports from the public, stuck emails: as of today."""
    today = scope.today
    months = int(current_app.config["REVIEW_AFTER_MONTHS"])
    # A few days' slack, then the exact rule (month ends) from app.services.freshness.
    candidates = list(db.session.scalars(
        select(Service).options(selectinload(Service.organisation))
        .where(Service.status == ListingStatus.PUBLISHED, *in_scope(Service.id, scope),
               Service.last_reviewed <= add_months(today, -months) + timedelta(days=3))
        .order_by(Service.last_reviewed, Service.name)))
    reminders = {(r.service_id, r.subject_date): r for r in db.session.scalars(
        select(ReviewReminder).where(ReviewReminder.kind == ReminderKind.REVIEW,
                                     ReviewReminder.service_id.in_([s.id for s in candidates])))}
    due = []
    for service in candidates:
        state = freshness(service, today, reminder=reminders.get((service.id, service.last_reviewed)))
        if state.is_due:
            due.append((service, state))
    places = places_of(service.id for service, _ in due)
    review = Table("review-overdue", "Listings overdue for review",
                   ["Service", "Organisation", "District", "Last reviewed", "Due", "Shown to families as"],
                   [[service.name, service.organisation.name, places[service.id], service.last_reviewed,
                     state.due_on, "Possibly out of date" if state.is_out_of_date
                     else "Current, reminded" if state.reminded_on else "Current, not reminded yet"]
                    for service, state in due])

    feedback = db.session.execute(
        select(Service.name, Feedback.kind, func.count(), func.min(Feedback.created_at))
        .join(Service, Service.id == Feedback.service_id)
        .where(Feedback.status == FeedbackStatus.OPEN, *in_scope(Feedback.service_id, scope))
        .group_by(Service.id, Service.name, Feedback.kind)).all()
    feedback.sort(key=lambda row: (row[3], row[0]))
    reports = Table("open-feedback", "Problems reported by the public, not yet resolved",
                    ["Service", "Problem", "Open reports", "Oldest"],
                    [[name, str(KIND_LABELS.get(kind, kind)), count, oldest.date()]
                     for name, kind, count, oldest in feedback], numeric=(2,))

    now = scope.now
    stuck = db.session.execute(
        select(Notification.kind, func.count(),
               func.count(case((Notification.failed_at.is_not(None), ONE))),
               func.min(Notification.created_at))
        .where(Notification.sent_at.is_(None),
               or_(Notification.failed_at.is_not(None), Notification.attempts > 0,
                   Notification.created_at <= now - STUCK_AFTER))
        .group_by(Notification.kind).order_by(Notification.kind)).all()
    outbox = Table("outbox", "Emails stuck in the outbox", ["Kind of email", "Stuck", "Given up", "Oldest"],
                   [[kind, count, failed, oldest.date()] for kind, count, failed, oldest in stuck],
                   numeric=(1, 2), note="For the whole county, whichever district is chosen: emails that "
                                        "failed or have waited more than an hour.")
    facts = {"review_overdue": len(due), "open_feedback": sum(row[2] for row in feedback),
             "stuck_emails": sum(row[1] for row in stuck)}
    return Section("freshness", "Freshness", [review, reports, outbox], facts)
