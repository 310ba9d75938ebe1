"""Referrals, the domain: a family's or a professional's referral from submission to its
outcome. It owns the rules (lifecycle), the emails a referral sends (emails), late
referrals (deadlines), retention and subject access (retention) and the reading of a
family's contact details (contact). It may import the models, the notifications outbox,
accounts' audit trail and app.dates; never a page, form or blueprint (app.web).

Pages use this face: `from app import referrals`, then `referrals.submit(...)`.
"""

from app.referrals.contact import normalise_email, normalise_phone
from app.referrals.deadlines import Overdue, flag_overdue, overdue
from app.referrals.lifecycle import (
    CLOSE_OUTCOMES,
    DECIDE_WITHIN_WORKING_DAYS,
    DECLINE_REASONS,
    EMAILED_LINK_DAYS,
    NEED_MAX,
    OPEN_WITHIN_WORKING_DAYS,
    REFERENCE_ALPHABET,
    REFERENCE_PATTERN,
    TEXT_MAX,
    IncompleteAnswers,
    InvalidDetails,
    InvalidTransition,
    ReferralError,
    Submitted,
    allowed_next,
    change_status,
    email_family_link,
    find_by_emailed_link,
    find_by_reference,
    find_by_submission_key,
    find_by_token,
    get,
    new_reference,
    new_token,
    normalise_reference,
    open_for_provider,
    record_export,
    record_view,
    referrals_for_services,
    submit,
    token_hash,
)
from app.referrals.retention import NotAPhoneNumber, PurgeReport, purge, subject_access

__all__ = [
    "CLOSE_OUTCOMES", "DECIDE_WITHIN_WORKING_DAYS", "DECLINE_REASONS", "EMAILED_LINK_DAYS", "NEED_MAX",
    "OPEN_WITHIN_WORKING_DAYS", "REFERENCE_ALPHABET", "REFERENCE_PATTERN", "TEXT_MAX", "IncompleteAnswers",
    "InvalidDetails", "InvalidTransition", "NotAPhoneNumber", "Overdue", "PurgeReport", "ReferralError",
    "Submitted", "allowed_next", "change_status", "email_family_link", "find_by_emailed_link",
    "find_by_reference", "find_by_submission_key", "find_by_token", "flag_overdue", "get", "new_reference",
    "new_token", "normalise_email", "normalise_phone", "normalise_reference", "open_for_provider", "overdue",
    "purge", "record_export", "record_view", "referrals_for_services", "subject_access", "submit",
    "token_hash",
]
