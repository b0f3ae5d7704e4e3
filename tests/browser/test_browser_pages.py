"""The dashboard and report pages in a real headless Chromium: content in the DOM, charts, no errors, no XSS."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from browserkit import alert_text, console_errors
from sample_runs import EVIL_NAME, SCAN_RULES

from codi.dashboard.dataset import build_dataset
from codi.dashboard.page import render_page


def _open_dashboard(browser: Any, runs: tuple[Path, list[str]], tmp: Path, lint: list[Path] | None = None) -> None:
    root, _ = runs
    page = tmp / "dashboard.html"
    page.write_text(render_page(build_dataset(root, relative_to=tmp, lint_files=lint or [])), encoding="utf-8")
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
    stacks = browser.find_element(By.ID, "stacks").get_attribute("textContent")  # under the collapsed Diagnostics
    assert "python" in stacks and "node" in stacks
    rows = browser.find_elements(By.CSS_SELECTOR, "#size-chart g.row")
    assert sorted(r.get_attribute("data-project") for r in rows) == sorted(["pyproj", "nodeproj", EVIL_NAME])
    links = [a.get_attribute("href") for a in browser.find_elements(By.CSS_SELECTOR, "#runs-body a")]
    assert len(links) == 3 and all(h.endswith("/reports/report.html") for h in links)
    assert "Skipped run folders" in browser.find_element(By.ID, "skipped-section").text
    assert console_errors(browser) == []


def _texts(browser: Any, css: str) -> list[str]:
    from selenium.webdriver.common.by import By

    return [str(e.get_attribute("textContent")) for e in browser.find_elements(By.CSS_SELECTOR, css)]


def test_dashboard_draws_rules_trend_and_sizes_with_names(browser: Any, runs: tuple[Path, list[str]],
                                                          lint_files: list[Path], tmp_path: Path) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    _open_dashboard(browser, runs, tmp_path, lint_files)
    assert browser.find_element(By.TAG_NAME, "body").get_attribute("data-rendered") == "true"
    data = build_dataset(runs[0], lint_files=lint_files)
    # Findings per rule: by default the newest source (go.json), one bar per rule, "CODE name" as its label.
    newest = data["lint"][0]
    assert newest["source"] == "go.json"
    labels = _texts(browser, "#rule-chart text.label")
    assert sorted(labels) == sorted(f"{c} {data['rules'][c]['name']}" for c in newest["by_rule"])
    assert "CD107 toolchain-final-image" in labels
    assert len(browser.find_elements(By.CSS_SELECTOR, "#rule-chart rect.bar")) == len(newest["by_rule"])
    newest_scan, _, scan_rules = SCAN_RULES[-1]
    Select(browser.find_element(By.ID, "rule-source")).select_by_value(f"scan:{newest_scan}")
    rows = {g.get_attribute("data-code"): g for g in browser.find_elements(By.CSS_SELECTOR, "#rule-chart g.row")}
    assert set(rows) == set(scan_rules)
    dl3008 = rows["DL3008"].find_element(By.CSS_SELECTOR, "text.label").get_attribute("textContent")
    assert dl3008 == "DL3008 apt-get-pin-versions"
    assert rows["DL3008"].find_element(By.CSS_SELECTOR, "text.value").get_attribute("textContent") == "3"
    assert "SC2086 ShellCheck" in _texts(browser, "#rule-chart text.label")
    # Findings over time: a point per scan and per lint report, two named lines, dates on the axis.
    assert len(browser.find_elements(By.CSS_SELECTOR, "#trend-chart circle.point")) == 3 + 3
    legend = _texts(browser, "#trend-chart text.legend-text")
    assert legend == ["fleet scans (3)", "lint reports (3)"]
    dates = _texts(browser, "#trend-chart text.date")
    assert "2026-11-01" in dates and "2026-11-15" in dates
    assert len(browser.find_elements(By.CSS_SELECTOR, "#trend-chart polyline")) == 2
    # Size saved per project: the project names as labels, the estimate marked (hatched, and in words).
    size_labels = _texts(browser, "#size-chart text.label")
    assert {"pyproj", "nodeproj"} <= set(size_labels)
    py = browser.find_element(By.CSS_SELECTOR, "#size-chart g.row[data-project='pyproj']")
    assert py.get_attribute("data-kind") == "estimated"
    assert py.find_element(By.CSS_SELECTOR, "rect.bar").get_attribute("fill") == "url(#hatch-saved)"
    assert py.find_element(By.CSS_SELECTOR, "text.value").get_attribute("textContent").endswith(", estimated")
    assert {"measured", "estimated"} <= set(_texts(browser, "#size-chart text.legend-text"))
    # The developer telemetry is out of the way: a collapsed Diagnostics section.
    body = browser.find_element(By.TAG_NAME, "body").text
    assert "Diagnostics" in body and "Slowest stages" not in body
    assert browser.find_element(By.ID, "diagnostics").get_attribute("open") is None
    sources = browser.find_element(By.ID, "sources").text
    assert "lint report python.sarif" in sources and f"scan {newest_scan}" in sources
    assert browser.find_elements(By.CSS_SELECTOR, "svg img, svg script") == []
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
    assert [g.get_attribute("data-project") for g in browser.find_elements(By.CSS_SELECTOR, "#size-chart g.row")] == \
        ["nodeproj"]


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


def test_empty_dashboard_says_how_to_fill_it(browser: Any, tmp_path: Path) -> None:
    from selenium.webdriver.common.by import By

    (tmp_path / "runs").mkdir()
    page = tmp_path / "empty.html"
    page.write_text(render_page(build_dataset(tmp_path / "runs")), encoding="utf-8")
    browser.get_log("browser")
    browser.get(page.as_uri())
    assert browser.find_element(By.TAG_NAME, "body").get_attribute("data-rendered") == "true"
    for empty in ("rule-empty", "trend-empty", "size-empty", "runs-empty"):
        assert browser.find_element(By.ID, empty).is_displayed(), empty
    assert "--output-file RUNS/_lint/app.sarif" in browser.find_element(By.ID, "rule-empty").text
    assert not browser.find_element(By.ID, "rule-chart").is_displayed()
    assert console_errors(browser) == []
