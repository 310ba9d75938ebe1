"""What the browser tests look for in a page: axe-core's findings, headings, results."""

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from playwright.sync_api import JSHandle, Locator, Page

ROOT = Path(__file__).resolve().parents[2]
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
AXE_URL = "/__tests__/axe-core"  # where the test server serves AXE's folder


# -- what every page must satisfy in the browser -----------------------------------------

# WCAG 2.2's new level A criteria have no axe-core rule; its AA one (target size) is wcag22aa.
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]

_AXE_RUN = """async (tags) => {
  const results = await axe.run(document, {runOnly: {type: "tag", values: tags},
                                           resultTypes: ["violations"]});
  if (!results.passes.length) throw new Error("axe-core ran no rule that passed: " + tags);
  return results.violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.map(n => n.target.join(" ") + " :: " + n.failureSummary)}));
}"""


def axe_violations(page: Page) -> list[dict[str, Any]]:
    """axe-core's WCAG 2.0/2.1/2.2 A and AA violations on the page as it is now."""
    page.wait_for_load_state()  # styles applied and GOV.UK Frontend's scripts run
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.add_script_tag(url=f"{AXE_URL}/{AXE.name}")
    return page.evaluate(_AXE_RUN, WCAG_TAGS)


def format_violations(violations: list[dict[str, Any]]) -> str:
    lines = []
    for v in violations:
        lines.append(f"{v['id']} ({v['impact']}): {v['help']}")
        lines.extend(f"    {node}" for node in v["nodes"][:5])
    return "\n".join(lines)


def h1_texts(page: Page) -> list[str]:
    return [text.strip() for text in page.locator("h1").all_inner_texts()]


def result_links(page: Page) -> Locator:
    return page.locator("ol.app-service-list > li h2 a")


def result_count(page: Page) -> int:
    text = page.locator("#result-count").inner_text()
    match = re.match(r"(\d+) services? found", text)
    assert match, text
    return int(match.group(1))


def press(locator: Locator) -> None:
    """Tap on a phone, click on a desktop."""
    viewport = locator.page.viewport_size
    if viewport and viewport["width"] < 600:
        locator.tap()
    else:
        locator.click()


def follow_menu_link(page: Page, name: str) -> None:
    """Follow a link in the site menu, opening it first where it is folded (phone, JS on)."""
    page.wait_for_load_state()  # the menu folds away when its script has run
    toggle = page.locator(".govuk-service-navigation__toggle")
    if toggle.is_visible():
        press(toggle)
    press(page.locator(".govuk-service-navigation").get_by_role("link", name=name))


# -- nothing hidden from screen readers ----------------------------------------------------

_HIDDEN_TEXT = """() => [...document.querySelectorAll("[aria-hidden=true]")]
  .filter(el => el.textContent.trim() && el.getClientRects().length)
  .filter(el => !(el.matches(".govuk-warning-text__icon")
                  && el.parentElement.querySelector(".govuk-visually-hidden")?.textContent.trim()))
  .map(el => el.outerHTML.slice(0, 120))"""


def text_hidden_from_screen_readers(page: Page) -> list[str]:
    """Shown text that screen readers are told to skip (GOV.UK's "!" icon is allowed: its
    warning says "Important" to them instead)."""
    return page.evaluate(_HIDDEN_TEXT)


# -- keyboard only -------------------------------------------------------------------------

_ACTIVE = """() => {
  const el = document.activeElement;
  return {tag: el.tagName.toLowerCase(), id: el.id, href: el.getAttribute("href"),
          text: (el.innerText || el.value || el.getAttribute("aria-label") || "").trim(),
          in_results: !!el.closest("ol.app-service-list")};
}"""

_FOCUS_STYLE = """el => {
  const pick = (s) => ({
    outline: s.outlineStyle !== "none" && parseFloat(s.outlineWidth) > 0
             && !/^(transparent|rgba\\(.*,\\s*0\\))$/.test(s.outlineColor)
             ? `${s.outlineStyle} ${s.outlineWidth} ${s.outlineColor}` : "none",
    boxShadow: s.boxShadow, background: s.backgroundColor,
    border: `${s.borderTopColor} ${s.borderBottomColor} ${s.borderBottomWidth}`});
  const own = pick(getComputedStyle(el));
  const label = (el.type === "checkbox" || el.type === "radio") && el.labels.length
    ? pick(getComputedStyle(el.labels[0], "::before")) : null;
  const box = el.getBoundingClientRect();
  return {own, label, shown: box.width > 0 && box.height > 0};
}"""


def _focus_indicator(focused: dict[str, Any], unfocused: dict[str, Any]) -> bool:
    """Whether focus visibly changes an outline, shadow, background or border."""
    return focused["own"] != unfocused["own"] or focused["label"] != unfocused["label"]


def tab_to(page: Page, wanted: Callable[[dict[str, Any]], bool], most: int = 80) -> dict[str, Any]:
    """Press Tab until the focused element is the one wanted (a test on its description),
    checking on the way that every element focused is shown and visibly focused.
    Returns the description of the element reached."""
    page.wait_for_load_state()  # scripts may move focus when they start (error summaries)
    previous: tuple[JSHandle, dict[str, Any], dict[str, Any]] | None = None  # while focused
    for _ in range(most):
        page.keyboard.press("Tab")
        if previous:
            _check_focus_was_visible(page, *previous)
        description = page.evaluate(_ACTIVE)
        if description["tag"] == "body":
            previous = None
            continue
        handle = page.evaluate_handle("document.activeElement")
        style = handle.evaluate(_FOCUS_STYLE)
        assert style["shown"], f"focus is on something not shown: {description}"
        if wanted(description):
            # Step off and back on to see this one without focus too (Tab keys only).
            page.keyboard.press("Shift+Tab")
            _check_focus_was_visible(page, handle, description, style)
            page.keyboard.press("Tab")
            assert page.evaluate(_ACTIVE) == description
            return description
        previous = (handle, description, style)
    raise AssertionError(f"not reached with {most} presses of Tab on {page.url}")


def _check_focus_was_visible(page: Page, handle: JSHandle, description: dict[str, Any],
                             focused: dict[str, Any]) -> None:
    unfocused = handle.evaluate(_FOCUS_STYLE)
    assert _focus_indicator(focused, unfocused), (
        f"no visible focus on {description} at {page.url}: {focused} vs {unfocused}")
