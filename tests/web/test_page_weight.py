"""Fast on a phone: each main page, with everything it loads, under 60 KB compressed on a
first visit and 15 KB on a repeat visit (assets cached a year under fingerprinted names),
and nothing fetched from another host."""

import re

import pytest

FIRST_VISIT_BUDGET = 60 * 1024
REPEAT_VISIT_BUDGET = 15 * 1024
ONE_YEAR = 365 * 24 * 3600
BROWSER = {"Accept-Encoding": "gzip, deflate, br"}


def fetch(client, url):
    response = client.get(url, headers=BROWSER)
    assert response.status_code == 200, url
    return response, len(response.get_data())  # bytes as sent, compressed


def assets_of(html: str) -> list[str]:
    links = re.findall(r'<link[^>]+href="(/static/[^"]+)"', html)
    scripts = re.findall(r'<script[^>]+src="(/static/[^"]+)"', html)
    return links + scripts


@pytest.mark.parametrize("url", ["/", "/search?q=parenting+course&postcode=GU21+6AA",
                                 "/services/woking-family-centre"])
def test_first_and_repeat_visits_are_within_budget(surrey, client, url):
    page, page_bytes = fetch(client, url)
    assert page.headers.get("Content-Encoding") in ("br", "gzip")
    html = page.get_data(as_text=True) if not page.headers.get("Content-Encoding") else \
        client.get(url).get_data(as_text=True)
    assert not re.search(r'(src|href)="(https?:)?//', re.sub(r'<a [^>]+>', "", html)), \
        "a page asset comes from another host"
    total, cached_for_a_year = page_bytes, True
    queue = assets_of(html)
    seen = set()
    while queue:
        asset = queue.pop()
        if asset in seen:
            continue
        seen.add(asset)
        response, size = fetch(client, asset)
        total += size
        max_age = int(re.search(r"max-age=(\d+)", response.headers["Cache-Control"]).group(1))
        if asset.endswith((".css", ".mjs", ".js")):
            cached_for_a_year &= max_age >= ONE_YEAR
        if asset.endswith(".mjs"):  # the module imports the component library
            body = client.get(asset).get_data(as_text=True)
            for imported in re.findall(r'from "\./([^"]+)"', body):
                queue.append(asset.rsplit("/", 1)[0] + "/" + imported)
    assert any(a.endswith(".css") for a in seen) and any(a.endswith(".js") for a in seen)
    assert cached_for_a_year, "stylesheets and scripts are cached for a year"
    assert total < FIRST_VISIT_BUDGET, f"{url}: {total} bytes on a first visit"
    assert page_bytes < REPEAT_VISIT_BUDGET, f"{url}: {page_bytes} bytes on a repeat visit"


def test_assets_have_fingerprinted_names(surrey, client):
    html = client.get("/").get_data(as_text=True)
    for asset in assets_of(html):
        if not asset.endswith(".svg"):
            assert re.search(r"\.[0-9a-f]{10}(\.min)?\.(css|mjs|js)$", asset), asset
