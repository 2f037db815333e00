"""Triage: what intake decides from a request's text, read as a clerk reads it. The cases
that must never be missed (a major complaint, a referral), mixed messages, a plaza's own
rules over the model, and a model that is the same on every start. No I/O beyond reading
the corpus once."""

from __future__ import annotations

import pytest

from services.intake.requests import domain
from services.intake.requests.domain import ClassificationRules, KindRule
from services.intake.triage import store
from services.intake.triage import domain as triage


# text, then the rule that must name it: each a complaint, major, escalated at once
MAJOR = [
    ("保安态度很差，还推了我，我已经受伤了，要找媒体曝光", "injury"),
    ("空调不制冷，已经报了三次了还没人来，你们到底管不管", "repeat failure"),
    ("扶梯突然反转，我妈摔倒了腿都肿了，你们必须给个说法", "injury"),
    ("the escalator caught my daughter's shoe and hurt her foot, we went to the hospital", "injury"),
    ("漏水把我们仓库的货全泡了，损失好几万，物业必须赔偿", "damage claim"),
    ("停车场的道闸砸坏了我的车顶，我要你们赔", "damage claim"),
    ("这件事我会发到抖音和微博上，让大家曝光你们", "media"),
    ("我已经联系了电视台的记者，明天过来采访", "media"),
    ("going to the press with this unless you fix it today", "media"),
    ("我们律师会给你们发律师函", "lawsuit"),
    ("再这样下去我就去法院起诉你们物业", "lawsuit"),
    ("We will sue the management company", "lawsuit"),
    ("再不处理我就打12345投诉你们物业", "hotline"),
    ("已经打了市长热线了，你们看着办", "hotline"),
    ("消防通道一直被堵，真着火了怎么办", "safety"),
    ("配电箱冒火花好几天了，说了也没人管，你们太不负责了", "safety"),
    ("卫生间漏水报修五次了，每次都说修好了，结果第二天又漏", "repeat failure"),
    ("This is the fourth time the lift broke down this month", "repeat failure"),
    ("I have reported the leaking ceiling three times and nobody came", "repeat failure"),
    ("又停水了！这周第三次！餐厅没法营业", "repeat failure"),
]


@pytest.mark.parametrize(("text", "label"), MAJOR)
def test_a_major_complaint_is_never_missed(text, label):
    found = domain.assess(text)
    assert (found.kind, found.severity, found.major) == ("complaint", "major", True), found
    assert found.severity_reason.startswith(f"rule: {label} ")
    assert found.priority == "emergency"


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("停车费太贵了，一点都不合理", "complaint"),
        ("物业费又涨了，凭什么？涨价前也不通知一下", "complaint"),
        ("前台那个小姑娘说话很冲，问个问题就不耐烦", "complaint"),
        ("建议增加充电桩，现在电动车越来越多了", "suggestion"),
        ("客服小张很耐心，解释得很清楚，点赞", "praise"),
        ("我们是3楼的海底捞，后厨隔油池满了，油往外冒，请安排清掏", "service"),
    ],
)
def test_the_model_reads_what_keywords_missed(text, kind):
    found = domain.assess(text)
    assert found.kind == kind and found.kind_reason.startswith("model: ")
    assert not found.major


def test_a_fear_or_a_near_miss_is_not_an_injury():
    assert not domain.assess("店面墙上的瓷砖松了，怕掉下来砸到人，请尽快加固").major
    assert not domain.assess("lost a kid's backpack near the food court yesterday").major  # a court, not a lawsuit


@pytest.mark.parametrize(
    "text", ["建议在社交媒体上发布停车通知", "Please post notices on social media too", "it wouldn't hurt to add more benches",
             "服务台的小姑娘帮我们换了好几次零钱，态度特别好", "希望多办集体婚礼之类的活动"],
)
def test_words_that_only_look_like_a_threat_raise_no_alarm(text):
    found = domain.assess(text)
    assert not found.major and found.kind != "complaint", found


def test_a_safety_incident_reported_as_a_job_is_the_most_pressing_job():
    found = domain.assess("B1 厨房冒烟了，闻到烧焦的味道，快来看看")
    assert (found.kind, found.major, found.priority, found.department) == ("service", False, "emergency", "engineering")


@pytest.mark.parametrize(
    ("text", "phone"),
    [
        ("家里燃气没有了", "96777"),
        ("闻到一股煤气味，好像是燃气表那里漏的", "96777"),
        ("我们店的电信光猫亮红灯，上不了网", "10000"),
        ("收到停水通知，想问下大概几点恢复", "96116"),
        ("整条街都停电了，是供电局在检修吗", "95598"),
        ("店里昨晚被盗窃了，收银台的钱没了", "110"),
        ("广场外面马路上的路灯不亮了好几天", "12345"),
    ],
)
def test_what_the_plaza_cannot_serve_is_referred(text, phone):
    found = domain.assess(text)
    assert found.kind == "service" and found.referral and found.referral.phone == phone


def test_an_alarm_sounding_is_not_a_call_to_the_police():
    assert domain.assess("2号货梯门关不上，一直在响报警").referral is None


@pytest.mark.parametrize(
    ("text", "kind", "also"),
    [
        ("门口的灯坏了，麻烦派人修一下。另外谢谢上次的维修师傅", "service", ("praise",)),
        ("谢谢保安昨晚帮忙，另外我们的门禁卡又刷不开了", "service", ("praise",)),
        ("保安态度太差了，吼我们店员。建议物业好好培训一下", "complaint", ("suggestion",)),
        ("感谢保洁阿姨的辛苦，建议多放几个垃圾桶，她们也能轻松点", "suggestion", ("praise",)),
    ],
)
def test_a_mixed_message_keeps_its_other_kinds(text, kind, also):
    found = domain.assess(text)
    assert (found.kind, found.also) == (kind, also)


@pytest.mark.parametrize("text", ["请尽快派人来修，谢谢", "请尽快派人来修一下，谢谢你们了", "麻烦保洁来一下，店门口被人泼了咖啡，谢谢啦", "ac broken pls fix, thanks!"])
def test_a_polite_thank_you_is_not_praise(text):
    assert domain.assess(text).also == ()


def test_a_plazas_own_rules_win_over_the_model():
    rules = ClassificationRules(kinds=[KindRule(kind="praise", keywords=["好评"])], major_keywords=["消防"])
    found = domain.assess("好评，不过停车费太贵了", rules)
    assert (found.kind, found.kind_reason) == ("praise", "plaza rule: keyword '好评'")
    assert found.also == ("complaint",) or found.also == ()  # the model's reading stays beside it
    major = domain.assess("投诉：消防设施没人检查", rules)
    assert (major.kind, major.severity) == ("complaint", "major")


def test_the_clerk_wins_over_plaza_rules_and_model():
    rules = ClassificationRules(kinds=[KindRule(kind="praise", keywords=["好评"])], major_keywords=[])
    found = domain.assess("好评", rules, kind="suggestion")
    assert (found.kind, found.kind_reason) == ("suggestion", domain.CLERK)


def test_the_department_is_proposed_from_the_text():
    assert domain.assess("卫生间没有纸了，洗手液也空了").department == "cleaning"
    assert domain.assess("有人在消防通道里堆了纸箱，请保安去处理").department == "security"
    assert domain.assess("表扬保安小王，帮我找回了丢失的钱包").department == "security"


def test_training_is_deterministic():
    examples = store.corpus()
    first, second = store.train(examples).model, store.train(examples).model
    for text in ("保安态度很差", "建议增加充电桩", "thanks for fixing the door, now the AC leaks"):
        assert first.read(text) == second.read(text)


def test_the_corpus_is_labelled_with_what_intake_knows():
    examples = store.corpus()
    phones = {e.phone for e in domain.DEFAULT_REFERRALS.entries}
    assert len(examples) >= 320 and len({e.text for e in examples}) == len(examples)
    for e in examples:
        assert e.kind in triage.KINDS and set(e.also) <= set(triage.KINDS) - {e.kind}, e
        assert e.department in {"engineering", "security", "cleaning", "customer_service"}, e
        assert e.referral is None or e.referral in phones, e
        assert not e.major or e.kind == "complaint", e
    train, held_out = store.split(examples)
    assert store.split(examples) == (train, held_out) and len(held_out) == pytest.approx(len(examples) / 4, abs=1)
