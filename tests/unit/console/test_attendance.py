"""Clocking in and out from the console's header: the shift shown, the buttons, and nothing
at all where staff keeps no attendance."""

from __future__ import annotations

from services.console.attendance import domain
from services.console.attendance import services as attendance
from services.console.gateway.domain import UpstreamError
from tests.unit.console.test_desk_pages import render
from tests.unit.console.test_desk_services import FakeCalls

ME = "/v1/plazas/demo/attendance/me"
SHIFT = {"shift_id": "s1", "post": "front_desk", "starts_at": "2026-12-05T00:00:00Z", "ends_at": "2026-12-05T08:00:00Z"}
NO_ROUTE = UpstreamError("staff", 404, {"detail": "no route for GET /v1/plazas/demo/attendance/me"})


def test_clocking_in_is_offered_to_the_plazas_staff_not_to_occupants_or_the_operator():
    assert domain.offered({"clerk"}) and domain.offered({"staff"})
    assert not domain.offered({"occupant"}) and not domain.offered({"operator", "auditor"})


async def test_a_staff_service_without_attendance_shows_nothing():
    assert await attendance.mine(FakeCalls({("staff", ME): NO_ROUTE}), "demo") is None
    calls = FakeCalls({("staff", "/v1/plazas/demo/attendance/clock-in"): NO_ROUTE, ("staff", ME): NO_ROUTE})
    assert await attendance.clock(calls, "demo", "in") == (None, NO_ROUTE)
    assert render("attendance/widget.html", me=None, refused=None, d=domain).strip() == '<div id="attendance" hidden></div>'


async def test_clocking_in_posts_to_staff_then_shows_the_attendance_as_staff_has_it():
    calls = FakeCalls({("staff", "/v1/plazas/demo/attendance/clock-in"): {},
                       ("staff", ME): {"shift": SHIFT, "clocked_in_at": "2026-12-05T00:02:00Z"}})
    me, refused = await attendance.clock(calls, "demo", "in")
    assert refused is None and me["clocked_in_at"]
    assert [(s, p, e.get("body")) for s, p, e in calls.asked][0] == ("staff", "/v1/plazas/demo/attendance/clock-in", {})


async def test_a_refused_clock_in_is_shown_beside_the_button():
    too_early = UpstreamError("staff", 409, {"detail": "the shift starts in more than 30 minutes", "field": "shift"})
    calls = FakeCalls({("staff", "/v1/plazas/demo/attendance/clock-in"): too_early,
                       ("staff", ME): {"shift": SHIFT, "clocked_in_at": None}})
    me, refused = await attendance.clock(calls, "demo", "in")
    html = render("attendance/widget.html", me=me, refused=refused, d=domain)
    assert "签到" in html and "the shift starts in more than 30 minutes" in html


def test_with_no_shift_now_the_header_offers_no_clock_in():
    html = render("attendance/widget.html", me={"shift": None, "clocked_in_at": None}, refused=None, d=domain)
    assert "当前无排班" in html and 'data-testid="clock-in"' not in html


def test_the_header_shows_the_shift_and_clock_out_once_clocked_in():
    html = render("attendance/widget.html", me={"shift": SHIFT, "clocked_in_at": "2026-12-05T00:02:00Z"}, refused=None, d=domain)
    assert "当班" in html and "前台接待" in html and "签退" in html and 'data-testid="clock-in"' not in html
