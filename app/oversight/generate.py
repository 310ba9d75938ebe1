"""flask oversight generate: a year of synthetic activity at county scale, for trying the
oversight pages and measuring them (bench/oversight.py).

Everything it makes is marked: services and organisations have ids starting "synthetic-",
referrals carry no personal data at all (no names, no contact details: only who referred
and, for professionals, which kind) and their privacy notice version is "synthetic". Rows
go in with bulk inserts, not one ORM object at a time.
"""

import random
import time
from collections import Counter
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import yaml
from flask import current_app
from sqlalchemy import func, insert, select, text

from app.dates import add_working_days, is_working_day, local_date
from app.extensions import db
from app.models import (
    AccessRoute,
    Area,
    Category,
    DirectorySettings,
    Organisation,
    Referral,
    ReferralEvent,
    ReferralStatus,
    SearchRecord,
    Service,
    WaitingTime,
)
from app.models.activity import ActivityCount, ActivityKind
from app.models.directory import service_area, service_category, utcnow
from app.referrals.lifecycle import CLOSE_OUTCOMES, DECLINE_REASONS, REFERENCE_ALPHABET

PREFIX = "synthetic-"
DAYS = 365
CHUNK = 50_000
# Real outcodes of each Surrey district, for searches (only the outcode is ever kept).
OUTCODES = {
    "elmbridge": ["KT7", "KT8", "KT10", "KT11", "KT12", "KT13"],
    "epsom-and-ewell": ["KT17", "KT18", "KT19"],
    "guildford": ["GU1", "GU2", "GU3", "GU4", "GU5", "GU23"],
    "mole-valley": ["RH3", "RH4", "RH5", "KT22", "KT23", "KT24"],
    "reigate-and-banstead": ["RH1", "RH2", "RH6", "SM7", "KT20"],
    "runnymede": ["KT15", "KT16", "TW20"],
    "spelthorne": ["TW15", "TW16", "TW17", "TW18", "TW19"],
    "surrey-heath": ["GU15", "GU16", "GU17", "GU18", "GU19", "GU20"],
    "tandridge": ["RH7", "RH8", "RH9", "CR3", "CR6"],
    "waverley": ["GU6", "GU7", "GU8", "GU9", "GU10", "GU26", "GU27"],
    "woking": ["GU21", "GU22", "GU24"],
}
# What families type, most frequent first (Zipf-like weights), and words for a long tail.
PHRASES = [
    "anxiety", "parenting course", "autism", "adhd", "youth club", "counselling", "speech and language",
    "send support", "family support", "my son is anxious and won't go to school", "bereavement",
    "domestic abuse", "young carers", "breastfeeding", "self harm", "mentoring", "short breaks",
    "stay and play", "bullying", "food bank", "debt advice", "holiday club", "eating disorder",
    "sleep problems", "teenager behaviour", "school refusal", "dyslexia", "anger management",
    "postnatal depression", "toddler tantrums", "cannabis", "county lines", "separation", "housing",
    "autism assessment", "ehcp", "online safety", "gender identity", "fostering", "young parents",
]
TAIL_WORDS = ["help", "support", "group", "teen", "child", "mum", "dad", "worried", "angry", "sad",
              "school", "sleep", "eating", "friends", "therapy", "play", "baby", "money", "weekend",
              "evening", "online", "free", "local", "course", "worker", "nurse", "advice", "carer"]


def generate(*, services: int = 150, referrals: int = 20_000, searches: int = 500_000,
             seed: int = 1) -> dict[str, Any]:
    """Make it all and commit; returns what was made. Raises ValueError when synthetic
    data is already there."""
    started = time.perf_counter()
    rng = random.Random(seed)
    now = utcnow()
    today = local_date(now)
    first = today - timedelta(days=DAYS - 1)
    if db.session.scalar(select(func.count()).select_from(Service).where(Service.id.startswith(PREFIX))):
        raise ValueError("this database already has synthetic services: use a fresh database")
    _ensure_taxonomy()
    areas = list(db.session.scalars(select(Area.id).order_by(Area.id)))
    leaves = list(db.session.scalars(select(Category.id).where(
        ~Category.id.in_(select(Category.parent_id).where(Category.parent_id.is_not(None))))
        .order_by(Category.position)))
    made = _services(rng, services, areas, leaves, first)
    _waits(rng, made, first, today)
    referral_count, event_count, starts = _referrals(rng, made, referrals, first, today, now)
    activity_rows = _activity(rng, made, starts, first, today)
    _searches(rng, searches, areas, leaves, first, now)
    if db.engine.dialect.name == "postgresql":  # ids given explicitly: move the sequence on
        db.session.execute(text("SELECT setval(pg_get_serial_sequence('referral', 'id'), "
                                "(SELECT max(id) FROM referral))"))
    db.session.commit()
    # Fresh statistics after a bulk load, so the query planner knows how the rows spread.
    db.session.execute(text("ANALYZE"))
    db.session.commit()
    return {"services": len(made), "referrals": referral_count, "referral events": event_count,
            "activity counts": activity_rows, "searches": searches,
            "seconds": round(time.perf_counter() - started, 1)}


def _ensure_taxonomy() -> None:
    """Districts, categories and the directory's settings from services.yml, if missing."""
    if db.session.scalar(select(func.count()).select_from(Area)):
        return
    data = yaml.safe_load(Path(current_app.config["SERVICES_FILE"]).read_text(encoding="utf-8"))
    if not db.session.get(DirectorySettings, 1):
        block = data["directory"]
        db.session.add(DirectorySettings(id=1, name=block["name"], area=block["area"],
                                         safeguarding=block["safeguarding"]))
    db.session.execute(insert(Area), [{"id": a["id"], "name": a["name"], "lad_code": a["lad_code"]}
                                      for a in data["areas"]])
    parents = [c for c in data["categories"] if not c.get("parent")]
    children = [c for c in data["categories"] if c.get("parent")]
    for batch in (parents, children):  # parents first, for the foreign key
        db.session.execute(insert(Category), [
            {"id": c["id"], "name": c["name"], "description": c.get("description", ""),
             "keywords": c.get("keywords", []), "parent_id": c.get("parent"),
             "position": data["categories"].index(c)} for c in batch])


def _services(rng: random.Random, count: int, areas: list[str], leaves: list[str],
              first: date) -> list[dict]:
    organisations = [{"id": f"{PREFIX}org-{n:02d}", "name": f"Synthetic organisation {n}"}
                     for n in range(1, max(2, count // 6) + 1)]
    db.session.execute(insert(Organisation), organisations)
    # Some kinds of help are common, some rare: that is what leaves gaps to find.
    category_weights = [rng.choice((1, 2, 4, 8)) for _ in leaves]
    rows, categories, places = [], [], []
    for n in range(1, count + 1):
        service_id = f"{PREFIX}{n:03d}"
        county_wide = rng.random() < 0.12
        access = rng.choices(AccessRoute.ALL, weights=(3, 4, 3))[0]
        chosen = set(rng.choices(leaves, weights=category_weights, k=rng.choice((1, 1, 2))))
        rows.append({
            "id": service_id, "organisation_id": rng.choice(organisations)["id"],
            "name": f"Synthetic service {n}", "summary": "A synthetic service for measuring.",
            "description": "Synthetic.", "kind": rng.choice(("council", "commissioned", "community")),
            "access": access, "free": True, "cost_note": "", "delivery": ["in-person"], "languages": [],
            "keywords": [], "covers_all_areas": county_wide, "status": "published",
            "last_reviewed": first + timedelta(days=rng.randint(0, DAYS - 1)),
            "popularity": rng.uniform(0.3, 3.0),
        })
        categories += [{"service_id": service_id, "category_id": c} for c in chosen]
        if not county_wide:
            places += [{"service_id": service_id, "area_id": a}
                       for a in set(rng.choices(areas, k=rng.choice((1, 1, 1, 1, 2))))]
    db.session.execute(insert(Service), [{k: v for k, v in row.items() if k != "popularity"} for row in rows])
    db.session.execute(insert(service_category), categories)
    db.session.execute(insert(service_area), places)
    return rows


def _waits(rng: random.Random, services: list[dict], first: date, today: date) -> None:
    """A history per service: a confirmation every few weeks, the wait drifting; some stop
    confirming (stale)."""
    rows = []
    for service in services:
        day = first - timedelta(days=rng.randint(0, 60))
        weeks = rng.randint(0, 20)
        stops = today - timedelta(days=rng.randint(70, 200)) if rng.random() < 0.15 else today
        while day <= stops:
            weeks = max(0, min(52, weeks + rng.randint(-3, 4)))
            status = "closed" if rng.random() < 0.06 else ("open" if weeks == 0 else "waitlist")
            rows.append({"service_id": service["id"], "status": status,
                         "weeks": weeks if status == "waitlist" else None, "confirmed_on": day,
                         "source": "provider", "recorded_by": "synthetic",
                         "recorded_at": datetime.combine(day, datetime.min.time()) + timedelta(hours=10)})
            day += timedelta(days=rng.randint(14, 70))
    db.session.execute(insert(WaitingTime), rows)


def _reference(number: int) -> str:
    code = ""
    for _ in range(6):
        number, digit = divmod(number, len(REFERENCE_ALPHABET))
        code += REFERENCE_ALPHABET[digit]
    return f"EH-{code[:4]}-{code[4:]}"


def _moment(rng: random.Random, day: date, first_hour: float = 7, last_hour: float = 21.9) -> datetime:
    return datetime.combine(day, datetime.min.time()) + timedelta(hours=rng.uniform(first_hour, last_hour))


def _weekday_biased_day(rng: random.Random, first: date, days: int = DAYS) -> date:
    while True:
        day = first + timedelta(days=rng.randrange(days))
        if is_working_day(day) or rng.random() < 0.3:
            return day


def _referrals(rng: random.Random, services: list[dict], count: int, first: date, today: date,
               now: datetime) -> tuple[int, int, Counter]:
    """Referrals to self-referral services, each with its history up to now."""
    targets = [s for s in services if s["access"] == AccessRoute.SELF_REFERRAL] or services
    weights = [s["popularity"] for s in targets]
    taken = set(db.session.scalars(select(Referral.reference)))
    next_id = (db.session.scalar(select(func.max(Referral.id))) or 0) + 1
    reasons, outcomes = list(DECLINE_REASONS), list(CLOSE_OUTCOMES)
    starts: Counter = Counter()
    referrals, events = [], []
    number = rng.randrange(10**6)
    # In the order they were sent, as ids grow in life (it matters for how rows lie on disk).
    days = [_weekday_biased_day(rng, first, days=DAYS - 1) for _ in range(count)]  # none later today
    for day, sent in sorted((day, _moment(rng, day)) for day in days):
        service = rng.choices(targets, weights=weights)[0]
        starts[(day, service["id"])] += 1 + (rng.random() < 0.45)  # some journeys are abandoned
        number += 1
        while _reference(number) in taken:
            number += 1
        referral_type = rng.choices(("parent", "young-person", "professional"), weights=(55, 10, 35))[0]
        answers: dict[str, Any] = {"referrer_type": referral_type, "synthetic": True}
        if referral_type == "professional":
            answers["referrer"] = {"kind": rng.choices(("school", "health", "other"), weights=(5, 3, 2))[0]}
        history = _history(rng, day, sent, now, reasons, outcomes)
        row = {"id": next_id, "reference": _reference(number), "service_id": service["id"],
               "referrer_type": referral_type, "answers": answers, "consent_given": True,
               "privacy_notice_version": "synthetic", "consent_at": sent, "submitted_at": sent,
               "status": history[-1][0], "updated_at": history[-1][1], "opened_at": None,
               "decided_at": None, "closed_at": None, "referrer_may_follow": False}
        for status, at, _details in history[1:]:
            if row["opened_at"] is None:
                row["opened_at"] = at
            if status in ReferralStatus.DECISIONS and row["decided_at"] is None:
                row["decided_at"] = at
            if status == ReferralStatus.CLOSED:
                row["closed_at"] = at
        referrals.append(row)
        events += [{"referral_id": next_id, "at": at, "status": status,
                    "actor": "family" if status == "new" else "synthetic", "details": details}
                   for status, at, details in history]
        next_id += 1
    for batch in range(0, len(referrals), CHUNK):
        db.session.execute(insert(Referral), referrals[batch:batch + CHUNK])
    events.sort(key=lambda event: event["at"])
    for batch in range(0, len(events), CHUNK):
        db.session.execute(insert(ReferralEvent.__table__), events[batch:batch + CHUNK])
    return len(referrals), len(events), starts


def _history(rng: random.Random, day: date, sent: datetime, now: datetime, reasons: list[str],
             outcomes: list[str]) -> list[tuple[str, datetime, dict]]:
    """The steps a referral went through, stopping at now."""
    steps = [("new", sent, {})]

    def at(working_days_later: int, after: datetime) -> datetime:
        moment = _moment(rng, add_working_days(day, working_days_later), 8, 17)
        return max(moment, after + timedelta(minutes=5))

    opened = at(rng.choices(range(0, 13), weights=(8, 30, 20, 12, 8, 6, 4, 3, 3, 2, 2, 1, 1))[0], sent)
    if opened > now:
        return steps
    steps.append(("opened", opened, {}))
    last = opened
    if rng.random() < 0.3:
        last = at(rng.randint(0, 3), last)
        if last > now:
            return steps
        steps.append(("contacted", last, {}))
    decision_day = max(1, int(rng.triangular(1, 35, 8)))
    kind = rng.choices(("accepted", "waiting-list", "declined", "closed"), weights=(50, 25, 17, 8))[0]
    decided = at(decision_day, last)
    if decided > now:
        return steps
    if kind == "declined":
        reason = rng.choice(reasons)
        steps.append(("declined", decided, {"reason": reason}))
        return steps
    if kind == "closed":
        steps.append(("closed", decided, {"outcome": rng.choice(("no-contact", "family-withdrew"))}))
        return steps
    steps.append((kind, decided, {"estimate_weeks": rng.randint(2, 20)} if kind == "waiting-list" else {}))
    last = decided
    if kind == "waiting-list" and rng.random() < 0.4:
        last = last + timedelta(days=rng.randint(10, 60))
        if last > now:
            return steps
        steps.append(("accepted", last, {}))
    if rng.random() < 0.6:
        last = last + timedelta(days=rng.randint(30, 150))
        if last <= now:
            steps.append(("closed", last, {"outcome": rng.choices(outcomes, weights=(7, 1, 1, 1, 1))[0]}))
    return steps


def _activity(rng: random.Random, services: list[dict], starts: Counter, first: date, today: date) -> int:
    rows = []
    for service in services:
        rate = 6 * service["popularity"]
        for offset in range(DAYS):
            views = int(rng.gammavariate(rate, 1.0))
            if views:
                rows.append({"day": first + timedelta(days=offset), "kind": ActivityKind.SERVICE_VIEW,
                             "service_id": service["id"], "count": views})
    rows += [{"day": day, "kind": ActivityKind.REFERRAL_STARTED, "service_id": service_id, "count": n}
             for (day, service_id), n in starts.items() if day <= today]
    for batch in range(0, len(rows), CHUNK):
        db.session.execute(insert(ActivityCount.__table__), rows[batch:batch + CHUNK])
    return len(rows)


def _searches(rng: random.Random, count: int, areas: list[str], leaves: list[str], first: date,
              now: datetime) -> None:
    phrase_weights = [1 / (rank + 1) for rank in range(len(PHRASES))]
    typical = {phrase: rng.randint(1, 40) for phrase in PHRASES}
    # Where a kind of help is missing, that phrase finds nothing in that district.
    missing = {(phrase, area) for phrase in PHRASES for area in areas if rng.random() < 0.08}
    area_weights = [rng.uniform(0.5, 2) for _ in areas]
    batch: list[dict] = []
    moments = sorted(min(_moment(rng, _weekday_biased_day(rng, first), 6, 23),
                         now - timedelta(minutes=rng.randint(1, 600))) for _ in range(count))
    for searched_at in moments:
        district = rng.choices(areas, weights=area_weights)[0] if rng.random() < 0.8 else None
        outcode = rng.choice(OUTCODES.get(district, ["GU21"])) if district and rng.random() < 0.85 else None
        roll = rng.random()
        if roll < 0.12:
            terms, results = "", rng.randint(5, 80)
        elif roll < 0.27:
            terms = " ".join(rng.sample(TAIL_WORDS, 2))
            results = 0 if rng.random() < 0.35 else rng.randint(1, 30)
        else:
            terms = rng.choices(PHRASES, weights=phrase_weights)[0]
            results = 0 if (terms, district) in missing else max(0, typical[terms] + rng.randint(-3, 3))
        batch.append({"searched_at": searched_at, "terms": terms, "outcode": outcode, "district": district,
                      "result_count": results,
                      "filters": {"category": rng.choice(leaves)} if rng.random() < 0.2 else {}})
        if len(batch) == CHUNK:
            db.session.execute(insert(SearchRecord.__table__), batch)
            batch = []
    if batch:
        db.session.execute(insert(SearchRecord.__table__), batch)
