"""Values at the HTTP edge: an enum error names what is allowed; text fields refuse control
characters (422 naming the field), multi-line text keeps its line feeds and tabs."""

from __future__ import annotations

import msgspec.inspect as mi
import pytest

from edge_fixtures import body_leaves, HEADERS, SERVICES, allowed, answer_field, body_routes, edge, known_unit, leaves  # noqa: F401
from libs.runtime import limits


@pytest.mark.parametrize("service", SERVICES)
async def test_an_enum_error_names_the_allowed_values(edge, service):
    async with edge(service) as client:
        wrong = []
        for route, leaf in body_leaves(client.app):
            values = allowed(leaf.info)
            if not values or not all(isinstance(v, str) for v in values):
                continue
            r = await client.request(route.method, route.path, json=leaf.body("no-such-value"), headers=HEADERS)
            if r.status_code != 400 or answer_field(r) != leaf.field:
                wrong.append((route.template, leaf.field, r.status_code, r.text[:200]))
                continue
            [error] = r.json()["errors"]
            named = error["message"].removeprefix("'no-such-value' is not one of ").split(", ")
            if sorted(named) != sorted(values) or error.get("allowed") != named:
                wrong.append((route.template, leaf.field, error))
        assert wrong == []


async def test_the_channel_error_of_the_readme_lists_the_channels(edge):
    async with edge("intake") as client:
        r = await client.post("/v1/plazas/p1/requests", json={"channel": "wechat", "unit": "A-1", "text": "x"})
        assert r.status_code == 400, r.text
        assert r.json()["detail"] == "channel: 'wechat' is not one of phone, visit, letter, online, internal"
        listed = await client.get("/v1/plazas/p1/requests", params={"channel": "fax"})
        assert listed.status_code == 400 and listed.json()["field"] == "channel", listed.text
        assert "'fax' is not one of phone, visit, letter, online, internal" in listed.json()["detail"]


@pytest.mark.parametrize("service", SERVICES)
async def test_every_text_field_refuses_control_characters(edge, service):
    async with edge(service) as client:
        wrong = []
        for route, leaf in body_leaves(client.app):
            if not isinstance(leaf.info, mi.StrType):
                continue
            multiline = limits.PATTERNS.get(leaf.info.pattern)
            own_format = leaf.info.pattern is not None and multiline is None  # e.g. 08:30: refused as a wrong format
            refused = ["bad\x01name", "bad\x7f", "\x1bname"] + ([] if multiline else ["two\nlines", "tab\there"])
            for value in refused:
                r = await client.request(route.method, route.path, json=leaf.body(value), headers=HEADERS)
                if own_format and r.status_code in (400, 422) and answer_field(r) == leaf.field:
                    continue
                if r.status_code != 422 or answer_field(r) != leaf.field or "control character" not in r.json()["detail"]:
                    wrong.append((route.template, leaf.field, repr(value), r.status_code, r.text[:200]))
            if multiline:
                r = await client.request(route.method, route.path, json=leaf.body("line 1\nline 2\tend"), headers=HEADERS)
                if answer_field(r) == leaf.field:
                    wrong.append((route.template, leaf.field, "multi-line refused", r.text[:200]))
        assert wrong == []


async def test_a_request_keeps_its_lines_and_refuses_a_control_character(edge, bus):
    async with edge("intake") as client:
        await known_unit(bus, client, "A-1")
        ok = await client.post("/v1/plazas/p1/requests", json={
            "channel": "letter", "unit": "A-1", "text": "Dear desk,\n\tthe drain is blocked.\nLi"})
        assert ok.status_code == 202, ok.text
        shown = await client.get(f"/v1/plazas/p1/requests/{ok.json()['id']}")
        assert shown.json()["text"] == "Dear desk,\n\tthe drain is blocked.\nLi"

        bad = await client.post("/v1/plazas/p1/requests", json={
            "channel": "phone", "unit": "A-1", "text": "x", "contact": {"name": "bad\u0001name"}})
        assert bad.status_code == 422 and bad.json()["field"] == "contact.name", bad.text


async def test_a_document_name_with_a_control_character_is_refused(edge):
    async with edge("archive") as client:
        r = await client.post("/v1/plazas/p1/units/A-1/documents", params={"filename": "lease\x01.pdf", "kind": "contract"},
                              content=b"%PDF-1.7")
        assert r.status_code == 422 and r.json()["field"] == "filename", r.text
