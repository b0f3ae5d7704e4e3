"""DL rules about FROM images: DL3006, DL3007, DL3026, DL3029, DL3065."""

from __future__ import annotations

from rulekit import lines, run_rule

from codi.rules.base import RuleConfig


def test_dl3006_untagged_image_fires() -> None:
    assert lines("DL3006", "FROM python\nRUN true\n") == [1]


def test_dl3006_tag_digest_scratch_and_stage_are_fine() -> None:
    text = (
        "FROM python:3.12 AS base\nFROM python@sha256:" + "a" * 64 + "\nFROM scratch\nFROM base\nFROM Base\n"
    )
    assert lines("DL3006", text) == []


def test_dl3006_registry_with_port_is_not_a_tag() -> None:
    assert lines("DL3006", "FROM localhost:5000/app\nFROM localhost:5000/app:1.0\n") == [1]


def test_dl3006_resolves_global_arg_default() -> None:
    assert lines("DL3006", "ARG VER=3.12\nFROM python:${VER}\n") == []
    assert lines("DL3006", "ARG IMAGE=python\nFROM ${IMAGE}\n") == [2]


def test_dl3006_arg_without_default_is_unknowable() -> None:
    assert lines("DL3006", "ARG VER\nFROM python:${VER}\n") == []
    assert lines("DL3006", "ARG IMAGE\nFROM $IMAGE\n") == []


def test_dl3006_arg_naming_an_earlier_stage() -> None:
    text = "ARG BASE=build\nFROM golang:1.22 AS build\nFROM ${BASE}\n"
    assert lines("DL3006", text) == []


def test_dl3007_latest_fires() -> None:
    assert lines("DL3007", "FROM debian:12\nFROM node:latest\n") == [2]


def test_dl3007_latest_via_arg_and_digest_pinned() -> None:
    assert lines("DL3007", "ARG T=latest\nFROM node:$T\n") == [2]
    assert lines("DL3007", "FROM node:latest@sha256:" + "b" * 64 + "\n") == []
    assert lines("DL3007", "FROM node\n") == []


def test_dl3026_only_with_trusted_registries() -> None:
    text = "FROM debian:12\nFROM gcr.io/distroless/static:nonroot\nFROM quay.io/a/b:1\n"
    assert lines("DL3026", text) == []
    config = RuleConfig(trusted_registries=["docker.io", "*.gcr.io", "gcr.io"])
    assert [f.line for f in run_rule("DL3026", text, config=config)] == [3]


def test_dl3026_hub_aliases_scratch_and_stages() -> None:
    config = RuleConfig(trusted_registries=["docker.io"])
    text = "FROM docker.io/library/debian:12 AS a\nFROM index.docker.io/x/y:1\nFROM scratch\nFROM a\n"
    assert run_rule("DL3026", text, config=config) == []
    found = run_rule("DL3026", "FROM localhost:5000/app:1\n", config=config)
    assert [f.line for f in found] == [1]
    assert "localhost:5000" in found[0].message


def test_dl3029_hard_coded_platform() -> None:
    assert lines("DL3029", "FROM --platform=linux/amd64 debian:12\n") == [1]
    assert lines("DL3029", "ARG P=linux/arm64\nFROM --platform=$P debian:12\n") == [2]


def test_dl3029_build_platform_and_unknown_arg_are_fine() -> None:
    text = (
        "ARG P\n"
        "FROM --platform=$BUILDPLATFORM golang:1.22 AS build\n"
        "FROM --platform=${TARGETOS}/${TARGETARCH} debian:12\n"
        "FROM --platform=$P debian:12\n"
        "FROM debian:12\n"
    )
    assert lines("DL3029", text) == []


def test_dl3065_target_platform_is_redundant() -> None:
    text = "FROM --platform=$TARGETPLATFORM a:1\nFROM --platform=${TARGETPLATFORM} b:1\n"
    assert lines("DL3065", text) == [1, 2]
    assert lines("DL3065", "FROM --platform=$BUILDPLATFORM a:1\n") == []


def test_dl3065_fix_removes_the_flag() -> None:
    text = "FROM --platform=$TARGETPLATFORM  alpine:3.20 AS base\n"
    (finding,) = run_rule("DL3065", text)
    assert finding.fix is not None
    (edit,) = finding.fix.edits
    assert text[: edit.start] + edit.replacement + text[edit.end :] == "FROM alpine:3.20 AS base\n"
