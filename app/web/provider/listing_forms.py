"""The listing form: everything about a service a provider can change.

The form only collects text; what is valid is decided by the same checks as an import of
services.yml (directory_file), whose problems are put back on the form's fields with
messages for people rather than for a file.
"""

import re
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import (
    GovCheckboxesInput,
    GovRadioInput,
    GovSelect,
    GovSubmitInput,
    GovTextArea,
    GovTextInput,
)
from sqlalchemy import select
from wtforms import (
    FieldList,
    Form,
    FormField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
)
from wtforms.validators import InputRequired, Length

from app.directory.directory_file import DAYS, Problem
from app.directory.listing_fields import MAX_REASON
from app.extensions import db
from app.models import AccessRoute, Area, Category, Service, ServiceKind
from app.web.templating import language_name
from app.web.text_fields import TextAreaField

DAY_CHOICES = [("mon", _l("Monday")), ("tue", _l("Tuesday")), ("wed", _l("Wednesday")),
               ("thu", _l("Thursday")), ("fri", _l("Friday")), ("sat", _l("Saturday")),
               ("sun", _l("Sunday"))]
assert [day for day, _label in DAY_CHOICES] == list(DAYS)


class LocationForm(Form):
    name = StringField(_l("Name of the place"), widget=GovTextInput())
    address = StringField(_l("Address"), widget=GovTextInput(),
                          description=_l("One line, like 1 Example Road, Woking"))
    postcode = StringField(_l("Postcode"), widget=GovTextInput())


class ScheduleForm(Form):
    days = SelectMultipleField(_l("Days"), widget=GovCheckboxesInput(), choices=DAY_CHOICES,
                               validate_choice=False)
    opens = StringField(_l("Opens at"), widget=GovTextInput(), description=_l("24-hour time, like 09:30"))
    closes = StringField(_l("Closes at"), widget=GovTextInput(), description=_l("24-hour time, like 17:00"))
    note = StringField(_l("Note (optional)"), widget=GovTextInput(), description=_l("Like: Term time only"))


class ListingForm(FlaskForm):
    name = StringField(_l("Name of the service"), widget=GovTextInput())
    summary = StringField(_l("Summary"), widget=GovTextInput(),
                          description=_l("One sentence, up to 200 characters, shown in search results"))
    description = TextAreaField(_l("Description"), widget=GovTextArea(),
                                description=_l("Plain text. Leave a blank line between paragraphs."))
    kind = RadioField(_l("Kind of provider"), widget=GovRadioInput(), validate_choice=False, choices=[
        (ServiceKind.COUNCIL, _l("Council service")),
        (ServiceKind.COMMISSIONED, _l("Commissioned service")),
        (ServiceKind.COMMUNITY, _l("Community organisation")),
        (ServiceKind.SCHOOL, _l("School-based"))])
    access = RadioField(_l("How do families get this help?"), widget=GovRadioInput(),
                        validate_choice=False, choices=[
        (AccessRoute.DROP_IN, _l("They drop in: no referral needed")),
        (AccessRoute.SELF_REFERRAL, _l("They can refer themselves")),
        (AccessRoute.PROFESSIONAL_REFERRAL, _l("A professional refers them"))])
    categories = SelectMultipleField(_l("Kinds of help"), widget=GovCheckboxesInput(),
                                     validate_choice=False,
                                     description=_l("Select all that apply"))
    areas = SelectMultipleField(_l("Areas covered"), widget=GovCheckboxesInput(), validate_choice=False,
                                description=_l("Select the whole county, or the districts and boroughs"))
    age_min = StringField(_l("Youngest age (optional)"), widget=GovTextInput(),
                          description=_l("In years, a whole number"))
    age_max = StringField(_l("Oldest age (optional)"), widget=GovTextInput(),
                          description=_l("In years, a whole number"))
    eligibility = TextAreaField(_l("Who it is for (optional)"), widget=GovTextArea(),
                                description=_l("Like: Parents and carers living in Woking"))
    free = RadioField(_l("Is it free?"), widget=GovRadioInput(), validate_choice=False,
                      choices=[("yes", _l("Yes, it is free")), ("no", _l("No, there is a cost"))])
    cost_note = TextAreaField(_l("About the cost (optional)"), widget=GovTextArea(),
                              description=_l("Like: £2 a session, free for families on benefits"))
    delivery = SelectMultipleField(_l("How is it offered?"), widget=GovCheckboxesInput(),
                                   validate_choice=False, choices=[
        ("in-person", _l("In person")), ("online", _l("Online")), ("phone", _l("By phone")),
        ("home-visit", _l("Home visits"))])
    # Named languages to tick (those the directory already uses), and any other by its code.
    languages = SelectMultipleField(_l("Languages"), widget=GovCheckboxesInput(), validate_choice=False,
                                    description=_l("Select every language the service is offered in"))
    other_languages = StringField(_l("Other languages (optional)"), widget=GovTextInput(),
                                  description=_l("Two-letter codes separated by commas, like ro, ti"))
    contact_phone = StringField(_l("Phone (optional)"), widget=GovTextInput())
    contact_email = StringField(_l("Email (optional)"), widget=GovTextInput())
    contact_website = StringField(_l("Website (optional)"), widget=GovTextInput(),
                                  description=_l("Starting https://"))
    referral_email = StringField(
        _l("Email for new self-referrals"), widget=GovTextInput(),
        description=_l("Not shown to the public. Needed when families can refer themselves"))
    locations = FieldList(FormField(LocationForm), min_entries=0)
    schedule = FieldList(FormField(ScheduleForm), min_entries=0)
    keywords = StringField(_l("Extra search words (optional)"), widget=GovTextInput(),
                           description=_l("Words families might search for, separated by commas"))
    reason = TextAreaField(_l("Why are you making this change?"), widget=GovTextArea(),
                           description=_l("The partnership reads this before publishing it"),
                           validators=[InputRequired(_l("Say why you are making this change")),
                                       Length(max=MAX_REASON,
                                              message=_l("Keep the reason to 2000 characters or fewer"))])
    add_location = SubmitField(_l("Add another location"), widget=GovSubmitInput())
    add_times = SubmitField(_l("Add more opening times"), widget=GovSubmitInput())
    submit = SubmitField(_l("Send for approval"), widget=GovSubmitInput())

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        categories = list(db.session.scalars(select(Category).order_by(Category.position)))
        names = {category.id: category.name for category in categories}
        self.categories.choices = [
            (c.id, f"{names[c.parent_id]}: {c.name}" if c.parent_id in names else c.name)
            for c in categories]
        self.category_groups = [(c, [child for child in categories if child.parent_id == c.id])
                                for c in categories if c.parent_id is None]
        self.languages.choices = language_choices()
        known = {code for code, _name in self.languages.choices}
        chosen = list(self.languages.data or [])
        if not self.other_languages.data and any(code not in known for code in chosen):
            self.other_languages.data = ", ".join(code for code in chosen if code not in known)
        self.areas.choices = [("all", _("All of the county"))] + [
            (area.id, area.name) for area in db.session.scalars(select(Area).order_by(Area.name))]

    def add_blank_entries(self) -> None:
        """One empty location and one empty set of opening times, to add without scripts."""
        if not self.locations.entries or any(self.locations.entries[-1].data.values()):
            self.locations.append_entry()
        last = self.schedule.entries[-1].data if self.schedule.entries else None
        if last is None or any(last.values()):
            self.schedule.append_entry()

    def wants_another(self) -> bool:
        return bool(self.add_location.data or self.add_times.data)


class NewListingForm(ListingForm):
    organisation = SelectField(_l("Organisation"), widget=GovSelect(), validate_choice=False)
    reason = TextAreaField(_l("Anything the partnership should know? (optional)"), widget=GovTextArea(),
                           validators=[Length(max=MAX_REASON)])
    submit = SubmitField(_l("Send for approval"), widget=GovSubmitInput())


# -- between the form and a services.yml entry ------------------------------------------

def form_data(fields: dict[str, Any]) -> dict[str, Any]:
    """Listing fields (services/listing_changes) as the form's data."""
    ages = fields["ages"]
    return {
        "name": fields["name"], "summary": fields["summary"], "description": fields["description"],
        "kind": fields["kind"], "access": fields["access"], "categories": fields["categories"],
        "areas": fields["areas"],
        "age_min": "" if ages["age_min"] is None else str(ages["age_min"]),
        "age_max": "" if ages["age_max"] is None else str(ages["age_max"]),
        "eligibility": fields["eligibility"] or "",
        "free": "yes" if fields["cost"]["free"] else "no", "cost_note": fields["cost"]["cost_note"],
        "delivery": fields["delivery"], "languages": list(fields["languages"]), "other_languages": "",
        "contact_phone": fields["contact_phone"] or "", "contact_email": fields["contact_email"] or "",
        "contact_website": fields["contact_website"] or "",
        "referral_email": fields["referral_email"] or "",
        "locations": [{"name": p.get("name", ""), "address": p.get("address", ""),
                       "postcode": p.get("postcode", "")} for p in fields["locations"]],
        "schedule": [{"days": s.get("days", []), "opens": s.get("opens", ""),
                      "closes": s.get("closes", ""), "note": s.get("note", "")}
                     for s in fields["schedule"]],
        "keywords": ", ".join(fields["keywords"]),
    }


def language_choices() -> list[tuple[str, str]]:
    """English first, then every language a listing in the directory uses, by name in the
    page's language, with the code for anyone who knows it."""
    used = {code for codes in db.session.scalars(select(Service.languages)) for code in codes or []
            if re.fullmatch(r"[a-z]{2,3}", code)}
    codes = sorted(used - {"en"} | {"pl", "uk"}, key=language_name)
    return [(code, f"{language_name(code)} ({code})") for code in ["en", *codes]]


def _text(value: str | None) -> str | None:
    value = (value or "").strip()
    return value or None


def _number(value: str | None) -> Any:
    """A whole number when it is one; otherwise the text, for the check to refuse."""
    value = (value or "").strip()
    if not value:
        return None
    return int(value) if re.fullmatch(r"[0-9]{1,4}", value) else value


def _words(value: str | None) -> list[str]:
    return [word.strip() for word in (value or "").split(",") if word.strip()]


class EntryFromForm:
    """The services.yml entry the form describes, remembering which form row each
    location and opening time came from (empty rows are left out)."""

    def __init__(self, form: ListingForm, service_id: str, organisation_id: str,
                 current_locations: list[dict] | None = None):
        self.location_rows: list[int] = []
        self.schedule_rows: list[int] = []
        locations = []
        for row, entry in enumerate(form.locations.entries):
            place = {key: _text(entry.form[key].data) for key in ("name", "address", "postcode")}
            if not any(place.values()):
                continue
            self.location_rows.append(row)
            item = {key: value for key, value in place.items() if value is not None}
            # Coordinates given in the directory file stay while the place is unchanged.
            old = (current_locations or [])[row] if row < len(current_locations or []) else None
            if old and "latitude" in old and all(old.get(k) == place[k] for k in place):
                item["latitude"], item["longitude"] = old["latitude"], old["longitude"]
            locations.append(item)
        schedule = []
        for row, entry in enumerate(form.schedule.entries):
            slot = {"days": list(entry.form.days.data or []), "opens": _text(entry.form.opens.data),
                    "closes": _text(entry.form.closes.data), "note": _text(entry.form.note.data)}
            if not (slot["days"] or slot["opens"] or slot["closes"] or slot["note"]):
                continue
            self.schedule_rows.append(row)
            schedule.append({key: value for key, value in slot.items() if value is not None})
        eligibility = {"age_min": _number(form.age_min.data), "age_max": _number(form.age_max.data),
                       "description": _text(form.eligibility.data)}
        contact = {"phone": _text(form.contact_phone.data), "email": _text(form.contact_email.data),
                   "website": _text(form.contact_website.data)}
        self.entry: dict[str, Any] = {
            "id": service_id, "organisation": organisation_id,
            "name": _text(form.name.data), "summary": _text(form.summary.data),
            "description": _text(form.description.data), "kind": form.kind.data or None,
            "categories": list(form.categories.data or []), "areas": list(form.areas.data or []),
            "access": form.access.data or None,
            "eligibility": {key: value for key, value in eligibility.items() if value is not None},
            "free": form.free.data != "no", "cost_note": _text(form.cost_note.data) or "",
            "delivery": list(form.delivery.data or []), "languages": list(dict.fromkeys(
                [*(form.languages.data or []), *_words(form.other_languages.data)])),
            "contact": {key: value for key, value in contact.items() if value is not None},
            "referral_email": _text(form.referral_email.data),
            "locations": locations, "schedule": schedule, "keywords": _words(form.keywords.data),
        }

    # -- problems back onto the form ----------------------------------------------------

    def field_for(self, form: ListingForm, path: str):
        """The form field a problem's path (like service.locations[1].postcode) is about."""
        parts = re.findall(r"[a-z_]+|\[\d+\]", path.split(".", 1)[1] if "." in path else "")
        if not parts:
            return form.name
        head = parts[0]
        if head in ("locations", "schedule"):
            rows = self.location_rows if head == "locations" else self.schedule_rows
            entries = form.locations.entries if head == "locations" else form.schedule.entries
            index = int(parts[1][1:-1]) if len(parts) > 1 and parts[1].startswith("[") else 0
            entry = entries[rows[index]] if index < len(rows) else entries[0]
            sub = parts[2] if len(parts) > 2 else ("name" if head == "locations" else "days")
            return entry.form[sub] if sub in entry.form else entry.form[next(iter(entry.form._fields))]
        if head == "eligibility":
            sub = parts[1] if len(parts) > 1 else "description"
            return {"age_min": form.age_min, "age_max": form.age_max}.get(sub, form.eligibility)
        if head == "contact":
            sub = parts[1] if len(parts) > 1 else "phone"
            return form[f"contact_{sub}"]
        if head in ("id", "organisation"):
            return form.name
        return form._fields.get(head, form.name)

    def put_problems(self, form: ListingForm, problems: list[Problem]) -> None:
        for problem in problems:
            target = self.field_for(form, problem.path)
            message = friendly_message(target, problem)
            if not target.errors:
                target.errors = [message]


def friendly_message(target, problem: Problem) -> str:
    """The check's message, said for a person filling in a form."""
    name = target.short_name
    text = problem.message
    label = str(target.label.text).replace(" (optional)", "")
    if ("required field missing" in text or "must not be empty" in text or "must list at least one" in text
            or "required for a self-referral" in text):
        return {
            "name": _("Enter the name of the service"), "summary": _("Enter a summary"),
            "description": _("Enter a description"), "kind": _("Select the kind of provider"),
            "access": _("Select how families get this help"),
            "categories": _("Select at least one kind of help"),
            "areas": _("Select the areas the service covers"),
            "delivery": _("Select how the service is offered"),
            "referral_email": _("Enter the email address for new self-referrals: families can refer "
                                "themselves"),
            "days": _("Select the days for these opening times"),
            "opens": _("Enter the opening time, like 09:30"),
            "closes": _("Enter the closing time, like 17:00"),
        }.get(name, _("Enter %(label)s", label=label.lower()))
    if "give at least one of phone, email or website" in text:
        return _("Give at least one of phone, email or website")
    if "is not a phone number" in text:
        return _("Enter a phone number with 10 to 13 digits, like 01632 960 001")
    if "is not an email address" in text:
        return _("Enter an email address in the correct format, like name@example.org")
    if "is not a web address" in text:
        return _("Enter a website address starting https://")
    if name in ("age_min", "age_max"):
        if "is below age_min" in text:
            return _("The oldest age must be the same as or more than the youngest age")
        return _("Enter the age as a whole number from 0 to 120")
    if "characters long" in text:
        most = re.search(r"at most (\d+)", text)
        return _("%(label)s must be %(max)s characters or fewer", label=label,
                 max=most.group(1) if most else "200")
    if "must be one line" in text:
        return _("%(label)s must be one line", label=label)
    if "'all' covers every area" in text:
        return _("Select the whole county or some districts, not both")
    if name == "languages":
        return _("Enter languages as two-letter codes separated by commas, like en, pl")
    if name in ("opens", "closes"):
        if "not after it opens" in text:
            return _("The closing time must be after the opening time")
        return _("Enter a 24-hour time, like 09:30")
    if name == "postcode":
        return _("Enter a full UK postcode, like GU21 6XX")
    if "lists the same value twice" in text:
        return _("%(label)s lists the same thing twice", label=label)
    return f"{label}: {text}"


def error_list(form: ListingForm) -> list[dict[str, str]]:
    """The error summary, in the order of the form, each linked to its field."""
    found = []

    def walk(fields) -> None:
        for item in fields:
            if isinstance(item, FieldList):
                for entry in item.entries:
                    walk(entry.form)
            elif item.errors and item.type not in ("CSRFTokenField", "SubmitField"):
                found.append({"text": item.errors[0], "href": f"#{item.id}"})

    walk(form)
    return found

