"""The domain models. Import them from here."""

from app.models.accounts import AccountToken, RecoveryCode, Role, TokenPurpose, User
from app.models.activity import SearchRecord
from app.models.audit import AuditEvent
from app.models.directory import (
    AccessRoute,
    Area,
    Category,
    DeliveryMode,
    DirectorySettings,
    ListingStatus,
    Location,
    Organisation,
    Schedule,
    SearchWord,
    Service,
    ServiceKind,
    WaitingStatus,
    WaitingTime,
)
from app.models.feeds import Approval, Feed, FeedListing
from app.models.listings import (
    ChangeStatus,
    Feedback,
    FeedbackKind,
    FeedbackStatus,
    ListingChange,
    ListingVersion,
    ReminderKind,
    ReviewReminder,
)
from app.models.notifications import Notification
from app.models.postcodes import Outcode, Postcode
from app.models.referrals import (
    ProfessionalKind,
    Referral,
    ReferralEvent,
    ReferralStatus,
    ReferrerType,
)
from app.models.search_log import SearchChange

__all__ = [
    "AccountToken",
    "RecoveryCode",
    "Role",
    "TokenPurpose",
    "User",
    "AccessRoute",
    "Area",
    "Approval",
    "AuditEvent",
    "Feed",
    "FeedListing",
    "ChangeStatus",
    "Feedback",
    "FeedbackKind",
    "FeedbackStatus",
    "ListingChange",
    "ListingVersion",
    "ReminderKind",
    "ReviewReminder",
    "Category",
    "DeliveryMode",
    "DirectorySettings",
    "ListingStatus",
    "Location",
    "Notification",
    "Organisation",
    "Outcode",
    "Postcode",
    "ProfessionalKind",
    "Referral",
    "ReferralEvent",
    "ReferralStatus",
    "ReferrerType",
    "Schedule",
    "SearchChange",
    "SearchWord",
    "SearchRecord",
    "Service",
    "ServiceKind",
    "WaitingStatus",
    "WaitingTime",
]
