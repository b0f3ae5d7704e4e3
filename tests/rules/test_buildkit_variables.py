"""BuildKit checks on variables and FROM (BK009, BK011, BK014-BK018)."""

from __future__ import annotations

from rulekit import lines, run_rule


def test_undefined_arg_in_from_with_suggestion() -> None:
    text = "ARG VERSION=3.20\nFROM alpine:${VERSIN}\nFROM alpine:$VERSION\n"
    [f] = run_rule("UndefinedArgInFrom", text)
    assert (f.code, f.line) == ("BK009", 2)
    assert f.message == "FROM argument 'VERSIN' is not declared (did you mean VERSION?)"


def test_undefined_arg_in_from_near_misses() -> None:
    text = (
        "ARG BASE\nFROM --platform=$BUILDPLATFORM ${BASE}\n"
        "FROM --platform=${TARGETPLATFORM} alpine:${TAG:-3.20}\n"
    )
    assert lines("BK009", text) == []
    # a stage-local ARG does not count for a later FROM
    assert lines("BK009", "FROM alpine\nARG V=1\nFROM debian:$V\n") == [3]


def test_undefined_var() -> None:
    text = "ARG VERSION=1\nFROM scratch\nENV APP_HOME=/app\nCOPY app-$VERSION.tgz ${APP_HOM}/\n"
    found = run_rule("UndefinedVar", text)
    assert [f.line for f in found] == [4, 4]
    assert [f.message for f in found] == [
        "Usage of undefined variable '$VERSION'",
        "Usage of undefined variable '$APP_HOM' (did you mean $APP_HOME?)",
    ]


def test_undefined_var_near_misses() -> None:
    text = (
        "FROM alpine AS base\nARG VERSION\nENV DIR=/srv\nCOPY a-$VERSION $DIR/\n"
        "RUN echo $NOT_CHECKED_IN_RUN\nWORKDIR ${UNSET:-/tmp}\nLABEL v='$literal'\n"
        "ENV PATH=/opt/bin:$PATH\nFROM base\nWORKDIR $DIR\n"
    )
    assert lines("BK011", text) == []


def test_undefined_var_with_a_registry_image() -> None:
    # a global ARG not re-declared, and an ENV used in the instruction that sets it: reported
    text = 'ARG V=1\nFROM node:20\nCOPY app-$V /app\nENV NVM_DIR=/nvm PATH="$NVM_DIR/bin:$PATH"\n'
    assert [f.message for f in run_rule("BK011", text)] == [
        "Usage of undefined variable '$V'",
        "Usage of undefined variable '$NVM_DIR'",
    ]
    # a name the Dockerfile never declares may come from the image's ENV
    assert lines("BK011", "FROM jupyter/base-notebook\nUSER ${NB_UID}\n") == []
    assert lines("BK011", "FROM scratch\nUSER ${NB_UID}\n") == [2]


def test_undefined_var_builtin_args_need_a_stage_arg() -> None:
    assert lines("BK011", "FROM scratch\nCOPY bin-$TARGETARCH /app\n") == [2]
    assert lines("BK011", "FROM alpine\nCOPY bin-$TARGETARCH /app\n") == [2]
    assert lines("BK011", "FROM scratch\nARG TARGETARCH\nCOPY bin-$TARGETARCH /app\n") == []


def test_secrets_used_in_arg_or_env() -> None:
    text = "FROM alpine\nARG GITHUB_TOKEN\nENV DB_PASSWORD=x PUBLIC_KEY=y\nENV api_key z\n"
    found = run_rule("SecretsUsedInArgOrEnv", text)
    assert [f.line for f in found] == [2, 3, 4]
    assert found[0].message == 'Do not use ARG or ENV instructions for sensitive data (ARG "GITHUB_TOKEN")'
    assert lines("BK016", "FROM alpine\nENV KEYBOARD=us TOKENIZER=x MONKEY=1\n") == []


def test_redundant_target_platform() -> None:
    text = "FROM --platform=$TARGETPLATFORM alpine\nFROM --platform=${TARGETPLATFORM} alpine\n"
    found = run_rule("RedundantTargetPlatform", text)
    assert [f.line for f in found] == [1, 2]
    assert found[0].message == (
        "Setting platform to predefined $TARGETPLATFORM in FROM is redundant as this is the default behavior"
    )
    assert lines("BK015", "FROM --platform=$BUILDPLATFORM alpine\nFROM alpine\n") == []


def test_invalid_default_arg_in_from() -> None:
    text = "ARG TAG\nARG IMG=alpine\nFROM alpine:${TAG}\nFROM ${IMG}:3.20\n"
    [f] = run_rule("InvalidDefaultArgInFrom", text)
    assert (f.line, f.message) == (
        3,
        "Default value for ARG alpine:${TAG} results in empty or invalid base image name",
    )
    assert lines("BK017", "ARG BASE\nFROM ${BASE}\n") == [2]
    assert lines("BK017", "ARG BASE=scratch\nFROM ${BASE}\nARG X\n") == []


def test_from_platform_flag_const_disallowed() -> None:
    text = "FROM --platform=linux/amd64 alpine AS base\nFROM --platform=linux/arm64 alpine AS build_arm64\n"
    [f] = run_rule("FromPlatformFlagConstDisallowed", text)
    assert (f.line, f.message) == (1, 'FROM --platform flag should not use constant value "linux/amd64"')
    assert lines("BK018", "FROM --platform=$BUILDPLATFORM alpine\n") == []


def test_invalid_base_image_platform_only_when_known_offline() -> None:
    text = "FROM --platform=linux/amd64 arm64v8/alpine:3.20\n"
    [f] = run_rule("InvalidBaseImagePlatform", text)
    assert f.message == (
        'Base image docker.io/arm64v8/alpine:3.20 was pulled with platform "linux/arm64", '
        'expected "linux/amd64" for current build'
    )
    near = (
        "FROM --platform=linux/arm64 arm64v8/alpine\nFROM --platform=linux/amd64 alpine\n"
        "FROM --platform=$BUILDPLATFORM arm64v8/alpine\nFROM amd64/debian\n"
    )
    assert lines("BK014", near) == []


def test_undefined_var_knows_the_base_image_env() -> None:
    # python's image config sets PYTHON_VERSION, GPG_KEY, LANG, PATH: all defined
    text = "FROM python:3.12\nWORKDIR /opt/$PYTHON_VERSION\nLABEL k=$GPG_KEY l=$LANG\nENV PATH=/app/bin:$PATH\n"
    assert lines("BK011", text) == []
    # alpine sets only PATH: a typo is reported, with the image's name as the suggestion
    [f] = run_rule("UndefinedVar", "FROM alpine:3.20\nENV PATH=/opt/bin:$PAHT\n")
    assert f.message == "Usage of undefined variable '$PAHT' (did you mean $PATH?)"
    # ... and so is a name the image does not set, even one that looks like an image variable
    assert lines("BK011", "FROM alpine\nWORKDIR $JAVA_HOME\n") == [2]
    assert lines("BK011", "FROM eclipse-temurin:21-jre\nWORKDIR $JAVA_HOME\n") == []
    # through a parent stage, and with registry prefixes and digests
    text = "FROM docker.io/library/golang:1.22@sha256:" + "a" * 64 + " AS b\nFROM b\nWORKDIR $GOPATH/src\n"
    assert lines("BK011", text) == []


def test_undefined_var_unknown_images_keep_the_lenient_reading() -> None:
    # CODI has no facts about this image: a name the Dockerfile never declares may come from it
    assert lines("BK011", "FROM example.com/acme/base:1\nWORKDIR $APP_DIR\n") == []
    assert lines("BK011", "FROM example.com/acme/base:1\nWORKDIR $JAVA_HOME\n") == []
    # an image whose ENV CODI knows only in part is read the same way for other names
    assert lines("BK011", "FROM mcr.microsoft.com/devcontainers/python:3.12\nWORKDIR $NVM_DIR\n") == []
