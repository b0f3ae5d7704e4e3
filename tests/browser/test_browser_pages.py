"""The dashboard and report pages in a real headless Chromium: content in the DOM, chart, no errors, no XSS."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from browserkit import alert_text, console_errors
from sample_runs import EVIL_NAME

from codi.dashboard.dataset import build_dataset
from codi.dashboard.page import render_page


def _open_dashboard(browser: Any, runs: tuple[Path, list[str]], tmp: Path) -> None:
    root, _ = runs
    page = tmp / "dashboard.html"
    page.write_text(render_page(build_dataset(root, relative_to=tmp)), encoding="utf-8")
    browser.get_log("browser")  # drop what earlier pages logged
    browser.get(page.as_uri())


def test_dashboard_renders_runs_chart_and_no_errors(browser: Any, runs: tuple[Path, list[str]], tmp_path: Path) -> None:
    from selenium.webdriver.common.by import By

    _open_dashboard(browser, runs, tmp_path)
    assert browser.find_element(By.TAG_NAME, "body").get_attribute("data-rendered") == "true"
    rows = browser.find_elements(By.CSS_SELECTOR, "#runs-body tr")
    ids = [r.get_attribute("data-run-id") for r in rows]
    assert sorted(ids) == sorted(runs[1])
    table_text = browser.find_element(By.ID, "runs").text
    for run_id in runs[1]:
        assert run_id in table_text  # visible text, not only embedded JSON
    assert "python" in table_text and "node" in table_text
    stacks = browser.find_element(By.ID, "stacks").text
    assert "python" in stacks and "node" in stacks
    bars = browser.find_elements(By.CSS_SELECTOR, "#chart rect.bar")
    assert len(bars) == 2 * len(runs[1])
    assert all(float(b.get_attribute("height")) > 0 for b in bars if "before" in b.get_attribute("class"))
    links = [a.get_attribute("href") for a in browser.find_elements(By.CSS_SELECTOR, "#runs-body a")]
    assert len(links) == 3 and all(h.endswith("/reports/report.html") for h in links)
    assert "Skipped run folders" in browser.find_element(By.ID, "skipped-section").text
    assert console_errors(browser) == []


def test_dashboard_sorts_and_filters(browser: Any, runs: tuple[Path, list[str]], tmp_path: Path) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    _open_dashboard(browser, runs, tmp_path)
    header = browser.find_element(By.CSS_SELECTOR, "th[data-key='run_id']")
    header.click()
    first = [r.get_attribute("data-run-id") for r in browser.find_elements(By.CSS_SELECTOR, "#runs-body tr")]
    assert first == sorted(runs[1])
    header.click()
    assert [r.get_attribute("data-run-id") for r in browser.find_elements(By.CSS_SELECTOR, "#runs-body tr")] == first[::-1]
    Select(browser.find_element(By.ID, "stack-filter")).select_by_value("node")
    rows = browser.find_elements(By.CSS_SELECTOR, "#runs-body tr")
    assert [r.find_elements(By.TAG_NAME, "td")[1].text for r in rows] == ["node"]
    assert len(browser.find_elements(By.CSS_SELECTOR, "#chart g.bar-group")) == 1


def test_dashboard_does_not_run_injected_html(browser: Any, runs: tuple[Path, list[str]], tmp_path: Path) -> None:
    from selenium.webdriver.common.by import By

    _open_dashboard(browser, runs, tmp_path)
    assert alert_text(browser) is None
    assert browser.execute_script("return window.__codi_pwned === undefined")
    assert browser.find_elements(By.CSS_SELECTOR, "#runs-body img") == []
    assert EVIL_NAME in browser.find_element(By.ID, "runs").text  # shown as text


def test_report_renders_and_does_not_run_injected_html(browser: Any, runs: tuple[Path, list[str]]) -> None:
    from selenium.webdriver.common.by import By

    root, ids = runs
    evil_run = next(i for i in ids if "evil" in i)
    report = root / evil_run / "reports" / "report.html"
    source = report.read_text(encoding="utf-8")
    assert "__codi_pwned" in source  # the LABEL text is in the report, so the check below means something
    browser.get_log("browser")
    browser.get(report.as_uri())
    assert alert_text(browser) is None
    assert browser.execute_script("return window.__codi_pwned === undefined")
    body = browser.find_element(By.TAG_NAME, "body").text
    assert evil_run in body
    assert browser.find_elements(By.CSS_SELECTOR, "body script") == []
    assert console_errors(browser) == []


def test_served_dashboard_renders(browser: Any, runs: tuple[Path, list[str]], tmp_path: Path) -> None:
    """GET /dashboard (fetched with a key) renders the same way, with links to the API's report URLs."""
    from fastapi.testclient import TestClient
    from selenium.webdriver.common.by import By

    from codi.api.app import create_app
    from codi.api.settings import ApiSettings

    settings = ApiSettings(keys=["browser-key"], allowed_roots=[tmp_path], runs_root=runs[0])
    with TestClient(create_app(settings)) as client:
        served = client.get("/dashboard", headers={"X-API-Key": "browser-key"})
    assert served.status_code == 200
    page = tmp_path / "served.html"
    page.write_text(served.text, encoding="utf-8")
    browser.get_log("browser")
    browser.get(page.as_uri())
    assert alert_text(browser) is None
    text = browser.find_element(By.ID, "runs").text
    assert all(run_id in text for run_id in runs[1])
    hrefs = {a.get_attribute("href") for a in browser.find_elements(By.CSS_SELECTOR, "#runs-body a")}
    assert {h.rsplit("/runs/", 1)[-1] for h in hrefs} == {f"{i}/report.html" for i in runs[1]}
    assert console_errors(browser) == []
