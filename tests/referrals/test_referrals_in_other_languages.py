"""A Polish- or Ukrainian-speaking parent finds help and refers their child in their own
language: every page of the journey, with its errors, the confirmation, the receipt email
and the tracker, with no sentence of the site's own English left on them."""

import re
from html import unescape

import pytest
from babel.messages.pofile import read_po
from sqlalchemy import select

from app.extensions import db
from app.models import Notification, Referral
from tests.referrals import referral_support
from tests.referrals.referral_support import post, refer_url, self_referral_service, submit, walk_to_check
from tests.web.test_translations import compiled_catalogues, is_public, label  # noqa: F401 (fixture)

referrals_db = referral_support.referrals_db
SAMPLE_ERROR = {"pl": "Wybierz", "uk": "Виберіть"}  # how "Select ..." messages begin


def site_english(locale: str) -> list[str]:
    """The site's own public English sentences that this language translates differently:
    none of them may be left on a page shown in that language."""
    from tests.web.test_translations import po_path

    with po_path(locale).open("rb") as file:
        catalogue = read_po(file)
    found = []
    for message in catalogue:
        if not message.id or not is_public(message) or not isinstance(message.id, str):
            continue
        english, translated = message.id, message.string
        # Long enough to be a sentence of the site's, not a word a listing might also use.
        if len(english.split()) >= 4 and "%(" not in english and translated and translated != english:
            found.append(english)
    return found


def visible_text(response) -> str:
    html = response.get_data(as_text=True)
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


@pytest.fixture
def service(referrals_db):
    return self_referral_service()


@pytest.mark.parametrize("locale", ["pl", "uk"])
@pytest.mark.parametrize("who", ["parent", "professional"])
def test_the_whole_referral_journey_in_the_familys_language(service, client, locale, who):
    english = site_english(locale)
    assert len(english) > 200, "the check needs the catalogue's sentences"
    pages: dict[str, str] = {}

    def read(name: str, url: str, status: int = 200) -> str:
        response = client.get(url)
        assert response.status_code == status, (name, response.status_code)
        assert f'<html lang="{locale}"' in response.get_data(as_text=True), name
        text = visible_text(response)
        left = [sentence for sentence in english if sentence in text]
        assert not left, f"English left on the {name} page in {locale}: {left[:5]}"
        pages[name] = text
        return text

    read("service", f"/services/{service.id}?lang={locale}")  # the choice is remembered from here
    read("start", refer_url(service.id))
    # A question answered wrongly is explained in the family's language.
    post(client, service.id, "", {}, expect="/who")
    wrong = client.post(refer_url(service.id, "who"), data={})
    assert wrong.status_code == 400
    assert SAMPLE_ERROR[locale] in visible_text(wrong)
    assert not [sentence for sentence in english if sentence in visible_text(wrong)]

    walk_to_check(client, service.id, who)
    steps = ["who", "child", "need", "details", "contact", "privacy"]
    if who == "professional":
        steps += ["family-agreed", "professional", "updates"]
    for step in steps:
        read(step, refer_url(service.id, step) + "?change=1")
    read("check", refer_url(service.id, "check"))

    response, _ = submit(client, service.id)
    confirmation = read("confirmation", response.headers["Location"])
    referral = db.session.scalars(select(Referral)).one()
    assert referral.reference in confirmation
    assert referral.answers["language"] == locale

    # The family's receipt is written in their language too.
    receipt = db.session.scalars(select(Notification).where(
        Notification.kind == "referral.receipt", Notification.to == "jo@example.org")).one()
    assert not [sentence for sentence in english if sentence in receipt.body]
    tracker_link = re.search(r"/referrals/track/[\w-]+", receipt.body)
    assert tracker_link, receipt.body
    read("tracker", tracker_link.group(0))
