"""The occupant's phone pages: /me (their unit: report an issue, their requests, account
and return visits) and the public survey link /s/{plaza}/{token}. Routes only translate."""

from __future__ import annotations

from urllib.parse import quote

from litestar import Request, Response, get, post
from litestar.response import Redirect, Template

from services.console.gateway.domain import UpstreamError
from services.console.occupant import domain
from services.console.occupant import services as occupant

# The survey link needs no sign-in (session.api's require_session lets such a route through):
# the signed link is its own credential.
PUBLIC = {"public": True}


def _unit(request: Request) -> str | None:
    return request.state.principal.own_unit(request.state.plaza) if request.state.plaza else None


@get("/me", include_in_schema=False)
async def me(request: Request, reported: str = "", answered: str = "") -> Template:
    return await _page(request, reported=reported, answered=answered)


async def _page(request: Request, *, reported: str = "", answered: str = "", form: dict | None = None,
                errors: dict | None = None, status_code: int = 200) -> Template:
    unit = _unit(request)
    mine = await occupant.my_unit(request.state.calls, request.state.plaza, unit) if unit else {
        "requests": [], "visits": [], "account": None, "notices": []}
    return Template("occupant/me.html", status_code=status_code, context={
        **mine, "unit": unit, "reported": reported, "answered": answered, "ratings": domain.RATINGS,
        "form": form or {"key": domain.new_key(), "text": ""}, "errors": errors or {}})


@post("/me/requests", include_in_schema=False)
async def report(request: Request) -> Response:
    data = await request.form()
    text, problem = domain.issue_text(str(data.get("text") or ""))
    form = {"key": str(data.get("key") or "") or domain.new_key(), "text": text}
    unit = _unit(request)
    if problem or unit is None:
        return await _page(request, form=form, errors={"text": problem or domain.link_refusal(403)}, status_code=422)
    try:
        accepted = await occupant.report_issue(request.state.calls, request.state.plaza, unit, text, form["key"])
    except UpstreamError as exc:
        if exc.status in (401,) or exc.status >= 500:
            raise
        return await _page(request, form=form, errors={"text": exc.detail}, status_code=exc.status)
    return Redirect(f"/me?reported={quote(accepted['id'], safe='')}#requests", status_code=303)


@post("/me/visits/{visit_id:str}", include_in_schema=False)
async def answer_visit(request: Request, visit_id: str) -> Response:
    data = await request.form()
    body, problem = domain.answer_body({"rating": data.get("rating")}, list(domain.RATING_NAMES), [])
    if problem:
        return await _page(request, errors={f"visit:{visit_id}": problem}, status_code=422)
    try:
        await occupant.answer_visit(request.state.calls, request.state.plaza, visit_id, body)
    except UpstreamError as exc:
        if exc.status in (401,) or exc.status >= 500:
            raise
        return await _page(request, errors={f"visit:{visit_id}": exc.detail}, status_code=exc.status)
    return Redirect(f"/me?answered={quote(visit_id, safe='')}#visits", status_code=303)


@post("/me/notices/{notice_id:str}/read", include_in_schema=False)
async def read_notice(request: Request, notice_id: str) -> Response:
    unit = _unit(request)
    if unit is None:
        return await _page(request, status_code=403)
    await occupant.read_notice(request.state.calls, request.state.plaza, unit, notice_id)
    return Redirect(f"/me#n-{quote(notice_id, safe='')}", status_code=303)


@get("/me/notices/{notice_id:str}/letter.pdf", include_in_schema=False)
async def letter(request: Request, notice_id: str) -> Response:
    """The occupant's own copy of a letter, printable (the PDF notices writes for their unit)."""
    unit = _unit(request)
    if unit is None:
        return await _page(request, status_code=403)
    answer = await occupant.letter(request.state.calls, request.state.plaza, unit, notice_id)
    disposition = answer.headers.get("content-disposition") or f'inline; filename="letter-{notice_id}.pdf"'
    return Response(answer.content, media_type="application/pdf", headers={"Content-Disposition": disposition})


@get("/occupant/{plaza:str}/login", opt=PUBLIC, include_in_schema=False)
async def occupant_link(request: Request, plaza: str) -> Template:
    """Where staff's occupant link points (``/occupant/{plaza}/login#token=…``): the token
    rides in the fragment, which no server or log sees; the page hands it to the one-button
    sign-in at /me/sign-in."""
    return Template("occupant/link.html", context={"plaza": plaza})


@get("/s/{plaza:str}/{token:str}", opt=PUBLIC, include_in_schema=False)
async def survey_link(request: Request, plaza: str, token: str) -> Template:
    try:
        question = await occupant.survey_question(request.state.calls, plaza, token)
    except UpstreamError as exc:
        return _refused(exc)
    return Template("occupant/survey.html", context=_survey_context(question, plaza, token))


def _survey_context(question: dict, plaza: str, token: str, **extra) -> dict:
    return {"question": question, "plaza": plaza, "token": token, "ratings": domain.RATINGS,
            "reasons": [(code, domain.REASONS.get(code, code)) for code in question.get("reason_codes") or []],
            "error": None, "chosen": {}, **extra}


def _refused(exc: UpstreamError) -> Template:
    status = exc.status if exc.status in domain.LINK_REFUSALS else 503
    return Template("occupant/survey_done.html", status_code=status,
                    context={"message": domain.link_refusal(exc.status), "thanks": exc.status == 409})


@get("/n/{plaza:str}/{token:str}", opt=PUBLIC, include_in_schema=False)
async def notice_link(request: Request, plaza: str, token: str) -> Template:
    """The read link of a notice (in its SMS or WeChat message): no sign-in, the signed
    link is its own credential; opening it is reading it."""
    try:
        notice = await occupant.open_notice(request.state.calls, plaza, token)
    except UpstreamError as exc:
        status = exc.status if exc.status in (403, 404, 429) else 503
        return Template("occupant/notice.html", status_code=status,
                        context={"notice": None, "message": domain.notice_refusal(exc.status)})
    return Template("occupant/notice.html", context={
        "notice": {**notice, "kind_label": domain.NOTICE_KINDS.get(notice.get("kind", ""), domain.NOTICE_KINDS["notice"])},
        "message": None})


@post("/s/{plaza:str}/{token:str}", opt=PUBLIC, include_in_schema=False)
async def answer_survey(request: Request, plaza: str, token: str) -> Template:
    data = await request.form()
    form = {"rating": data.get("rating"), "reasons": data.getall("reasons", []), "comment": data.get("comment")}
    calls = request.state.calls
    try:
        question = await occupant.survey_question(calls, plaza, token)
    except UpstreamError as exc:
        return _refused(exc)
    body, problem = domain.answer_body(form, question.get("ratings") or [], question.get("reason_codes") or [])
    if problem:
        return Template("occupant/survey.html", status_code=422,
                        context=_survey_context(question, plaza, token, error=problem, chosen=form))
    try:
        answered = await occupant.answer_survey(calls, plaza, token, body)
    except UpstreamError as exc:
        if exc.status == 422:
            return Template("occupant/survey.html", status_code=422,
                            context=_survey_context(question, plaza, token, error=exc.detail, chosen=form))
        return _refused(exc)
    return Template("occupant/survey_done.html", context={
        "answered": answered, "thanks": True, "message": None,
        "rating_label": domain.RATING_NAMES.get(answered.get("rating") or "", "")})


ROUTES = [me, report, answer_visit, read_notice, letter, occupant_link, survey_link, answer_survey, notice_link]
