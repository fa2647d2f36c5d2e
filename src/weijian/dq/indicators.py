"""The indicators data-quality control offers to target assessment: completeness, timeliness and the
composite score per institution (the institution of each uploading source), from the newest results of
each source in the year (`selectors.latest_results`)."""

import datetime as dt

from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _

from weijian.core.indicators import HIGHER, INSTITUTION, RATE, AssessmentIndicator, Tally
from weijian.dq.models import Kind
from weijian.dq.selectors import latest_results, reporting_on_time, weights
from weijian.records.models import Source


def _by_institution(year: int, kinds: tuple[str, ...] | None) -> dict[int, Tally]:
    weight = weights() if kinds is None else {kind: 1 for kind in kinds}
    tallies: dict[int, Tally] = {}
    for result in latest_results(year=year):
        if result.institution_id is None or result.kind not in weight:
            continue
        w = weight[result.kind]
        tallies[result.institution_id] = tallies.get(result.institution_id, Tally()) + Tally(
            w * result.passed, w * result.checked)
    return tallies


def _completeness(year: int, today: dt.date) -> dict[int, Tally]:
    return _by_institution(year, (Kind.COMPLETENESS,))


def _timeliness(year: int, today: dt.date) -> dict[int, Tally]:
    return _by_institution(year, (Kind.TIMELINESS,))


def _composite(year: int, today: dt.date) -> dict[int, Tally]:
    return _by_institution(year, None)


def _reporting(year: int, today: dt.date) -> dict[int, Tally]:
    institutions = dict(Source.objects.values_list("pk", "institution_id"))
    tallies: dict[int, Tally] = {}
    for source_id, (on_time, due) in reporting_on_time(year=year, today=today).items():
        institution = institutions.get(source_id)
        if institution is not None and due:
            tallies[institution] = tallies.get(institution, Tally()) + Tally(on_time, due)
    return tallies


def _scorecard(year: int, district: str, institution: int | None) -> str:
    query = {"year": year, "by": "institution" if institution is None else "source"}
    if institution is not None:
        query["institution"] = institution
    return reverse("dq:scorecards") + "?" + urlencode(query)


ASSESSMENT = (
    AssessmentIndicator("dq-completeness", _("上传数据完整率"), "dq", RATE, "%", HIGHER, INSTITUTION, _completeness,
                        _("完整性规则判定合格的比例（各来源最近一次质控）。"), _scorecard,
                        _("上传数据完整率{value}")),
    AssessmentIndicator("dq-timeliness", _("上传数据及时率"), "dq", RATE, "%", HIGHER, INSTITUTION, _timeliness,
                        _("及时性规则判定合格的比例，如就诊记录24小时内上传。"), _scorecard,
                        _("上传及时率{value}")),
    AssessmentIndicator("dq-reporting", _("按期上报率"), "dq", RATE, "%", HIGHER, INSTITUTION, _reporting,
                        _("各数据来源应报月份中按期上报（当月或次月5日前有上传）的比例。"), _scorecard,
                        _("数据来源按期上报率{value}（{numerator}/{denominator}个来源月）")),
    AssessmentIndicator("dq-composite", _("数据质量综合得分"), "dq", RATE, "%", HIGHER, INSTITUTION, _composite,
                        _("各维度按权重合计的合格比例。"), _scorecard,
                        _("数据质量综合合格率{value}")),
)
