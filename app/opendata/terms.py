"""The taxonomies the open data uses (the DfE Family Hubs categories and the directory's
own terms), and the fixed identifiers of objects the models keep no row for."""


import uuid
from dataclasses import dataclass

from app.models import (
    AccessRoute,
    DeliveryMode,
    WaitingStatus,
)

VERSION = "HSDS-UK-3.0"
# The value the ORUK validator's own example of a valid `/` response gives.
PROFILE = "https://github.com/OpenReferralUK/uk-profile/blob/main/docs/index.md"
# uuid5(NAMESPACE_URL, "urn:surrey-family-support-directory:open-referral-uk"). Never change it:
# every derived identifier in the open data would change with it.
NAMESPACE = uuid.UUID("0abac27d-8b0d-579e-9c6d-a9ae180d040f")
ONS_AREA_URI = "http://statistics.data.gov.uk/id/statistical-geography/{code}"
COUNTRY = "GB"
SEARCH_PAGE_SIZE = 200
BYDAY = {"mon": "MO", "tue": "TU", "wed": "WE", "thu": "TH", "fri": "FR", "sat": "SA", "sun": "SU"}


def stable_id(*parts: str) -> str:
    """A UUID that is the same every time for the same parts."""
    return str(uuid.uuid5(NAMESPACE, "/".join(parts)))


class BadFilter(ValueError):
    """A request parameter that is well formed but cannot be used, such as an unknown postcode."""

    def __init__(self, parameter: str, message: str):
        super().__init__(message)
        self.parameter = parameter


# -- taxonomies --------------------------------------------------------------------------

@dataclass(frozen=True)
class Taxonomy:
    key: str
    name: str
    description: str

    @property
    def id(self) -> str:
        return stable_id("taxonomy", self.key)


@dataclass(frozen=True)
class OwnTerm:
    """A term of the directory's own taxonomy. `code` is "group" or "group/value"."""

    code: str
    name: str
    description: str

    @property
    def id(self) -> str:
        return stable_id("taxonomy-term", self.code)

    @property
    def parent_code(self) -> str | None:
        return self.code.rpartition("/")[0] or None

    @property
    def anchor(self) -> str:
        return "term-" + self.code.replace("/", "-")


CATEGORIES = Taxonomy(
    "dfe-family-hubs-service-categories", "DfE Family Hubs service categories",
    "The Department for Education's Family Hubs service categories, as this directory uses "
    "them: top-level categories of help and the subcategories within them.")
DIRECTORY = Taxonomy(
    "directory-service-details", "Family support directory service details",
    "How families get help from a service, how the help is given and how long the wait is: "
    "what the Open Referral UK standard has no field for. Terms with a value (the wait in "
    "weeks, the date it was confirmed, a note) carry it in the attribute's `value`.")

OWN_TERMS: tuple[OwnTerm, ...] = (
    OwnTerm("access-route", "How to get help", "How a family gets help from the service."),
    OwnTerm(f"access-route/{AccessRoute.DROP_IN}", "Drop-in",
            "Families can go along without a referral or an appointment."),
    OwnTerm(f"access-route/{AccessRoute.SELF_REFERRAL}", "Self-referral",
            "Families can ask the service for help themselves."),
    OwnTerm(f"access-route/{AccessRoute.PROFESSIONAL_REFERRAL}", "Professional referral",
            "A professional such as a teacher, GP or health visitor asks for help on the "
            "family's behalf."),
    OwnTerm("delivery", "How help is given", "The ways the service gives its help."),
    OwnTerm("delivery/in-person", "In person", "Help is given face to face, at a venue."),
    OwnTerm("delivery/online", "Online", "Help is given online, for example by video call."),
    OwnTerm("delivery/phone", "By phone", "Help is given by phone."),
    OwnTerm("delivery/home-visit", "Home visits", "Help is given at the family's home."),
    OwnTerm("waiting-time", "Waiting time",
            "How long families wait for help, as the service last confirmed it."),
    OwnTerm(f"waiting-time/{WaitingStatus.OPEN}", "Taking referrals now",
            "The service is taking new referrals and has no waiting list."),
    OwnTerm(f"waiting-time/{WaitingStatus.WAITLIST}", "Waiting list",
            "The service is taking new referrals, with a waiting list."),
    OwnTerm(f"waiting-time/{WaitingStatus.CLOSED}", "Not taking new referrals",
            "The service is not taking new referrals at the moment."),
    OwnTerm("waiting-time/weeks", "Wait in weeks",
            "The usual wait, in whole weeks; the attribute's value is the number of weeks."),
    OwnTerm("waiting-time/confirmed-on", "Waiting time confirmed on",
            "When the service last confirmed its waiting time; the attribute's value is the "
            "date (YYYY-MM-DD)."),
    OwnTerm("waiting-time/note", "Waiting time note",
            "What the service says about its wait; the attribute's value is the note."),
)
OWN_TERM_BY_CODE = {term.code: term for term in OWN_TERMS}
TAXONOMIES = (CATEGORIES, DIRECTORY)
assert all(f"access-route/{route}" in OWN_TERM_BY_CODE for route in AccessRoute.ALL)
assert all(f"delivery/{mode}" in OWN_TERM_BY_CODE for mode in DeliveryMode.ALL)
assert all(f"waiting-time/{status}" in OWN_TERM_BY_CODE for status in WaitingStatus.ALL)
