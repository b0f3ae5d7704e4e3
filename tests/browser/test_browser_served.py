"""Pages served by a real `codi` API server on 127.0.0.1, opened in Chromium with HTTP Basic (key as password).

/docs must draw the API from /openapi.json with nothing fetched from anywhere but this server (air-gap).
"""

from __future__ import annotations

import base64
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from browserkit import alert_text, clear_headers, console_errors, requested_urls, send_header

KEY = "served-browser-key-0123456789"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def server(runs: tuple[Path, list[str]], tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    import uvicorn

    from codi.api.app import create_app
    from codi.api.settings import ApiSettings

    allowed = tmp_path_factory.mktemp("served")
    settings = ApiSettings(keys=[KEY], allowed_roots=[allowed.resolve()], runs_root=runs[0])
    port = _free_port()
    srv = uvicorn.Server(uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not srv.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert srv.started, "the server did not start"
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        srv.should_exit = True
        thread.join(timeout=15)


@pytest.fixture
def logged_in(browser: Any) -> Iterator[Any]:
    token = base64.b64encode(f"reviewer:{KEY}".encode()).decode("ascii")
    send_header(browser, "Authorization", f"Basic {token}")
    browser.get_log("browser")
    requested_urls(browser)  # drop what earlier pages asked for
    try:
        yield browser
    finally:
        clear_headers(browser)


def _wait(browser: Any, script: str, seconds: float = 15) -> Any:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = browser.execute_script(script)
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for: {script}")


def _only_loopback(urls: list[str]) -> None:
    assert urls, "no request was logged: the check below would mean nothing"
    hosts = {urlsplit(u).hostname for u in urls if urlsplit(u).scheme in ("http", "https", "ws", "wss")}
    assert hosts == {"127.0.0.1"}, urls


def test_docs_page_draws_the_api_from_this_server_only(logged_in: Any, server: str) -> None:
    from selenium.webdriver.common.by import By

    browser = logged_in
    browser.get(server + "/docs")
    assert _wait(browser, "return document.body.getAttribute('data-rendered')") == "true"
    paths = {e.get_attribute("data-path") for e in browser.find_elements(By.CSS_SELECTOR, "details.op")}
    assert {"/lint", "/fix", "/run", "/runs/{run_id}", "/healthz", "/metrics"} <= paths
    assert browser.find_element(By.ID, "schema-LintBody").is_displayed()
    assert "dockerfile" in browser.find_element(By.ID, "schema-LintBody").text
    assert console_errors(browser) == []
    _only_loopback(requested_urls(browser))


def test_docs_try_it_sends_a_lint_request(logged_in: Any, server: str) -> None:
    from selenium.webdriver.common.by import By

    browser = logged_in
    browser.get(server + "/docs")
    _wait(browser, "return document.body.getAttribute('data-rendered') === 'true'")
    op = browser.find_element(By.ID, "op-post-lint")
    op.find_element(By.TAG_NAME, "summary").click()
    box = op.find_element(By.TAG_NAME, "textarea")
    box.clear()
    box.send_keys('{"dockerfile": "FROM alpine\\nRUN apt-get install curl\\n"}')
    op.find_element(By.CSS_SELECTOR, ".try button").click()
    answer = op.find_element(By.CSS_SELECTOR, "pre.answer")
    deadline = time.monotonic() + 15
    while answer.get_attribute("data-status") is None and time.monotonic() < deadline:
        time.sleep(0.1)
    assert answer.get_attribute("data-status") == "200", answer.text
    assert "DL3006" in answer.text
    _only_loopback(requested_urls(browser))


def test_served_dashboard_and_report_open_with_basic_auth(logged_in: Any, server: str,
                                                          runs: tuple[Path, list[str]]) -> None:
    from selenium.webdriver.common.by import By

    browser = logged_in
    browser.get(server + "/dashboard")
    assert browser.find_element(By.TAG_NAME, "body").get_attribute("data-rendered") == "true"
    text = browser.find_element(By.ID, "runs").text
    assert all(run_id in text for run_id in runs[1])
    link = browser.find_element(By.CSS_SELECTOR, "#runs-body a")
    run_id = link.get_attribute("href").rsplit("/runs/", 1)[1].split("/")[0]
    link.click()
    _wait(browser, "return document.readyState === 'complete' && location.pathname.endsWith('report.html')")
    assert run_id in browser.find_element(By.TAG_NAME, "body").text
    assert alert_text(browser) is None
    assert console_errors(browser) == []
    _only_loopback(requested_urls(browser))


def test_pages_refuse_a_client_without_the_key(server: str) -> None:
    import httpx

    for path in ("/docs", "/dashboard"):
        r = httpx.get(server + path)
        assert r.status_code == 401 and r.headers["www-authenticate"].startswith("Basic")
        wrong = base64.b64encode(b"x:not-the-key").decode()
        assert httpx.get(server + path, headers={"Authorization": f"Basic {wrong}"}).status_code == 401
