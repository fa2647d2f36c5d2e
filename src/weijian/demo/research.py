"""Research projects in the demo city: last year's call with its funded projects in execution and
closure (some overdue, some closed, a few terminated), this year's calls with applications in every
step (draft, submitted, returned, endorsed, in expert review), an expert pool with assignments and
scores, ethics approvals, two integrity cases, achievements, awards, transfers and the
appropriate-technology library.

Everything follows from the seed and the city already written. The demo health worker
(`worker_jinjiang`) leads one draft application and one executing project; the demo expert
(`expert`) has reviews waiting. Most people of the city have no login, so rows are written in bulk
with one audit row per step under the commission's demo account, as the CME demo does; the steps a
demo user takes in the browser go through the services.
"""

import datetime as dt
import hashlib
import random
import uuid
from dataclasses import dataclass
from decimal import Decimal

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from weijian.accounts.models import User
from weijian.audit.actions import AuditAction
from weijian.audit.services import audit_record
from weijian.core.crypto import encrypt_bytes
from weijian.research import reminders, rules
from weijian.research.assignment import ApplicationNeed, ExpertCandidate, conflict
from weijian.research.completeness import budget_total
from weijian.research.models import (
    Achievement,
    Application,
    ApplicationAttachment,
    ApplicationEvent,
    ApplicationStatus,
    AppropriateTech,
    AssignmentStatus,
    Award,
    Call,
    CallStatus,
    Closure,
    EthicsApproval,
    Expert,
    IntegrityCase,
    Promotion,
    ReviewAssignment,
    TaskAgreement,
    TeamMember,
    TechTransfer,
)
from weijian.workforce.models import Worker, WorkerStatus

SPECIALTIES = ("心血管内科", "呼吸内科", "内分泌科", "神经内科", "普外科", "骨科", "妇产科", "儿科", "肿瘤科",
               "全科医学", "公共卫生", "护理学", "中医学", "医学影像", "检验医学", "药学")
TOPICS = ("基层{s}规范化诊疗路径研究", "{s}人工智能辅助诊断的临床验证", "{s}高危人群早期筛查模式研究",
          "社区{s}慢病管理干预效果评价", "{s}多学科协作诊疗模式研究", "{s}适宜技术在基层的推广应用研究")


@dataclass
class ResearchSummary:
    calls: int = 0
    applications: int = 0
    experts: int = 0
    skipped: bool = False


def generate_research(*, actor: User, seed: int, today: dt.date | None = None) -> ResearchSummary:
    """Write the research data of the demo city once: skipped when calls already exist."""
    today = today or timezone.localdate()
    if Call.objects.exists():
        return ResearchSummary(skipped=True)
    rng = random.Random(seed + 404)
    people = list(Worker.objects.filter(status=WorkerStatus.ACTIVE, title_level__in=("intermediate", "associate_senior",
                                                                                     "senior"))
                  .order_by("pk").values_list("pk", "institution_id", "name")[:4000])
    if len(people) < 50:
        return ResearchSummary(skipped=True)
    summary = ResearchSummary()
    with transaction.atomic():
        demo_id = User.objects.filter(username="worker_jinjiang").values_list("worker_id", flat=True).first()
        demo_pi = Worker.objects.filter(pk=demo_id).values_list("pk", "institution_id", "name").first()
        calls = _calls(actor, today)
        experts = _experts(actor, rng, people, demo_pi)
        last, general, youth, major, _recommendation = calls
        made = [_applications(actor, rng, last, people, 40, today, demo_pi, funded=True),
                _applications(actor, rng, general, people, 30, today, demo_pi),
                _applications(actor, rng, youth, people, 10, today, None),
                _applications(actor, rng, major, people, 12, today, None, in_review=True)]
        _reviews(actor, rng, [a for batch in made for a in batch], experts, today)
        _integrity_and_ethics(actor, rng, made[0], people, today)
        _achievements(actor, rng, made[0], today)
        made.append(_recommended(actor, rng, calls[4], people, today))
        reminders.closure_reminders_send(actor=actor, today=today)
        summary.calls, summary.experts = len(calls), len(experts)
        summary.applications = sum(len(batch) for batch in made)
        audit_record(actor=actor, action=AuditAction.CREATE, entity="research-application",
                     summary=f"演示数据：{summary.calls} 个申报通知、{summary.applications} 份申报书、"
                             f"{summary.experts} 名评审专家")
    return summary


def _calls(actor, today: dt.date) -> list[Call]:
    year = today.year
    specs = [(year - 1, "上一年度市卫健委科研项目", "general", dt.date(year - 1, 3, 1), dt.date(year - 1, 4, 30), CallStatus.CLOSED, 3),
             (year, f"{year}年度市卫健委科研项目（一般项目）", "general", today - dt.timedelta(days=20),
              today + dt.timedelta(days=40), CallStatus.OPEN, None),
             (year, f"{year}年度青年科研项目", "youth", today - dt.timedelta(days=10), today + dt.timedelta(days=50),
              CallStatus.OPEN, None),
             (year, f"{year}年度重大科研项目", "major", today - dt.timedelta(days=90), today - dt.timedelta(days=30),
              CallStatus.CLOSED, None),
             (year - 1, f"{year - 1}年度省级、国家级科技计划项目推荐", "recommendation", dt.date(year - 1, 2, 1),
              dt.date(year - 1, 3, 15), CallStatus.CLOSED, None)]
    calls = []
    for call_year, title, category, opens, closes, status, quota in specs:
        calls.append(Call.objects.create(
            year=call_year, title=title, category=category, opens_on=opens, closes_on=closes, status=status,
            budget_ceiling=Decimal("50" if category == "major" else "20"), institution_quota=quota,
            min_title_level="intermediate", youth_age_limit=40 if category == "youth" else None,
            priority_fields=["基层卫生", "慢病防治"], required_attachments=["单位推荐意见"],
            experts_per_application=5 if category == "major" else 3, created_by=actor))
    return calls


DEMO_EXPERT_SPECIALTY = "卫生管理"  # the demo expert's alone: an application in it is assigned to him


def _experts(actor, rng: random.Random, people, demo_pi) -> list[Expert]:
    """40 experts of the city; the first is the demo `expert` account, at another institution than the
    demo PI, the only one in health management, with room for more reviews."""
    demo = User.objects.filter(username="expert").first()
    elsewhere = [p for p in people if not demo_pi or p[1] != demo_pi[1]]
    chosen = rng.sample(elsewhere, 40)
    experts = []
    for n, (worker_id, institution_id, name) in enumerate(chosen):
        first = n == 0
        experts.append(Expert(name=name, worker_id=worker_id, institution_id=institution_id,
                              specialties=[DEMO_EXPERT_SPECIALTY, "全科医学"] if first else rng.sample(SPECIALTIES, 2),
                              load_cap=30 if first else 8, title_level="senior", user=demo if first else None))
    return Expert.objects.bulk_create(experts)


def _applications(actor, rng, call: Call, people, count: int, today: dt.date, demo_pi, *, funded=False,
                  in_review=False) -> list[Application]:
    picks = rng.sample(people, count)
    if demo_pi and not in_review and demo_pi not in picks:
        picks[0] = demo_pi  # the demo health worker leads the first (a draft now, executing last year)
    if funded:
        statuses = ([ApplicationStatus.EXECUTING] * 14 + [ApplicationStatus.CLOSED] * 8
                    + [ApplicationStatus.TERMINATED] * 3 + [ApplicationStatus.REJECTED] * 15)
    elif in_review:
        statuses = [ApplicationStatus.IN_REVIEW] * count
    else:
        statuses = ([ApplicationStatus.DRAFT, ApplicationStatus.SUBMITTED, ApplicationStatus.RETURNED,
                     ApplicationStatus.ENDORSED, ApplicationStatus.IN_REVIEW] * count)[:count]
    now = timezone.now()
    rows = []
    for n, ((worker_id, institution_id, _name), status) in enumerate(zip(picks, statuses, strict=True), start=1):
        specialty = rng.choice(SPECIALTIES)
        submitted = status != ApplicationStatus.DRAFT
        lines = _budget(rng, Decimal(rng.choice(("8", "10", "12", "15", "20"))))
        rows.append(Application(
            call=call, number=f"KY{call.year}-{call.pk:03d}-{n:04d}", title=rng.choice(TOPICS).format(s=specialty),
            specialty=specialty, pi_id=worker_id, institution_id=institution_id, status=status,
            version=2 if status == ApplicationStatus.RETURNED else 1,
            summary="围绕基层常见病开展研究（演示数据）", budget_total=budget_total(lines), budget_lines=lines,
            milestones=_milestones(call.closes_on), human_subjects=rng.random() < 0.5,
            integrity_signed_at=now if submitted else None, submitted_at=now if submitted else None))
    applications = Application.objects.bulk_create(rows)
    team = [TeamMember(application=a, worker_id=w, role="member")
            for a in applications for w, _i, _n in rng.sample(people, 3) if w != a.pi_id]
    TeamMember.objects.bulk_create(team, ignore_conflicts=True)
    ApplicationEvent.objects.bulk_create([ApplicationEvent(application=a, version=1, action="submit", actor=actor)
                                          for a in applications if a.submitted_at])
    _attach(actor, call, [a for a in applications if a.submitted_at])
    if funded:
        _execution(actor, rng, call, applications, today, demo_pi[0] if demo_pi else None)
    return applications


def _budget(rng, total: Decimal) -> dict[str, str]:
    """The total split over three heads, in whole 万元 where it can be."""
    heads = rng.sample(["equipment", "materials", "testing", "travel", "labour", "consulting"], 3)
    first = (total * Decimal("0.5")).quantize(Decimal("1"))
    second = ((total - first) * Decimal("0.6")).quantize(Decimal("1"))
    amounts = (first, second, total - first - second)
    return {head: str(amount.quantize(Decimal("0.01"))) for head, amount in zip(heads, amounts, strict=True)}


def _milestones(start: dt.date) -> list[dict]:
    steps = ((180, "完成研究方案论证与伦理审查"), (540, "完成研究对象入组与基线调查"), (900, "完成随访、数据分析并撰写论文"))
    return [{"due": (start + dt.timedelta(days=days)).isoformat(), "goal": goal} for days, goal in steps]


def _demo_pdf(text: str) -> bytes:
    """A one-page PDF standing in for a scanned form (synthetic: it says so on the page)."""
    import io

    from reportlab.lib.pagesizes import A4
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    buffer = io.BytesIO()
    page = canvas.Canvas(buffer, pagesize=A4)
    page.setFont("STSong-Light", 16)
    page.drawString(72, 760, text)
    page.setFont("STSong-Light", 11)
    page.drawString(72, 730, "演示数据，非真实文件")
    page.save()
    return buffer.getvalue()


def _attach(actor, call: Call, applications: list[Application]) -> None:
    """The call's required attachments for every submitted application (one synthetic PDF each kind)."""
    for kind in call.required_attachments:
        data = _demo_pdf(f"{kind}（演示）")
        digest = hashlib.sha256(data).hexdigest()
        sealed = encrypt_bytes(data)
        rows = []
        for application in applications:
            attachment = ApplicationAttachment(application=application, kind=kind, original_name=f"{kind}.pdf",
                                               content_type="application/pdf", size=len(data), sha256=digest,
                                               uploaded_by=actor)
            attachment.file.save(f"{uuid.uuid4().hex}.bin", ContentFile(sealed), save=False)
            rows.append(attachment)
        ApplicationAttachment.objects.bulk_create(rows)


def _execution(actor, rng, call: Call, applications: list[Application], today: dt.date,
               demo_pi_id: int | None) -> None:
    """Last year's projects: decided, with agreements of 12-24 months; some past due and not closed."""
    decided = timezone.make_aware(dt.datetime.combine(call.closes_on + dt.timedelta(days=45), dt.time(10)))
    agreements, closures = [], []
    for application in applications:
        application.decided_at = decided
        if application.status == ApplicationStatus.REJECTED:
            continue
        application.funded_amount = application.budget_total
        application.score = Decimal(rng.randint(7000, 9200)) / 100
        starts = decided.date() + dt.timedelta(days=30)
        ends = starts + dt.timedelta(days=rng.choice((365, 450, 540, 730)))
        if application.pi_id == demo_pi_id:
            # On time (he may apply again), and due within 90 days: his page shows the first closure reminder.
            ends = today + dt.timedelta(days=75)
        agreements.append(TaskAgreement(application=application, number=f"RW{application.number[2:]}",
                                        starts_on=starts, ends_on=ends, funding=application.funded_amount,
                                        milestones=["完成研究对象入组", "发表论文1篇"], issued_by=actor))
        if application.status == ApplicationStatus.CLOSED:
            closed = min(today, ends - dt.timedelta(days=rng.randint(0, 60)))
            closures.append(Closure(application=application, summary="完成全部研究内容（演示数据）",
                                    submitted_at=timezone.now(), verdict="passed", accepted_by=actor, closed_on=closed))
    Application.objects.bulk_update(applications, ["decided_at", "funded_amount", "score"])
    TaskAgreement.objects.bulk_create(agreements)
    Closure.objects.bulk_create(closures)


def _reviews(actor, rng, applications: list[Application], experts: list[Expert], today: dt.date) -> None:
    """This year's applications in review get three or five experts; about half have scored. The demo
    expert gets assignments still waiting for him."""
    rows = []
    demo = experts[0]
    candidates = {e.pk: ExpertCandidate(e.pk, e.institution_id, frozenset(e.specialties), person_id=e.worker_id)
                  for e in experts}
    team: dict[int, list[tuple[int, int]]] = {}
    for application_id, worker_id, institution_id in TeamMember.objects.filter(
            application__in=applications).values_list("application_id", "worker_id", "worker__institution_id"):
        team.setdefault(application_id, []).append((worker_id, institution_id))
    for application in (a for a in applications if a.status == ApplicationStatus.IN_REVIEW):
        members = team.get(application.pk, [])
        need = ApplicationNeed(application.pk, application.specialty,
                               frozenset({application.institution_id} | {i for _w, i in members}),
                               frozenset({application.pi_id} | {w for w, _i in members}))
        free = [e for e in experts if conflict(candidates[e.pk], need) is None]  # the same hard rules as assign()
        chosen = [e for e in rng.sample(free, min(8, len(free))) if e is not demo][:4]
        if demo in free and rng.random() < 0.6:
            chosen = [demo, *chosen]
        for expert in chosen:
            scored = expert is not demo and rng.random() < 0.5
            scores = {c.key: str(rng.randint(6, 10)) for c in rules.DEFAULT_CRITERIA} if scored else None
            rows.append(ReviewAssignment(
                application=application, expert=expert, due_on=today + dt.timedelta(days=14),
                status=AssignmentStatus.SUBMITTED if scored else AssignmentStatus.ASSIGNED, scores=scores,
                total=rules.weighted_total({k: Decimal(v) for k, v in scores.items()}) if scored else None,
                comment="研究设计合理，建议补充样本量计算依据（演示数据）" if scored else "",
                submitted_at=timezone.now() if scored else None))
    ReviewAssignment.objects.bulk_create(rows)


def _recommended(actor, rng, call: Call, people, today: dt.date) -> list[Application]:
    """Last year's recommendations to provincial and national programmes: twelve recommended, with the
    results that came back (seven won, three not, two still pending)."""
    applications = _applications(actor, rng, call, people, 12, today, None, in_review=True)
    decided = timezone.make_aware(dt.datetime.combine(call.closes_on + dt.timedelta(days=20), dt.time(10)))
    results = [("provincial", True)] * 5 + [("national", True)] * 2 + [("provincial", False)] * 3 + [None] * 2
    for application, result in zip(applications, results, strict=True):
        application.status, application.decided_at = ApplicationStatus.APPROVED, decided
        application.score = Decimal(rng.randint(8000, 9400)) / 100
        if result:
            level, won = result
            application.external_level, application.external_result = level, "won" if won else "not_won"
            application.external_funding = Decimal(rng.choice(("30", "50", "80"))) if won else None
            decided_on = dt.date(call.year, 9, 1) + dt.timedelta(days=rng.randint(0, 90))
            application.external_decided_on = min(today, decided_on)
    Application.objects.bulk_update(applications, ["status", "decided_at", "score", "external_level", "external_result",
                                                   "external_funding", "external_decided_on"])
    return applications


def _integrity_and_ethics(actor, rng, funded: list[Application], people, today: dt.date) -> None:
    (w1, _i1, _n1), (w2, _i2, _n2) = rng.sample(people, 2)
    IntegrityCase.objects.bulk_create([
        IntegrityCase(worker_id=w1, number=f"SX-{today.year}-001", finding="论文数据造假（演示数据）", sanction="ban_apply",
                      starts_on=today - dt.timedelta(days=100), ends_on=today + dt.timedelta(days=265),
                      recorded_by=actor),
        IntegrityCase(worker_id=w2, number=f"SX-{today.year - 1}-004", finding="评审中泄露申报材料（演示数据）",
                      sanction="ban_review", starts_on=today - dt.timedelta(days=400),
                      ends_on=today - dt.timedelta(days=35), recorded_by=actor)])
    EthicsApproval.objects.bulk_create([
        EthicsApproval(application=a, committee=f"{a.institution.name}伦理委员会", number=f"LL-{a.pk:05d}",
                       decision="approved", valid_from=a.decided_at.date() - dt.timedelta(days=10),
                       valid_until=a.decided_at.date() + dt.timedelta(days=1000), recorded_by=actor)
        for a in funded if a.human_subjects and a.status != ApplicationStatus.REJECTED])


def _achievements(actor, rng, funded: list[Application], today: dt.date) -> None:
    closed = [a for a in funded if a.status == ApplicationStatus.CLOSED][:5]
    achievements = Achievement.objects.bulk_create([
        Achievement(title=f"{a.title}成果", application=a, institution_id=a.institution_id, lead_id=a.pi_id,
                    summary="形成基层可推广的诊疗路径（演示数据）", panel=["专家甲", "专家乙", "专家丙", "专家丁", "专家戊"],
                    appraised_on=today - dt.timedelta(days=rng.randint(10, 200)), verdict="domestic_advanced")
        for a in closed])
    if not achievements:
        return
    Award.objects.bulk_create([
        Award(achievement=achievements[0], name="市科学技术进步奖", level="municipal", year=today.year, status="won",
              grade="二等奖"),
        Award(achievement=achievements[-1], name="省医学科技奖", level="provincial", year=today.year)])
    TechTransfer.objects.create(achievement=achievements[0], contract_number=f"ZH-{today.year}-01",
                                partner="演示医疗科技有限公司", amount=Decimal("30"),
                                signed_on=today - dt.timedelta(days=30))
    techs = AppropriateTech.objects.bulk_create([
        AppropriateTech(name=name, description=text, applicable_levels=levels, contact="市卫健委科教处（演示）",
                        training_materials="操作规范与培训视频（演示）")
        for name, text, levels in (
            ("高血压社区规范化管理技术", "基层高血压筛查、分级随访与用药调整", ["社区卫生服务中心", "乡镇卫生院"]),
            ("糖尿病足早期筛查技术", "基层糖尿病足风险评估与转诊", ["社区卫生服务中心", "乡镇卫生院"]),
            ("中医针灸治疗颈肩腰腿痛", "基层中医适宜技术", ["乡镇卫生院", "村卫生室"]),
            ("儿童哮喘规范化管理", "基层儿童哮喘评估与长期管理", ["社区卫生服务中心"]))])
    institutions = list(Application.objects.values_list("institution_id", flat=True).distinct()[:12])
    Promotion.objects.bulk_create([Promotion(technology=rng.choice(techs), institution_id=i,
                                             adopted_on=today - dt.timedelta(days=rng.randint(5, 300)),
                                             people_trained=rng.randint(5, 40)) for i in institutions],
                                  ignore_conflicts=True)
