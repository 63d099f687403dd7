"""``citykg serve`` in headless Chromium: home page → entity page → stored query result.

Uses Debian's ``chromium`` (``/usr/bin/chromium``) through the ``playwright``
package; never lets Playwright download a browser. Saves screenshots to
``tests/artifacts/``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from server_fixtures import Server, dump_for_tests, running_server

pytestmark = [pytest.mark.server, pytest.mark.slow]

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]


@pytest.fixture(scope="module")
def server(request: pytest.FixtureRequest,
           tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with running_server(dump_for_tests(request), tmp_path_factory.mktemp("serve-browser")) as s:
        yield s


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    if not CHROMIUM.exists():
        pytest.skip("Debian's chromium is not installed (/usr/bin/chromium): apt-get install chromium")
    sync_api = pytest.importorskip("playwright.sync_api", reason="pip install playwright")
    with sync_api.sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS, headless=True)
        yield b
        b.close()


def test_home_to_entity_to_stored_query(server: Server, browser: object) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page = browser.new_page(viewport={"width": 1200, "height": 900})  # type: ignore[attr-defined]
    failed: list[str] = []
    page.on("requestfailed", lambda r: failed.append(r.url))
    offsite: list[str] = []
    page.on("request", lambda r: offsite.append(r.url) if not r.url.startswith(server.url) else None)

    page.goto(server.url + "/")
    assert page.title().startswith("citykg")
    page.click('a.class-link[href="/class/Network"]')
    page.wait_for_url("**/class/Network")
    page.click('a.entity-link[href="/page/network/c40"]')
    page.wait_for_url("**/page/network/c40")
    assert "C40" in page.inner_text("h1#label")
    assert page.locator("ul.citations li").count() > 0
    page.screenshot(path=str(ARTIFACTS / "server-entity-page.png"), full_page=True)

    page.goto(server.url + "/")
    form = page.locator('form[action="/queries/networks/members-of-network"]')
    form.locator('input[name="network"]').fill("https://w3id.org/citykg/id/network/c40")
    form.locator('button[type="submit"]').click()
    page.wait_for_url("**/queries/networks/members-of-network?**")
    page.wait_for_selector("table.results")
    assert "result" in page.inner_text("#result-count")
    page.screenshot(path=str(ARTIFACTS / "server-stored-query.png"), full_page=True)
    assert (ARTIFACTS / "server-stored-query.png").stat().st_size > 1000
    assert failed == [] and offsite == []
    page.close()


def test_query_page_runs_a_query_and_shows_a_table(server: Server, browser: object) -> None:
    page = browser.new_page()  # type: ignore[attr-defined]
    page.goto(server.url + "/query")
    page.click("#run-query")
    page.wait_for_selector("#query-results table.results tbody tr")
    assert page.locator("#query-results table.results tbody tr").count() > 0
    assert "rows in" in page.inner_text("#query-status")
    page.fill("#query-text", "SELECT * WHERE { SERVICE <http://127.0.0.1:9/x> { ?s ?p ?o } }")
    page.click("#run-query")
    # A selector, not wait_for_function: polling a string predicate needs eval, which the
    # page's Content-Security-Policy (rightly) forbids.
    page.wait_for_selector("#query-status:has-text('400')")
    assert "not allowed" in page.inner_text("#query-status") + page.inner_text("#query-results")
    page.screenshot(path=str(ARTIFACTS / "server-query-page.png"), full_page=True)
    page.close()



def _images_loaded(page: object, selector: str) -> list[str]:
    """The src of every image under ``selector`` that has not loaded as a picture."""
    # The figures are computed on first request (analytics tables over the whole graph):
    # seconds on an idle machine, past Playwright's default 30 s on a loaded CI machine.
    page.wait_for_load_state("networkidle", timeout=300_000)  # type: ignore[attr-defined]
    imgs = page.locator(selector)  # type: ignore[attr-defined]
    bad = []
    for i in range(imgs.count()):
        img = imgs.nth(i)
        img.scroll_into_view_if_needed()
        ok = img.evaluate("e => e.complete && e.naturalWidth > 100")
        if not ok:
            bad.append(img.get_attribute("src"))
    return bad


def test_city_and_country_pages_show_their_figures_and_report(server: Server, browser: object) -> None:
    """A twinned city's page shows its twinning figures; a country's report has map, timeline,
    network drawing, hubs chart and hubs table, from the same code as `citykg report`."""
    ARTIFACTS.mkdir(exist_ok=True)
    page = browser.new_page(viewport={"width": 1200, "height": 900})  # type: ignore[attr-defined]
    failed: list[str] = []
    page.on("requestfailed", lambda r: failed.append(r.url))
    page.goto(server.url + "/page/city/q456")  # Lyon
    assert page.locator("figure#figure-twins img").count() == 1
    assert _images_loaded(page, ".figures img") == []
    page.screenshot(path=str(ARTIFACTS / "server-city-figures.png"), full_page=True)

    page.goto(server.url + "/page/country/q183")  # Germany
    assert page.locator(".figures img").count() == 4
    assert _images_loaded(page, ".figures img") == []
    page.click("a.report-link")
    page.wait_for_url("**/report/country/q183")
    assert "Germany" in page.inner_text("h1#report-title")
    for name in ("map", "timeline", "network", "hubs"):
        assert page.locator(f"figure#figure-{name} img").count() == 1, name
    assert _images_loaded(page, ".figures img") == []
    hubs = page.locator('table[data-table="hubs"] tbody tr')
    assert hubs.count() > 5
    assert "Berlin" in hubs.first.inner_text()
    page.screenshot(path=str(ARTIFACTS / "server-country-report.png"), full_page=True)
    svg = page.request.get(server.url + "/figures/network/country/q183")
    assert svg.ok and svg.headers["content-type"].startswith("image/svg+xml")
    csv_text = page.request.get(server.url + "/tables/hubs/country/q183").text()
    assert csv_text.splitlines()[0].startswith("node,label,country_label,degree")
    assert failed == []
    page.close()


def test_network_page_and_report_show_the_covenant_figures(server: Server, browser: object) -> None:
    """The Covenant of Mayors' page shows its map, timeline, network drawing and hubs; its
    report page adds the coordination drawing and the coordinators table."""
    ARTIFACTS.mkdir(exist_ok=True)
    page = browser.new_page(viewport={"width": 1200, "height": 900})  # type: ignore[attr-defined]
    page.goto(server.url + "/page/network/covenant-of-mayors")
    for name in ("map", "timeline", "network", "hubs"):
        assert page.locator(f"figure#figure-{name} img").count() == 1, name
    assert _images_loaded(page, ".figures img") == []
    page.screenshot(path=str(ARTIFACTS / "server-network-figures.png"), full_page=True)
    page.click("a.report-link")
    page.wait_for_url("**/report/network/covenant-of-mayors")
    assert "Covenant of Mayors" in page.inner_text("h1#report-title")
    assert page.locator("figure#figure-coordination img").count() == 1
    assert _images_loaded(page, ".figures img") == []
    assert page.locator('table[data-table="coordinators"] tbody tr').count() > 10
    assert page.locator('table[data-table="adhesions-per-year"] tbody tr').count() >= 16
    page.screenshot(path=str(ARTIFACTS / "server-network-report.png"), full_page=True)
    page.close()
