"""The domain models. Import them from here."""

from app.models.activity import SearchRecord
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
    Service,
    ServiceKind,
    WaitingStatus,
    WaitingTime,
)
from app.models.postcodes import Outcode, Postcode

__all__ = [
    "AccessRoute",
    "Area",
    "Category",
    "DeliveryMode",
    "DirectorySettings",
    "ListingStatus",
    "Location",
    "Organisation",
    "Outcode",
    "Postcode",
    "Schedule",
    "SearchRecord",
    "Service",
    "ServiceKind",
    "WaitingStatus",
    "WaitingTime",
]
