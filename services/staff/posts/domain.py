"""The desk's posts (岗位) and what each needs: its procedures (岗位工作流程) and the courses
a person must pass before working it (上岗前培训合格后方可上岗). Pure rules, no I/O.

Every post needs the induction course (思想道德、服务意识培训) and its own procedure course
(the course named like the post); a plaza adds its own posts (a department's, say) or
changes a built-in one."""

from __future__ import annotations

import re

import msgspec

INDUCTION = "induction"
INDUCTION_TITLE = "上岗培训：思想道德、服务意识 / Induction: conduct and service attitude"
DEFAULT_PASS_MARK = 80
_CODE = re.compile(r"^[a-z0-9_\-]{1,64}$")


class Refused(Exception):
    def __init__(self, detail: str, *, field: str) -> None:
        super().__init__(detail)
        self.detail = detail
        self.field = field


class Post(msgspec.Struct, frozen=True, kw_only=True):
    post: str
    name: str
    department: str = "customer_service"
    procedures: list[str] = []
    courses: list[str] = []  # what a person must pass first; [induction, post] when empty
    pass_mark: int = DEFAULT_PASS_MARK  # of the post's own course
    rotates: bool = True  # the supervisor's post does not rotate with the clerks'

    @property
    def required(self) -> list[str]:
        return self.courses or [INDUCTION, self.post]


CATALOGUE: dict[str, Post] = {p.post: p for p in (
    Post(post="front_desk", name="前台接待 Front desk", procedures=[
        "起立迎接问好：“您好，有什么需要帮助吗” / Stand, greet: “Hello, how can I help?”",
        "接听商户电话：铃声响三声之内接起，报“您好，…物业部” / Answer within three rings with the greeting",
        "问清要点，做好记录，必要时复述 / Ask the key points, log them, read them back",
        "及时与相关部门联系处理 / Pass it to the department that can do it",
    ]),
    Post(post="customer_specialist", name="客户专员 Customer specialist", procedures=[
        "各部门信息的收集、传递和数据汇总 / Collect and pass on the departments' information",
        "电子台帐的建立 / Keep the electronic ledgers",
        "接待商户来访、处理商户投诉 / Receive merchants, handle complaints",
    ]),
    Post(post="visits", name="回访专员 Return visits", procedures=[
        "电话和上门回访，回访重点客户 / Return visits by phone and at the door, key accounts first",
        "不满意的落实二次派单 / An unsatisfied visit goes back for second dispatch",
        "汇总回访意见和建议 / Sum up the visits' opinions",
    ]),
    Post(post="cashier", name="收费员 Cashier", procedures=[
        "各项费用收缴、水电费充值 / Fees, prepaid water and electricity",
        "费用催缴，做好记录 / Dunning calls, each recorded",
    ]),
    Post(post="records", name="档案管理 Records", procedures=[
        "商户档案的建立和维护，保证真实可靠 / Keep the unit register true and current",
        "入住合同、装修手续及证件整理归档 / File contracts, renovation permits and papers",
    ]),
    Post(post="supervisor", name="主管 Supervisor", rotates=False, procedures=[
        "安排和计划员工的日常培训 / Plan the staff's training",
        "审核报表、岗位记录、排班，协助审核考勤 / Review reports, post records, the roster, attendance",
        "重大投诉的处理上报 / Handle and report major complaints",
    ]),
)}


def check_code(post: str, field: str = "post") -> str:
    if not _CODE.match(post or ""):
        raise Refused(f"{field} {post!r} must be 1-64 lower-case letters, digits, '_' or '-'", field=field)
    return post


def check_pass_mark(mark: int) -> int:
    if not 0 < mark <= 100:
        raise Refused("pass_mark must be between 1 and 100", field="pass_mark")
    return mark


def merged(own: list[Post]) -> dict[str, Post]:
    """The plaza's catalogue: the built-in posts, changed or added to by its own."""
    return {**CATALOGUE, **{p.post: p for p in own}}


def course_titles(catalogue: dict[str, Post]) -> dict[str, str]:
    """Every course a plaza teaches: the induction and each post's own."""
    return {INDUCTION: INDUCTION_TITLE, **{code: f"岗位培训 / Procedures: {p.name}" for code, p in catalogue.items()}}


def pass_mark(catalogue: dict[str, Post], course: str) -> int:
    post = catalogue.get(course)
    return post.pass_mark if post else DEFAULT_PASS_MARK


def missing(post: Post, passed: set[str]) -> list[str]:
    """The courses a person has yet to pass before working the post (empty: qualified)."""
    return [c for c in post.required if c not in passed]
