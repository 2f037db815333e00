"""The words of a refused request, read from the route's types and the request's values
(not from the words of msgspec's errors), answered as RFC 9457 problems."""

from __future__ import annotations

from typing import Literal

import msgspec
import pytest
from litestar import Litestar, get, post
from litestar.testing import TestClient

from libs.runtime import limits
from libs.runtime.http import ApiRequest, problem_details, refuse_unknown_query


class Contact(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    name: limits.Name
    phone: limits.Phone | None = None


class Visit(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    channel: Literal["phone", "visit"]
    note: limits.Note = ""
    contacts: limits.items(Contact, 2) = []
    answers: dict[str, limits.Code] = {}


@post("/visits", sync_to_thread=False)
def create_visit(data: Visit) -> dict:
    return {"ok": True}


@get("/visits", sync_to_thread=False)
def list_visits(channel: Literal["phone", "visit"] | None = None) -> dict:
    return {"ok": True}


@get("/boom", sync_to_thread=False)
def boom() -> dict:
    raise RuntimeError("a bug")


@pytest.fixture(scope="module")
def client():
    app = Litestar([create_visit, list_visits, boom], plugins=[problem_details()], request_class=ApiRequest,
                   before_request=refuse_unknown_query, debug=False, logging_config=None)
    with TestClient(app) as client:
        yield client


def problem(r, status: int) -> dict:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    body = r.json()
    assert body["status"] == status and body["type"] == "about:blank" and body["instance"]
    return body


def test_a_value_not_allowed_names_the_allowed_ones_in_the_body_and_in_the_query(client):
    body = problem(client.post("/visits", json={"channel": "fax"}), 400)
    assert body["detail"] == "channel: 'fax' is not one of phone, visit"
    assert body["errors"][0]["allowed"] == ["phone", "visit"]
    query = problem(client.get("/visits", params={"channel": "fax"}), 400)
    assert query["field"] == "channel" and query["errors"][0]["source"] == "query"
    assert "'fax' is not one of phone, visit" in query["detail"]


def test_a_long_text_and_a_long_list_are_422_naming_length_and_limit(client):
    body = problem(client.post("/visits", json={"channel": "phone", "note": "x" * (limits.NOTE_MAX + 1)}), 422)
    assert body["field"] == "note" and body["errors"][0]["limit"] == limits.NOTE_MAX
    assert body["detail"] == f"note: {limits.NOTE_MAX + 1} characters, at most {limits.NOTE_MAX}"
    contacts = [{"name": "Li"}] * 3
    assert problem(client.post("/visits", json={"channel": "phone", "contacts": contacts}), 422)["detail"] == \
        "contacts: 3 items, at most 2"


def test_a_text_where_a_list_is_due_is_a_wrong_type_not_a_long_list(client):
    body = problem(client.post("/visits", json={"channel": "phone", "contacts": "x" * 10}), 400)
    assert body["field"] == "contacts" and "limit" not in body["errors"][0]


def test_the_entry_of_a_dict_that_does_not_fit_is_the_one_worded(client):
    answers = {"a": "fine", "b": "bad\x01", "c": "x" * 100}
    body = problem(client.post("/visits", json={"channel": "phone", "answers": answers}), 422)
    assert body["detail"] == "answers[...]: contains the control character U+0001; this field takes one line of text"


def test_unknown_fields_are_all_named_with_what_the_object_takes(client):
    r = client.post("/visits", json={"channel": "phone", "contacts": [{"name": "Li", "nick": "x"}], "mood": 1})
    body = problem(r, 400)
    assert [e["field"] for e in body["errors"]] == ["contacts[0].nick", "mood"]
    assert "contacts[0] takes name, phone" in body["detail"] and "the body takes channel" in body["detail"]


def test_a_missing_field_is_named_by_its_path(client):
    body = problem(client.post("/visits", json={"channel": "phone", "contacts": [{"phone": "1"}]}), 400)
    assert body["field"] == "contacts[0].name"


def test_an_unknown_query_parameter_is_named(client):
    body = problem(client.get("/visits", params={"chanel": "phone"}), 400)
    assert body["detail"] == "chanel: not a parameter of this route; it takes channel"


def test_a_failure_of_the_code_is_a_500_problem_that_says_nothing_was_recorded(client):
    body = problem(client.get("/boom"), 500)
    assert body["detail"] == "the request failed; nothing was recorded" and body["instance"] == "/boom"


def test_no_route_names_the_method_and_path(client):
    assert problem(client.get("/nowhere"), 404)["detail"] == "no route for GET /nowhere"
