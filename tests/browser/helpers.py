"""What the browser tests look for in a page: axe-core's findings, headings, results."""

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from playwright.sync_api import JSHandle, Locator, Page

from tests.markup import MARKUP_AS_TEXT

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


# -- what a person sees: reflow at 320 CSS px, and no markup shown as text ------------------

REFLOW_WIDTH = 320  # WCAG 2.1 SC 1.4.10: 1280 px at 400% zoom

# The document must not scroll sideways at 320 px. Only an oversight data table may be wider,
# and then only inside its own scroll container that is labelled and can take focus (so a
# keyboard can scroll it); any other box that scrolls sideways is a failure too.
_REFLOW = """() => {
  const root = document.documentElement, width = root.clientWidth;
  const describe = (el) => el.outerHTML.slice(0, 160).replace(/\\s+/g, " ");
  const allowed = (el) => location.pathname.startsWith("/admin/oversight")
    && el.matches(".app-table-scroll[role=region][tabindex='0']:is([aria-label], [aria-labelledby])");
  const problems = [];
  if (root.scrollWidth > width) {
    const wide = [...document.body.querySelectorAll("*")].filter((el) => {
      if (el.closest(".govuk-visually-hidden, .govuk-skip-link")) return false;
      const box = el.getBoundingClientRect();
      return box.width && box.right > width + 1;
    });
    const outermost = wide.filter((el) => !wide.includes(el.parentElement)).slice(0, 4);
    problems.push(`the page is ${root.scrollWidth} px wide: ` + outermost.map(describe).join(" | "));
  }
  for (const el of document.body.querySelectorAll("*")) {
    const overflow = getComputedStyle(el).overflowX;
    if ((overflow === "auto" || overflow === "scroll") && el.scrollWidth > el.clientWidth + 1
        && !allowed(el)) {
      problems.push(`scrolls sideways (${el.scrollWidth} px in ${el.clientWidth}): ${describe(el)}`);
    }
  }
  return problems;
}"""


def reflow_problems(page: Page) -> list[str]:
    """What scrolls sideways when the page is 320 CSS px wide (the viewport is put back)."""
    viewport = page.viewport_size or {"width": 1280, "height": 800}
    page.set_viewport_size({"width": REFLOW_WIDTH, "height": viewport["height"]})
    try:
        page.wait_for_function(f"document.documentElement.clientWidth <= {REFLOW_WIDTH}")
        return page.evaluate(_REFLOW)
    finally:
        page.set_viewport_size(viewport)



_SHOWN_TEXT = """() => {
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  const texts = [];
  while (walker.nextNode()) {
    const node = walker.currentNode, parent = node.parentElement;
    if (!node.textContent.trim() || parent.closest("pre, code, script, style, noscript, textarea")) continue;
    texts.push(node.textContent);
  }
  texts.push(document.title);
  for (const field of document.querySelectorAll("input:not([type=hidden]), textarea")) {
    texts.push(field.value);
  }
  return texts;
}"""


def markup_shown_as_text(page: Page) -> list[str]:
    """Text in the page (and in its form fields) that is markup shown as text."""
    return [text.strip()[:160] for text in page.evaluate(_SHOWN_TEXT)
            if re.search(MARKUP_AS_TEXT, text)]


def what_a_person_sees(page: Page) -> list[str]:
    """Reflow at 320 px and markup shown as text: run on every page state the tests check."""
    problems = [f"at {REFLOW_WIDTH} px: {p}" for p in reflow_problems(page)]
    problems += [f"markup shown as text: {t!r}" for t in markup_shown_as_text(page)]
    return problems
