"""Continuing medical education in the demo city: two years of projects, attendance and credits.

Everything follows from the seed and the city already written (its institutions and workers):

- the yearly requirements (中级及以上 25 / I≥10 / II≥10 / remote ≤10; 初级及以下 20 / I≥5 / II≥10 /
  remote ≤10) through `services.requirement_set`, and a CmePolicy per year;
- municipal projects in every status of the workflow (draft, endorsed, approved, held with an
  execution report, rejected with a reason, cancelled), some filings and reports overdue relative
  to today, plus national and provincial projects; last year is lighter, so trends have a base;
- attendance with its class I credit, remote e-learning credits (as the platform import writes
  them), self-reported class II credits (some pending at each verification stage, some rejected);
- a few exemptions, a spot-check draw with findings, and last year's annual audit.

Each district has a diligence factor: some districts meet the 95% / 80% compliance targets, some
do not. The bulk rows (projects, attendance, credits, reviews) are inserted in bulk with one audit
row per bulk step, under the commission's science-and-education demo account; the few workflow
rows (requirements, approved exemptions, the audit run) go through the services.
"""

import datetime as dt
import random
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from weijian.accounts.models import User
from weijian.audit.actions import AuditAction
from weijian.audit.services import audit_record
from weijian.cme import services
from weijian.cme.models import (
    ActivityType,
    Attendance,
    AttendanceMethod,
    CmePolicy,
    CmeProject,
    CreditCategory,
    CreditClass,
    CreditRecord,
    CreditReview,
    CreditSource,
    Delivery,
    Exemption,
    ProjectLevel,
    ProjectStatus,
    ReviewDecision,
    SpotCheckDraw,
    SpotCheckItem,
    SpotCheckResult,
    TitleGroup,
    Verification,
    VerificationStage,
    title_group_of,
)
from weijian.demo.workers import _name
from weijian.imports.bulk import insert_rows, reserve_ids
from weijian.orgs.models import Institution
from weijian.workforce.models import Worker, WorkerStatus

# (total, class I, class II, remote cap), in tenths of a credit: the plan works in integers.
REQUIREMENTS = {
    TitleGroup.INTERMEDIATE_AND_ABOVE: (250, 100, 100, 100),
    TitleGroup.JUNIOR_AND_BELOW: (200, 50, 100, 100),
}
# Projects of a full city (300 institutions); a smaller city gets proportionally fewer.
FULL_INSTITUTIONS = 300
PROJECTS = {"current": (150, 40), "previous": (100, 25)}  # (municipal, national + provincial)

DISCIPLINES = (
    ("内科学", "心血管疾病诊疗"), ("内科学", "慢性阻塞性肺疾病规范化管理"), ("内科学", "糖尿病综合管理"),
    ("外科学", "微创外科技术"), ("外科学", "创伤急救与损伤控制"), ("妇产科学", "危重孕产妇救治"),
    ("儿科学", "儿童常见病规范诊治"), ("急诊医学", "心肺复苏与急危重症"), ("护理学", "专科护理质量与安全"),
    ("护理学", "老年护理与长期照护"), ("全科医学", "基层常见病多发病诊疗"), ("全科医学", "家庭医生签约服务"),
    ("中医学", "中医适宜技术推广"), ("中医学", "针灸推拿临床应用"), ("药学", "合理用药与处方点评"),
    ("医学检验", "临床检验质量控制"), ("医学影像", "影像诊断新进展"), ("公共卫生", "传染病防控与应急处置"),
    ("公共卫生", "慢性病综合防控"), ("精神卫生", "常见精神障碍识别与管理"), ("康复医学", "神经康复"),
    ("口腔医学", "口腔疾病预防与治疗"), ("麻醉学", "围术期安全管理"), ("感染管理", "医院感染预防与控制"),
)
FORMATS = ("学习班", "培训班", "新进展研讨会", "规范化诊疗培训班", "适宜技术推广班", "高级研修班")
COURSES = (
    "医疗质量安全核心制度解读", "抗菌药物临床合理应用", "医患沟通技巧", "医学伦理与法律法规", "院内感染防控要点",
    "心电图基础与判读", "急性胸痛的识别与处理", "高血压基层诊疗指南解读", "2型糖尿病用药进展", "慢病管理信息化",
    "临床科研设计入门", "循证医学与文献检索", "静脉治疗护理规范", "压力性损伤预防与护理", "中医体质辨识",
    "传染病报告与管理", "突发公共卫生事件应对", "安宁疗护基础", "合理膳食与营养评估", "儿童用药安全",
)
SELF_REPORTED = (  # (category, title, weight, credits in tenths: low, high)
    (CreditCategory.SELF_STUDY, "自学（读书笔记、专业文献学习）", 40, 30, 60),
    (CreditCategory.LECTURE, "院内业务讲座授课", 20, 20, 50),
    (CreditCategory.PAPER, "发表专业论文", 15, 50, 100),
    (CreditCategory.OTHER, "院内学术活动、病例讨论", 25, 20, 40),
)
REJECT_REASONS = ("证明材料不清晰，请重新上传", "与已登记的项目学分重复", "活动不属于继续医学教育范围",
                  "超出该类活动年度学分上限")
PROJECT_REJECT_REASONS = ("教学内容与已批准项目重复", "师资结构不符合要求：授课教师须具有副高级以上职称",
                          "经费预算不合理", "日程安排学时不足", "申报材料不完整，未按期补正")
CANCEL_REASONS = ("主讲专家临时无法到场，项目取消", "报名人数不足", "因场地调整取消举办")
EXEMPTION_REASONS = ("出国（境）进修学习一年", "长期病假（半年以上）", "产假", "援藏援外医疗任务")
FINDINGS = {
    SpotCheckResult.COMPLIANT: "签到记录、课件与日程一致，学分授予符合规定。",
    SpotCheckResult.MINOR: "部分学员签到表缺少签名时间；已要求主办单位补充说明。",
    SpotCheckResult.SERIOUS: "实际授课学时少于申报学时，存在未到场学员授予学分的情况。",
}
HOST_TYPES = {"general_hospital", "tcm_hospital", "specialist_hospital", "maternal_child", "cdc",
              "community_centre", "township_hospital"}


@dataclass
class CmeSummary:
    projects: int = 0
    attendances: int = 0
    credits: int = 0
    reviews: int = 0
    exemptions: int = 0
    skipped: bool = False
    timings: dict[str, float] = field(default_factory=dict)


@dataclass
class _Project:
    obj: CmeProject
    capacity: int  # planned attendees from the city
    attendable: bool
    planned: int = 0
    attendees: int = 0


@dataclass
class _Worker:
    pk: int
    institution_id: int
    district_id: str
    group: str


def _day(rng: random.Random, start: dt.date, end: dt.date) -> dt.date:
    return start + dt.timedelta(days=int(rng.random() * (max(0, (end - start).days) + 1)))


def _tenths(value: int) -> Decimal:
    return Decimal(value).scaleb(-1)


def _passes(i_on: int, ii_on: int, i_rem: int, ii_rem: int, requirement) -> bool:
    """rules.evaluate in integer tenths (the test checks the outcome against the real rule)."""
    total, min_i, min_ii, cap = requirement
    remote_i = min(i_rem, cap)
    remote_ii = min(ii_rem, cap - remote_i)
    class_i, class_ii = i_on + remote_i, ii_on + remote_ii
    return class_i >= min_i and class_ii >= min_ii and class_i + class_ii >= total


def _diligence(districts: list[str], seed: int) -> dict[str, float]:
    """0..1 per district, spread evenly (so the city always has districts on both sides of the targets)."""
    rng = random.Random(f"{seed}-diligence")
    order = sorted(districts)
    rng.shuffle(order)
    step = 1 / max(1, len(order) - 1)
    return {code: i * step for i, code in enumerate(order)}


def _compliant_chance(group: str, diligence: float) -> float:
    if group == TitleGroup.INTERMEDIATE_AND_ABOVE:
        return 0.85 + 0.145 * diligence  # 85% .. 99.5% (target 95%)
    return 0.66 + 0.32 * diligence  # 66% .. 98% (target 80%)


class _Builder:
    def __init__(self, *, actor: User, seed: int, today: dt.date, scale: float):
        self.actor, self.today, self.scale = actor, today, scale
        self.rng = random.Random(f"{seed}-cme")
        self.now = timezone.now()
        self.summary = CmeSummary()
        self.years = (today.year - 1, today.year)
        self.hosts: list[Institution] = []
        self.projects: dict[int, list[_Project]] = {}
        self.credit_rows: list[tuple] = []
        self.reviews: list[tuple] = []  # (record index, stage, decision, comment)
        self.attendance_rows: list[tuple] = []  # (project, worker pk, attended_on)
        self.next_import = 0
        self.activity_types: dict[str, ActivityType] = {}
        self.institution_user = User.objects.filter(username="institution_jinjiang").first()

    # ---- reference data through the services ----------------------------------------------------

    def reference_data(self) -> None:
        for year in self.years:
            for group, (total, min_i, min_ii, cap) in REQUIREMENTS.items():
                services.requirement_set(actor=self.actor, year=year, title_group=group, total=_tenths(total),
                                         min_class_i=_tenths(min_i), min_class_ii=_tenths(min_ii),
                                         remote_cap=_tenths(cap))
            policy = dict(filing_days_before=15, report_days_after=30, spot_check_rate=Decimal("0.150"),
                          cycle_years=5)
            policy_set = getattr(services, "policy_set", None)
            if policy_set is not None:
                policy_set(actor=self.actor, year=year, **policy)
            elif not CmePolicy.objects.filter(year=year).exists():
                row = CmePolicy.objects.create(year=year, **policy)
                audit_record(actor=self.actor, action=AuditAction.CREATE, entity="cme-policy", entity_id=row.pk,
                             summary=f"{year}年度继续医学教育参数（演示数据）",
                             after={k: str(v) for k, v in policy.items()})
        seed_catalogue = getattr(services, "activity_catalogue_seed", None)
        if seed_catalogue is not None:
            seed_catalogue(actor=self.actor)
        for activity in ActivityType.objects.filter(is_active=True, credit_class=CreditClass.II).order_by("code"):
            self.activity_types.setdefault(activity.category, activity)

    # ---- projects --------------------------------------------------------------------------------

    def plan_projects(self, institutions: list[Institution]) -> None:
        self.hosts = [i for i in institutions if i.type in HOST_TYPES] or institutions
        self.big = [i for i in self.hosts if i.grade in ("3A", "3B")] or self.hosts
        seq = 0
        for year in self.years:
            current = year == self.today.year
            municipal, upper = PROJECTS["current" if current else "previous"]
            municipal, upper = (max(8 if current else 5, round(n * self.scale)) if n else 0
                                for n in (municipal, upper))
            plans = []
            for i in range(upper):
                seq += 1
                level = ProjectLevel.NATIONAL if i % 3 == 0 else ProjectLevel.PROVINCIAL
                plans.append(self._upper_project(year, level, seq))
            statuses = self._municipal_statuses(municipal, current)
            for status, timing in statuses:
                seq += 1
                plans.append(self._municipal_project(year, status, timing, seq))
            self.projects[year] = plans

    def _municipal_statuses(self, n: int, current: bool) -> list[tuple[str, str]]:
        """(status, timing) for n municipal projects. Timings: past, recent, soon, future, overdue-filing,
        overdue-report, report-window."""
        S = ProjectStatus
        if not current:
            shares = [(S.HELD, "past", 80), (S.REJECTED, "past", 8), (S.CANCELLED, "past", 6),
                      (S.APPROVED, "overdue-report", 6)]
        else:
            shares = [(S.HELD, "past", 40), (S.DRAFT, "future", 8), (S.ENDORSED, "future", 9),
                      (S.REJECTED, "any", 8), (S.CANCELLED, "any", 5), (S.APPROVED, "future", 10),
                      (S.APPROVED, "overdue-filing", 5), (S.APPROVED, "overdue-report", 7),
                      (S.APPROVED, "report-window", 5), (S.APPROVED, "soon", 3)]
        weights = sum(w for *_, w in shares)
        out = []
        for status, timing, weight in shares:
            out += [(status, timing)] * max(1, round(n * weight / weights))
        return out[:n] if len(out) >= n else out + [(S.HELD, "past")] * (n - len(out))

    def _dates(self, year: int, timing: str, days: int) -> tuple[dt.date, dt.date]:
        today, first, last = self.today, dt.date(year, 1, 6), dt.date(year, 12, 20)
        horizon = min(last, today)
        if timing == "past":
            start = _day(self.rng, first, max(first, horizon - dt.timedelta(days=60)))
        elif timing == "overdue-report":
            start = _day(self.rng, first, max(first, horizon - dt.timedelta(days=50)))
        elif timing == "report-window":
            start = _day(self.rng, max(first, today - dt.timedelta(days=25)), max(first, today - dt.timedelta(days=8)))
        elif timing == "overdue-filing":
            start = _day(self.rng, max(first, today - dt.timedelta(days=3)), today + dt.timedelta(days=12))
        elif timing == "soon":
            start = _day(self.rng, today + dt.timedelta(days=5), today + dt.timedelta(days=14))
        elif timing == "future":
            start = _day(self.rng, today + dt.timedelta(days=16), max(today + dt.timedelta(days=16), last))
        else:
            start = _day(self.rng, first, last)
        start = min(start, dt.date(year, 12, 31) - dt.timedelta(days=days - 1))
        return start, start + dt.timedelta(days=days - 1)

    def _name(self, level: str) -> tuple[int, str, str]:
        index = self.rng.randrange(len(DISCIPLINES))
        discipline, topic = DISCIPLINES[index]
        prefix = {ProjectLevel.NATIONAL: "全国", ProjectLevel.PROVINCIAL: "四川省"}.get(level, "")
        return index + 1, discipline, f"{prefix}{topic}{self.rng.choice(FORMATS)}"

    def _base(self, year, level, seq, host, status, start, end, credits, capacity) -> CmeProject:
        code, discipline, name = self._name(level)
        mark = {ProjectLevel.NATIONAL: "国", ProjectLevel.PROVINCIAL: "省", ProjectLevel.MUNICIPAL: "市"}[level]
        return CmeProject(
            number=f"{year}-{code:02d}-{seq:04d}({mark})",
            name=name, level=level, host=host, discipline=discipline, credits=_tenths(credits),
            credit_class=CreditClass.I,
            delivery=Delivery.REMOTE if level == ProjectLevel.NATIONAL and self.rng.random() < 0.15
            else Delivery.FACE_TO_FACE,
            start_date=start, end_date=end, status=status, expected_attendees=capacity,
            lead_teacher=_name(self.rng, self.rng.random() < 0.5),
            audience=self.rng.choice(("全市二级以上医院相关专业医师", "基层医疗卫生机构医务人员", "相关专业护理人员",
                                      "全省相关专业中级及以上职称人员")),
            created_at=self.now, updated_at=self.now)

    def _upper_project(self, year: int, level: str, seq: int) -> _Project:
        days = self.rng.randint(2, 5)
        current = year == self.today.year
        future = current and self.rng.random() < 0.12
        start, end = self._dates(year, "future" if future else "past", days)
        credits = self.rng.choice((60, 80, 100)) if level == ProjectLevel.NATIONAL else self.rng.choice((40, 50, 60, 80))
        capacity = self.rng.randint(150, 400)
        held = not future and self.rng.random() < 0.9
        project = self._base(year, level, seq, self.rng.choice(self.big),
                             ProjectStatus.HELD if held else ProjectStatus.APPROVED, start, end, credits, capacity)
        project.filed_on = start - dt.timedelta(days=self.rng.randint(16, 45))
        if held:
            self._report(project, out_of_city=(0.25, 0.55))
        return _Project(project, capacity, attendable=not future)

    def _municipal_project(self, year: int, status: str, timing: str, seq: int) -> _Project:
        S = ProjectStatus
        days = self.rng.randint(1, 3)
        start, end = self._dates(year, timing, days)
        capacity = self.rng.randint(60, 260)
        host = self.rng.choice(self.hosts)
        project = self._base(year, ProjectLevel.MUNICIPAL, seq, host, status, start, end,
                             self.rng.choice((20, 30, 40, 50)), capacity)
        project.schedule = f"{start:%m月%d日}—{end:%m月%d日}：专题讲座、病例讨论、技能操作"
        project.budget = Decimal(self.rng.randint(20, 150) * 1000)
        if self.institution_user is not None and host.pk == self.institution_user.institution_id:
            project.applied_by = self.institution_user
        if status == S.REJECTED:
            project.decision_reason = self.rng.choice(PROJECT_REJECT_REASONS)
        elif status == S.CANCELLED:
            project.decision_reason = self.rng.choice(CANCEL_REASONS)
        elif status in (S.APPROVED, S.HELD):
            project.decision_reason = "同意立项"
            if timing != "overdue-filing" and not (timing == "future" and self.rng.random() < 0.5):
                project.filed_on = min(self.today, start - dt.timedelta(days=self.rng.randint(16, 40)))
        if status == S.HELD:
            self._report(project, out_of_city=(0.0, 0.15))
        attendable = status in (S.APPROVED, S.HELD) and end <= self.today
        return _Project(project, capacity, attendable=attendable)

    def _report(self, project: CmeProject, out_of_city: tuple[float, float]) -> None:
        project.held_from, project.held_to = project.start_date, project.end_date
        project.reported_on = min(self.today, project.end_date + dt.timedelta(days=self.rng.randint(3, 28)))
        project.out_of_city_count = round(project.expected_attendees * self.rng.uniform(*out_of_city))
        project.teachers = "、".join(_name(self.rng, self.rng.random() < 0.5) for _ in range(self.rng.randint(2, 5)))
        project.report_summary = "项目按计划举办，完成全部授课内容，学员考核合格后授予学分。"

    # ---- credits -------------------------------------------------------------------------------

    def plan_credits(self, workers: list[_Worker], diligence: dict[str, float], exempt: dict[int, set[int]],
                     pending_exempt: dict[int, set[int]], showcase: int | None = None) -> None:
        """`showcase`: the demo worker account's own worker, who this year lacks only class I credits, so
        one attended project visibly makes him compliant (the tour in docs/cme.md and the browser test)."""
        for year in self.years:
            last_day = min(self.today, dt.date(year, 12, 31))
            pool = [p for p in self.projects[year] if p.attendable]
            weights = [p.capacity for p in pool]
            for worker in workers:
                if worker.pk in exempt[year]:
                    continue  # abroad, on long leave: no credits this year
                requirement = REQUIREMENTS[worker.group]
                compliant = (worker.pk not in pending_exempt[year]
                             and self.rng.random() < _compliant_chance(worker.group, diligence[worker.district_id]))
                short_of_class_i = worker.pk == showcase and year == self.today.year
                self._worker_year(worker, year, requirement, compliant and not short_of_class_i, pool, weights,
                                  last_day, short_of_class_i)

    def _worker_year(self, worker, year, requirement, compliant, pool, weights, last_day,
                     short_of_class_i=False) -> None:
        rng, first = self.rng, dt.date(year, 1, 1)
        # items: [kind, class, credits, remote, project or None, day, counted]
        items = []
        for _ in range(rng.choice((0, 1, 1, 2, 2, 3, 3, 4, 5))):
            items.append(["import", "I" if rng.random() < 0.6 else "II", rng.choice((10, 15, 20, 30)), True, None,
                          _day(rng, first, last_day), True])
        sums = self._sums(items)
        need_i = requirement[1] - min(sums[2], requirement[3])
        attended, have = set(), 0
        for _ in range(6):
            if (have >= need_i and rng.random() < 0.7) or not pool:
                break
            project = rng.choices(pool, weights=weights)[0]
            if project.obj.number in attended or project.planned >= project.capacity:
                continue  # a seat of its own: never the same project twice, never beyond the room
            attended.add(project.obj.number)
            project.planned += 1
            obj = project.obj
            credits = int(obj.credits * 10)
            items.append(["attendance", "I", credits, obj.delivery == Delivery.REMOTE, project,
                          _day(rng, obj.start_date, min(obj.end_date, last_day)), True])
            have += credits
        while not _passes(*self._sums(items), requirement):
            i_on, ii_on, i_rem, ii_rem = self._sums(items)
            if i_on + min(i_rem, requirement[3]) < requirement[1]:  # no project left: remote class I
                items.append(["import", "I", 20, True, None, _day(rng, first, last_day), True])
                continue
            category, _title, _w, low, high = rng.choices(SELF_REPORTED, weights=[s[2] for s in SELF_REPORTED])[0]
            items.append(["self", category, rng.randint(low // 5, high // 5) * 5, False, None,
                          _day(rng, first, last_day), True])
        if short_of_class_i:
            for item in items:
                if item[0] != "self" and item[1] == "I":
                    item[6] = False  # not attended yet: class II complete, class I missing
        elif not compliant:
            # Take credits away (not done, still pending, or rejected) until the year falls short.
            order = list(range(len(items)))
            rng.shuffle(order)
            for index in order:
                if not _passes(*self._sums(items), requirement):
                    break
                items[index][6] = False
        for kind, cls, credits, _remote, project, day, counted in items:
            if kind == "attendance":
                if counted:
                    self.attendance_rows.append((project, worker.pk, day))
                    project.attendees += 1
            elif kind == "import":
                if counted:
                    self._import_row(worker.pk, year, cls, credits, day)
            else:
                state = "verified" if counted else rng.choice(("pending", "pending", "rejected", "missing"))
                if state == "pending" and year < self.today.year:
                    state = "missing"  # last year's reports have all been decided
                if state != "missing":
                    self._self_row(worker, year, cls, credits, day, state)
        # Some workers also have records still under review (this year) or turned down.
        if rng.random() < 0.1:
            category, _t, _w, low, high = rng.choices(SELF_REPORTED, weights=[s[2] for s in SELF_REPORTED])[0]
            state = rng.choice(("pending", "pending", "pending", "rejected"))
            if state == "rejected" or year == self.today.year:
                self._self_row(worker, year, category, rng.randint(low // 5, high // 5) * 5,
                               _day(rng, first, last_day), state)

    @staticmethod
    def _sums(items) -> tuple[int, int, int, int]:
        i_on = ii_on = i_rem = ii_rem = 0
        for kind, cls, credits, remote, _p, _d, counted in items:
            if not counted:
                continue
            if kind == "self":
                cls = "II"
            if cls == "I":
                if remote:
                    i_rem += credits
                else:
                    i_on += credits
            elif remote:
                ii_rem += credits
            else:
                ii_on += credits
        return i_on, ii_on, i_rem, ii_rem

    def _import_row(self, worker_pk: int, year: int, cls: str, credits: int, day: dt.date) -> None:
        self.next_import += 1
        self.credit_rows.append((
            worker_pk, year, cls, CreditCategory.REMOTE, _tenths(credits), None, day, True,
            self.rng.choice(COURSES), CreditSource.IMPORT, f"HXYC{year}{self.next_import:08d}",
            Verification.VERIFIED, VerificationStage.DONE, None, None, self.actor.pk, self.now))

    def _self_row(self, worker: _Worker, year: int, category: str, credits: int, day: dt.date, state: str) -> None:
        title = next(s[1] for s in SELF_REPORTED if s[0] == category)
        activity = self.activity_types.get(category)
        quantity = None
        if activity is not None:  # the quantity only where the catalogue's rate gives the credits exactly
            units = _tenths(credits) / activity.credits_per_unit
            if units == units.quantize(Decimal("0.1")) and units < 1000:
                quantity = units.quantize(Decimal("0.1"))
        if state == "verified":
            status, stage, by, at = Verification.VERIFIED, VerificationStage.DONE, self.actor.pk, self.now
        elif state == "rejected":
            status, stage, by, at = Verification.REJECTED, VerificationStage.DONE, self.actor.pk, self.now
            stage_rejected = self.rng.choice((VerificationStage.DEPARTMENT, VerificationStage.INSTITUTION,
                                              VerificationStage.COMMISSION))
            self._review_chain(stage_rejected, rejected=True)
        else:
            status, by, at = Verification.PENDING, None, None
            stage = self.rng.choices((VerificationStage.DEPARTMENT, VerificationStage.INSTITUTION,
                                      VerificationStage.COMMISSION), weights=(5, 3, 2))[0]
            self._review_chain(stage, rejected=False)
        self.credit_rows.append((
            worker.pk, year, CreditClass.II, category, _tenths(credits), None, day, False, title,
            CreditSource.SELF_REPORTED, "", status, stage, activity.pk if activity else None, quantity, by, at))

    def _review_chain(self, stage: str, *, rejected: bool) -> None:
        """Reviews of the record about to be appended: approvals of the earlier stages, then the rejection."""
        index = len(self.credit_rows)
        chain = (VerificationStage.DEPARTMENT, VerificationStage.INSTITUTION, VerificationStage.COMMISSION)
        for earlier in chain[:chain.index(stage)]:
            self.reviews.append((index, earlier, ReviewDecision.APPROVE, ""))
        if rejected:
            self.reviews.append((index, stage, ReviewDecision.REJECT, self.rng.choice(REJECT_REASONS)))


# ---- writing -----------------------------------------------------------------------------------

CREDIT_COLUMNS = ("id", "created_at", "updated_at", "worker_id", "year", "credit_class", "category", "credits",
                  "project_id", "earned_on", "is_remote", "title", "source", "external_ref", "status", "stage",
                  "activity_type_id", "quantity", "verified_by_id", "verified_at")


def _audit_bulk(actor, entity: str, summary: str, **after) -> None:
    audit_record(actor=actor, action=AuditAction.CREATE, entity=entity, entity_id="demo",
                 summary=f"演示数据：{summary}", after=after)


def _write(builder: _Builder) -> None:
    actor, now = builder.actor, builder.now
    projects = [p.obj for year in builder.years for p in builder.projects[year]]
    for plan in (p for year in builder.years for p in builder.projects[year]):
        if plan.obj.status == ProjectStatus.HELD:
            plan.obj.attendee_count = plan.attendees + (plan.obj.out_of_city_count or 0)
    CmeProject.objects.bulk_create(projects, batch_size=500)
    _audit_bulk(actor, "cme-project", f"继续医学教育项目 {len(projects)} 个", count=len(projects))

    insert_rows(Attendance, ("created_at", "updated_at", "project_id", "worker_id", "attended_on", "method"),
                ((now, now, project.obj.pk, worker, day,
                  AttendanceMethod.QR_CHECK_IN if project.obj.pk % 2 else AttendanceMethod.SIGN_IN_SHEET)
                 for project, worker, day in builder.attendance_rows))
    _audit_bulk(actor, "cme-attendance", f"项目参加记录 {len(builder.attendance_rows)} 条",
                count=len(builder.attendance_rows))

    attendance_credits = [
        (worker, day.year, CreditClass.I, CreditCategory.PROJECT, project.obj.credits, project.obj.pk, day,
         project.obj.delivery == Delivery.REMOTE, project.obj.name, CreditSource.ATTENDANCE,
         services.attendance_ref(project.obj), Verification.VERIFIED, VerificationStage.DONE, None, None,
         actor.pk, now)
        for project, worker, day in builder.attendance_rows]
    rows = builder.credit_rows
    ids = reserve_ids(CreditRecord, len(rows) + len(attendance_credits))
    insert_rows(CreditRecord, CREDIT_COLUMNS,
                ((pk, now, now, *row) for pk, row in zip(ids, [*rows, *attendance_credits], strict=True)))
    _audit_bulk(actor, "cme-credit", f"学分记录 {len(ids)} 条（项目学分、远程教育导入、个人申报）", count=len(ids))

    reviewer = {VerificationStage.DEPARTMENT: builder.institution_user or actor,
                VerificationStage.INSTITUTION: builder.institution_user or actor,
                VerificationStage.COMMISSION: actor}
    insert_rows(CreditReview, ("created_at", "updated_at", "record_id", "stage", "decision", "comment", "reviewer_id"),
                ((now, now, ids[index], stage, decision, comment, reviewer[stage].pk)
                 for index, stage, decision, comment in builder.reviews))
    builder.summary.projects, builder.summary.attendances = len(projects), len(builder.attendance_rows)
    builder.summary.credits, builder.summary.reviews = len(ids), len(builder.reviews)


def _exemptions(builder: _Builder, workers: list[_Worker]) -> tuple[dict, dict]:
    """Approved exemptions (through the service) and pending requests, per year."""
    rng = builder.rng
    exempt, pending = {}, {}
    chosen = rng.sample(workers, min(len(workers), max(2, len(workers) // 400)))
    by_pk = Worker.objects.in_bulk([w.pk for w in chosen])
    for year in builder.years:
        exempt[year], pending[year] = set(), set()
    rows = []
    for n, worker in enumerate(chosen):
        year = builder.years[n % 2]
        reason = rng.choice(EXEMPTION_REASONS)
        if year == builder.today.year and n % 4 == 1:
            pending[year].add(worker.pk)
            rows.append(Exemption(worker_id=worker.pk, year=year, reason=reason, status=Verification.PENDING,
                                  requested_by=builder.institution_user
                                  if builder.institution_user
                                  and builder.institution_user.institution_id == worker.institution_id else None))
        else:
            exempt[year].add(worker.pk)
            services.exemption_grant(actor=builder.actor, worker=by_pk[worker.pk], year=year, reason=reason)
    Exemption.objects.bulk_create(rows)
    if rows:
        _audit_bulk(builder.actor, "cme-exemption", f"待审批豁免申请 {len(rows)} 条", count=len(rows))
    builder.summary.exemptions = len(chosen)
    return exempt, pending


def _spot_check(builder: _Builder, seed: int) -> None:
    year = builder.today.year
    held = [p.obj for p in builder.projects[year] if p.obj.status == ProjectStatus.HELD]
    if not held:
        return
    rate = Decimal("0.150")
    rng = random.Random(f"{seed}-spot-check")
    sample = rng.sample(held, max(1, round(len(held) * float(rate))))
    draw = SpotCheckDraw.objects.create(
        name=f"{year}年度继续医学教育项目抽查（第一批）", period_start=dt.date(year, 1, 1),
        period_end=builder.today, rate=rate, seed=seed, risk_weighted=False, population=len(held),
        drawn_by=builder.actor)
    items = []
    for n, project in enumerate(sorted(sample, key=lambda p: p.number)):
        item = SpotCheckItem(draw=draw, project=project, stratum=f"{project.level}|{project.host.district_id}")
        if n % 3 != 2:  # two thirds inspected so far
            item.result = rng.choices(list(FINDINGS), weights=(7, 2, 1))[0]
            item.findings, item.inspector = FINDINGS[item.result], builder.actor
            item.inspected_on = min(builder.today, project.end_date + dt.timedelta(days=rng.randint(10, 40)))
        items.append(item)
    SpotCheckItem.objects.bulk_create(items)
    audit_record(actor=builder.actor, action=AuditAction.DRAW, entity="cme-spot-check", entity_id=draw.pk,
                 summary=f"演示数据：{draw.name}，抽取 {len(items)} 个项目",
                 after={"population": len(held), "drawn": len(items), "seed": seed})


def generate_cme(*, actor: User, seed: int, institutions: int, today: dt.date | None = None) -> CmeSummary:
    """Write the CME data of the demo city, once: skipped when the database already has CME projects."""
    today = today or timezone.localdate()
    if CmeProject.objects.exists():
        return CmeSummary(skipped=True)
    builder = _Builder(actor=actor, seed=seed, today=today, scale=min(1.0, institutions / FULL_INSTITUTIONS))
    with transaction.atomic():
        builder.reference_data()
        hosts = list(Institution.objects.order_by("pk"))
        builder.plan_projects(hosts)
        rows = (Worker.objects.filter(status=WorkerStatus.ACTIVE).order_by("pk")
                .values_list("pk", "institution_id", "institution__district_id", "title_level"))
        workers = [_Worker(pk, inst, district, title_group_of(title)) for pk, inst, district, title in rows]
        diligence = _diligence(sorted({w.district_id for w in workers}), seed)
        exempt, pending = _exemptions(builder, workers) if workers else ({y: set() for y in builder.years},) * 2
        showcase = User.objects.filter(username="worker_jinjiang").values_list("worker_id", flat=True).first()
        builder.plan_credits(workers, diligence, exempt, pending, showcase)
        _write(builder)
        _spot_check(builder, seed)
        services.annual_audit_run(actor=actor, year=builder.years[0])
    return builder.summary
