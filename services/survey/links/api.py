"""Survey-link routes: the clerk issues a link for a visit; the occupant opens it and
answers with no login (the signed token is the only credential)."""

from __future__ import annotations

from litestar import Controller, get, post
from litestar.params import FromPath

from libs.runtime.http import plaza_token
from libs.runtime.service import Runtime
from services.survey.links import services as links
from services.survey.links.services import LinkIssued, LinkQuestion
from services.survey.visits.services import ResponseCreate, VisitView


class LinkController(Controller):
    """Issued by the clerk (plaza-scoped); see SurveyLinkController for the occupant's side."""

    path = "/v1/plazas/{plaza:str}/visits/{visit_id:str}/link"

    @post("/", status_code=201)
    async def issue(self, plaza: FromPath[str], visit_id: FromPath[str], runtime: Runtime) -> LinkIssued:
        plaza_token(plaza)
        async with runtime.read() as conn:
            return await links.issue_link(
                conn, plaza, visit_id, secret=runtime.settings.survey_link_secret,
                default_window_hours=runtime.settings.visit_window_hours,
            )


class SurveyLinkController(Controller):
    """The occupant's no-login page: the signed token is the only credential."""

    path = "/v1/plazas/{plaza:str}/survey-links/{token:str}"

    @get("/")
    async def show(self, plaza: FromPath[str], token: FromPath[str], runtime: Runtime) -> LinkQuestion:
        async with runtime.read() as conn:
            return await links.question(conn, plaza, token, secret=runtime.settings.survey_link_secret)

    @post("/", status_code=200)
    async def answer(self, plaza: FromPath[str], token: FromPath[str], data: ResponseCreate, runtime: Runtime) -> VisitView:
        async with runtime.transaction() as tx:
            return await links.answer_by_link(tx, plaza, token, data, secret=runtime.settings.survey_link_secret)
