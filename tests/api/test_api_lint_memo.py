"""Settings memoized across requests (built once per distinct content) never leak between requests."""

from __future__ import annotations

from fastapi.testclient import TestClient

from codi.config import ConfigLayer
from codi.config.model import merge
from codi.rules.registry import all_rules
from codi.service.lint import file_settings

TEXT = "FROM alpine\nRUN apt-get update && apt-get install curl\n"


def test_equal_settings_share_one_selection_and_changed_ones_do_not() -> None:
    rules = all_rules()
    a = file_settings(merge([ConfigLayer("command line", ignore=["DL3006"])]), rules)
    b = file_settings(merge([ConfigLayer("command line", ignore=["DL3006"])]), rules)
    c = file_settings(merge([ConfigLayer("command line", ignore=["DL3007"])]), rules)
    d = file_settings(merge([ConfigLayer("command line", ignore=["DL3006"], severity={"DL3008": "error"})]), rules)
    assert a is b
    assert c is not a and d is not a
    assert not a.selection.selects("DL3006") and c.selection.selects("DL3006")


def test_each_request_gets_its_own_selection(client: TestClient) -> None:
    def codes(**extra: object) -> set[str]:
        r = client.post("/lint", json={"dockerfile": TEXT, **extra})
        assert r.status_code == 200, r.text
        return {f["code"] for f in r.json()["findings"]}

    everything = codes()
    assert "DL3006" in everything
    for _ in range(2):  # alternate so a memoized entry is reused, and must not bleed into the other
        assert "DL3006" not in codes(ignore=["DL3006"])
        assert codes() == everything
    assert codes(select=["DL3006"]) == {"DL3006"}
    levels = {f["code"]: f["level"] for f in client.post("/lint", json={"dockerfile": TEXT}).json()["findings"]}
    assert levels["DL3006"] == "warning"


def test_unknown_selector_is_still_a_400_every_time(client: TestClient) -> None:
    for _ in range(2):
        r = client.post("/lint", json={"dockerfile": TEXT, "ignore": ["NOPE9"]})
        assert r.status_code == 400 and "NOPE9" in r.json()["error"]
