"""The lint raises the collector's thresholds only while it runs, and puts back what was there."""

from __future__ import annotations

import gc
import threading

from codi.rules.engine import Engine, FileInput, default_settings
from codi.rules.gc_pause import THRESHOLDS, fewer_collections
from codi.rules.registry import all_rules


def test_thresholds_raised_inside_and_restored_after_nested_blocks() -> None:
    before = gc.get_threshold()
    with fewer_collections():
        inside = gc.get_threshold()
        assert all(now >= want for now, want in zip(inside, THRESHOLDS, strict=True))
        with fewer_collections():
            assert gc.get_threshold() == inside
        assert gc.get_threshold() == inside  # the inner block leaving does not restore early
    assert gc.get_threshold() == before


def test_restored_after_an_exception_and_higher_settings_kept() -> None:
    before = gc.get_threshold()
    gc.set_threshold(1_000_000, 10, 10)
    try:
        try:
            with fewer_collections():
                assert gc.get_threshold()[0] == 1_000_000  # never lowered
                raise RuntimeError
        except RuntimeError:
            pass
        assert gc.get_threshold() == (1_000_000, 10, 10)
    finally:
        gc.set_threshold(*before)


def test_concurrent_lints_restore_the_thresholds() -> None:
    before = gc.get_threshold()
    rules = all_rules()
    settings = default_settings(rules)
    barrier = threading.Barrier(3)

    def lint() -> None:
        barrier.wait()
        for _ in range(3):
            Engine(rules).lint([FileInput("Dockerfile", "FROM alpine:3.20\nRUN apk add curl\n", settings)])

    threads = [threading.Thread(target=lint) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert gc.get_threshold() == before
