"""Referrals in real Chromium. A parent refers themselves from a service's page, on a phone
and at desktop width, with JavaScript on and off: every question, a wrong answer or two,
check your answers, consent, the confirmation with its reference, then the tracker (with
the reference and email address, and with the link from the receipt email) says the
referral was sent. And axe-core finds nothing on any page of the journey (empty and with
errors, on the professional's path, which has every question), on the tracker, or on the
staff pages a referral passes through: sign-in, the provider's inbox, the referral and its
next step, the waiting-time form, and the partnership's admin pages. Past the hourly limit a
referral is not sent (a 429 page, answers kept); and a parent can send one from the keyboard
alone, with GOV.UK's yellow focus style on every control."""

import itertools
import re
from urllib.parse import urlsplit

import pyotp
import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from app import rate_limits
from app.extensions import db
from app.models import Notification, Referral
from tests.browser.helpers import press, tab_to
from tests.browser.test_browser_accessibility import FormFindings
from tests.conftest import make_user

pytestmark = pytest.mark.browser

SERVICE = "hearthside-parenting-outreach"  # takes self-referrals; no other browser test changes it
SERVICE_NAME = "Parenting outreach at home"
ORGANISATION = "hearthside-family-partnership"
PASSWORD = "a long enough passphrase"
NEED = "Sam will not go to bed before midnight and the mornings are a battle."
REFERENCE = re.compile(r"EH-[23456789ABCDEFGHJKMNPQRSTVWXYZ]{4}-[23456789ABCDEFGHJKMNPQRSTVWXYZ]{2}")
_numbers = itertools.count(1)


@pytest.fixture(autouse=True)
def fresh_rate_limits(live_server):
    """Each test sends referrals and looks them up from 127.0.0.1: start its counts at nought,
    so the brakes on those forms never depend on what ran before (and leave them at nought,
    for the tests after)."""
    with live_server.app.app_context():
        rate_limits.reset_all()
    yield
    with live_server.app.app_context():
        rate_limits.reset_all()


def refer_path(step: str = "") -> str:
    return f"/services/{SERVICE}/refer" + (f"/{step}" if step else "")


def continue_to(page: Page, step: str, button: str = "Continue") -> None:
    press(page.get_by_role("button", name=button, exact=True))
    expect(page).to_have_url(re.compile(re.escape(refer_path(step)) + "$"))


def expect_error(page: Page, message: str, javascript: bool = True) -> None:
    """GOV.UK's error pattern: the title says so, and the summary at the top links to the field."""
    expect(page).to_have_title(re.compile("^Error: "))
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_contain_text("There is a problem")
    expect(summary.get_by_role("link", name=message)).to_be_visible()
    if javascript:  # GOV.UK Frontend moves focus to the summary, so it is read out first
        expect(summary).to_be_focused()


def tracker_path(url: str) -> str:
    path = urlsplit(url).path
    assert re.fullmatch(r"/referrals/track/[\w-]{20,}", path), url
    return path


def the_referral(live_server, reference: str) -> tuple[Referral, list[Notification]]:
    with live_server.app.app_context():
        referral = db.session.scalar(select(Referral).where(Referral.reference == reference))
        assert referral is not None, reference
        notifications = list(db.session.scalars(
            select(Notification).where(Notification.referral_id == referral.id).order_by(Notification.id)))
        db.session.expunge_all()
        return referral, notifications


# -- a parent refers themselves ----------------------------------------------------------

def test_a_parent_refers_themselves_and_follows_the_referral(page, javascript, live_server):
    email = f"parent{next(_numbers)}@example.org"

    # From the service's page, where families find it.
    page.goto(f"/services/{SERVICE}")
    expect(page.locator("h1")).to_have_text(SERVICE_NAME)
    start = page.get_by_role("button", name="Refer yourself or a family")
    expect(start).to_have_attribute("href", refer_path())  # a link: it works without JavaScript
    press(start)
    expect(page).to_have_url(re.compile(re.escape(refer_path()) + "$"))
    expect(page.locator("h1")).to_have_text("Before you start")
    expect(page.locator("#safeguarding")).to_contain_text("This is not for emergencies")
    continue_to(page, "who", button="Start now")

    # Who: nothing chosen is explained, then a parent.
    expect(page.locator("h1")).to_have_text("Who is making this referral?")
    expect(page).to_have_title(re.compile(r"^Who is making this referral\? – "))
    press(page.get_by_role("button", name="Continue"))
    expect_error(page, "Select who is making this referral", javascript)
    page.get_by_label("A parent or carer").check()
    continue_to(page, "child")

    # The child: an age in words is explained, and the name typed is kept.
    expect(page.locator("h1")).to_have_text("About the child or young person")
    page.get_by_label("Their first name").fill("Sam")
    page.get_by_label("Their age", exact=True).fill("six")
    press(page.get_by_role("button", name="Continue"))
    expect_error(page, "Age must be a whole number, like 7", javascript)
    expect(page.get_by_label("Their first name")).to_have_value("Sam")
    age = page.get_by_label("Their age", exact=True)
    expect(age).to_have_accessible_description(re.compile("Age must be a whole number"))
    age.fill("6")
    continue_to(page, "need")

    # What help: the question names the child; the count of characters left is live with JS.
    need = page.get_by_label("What help does Sam need?")
    expect(need).to_be_visible()
    need.fill(NEED)
    if javascript:
        expect(page.locator(".govuk-character-count__status")).to_contain_text(
            f"You have {1000 - len(NEED)} characters remaining")
    continue_to(page, "details")

    expect(page.locator("h1")).to_have_text("Anything else the service should know")
    page.get_by_label("Language, if not English (optional)").fill("Polish")
    continue_to(page, "contact")

    expect(page.locator("h1")).to_have_text("How can the service contact you?")
    page.get_by_label("Your name").fill("Jo Parent")
    page.get_by_label("Phone number").fill("07700 900982")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Safe times to call (optional)").fill("After 3pm")
    page.get_by_label("Yes", exact=True).check()
    continue_to(page, "privacy")

    # Consent: nothing is sent without it.
    expect(page.locator("h1")).to_have_text("How the details will be used")
    expect(page.locator("main")).to_contain_text("Hearthside")
    press(page.get_by_role("button", name="Continue"))
    expect_error(page, "Select that you agree to share these details, or contact the service another way",
                 javascript)
    page.get_by_label("I agree to share these details as described above").check()
    continue_to(page, "check")

    # Check your answers: everything given, and nothing saved yet.
    expect(page.locator("h1")).to_have_text("Check your answers before sending the referral")
    answers = page.locator("main")
    for text in ("A parent or carer", "Sam", "6 years old", NEED, "Polish", "Jo Parent",
                 "07700 900982", email, "After 3pm"):
        expect(answers).to_contain_text(text)
    expect(page.get_by_role("link", name="Change help needed")).to_have_attribute(
        "href", refer_path("need") + "?change=1")
    with live_server.app.app_context():
        assert db.session.scalar(select(Referral).where(Referral.contact_email == email)) is None
    press(page.get_by_role("button", name="Send referral"))

    # Sent: a reference, and a link to follow it.
    expect(page).to_have_url(re.compile(re.escape(refer_path("confirmation")) + "$"))
    expect(page.locator(".govuk-panel__title")).to_have_text("Referral sent")
    reference = page.locator(".app-reference").inner_text().strip()
    assert REFERENCE.fullmatch(reference), reference
    expect(page.locator("h1")).to_have_text("Referral sent")
    confirmation_link = page.locator("main a", has_text="/referrals/track/")
    tracker = tracker_path(confirmation_link.get_attribute("href") or "")

    referral, notifications = the_referral(live_server, reference)
    assert (referral.status, referral.service_id, referral.referrer_type) == ("new", SERVICE, "parent")
    assert referral.consent_given and referral.contact_email == email
    assert referral.answers["child"]["first_name"] == "Sam" and referral.answers["child"]["age"] == 6
    assert referral.answers["need"] == NEED
    receipts = [n for n in notifications if n.kind == "referral.receipt"]
    assert [n.to for n in receipts] == [email]
    emailed = re.search(r"https?://\S+/referrals/track/\S+", receipts[0].body)
    assert emailed, receipts[0].body
    assert tracker_path(emailed.group(0)) == tracker  # the page and the email give one link

    # Following it with the reference (typed as people do) and the email address.
    page.goto("/referrals/track")
    expect(page.locator("h1")).to_have_text("Follow a referral")
    page.get_by_label("Reference").fill(reference.lower().replace("-", " "))
    page.get_by_label("Email address").fill("someone.else@example.org")
    press(page.get_by_role("button", name="Find the referral"))
    expect_error(page, "We could not find a referral with that reference and email address. "
                       "Check them and try again", javascript)
    page.get_by_label("Email address").fill(email)
    press(page.get_by_role("button", name="Find the referral"))
    expect(page).to_have_url(re.compile(r"/referrals/track/found$"))
    expect_sent(page, reference)

    # And with the link from the receipt email, with no cookies (the link is all it takes).
    page.context.clear_cookies()
    page.goto(tracker)
    expect_sent(page, reference)


def expect_sent(page: Page, reference: str) -> None:
    """The tracker for a referral the service has received and not yet read."""
    expect(page).to_have_title(re.compile(f"^Referral {reference} – "))
    expect(page.locator("h1")).to_have_text(f"Sent to {SERVICE_NAME}")
    main = page.locator("main")
    expect(main).to_contain_text("The service will read the referral and get in touch.")
    expect(main).to_contain_text(reference)
    expect(main).to_contain_text("Hearthside Family Partnership")
    expect(page.locator(".app-referral-history")).to_have_count(0)  # one step so far
    # Nothing anyone wrote in the referral is on this page.
    for private in ("Sam", "Jo Parent", "07700", "midnight"):
        expect(main).not_to_contain_text(private)


def answer_as_a_parent(page: Page, email: str) -> None:
    """From the service's page to check your answers, with the fewest answers there can be."""
    page.goto(refer_path())
    continue_to(page, "who", button="Start now")
    page.get_by_label("A parent or carer").check()
    continue_to(page, "child")
    page.get_by_label("Their first name").fill("Sam")
    page.get_by_label("Their age", exact=True).fill("6")
    continue_to(page, "need")
    page.get_by_label("What help does Sam need?").fill(NEED)
    continue_to(page, "details")
    continue_to(page, "contact")
    page.get_by_label("Your name").fill("Jo Parent")
    page.get_by_label("Email address").fill(email)
    continue_to(page, "privacy")
    page.get_by_label("I agree to share these details as described above").check()
    continue_to(page, "check")


@pytest.mark.parametrize("device", ["phone"])
def test_too_many_referrals_from_one_connection(js_page, live_server, monkeypatch):
    """Past REFERRAL_RATE_LIMIT an hour from one address, the referral is not sent: the page
    (a 429) says when to try again, and the answers are kept."""
    page, findings = js_page, FormFindings(js_page)
    email = f"busy{next(_numbers)}@example.org"
    answer_as_a_parent(page, email)
    monkeypatch.setitem(live_server.app.config, "REFERRAL_RATE_LIMIT", 1)
    with live_server.app.app_context():  # one referral already sent from this connection
        rate_limits.hit("referral-submit", rate_limits.HOUR, "127.0.0.1")
    with page.expect_response(lambda r: r.request.method == "POST"
                              and r.url.endswith(refer_path("check"))) as sent:
        press(page.get_by_role("button", name="Send referral"))
    assert sent.value.status == 429
    expect(page.locator("h1")).to_have_text("Too many referrals have been sent from this connection")
    expect(page).to_have_title(re.compile(f"^Too many referrals sent – {SERVICE_NAME} – "))
    findings.check("too many referrals")
    with live_server.app.app_context():
        assert db.session.scalar(select(Referral).where(Referral.contact_email == email)) is None
    press(page.get_by_role("link", name="Go back to your answers"))
    expect(page.locator("h1")).to_have_text("Check your answers before sending the referral")
    expect(page.locator("main")).to_contain_text(email)
    assert not findings.problems, str(findings)


# -- from the keyboard alone -------------------------------------------------------------

FOCUS_YELLOW = "rgb(255, 221, 0)"  # GOV.UK's focus colour, #ffdd00

# The focused element's outline, box shadow and background, and for a radio or a checkbox
# those of its label's ::before (the circle or box that GOV.UK draws in its place).
_FOCUS_LOOK = """() => {
  const el = document.activeElement;
  const look = (s) => ({
    outline: s.outlineStyle !== "none" && parseFloat(s.outlineWidth) > 0 ? s.outlineColor : "",
    shadow: s.boxShadow === "none" ? "" : s.boxShadow, background: s.backgroundColor});
  const looks = [look(getComputedStyle(el))];
  if ((el.type === "radio" || el.type === "checkbox") && el.labels.length)
    looks.push(look(getComputedStyle(el.labels[0], "::before")));
  return looks;
}"""


def expect_govuk_focus(page: Page, what: str) -> None:
    """The focused element shows GOV.UK's focus style: an outline or a box shadow, in yellow
    (or on a yellow background, as links and buttons are)."""
    looks = page.evaluate(_FOCUS_LOOK)
    assert any((look["outline"] or look["shadow"])
               and FOCUS_YELLOW in look["outline"] + look["shadow"] + look["background"]
               for look in looks), f"no GOV.UK focus style on {what} at {page.url}: {looks}"


def key_to(page: Page, what: str, *, text: str | None = None, element_id: str | None = None) -> None:
    """Tab to the control (helpers.tab_to checks focus is visible on the way) and check it
    has GOV.UK's yellow focus style."""
    tab_to(page, lambda el: (text is None or el["text"] == text)
           and (element_id is None or el["id"] == element_id))
    expect_govuk_focus(page, what)


@pytest.mark.parametrize("device", ["desktop"])
def test_the_focus_check_can_fail(js_page):
    """Focus shown some other way than GOV.UK's (here, a blue outline) is not taken for it."""
    js_page.goto(f"/services/{SERVICE}")
    # A style element with the page's own CSP nonce: an inline one without it is refused.
    js_page.evaluate("""css => {
        const style = document.createElement("style");
        style.nonce = document.querySelector("script[nonce]").nonce;
        style.textContent = css;
        document.head.appendChild(style);
    }""", "*:focus { outline: 3px solid blue !important;"
          " box-shadow: none !important; background: none !important; }")
    tab_to(js_page, lambda el: el["text"] == "Refer yourself or a family")
    with pytest.raises(AssertionError, match="no GOV.UK focus style"):
        expect_govuk_focus(js_page, "the start button")


@pytest.mark.parametrize("device", ["desktop"])
def test_a_parent_refers_themselves_by_keyboard_alone(js_page, live_server):
    """Tab, Enter and Space only, from the service's page to "Send referral", with focus
    visible all the way."""
    page, keyboard = js_page, js_page.keyboard
    email = f"keys{next(_numbers)}@example.org"

    page.goto(f"/services/{SERVICE}")
    key_to(page, "the start button", text="Refer yourself or a family")
    keyboard.press("Space")  # a link that looks like a button works as a button too
    expect(page.locator("h1")).to_have_text("Before you start")
    key_to(page, "Start now", text="Start now")
    keyboard.press("Enter")
    expect(page.locator("h1")).to_have_text("Who is making this referral?")

    # Nothing chosen: the error summary takes focus, and its link leads to the question.
    key_to(page, "Continue", text="Continue")
    keyboard.press("Space")
    expect_error(page, "Select who is making this referral")
    key_to(page, "the error's link", text="Select who is making this referral")
    keyboard.press("Enter")
    parent = page.get_by_label("A parent or carer")
    expect(parent).to_be_focused()
    keyboard.press("Space")
    expect(parent).to_be_checked()
    expect_govuk_focus(page, "A parent or carer")
    key_to(page, "Continue", text="Continue")
    keyboard.press("Enter")

    expect(page.locator("h1")).to_have_text("About the child or young person")
    key_to(page, "first name", element_id="first_name")
    keyboard.type("Sam")
    key_to(page, "age", element_id="age")
    keyboard.type("6")
    key_to(page, "Continue", text="Continue")
    keyboard.press("Enter")

    expect(page.get_by_label("What help does Sam need?")).to_be_visible()
    key_to(page, "what help", element_id="need")
    keyboard.type(NEED)
    key_to(page, "Continue", text="Continue")
    keyboard.press("Enter")

    expect(page.locator("h1")).to_have_text("Anything else the service should know")
    key_to(page, "language", element_id="language")
    keyboard.type("Polish")
    key_to(page, "Continue", text="Continue")
    keyboard.press("Enter")

    expect(page.locator("h1")).to_have_text("How can the service contact you?")
    for element_id, typed in (("name", "Jo Parent"), ("phone", "07700 900982"), ("email", email)):
        key_to(page, element_id, element_id=element_id)
        keyboard.type(typed)
    key_to(page, "safe to leave a message: Yes", element_id="leave_message")
    keyboard.press("Space")
    expect(page.get_by_label("Yes", exact=True)).to_be_checked()
    key_to(page, "Continue", text="Continue")
    keyboard.press("Enter")

    expect(page.locator("h1")).to_have_text("How the details will be used")
    key_to(page, "consent", element_id="agree")
    keyboard.press("Space")
    expect(page.get_by_label("I agree to share these details as described above")).to_be_checked()
    key_to(page, "Continue", text="Continue")
    keyboard.press("Enter")

    expect(page.locator("h1")).to_have_text("Check your answers before sending the referral")
    for text in ("Sam", "6 years old", NEED, "Polish", "Jo Parent", "07700 900982", email):
        expect(page.locator("main")).to_contain_text(text)
    key_to(page, "Send referral", text="Send referral")
    keyboard.press("Enter")
    expect(page.locator(".govuk-panel__title")).to_have_text("Referral sent")
    reference = page.locator(".app-reference").inner_text().strip()
    referral, _notifications = the_referral(live_server, reference)
    assert referral.contact_email == email and referral.answers["need"] == NEED


# -- every page in axe-core --------------------------------------------------------------

def sign_in(page: Page, email: str, secret: str, findings: FormFindings | None = None) -> None:
    """Password, then security code; checking each page, empty and wrong, on the way."""
    expect(page).to_have_url(re.compile(r"/sign-in"))
    if findings:
        findings.check("sign-in")
        press(page.get_by_role("button", name="Sign in"))
        expect_error(page, "Enter your email address")
        findings.check("sign-in, nothing entered")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    press(page.get_by_role("button", name="Sign in"))
    expect(page.locator("h1")).to_have_text("Enter your security code")
    code = pyotp.TOTP(secret).now()
    if findings:
        findings.check("security code")
        page.get_by_label("Security code").fill("000000" if code != "000000" else "111111")
        press(page.get_by_role("button", name="Continue"))
        expect_error(page, "The security code is not right. Check your app and try again.")
        findings.check("security code, wrong")
    page.get_by_label("Security code").fill(code)
    press(page.get_by_role("button", name="Continue"))


def test_every_referral_and_staff_page_in_axe(js_page, device, live_server):
    page, findings = js_page, FormFindings(js_page)
    n = next(_numbers)
    family, professional = f"family{n}@example.org", f"teacher{n}@school.example.org"

    def question(step: str, heading: str, error: str, wrong=None) -> None:
        """A question in its empty state, then after a wrong (or no) answer."""
        expect(page).to_have_url(re.compile(re.escape(refer_path(step)) + "$"))
        expect(page.locator("h1")).to_have_text(heading)
        findings.check(step)
        if wrong:
            wrong()
        press(page.get_by_role("button", name="Continue"))
        expect_error(page, error)
        findings.check(f"{step}, with an error")

    # The professional's path asks every question there is.
    page.goto(refer_path())
    expect(page.locator("h1")).to_have_text("Before you start")
    findings.check("before you start")
    continue_to(page, "who", button="Start now")
    question("who", "Who is making this referral?", "Select who is making this referral")
    page.get_by_label("A professional, on behalf of a family").check()
    continue_to(page, "family-agreed")

    question("family-agreed", "Has the family agreed to this referral?",
             "Select yes if the family has agreed to this referral")
    page.get_by_label("No", exact=True).check()
    continue_to(page, "not-agreed")
    expect(page.locator("h1")).to_have_text("You need the family's agreement first")
    findings.check("family not agreed")
    press(page.get_by_role("link", name="Back", exact=True))
    expect(page).to_have_url(re.compile(re.escape(refer_path("family-agreed")) + "$"))
    page.get_by_label("Yes", exact=True).check()
    continue_to(page, "professional")

    question("professional", "Your details", "Enter your full name")
    page.get_by_label("In a school or college").check()
    page.get_by_label("Full name").fill("Pat Teacher")
    page.get_by_label("Job title").fill("Designated safeguarding lead")
    page.get_by_label("Organisation").fill("Example Primary School")
    page.get_by_label("Work email address").fill(professional)
    continue_to(page, "updates")

    question("updates", "Has the family agreed that you can be told how the referral goes?",
             "Select yes if the family has agreed that you can be told how the referral goes")
    page.get_by_label("Yes", exact=True).check()
    continue_to(page, "child")

    question("child", "About the child or young person", "Date of birth must be a real date, like 27 3 2014",
             wrong=lambda: (page.get_by_label("Day").fill("31"), page.get_by_label("Month").fill("2"),
                            page.get_by_label("Year").fill("2016")))
    page.get_by_label("Their first name").fill("Sam")
    page.get_by_label("Day").fill("3")
    continue_to(page, "need")

    question("need", "What help does Sam need?", "Enter what help is needed")
    page.get_by_label("What help does Sam need?").fill(NEED)
    continue_to(page, "details")

    language = page.get_by_label("Language, if not English (optional)")
    question("details", "Anything else the service should know",
             "Language must be 100 characters or fewer", wrong=lambda: language.fill("x" * 101))
    language.fill("")
    continue_to(page, "contact")

    question("contact", "How can the service contact the family?",
             "Enter the name of the parent or carer to contact")
    page.get_by_label("Name of the parent or carer to contact").fill("Jo Parent")
    page.get_by_label("Email address").fill(family)
    continue_to(page, "privacy")

    question("privacy", "How the details will be used",
             "Select that you agree to share these details, or contact the service another way")
    page.get_by_label("I agree to share these details as described above").check()
    continue_to(page, "check")
    expect(page.locator("main")).to_contain_text("Pat Teacher")
    findings.check("check your answers")
    press(page.get_by_role("button", name="Send referral"))
    expect(page.locator(".govuk-panel__title")).to_have_text("Referral sent")
    findings.check("confirmation")
    reference = page.locator(".app-reference").inner_text().strip()
    link = page.locator("main a", has_text="/referrals/track/").get_attribute("href")
    referrer_tracker = tracker_path(link or "")

    # The tracker: by link, and by reference and email address.
    page.goto(referrer_tracker)
    expect(page.locator("h1")).to_have_text(f"Sent to {SERVICE_NAME}")
    findings.check("tracker, by link")
    page.goto("/referrals/track")
    findings.check("follow a referral")
    press(page.get_by_role("button", name="Find the referral"))
    expect_error(page, "Enter your reference, like EH-7K4M-2Q")
    findings.check("follow a referral, nothing entered")
    page.get_by_label("Reference").fill(reference)
    page.get_by_label("Email address").fill(family)
    press(page.get_by_role("button", name="Find the referral"))
    # The professional typed the family's address: the family's view goes to its inbox.
    expect(page.locator("h1")).to_have_text("Check your email")
    findings.check("link emailed to the family")
    page.goto("/referrals/track")
    page.get_by_label("Reference").fill(reference)
    page.get_by_label("Email address").fill(professional)
    press(page.get_by_role("button", name="Find the referral"))
    expect(page.locator("h1")).to_have_text(f"Sent to {SERVICE_NAME}")
    findings.check("tracker, by reference")

    # The provider reads it and puts it on the waiting list.
    with live_server.app.app_context():
        provider = make_user(f"provider{n}@hearthside.example.org", organisations=(ORGANISATION,))
        admin = make_user(f"admin{n}@partnership.example.org", role="admin")
        provider_login = (provider.email, provider.totp_secret)
        admin_login = (admin.email, admin.totp_secret)
    page.goto("/provider/")
    sign_in(page, *provider_login, findings=findings)
    expect(page.locator("h1")).to_have_text("Your services")
    findings.check("provider home")
    press(page.get_by_role("link", name="Referrals", exact=True))
    expect(page.locator("h1")).to_have_text("Referrals")
    row = page.locator(".app-card", has_text=reference)
    expect(row).to_contain_text("New")
    findings.check("provider inbox")
    press(row.get_by_role("link", name=reference))
    expect(page.locator("h1")).to_have_text(f"Referral {reference}")
    expect(page.locator("main")).to_contain_text("Pat Teacher, Designated safeguarding lead")
    findings.check("a referral")
    # Reading it told the family nothing: that is this explicit step.
    expect(page.locator("main .govuk-tag").first).to_have_text("New")
    press(page.get_by_role("link", name="Tell the family you have read the referral"))
    expect(page.locator("h1")).to_have_text("Tell the family you have read the referral")
    findings.check("telling the family it has been read")
    press(page.get_by_role("button", name="Save and tell the family"))
    expect(page.locator(".govuk-notification-banner")).to_contain_text(f"Referral {reference} updated")
    press(page.get_by_role("link", name="Put the referral on the waiting list"))
    expect(page.locator("h1")).to_have_text("Put the referral on the waiting list")
    findings.check("a referral's next step")
    press(page.get_by_role("button", name="Save and tell the family"))
    expect_error(page, "Enter about how many weeks the family will wait, like 6")
    findings.check("a referral's next step, with an error")
    page.get_by_label("About how many weeks will the family wait?").fill("6")
    press(page.get_by_role("button", name="Save and tell the family"))
    expect(page.locator(".govuk-notification-banner")).to_contain_text(f"Referral {reference} updated")
    findings.check("a referral, just updated")

    page.goto(referrer_tracker)  # the family let the professional follow it
    expect(page.locator("h1")).to_have_text("On the waiting list")
    expect(page.locator(".app-referral-history > li")).to_have_count(3)  # sent, read, waiting list
    findings.check("tracker, with a history")

    page.goto(f"/provider/services/{SERVICE}/waiting-time")
    expect(page.locator("h1")).to_have_text(f"Waiting time: {SERVICE_NAME}")
    findings.check("waiting-time form")
    page.get_by_label("Yes, with a waiting list").check()
    page.get_by_label("About how many weeks is the wait?").fill("")
    press(page.get_by_role("button", name="Publish waiting time"))
    expect_error(page, "Enter about how many weeks")  # nothing published
    findings.check("waiting-time form, with an error")
    press(page.get_by_role("button", name="Sign out"))
    expect(page.locator(".govuk-notification-banner")).to_contain_text("You have signed out")

    # The partnership's admin pages.
    page.goto("/admin/")
    sign_in(page, *admin_login)
    expect(page.locator("h1")).to_have_text("Partnership admin")
    findings.check("admin home")
    for path, heading in (("/admin/users", "People and access"), ("/admin/oversight/", "Oversight"),
                          ("/admin/oversight/referrals", "Referrals"), ("/admin/audit-log", "Audit log")):
        page.goto(path)
        expect(page.locator("h1")).to_have_text(re.compile(heading))
        findings.check(f"admin: {heading}")
    expect(page.locator("tbody")).to_contain_text("referral.status_changed")
    assert not findings.problems, str(findings)
