"""The emails a referral sends: to the family, the referrer and the provider. Never a
child's details: a reference and a link."""


from typing import Any

from flask import current_app
from flask_babel import force_locale, gettext
from werkzeug.routing import BuildError

from app.models.referrals import Referral, ReferralEvent, ReferrerType
from app.notifications.links import public_url
from app.notifications.outbox import queue_email

# -- the emails (never a child's details) ----------------------------------------------------

def page_link(endpoint: str, **values: Any) -> str:
    try:
        return public_url(endpoint, **values)
    except BuildError:  # a blueprint not registered in this app
        return current_app.config["PUBLIC_BASE_URL"].rstrip("/") + "/"


def _family_locale(referral: Referral) -> str:
    language = (referral.answers or {}).get("language") or "en"
    return language if language in current_app.config["LANGUAGES"] else "en"


def queue_submitted_emails(referral: Referral, family_token: str,
                            referrer_token: str | None) -> None:
    service = referral.service
    if service.referral_email:
        with force_locale("en"):
            queue_email(
                service.referral_email, gettext("New referral %(ref)s", ref=referral.reference),
                gettext("You have a new referral for %(service)s, reference %(ref)s.\n\n"
                        "Sign in to read it:\n%(link)s\n\n"
                        "For the family's privacy, this email does not contain their details.",
                        service=service.name, ref=referral.reference, link=page_link("provider.home")),
                kind="referral.new", referral=referral, key=f"{referral.reference}:new:provider")
    receipts = [("family", referral.contact_email, family_token)]
    if referrer_token:
        receipts.append(("referrer", referral.referrer_email, referrer_token))
    for role, address, token in receipts:
        if address:
            with force_locale(_family_locale(referral)):
                queue_email(address, gettext("Your referral %(ref)s has been sent", ref=referral.reference),
                            _receipt_body(referral, token, to_family=role == "family"),
                            kind="referral.receipt", referral=referral,
                            key=f"{referral.reference}:receipt:{role}")


def _receipt_body(referral: Referral, token: str, *, to_family: bool) -> str:
    if not to_family:
        # The professional is told which service it went to. The family's emails do not
        # name it: a family's inbox can be shared.
        opening = gettext("Your referral to %(service)s has been sent. The reference is %(ref)s.",
                          service=referral.service.name, ref=referral.reference)
    elif referral.referrer_type == ReferrerType.PROFESSIONAL:
        opening = gettext("A professional has sent a referral for your family, with your agreement. "
                          "The reference is %(ref)s.", ref=referral.reference)
    else:
        opening = gettext("Your referral has been sent. Your reference is %(ref)s.",
                          ref=referral.reference)
    return "\n".join([
        opening, "",
        gettext("The service will read it and get in touch. You can see what is happening "
                "with it here (keep this link to yourself):"),
        page_link("referrals.track", token=token), "",
        gettext("If you are worried about a child's safety, do not wait: if a child is in "
                "immediate danger, call 999."),
    ])


def queue_update_emails(referral: Referral, event: ReferralEvent) -> None:
    recipients = []
    if referral.contact_email:
        recipients.append(("family", referral.contact_email))
    if referral.referrer_may_follow and referral.referrer_email:
        recipients.append(("referrer", referral.referrer_email))
    for role, address in recipients:
        with force_locale(_family_locale(referral)):
            queue_email(address, gettext("Update on referral %(ref)s", ref=referral.reference),
                        _update_body(referral), kind="referral.update", referral=referral,
                        key=f"{referral.reference}:event-{event.id}:{role}")


def _update_body(referral: Referral) -> str:
    return "\n".join([
        gettext("There is an update on referral %(ref)s.", ref=referral.reference), "",
        gettext("To see it, open the link in the first email we sent you, or enter the "
                "reference and this email address here:"),
        page_link("referrals.find"),
    ])
