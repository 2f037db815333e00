"""Limits at the HTTP edge of every service: body sizes (413), text lengths and list sizes
(422 naming the field and the limit), whole numbers bounded, the unit import's rows."""

from __future__ import annotations

import re

import msgspec.inspect as mi
import pytest

from edge_fixtures import body_leaves, HEADERS, SERVICES, answer_field, body_routes, edge, known_unit, leaves, sample_key  # noqa: F401
from libs.runtime import limits


@pytest.mark.parametrize("service", SERVICES)
async def test_a_json_body_over_64_kib_is_refused_with_413_naming_the_limit(edge, service):
    async with edge(service) as client:
        wrong = []
        for route in body_routes(client.app):
            big = b'{"x": "' + b"x" * limits.BODY_MAX + b'"}'
            r = await client.request(route.method, route.path, content=big,
                                     headers={**HEADERS, "content-type": "application/json"})
            problem = r.json()
            if r.status_code != 413 or problem.get("limit_bytes") != limits.BODY_MAX or "64 KiB" not in problem["detail"]:
                wrong.append((route.method, route.template, r.status_code, r.text[:200]))
        assert wrong == []


@pytest.mark.parametrize(
    ("path", "params", "limit"),
    [
        ("/v1/plazas/p1/units/A-1/documents", {"filename": "lease.pdf", "kind": "contract"}, limits.DOCUMENT_MAX),
        ("/v1/plazas/p1/units/import", {}, limits.IMPORT_MAX),
    ],
)
async def test_uploads_take_more_than_a_json_body_up_to_their_own_limit(edge, path, params, limit):
    async with edge("archive") as client:
        bigger_than_json = await client.post(path, params=params, content=b"x" * (limits.BODY_MAX * 4))
        assert bigger_than_json.status_code != 413, bigger_than_json.text
        too_big = await client.post(path, params=params, content=b"x" * (limit + 1))
        assert too_big.status_code == 413 and too_big.json()["limit_bytes"] == limit, too_big.text
        assert f"{limit // limits.MiB} MiB" in too_big.json()["detail"]


@pytest.mark.parametrize("service", SERVICES)
async def test_every_text_field_has_a_length_limit(edge, service):
    async with edge(service) as client:
        wrong = []
        for route, leaf in body_leaves(client.app):
            if not isinstance(leaf.info, mi.StrType):
                continue
            limit = leaf.info.max_length
            if limit is None:
                wrong.append((route.template, leaf.field, "no limit"))
                continue
            r = await client.request(route.method, route.path, json=leaf.body("x" * (limit + 1)), headers=HEADERS)
            if not _refused_over(r, leaf.field, limit):
                wrong.append((route.template, leaf.field, r.status_code, r.text[:200]))
        assert wrong == []


@pytest.mark.parametrize("service", SERVICES)
async def test_every_list_has_a_size_limit(edge, service):
    async with edge(service) as client:
        wrong, checked = [], 0
        for route, leaf in body_leaves(client.app):
            if isinstance(leaf.info, mi.DictType) and isinstance(leaf.info.key_type, (mi.LiteralType, mi.EnumType)):
                continue  # its keys are the enum's: as many as it has
            if not isinstance(leaf.info, (mi.ListType, mi.DictType)):
                continue
            checked += 1
            limit = leaf.info.max_length
            if limit is None:
                wrong.append((route.template, leaf.field, "no limit"))
                continue
            if isinstance(leaf.info, mi.DictType):
                value = {sample_key(leaf.info.key_type, n): None for n in range(limit + 1)}
            else:
                value = [None] * (limit + 1)
            r = await client.request(route.method, route.path, json=leaf.body(value), headers=HEADERS)
            if not _refused_over(r, leaf.field, limit):
                wrong.append((route.template, leaf.field, r.status_code, r.text[:200]))
    if not checked:
        pytest.skip(f"{service}'s bodies have none")
    assert wrong == []


@pytest.mark.parametrize("service", SERVICES)
async def test_every_whole_number_has_an_upper_bound(edge, service):
    """2**63 does not fit a database's BIGINT, nor a Python timedelta as minutes or hours."""
    async with edge(service) as client:
        wrong, checked = [], 0
        for route, leaf in body_leaves(client.app):
            if isinstance(leaf.info, mi.IntType):
                checked += 1
                r = await client.request(route.method, route.path, json=leaf.body(2**63), headers=HEADERS)
                if r.status_code not in (400, 422) or not _same_field(answer_field(r), leaf.field):
                    wrong.append((route.template, leaf.field, r.status_code, r.text[:200]))
    if not checked:
        pytest.skip(f"{service}'s bodies have none")
    assert wrong == []


def _same_field(answered: str | None, field: str) -> bool:
    """The answer names the field; a key of a mapping (``[...]`` in the walk) may be named by
    the key itself (``by_date.2026-01-01``), as the decoder's 64-bit check does."""
    pattern = re.escape(field).replace(re.escape("[...]"), r"(\[[^\]]*\]|\.[^.]+)")
    return answered is not None and re.fullmatch(pattern, answered) is not None


def _refused_over(r, field: str, limit: int) -> bool:
    if r.status_code != 422 or answer_field(r) != field:
        return False
    [error] = [e for e in r.json()["errors"] if e["field"] == field]
    return error.get("limit") == limit and str(limit) in r.json()["detail"]


# --- the request text of the issue, through intake ----------------------------------------


async def test_a_million_character_request_is_refused_and_a_long_one_names_the_limit(edge, bus):
    async with edge("intake") as client:
        await known_unit(bus, client, "A-1")
        huge = await client.post("/v1/plazas/p1/requests", json={"channel": "phone", "unit": "A-1", "text": "漏" * 1_000_000})
        assert huge.status_code == 413 and "64 KiB" in huge.json()["detail"], huge.text

        over = await client.post("/v1/plazas/p1/requests", json={"channel": "phone", "unit": "A-1", "text": "漏" * 4001})
        assert over.status_code == 422 and over.json()["field"] == "text", over.text
        assert over.json()["detail"] == "text: 4001 characters, at most 4000"

        longest = await client.post("/v1/plazas/p1/requests", json={"channel": "phone", "unit": "A-1", "text": "漏" * 4000})
        assert longest.status_code == 202, longest.text


# --- the unit register import --------------------------------------------------------------

HEADER = "unit,area_m2,use,occupant_name,occupant_kind,building,contacts\n"


async def test_an_import_rejects_rows_with_control_characters_or_over_long_fields_by_number(edge):
    rows = [
        "A-1,80,shop,Li Ming,merchant,North,",
        "A-2,80,shop,bad\x01name,merchant,North,",  # row 3
        f"A-3,80,shop,Wang,merchant,{'B' * (limits.NAME_MAX + 1)},",  # row 4
        "A-4,80,shop,Zhao,merchant,North," + "; ".join(f"c{n}|spouse" for n in range(limits.CONTACTS_MAX + 1)),  # row 5
        "A-5,80,shop,\x7fZhou,merchant,North,",  # row 6
        "A-6,80,shop,Sun,merchant,North,Li|spouse|138\x0b000",  # row 7
    ]
    async with edge("archive") as client:
        assert (await client.put("/v1/plazas/p1", json={"name": "Plaza One"})).status_code == 200
        r = await client.post("/v1/plazas/p1/units/import", content=(HEADER + "\n".join(rows) + "\n").encode())
        assert r.status_code == 200, r.text
        report = r.json()
        assert (report["imported"], report["created"]) == (1, 1)
        reasons = {item["row"]: item["reason"] for item in report["rejected"]}
        assert sorted(reasons) == [3, 4, 5, 6, 7]
        assert reasons[3] == "occupant_name: contains a control character (U+0001)"
        assert reasons[4] == f"building: {limits.NAME_MAX + 1} characters, at most {limits.NAME_MAX}"
        assert reasons[5] == f"contacts: {limits.CONTACTS_MAX + 1} contacts, at most {limits.CONTACTS_MAX}"
        assert reasons[6] == "occupant_name: contains a control character (U+007F)"
        assert reasons[7] == "contacts: contains a control character (U+000B)"
        assert (await client.get("/v1/plazas/p1/units/A-2")).status_code == 404


async def test_an_import_over_the_row_limit_is_refused_as_a_whole(edge):
    rows = "".join(f"A-{n},80,shop,Li,merchant,,\n" for n in range(limits.IMPORT_ROWS_MAX + 1))
    async with edge("archive") as client:
        assert (await client.put("/v1/plazas/p1", json={"name": "Plaza One"})).status_code == 200
        r = await client.post("/v1/plazas/p1/units/import", params={"dry_run": "true"}, content=(HEADER + rows).encode())
        assert r.status_code == 422 and r.json()["field"] == "file", r.text
        assert f"at most {limits.IMPORT_ROWS_MAX} rows" in r.json()["detail"]
