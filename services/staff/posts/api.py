"""Posts routes: the plaza's posts with their procedures and required training, a post
defined or changed, who worked which post when. Translation only."""

from __future__ import annotations

from litestar import Controller, get, put
from litestar.params import FromPath

from libs.runtime.auth import ACTOR
from libs.runtime.http import Page
from libs.runtime.service import Runtime
from services.staff.posts import services as posts
from services.staff.posts.services import PostUpdate, PostView


class PostController(Controller):
    path = "/v1/plazas/{plaza:str}"
    tags = ["posts"]

    @get("/posts", summary="岗位 / The plaza's posts",
         description="每个岗位的工作流程和上岗前须通过的培训（内置的前台接待、客户专员、回访专员、收费员、档案管理、主管，"
         "及本广场自己的）。\n\nEvery post with its procedures and the training to pass before working it "
         "(the built-in front_desk, customer_specialist, visits, cashier, records, supervisor, and the plaza's own).")
    async def index(self, plaza: FromPath[str], runtime: Runtime) -> Page:
        async with runtime.read() as conn:
            return Page(items=await posts.list_posts(conn, plaza))

    @put("/posts/{post:str}", summary="定义岗位 / Define or change a post",
         description="岗位名称、部门、工作流程、须通过的培训（省略：入职培训 induction 和本岗位培训）、及格分、是否轮换。\n\n"
         "Name, department, procedures, the courses it needs (default: induction and the post's own), the pass "
         "mark of its course, whether it rotates.")
    async def put_post(self, plaza: FromPath[str], post: FromPath[str], data: PostUpdate, runtime: Runtime,
                       actor: str = ACTOR) -> PostView:
        async with runtime.transaction() as tx:
            return await posts.put_post(tx, plaza, post, data, actor=actor)

    @get("/post-history", summary="岗位履历 / Who worked which post when",
         description="每人历任岗位（分派或轮换），轮换据此让每人轮遍各岗。\n\n"
         "Each person's posts over time (assignment or rotation): rotation spreads the posts by it.")
    async def history(self, plaza: FromPath[str], runtime: Runtime, username: str | None = None) -> Page:
        async with runtime.read() as conn:
            return Page(items=await posts.history(conn, plaza, username))
