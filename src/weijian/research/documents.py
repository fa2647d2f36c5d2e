"""The research documents as PDF: the task agreement (任务书) of a funded project, the closure
certificate (结题证书) and an ethics committee's decision letter (伦理审查批件 / 审查意见通知书). Built offline with reportlab's built-in CID font STSong-Light (no font file
shipped; the reader's PDF viewer supplies the glyphs), like the CME certificate.

They are the commission's and the committees' issued documents, so they stay in Chinese whatever language
the reader's pages are in: each is built with the default language active, which keeps the model labels
they print (project category, verdict, decision …) Chinese too.
"""

import functools
import io

from django.conf import settings
from django.utils import timezone, translation

from weijian.research.ethics_selectors import agenda_item, submission_approvals
from weijian.research.models import Application, ClosureVerdict, EthicsDecision, EthicsSubmissionStatus

FONT = "STSong-Light"


def _styles():
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont

    if FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(FONT))
    return (ParagraphStyle("title", fontName=FONT, fontSize=18, leading=26, alignment=1),
            ParagraphStyle("text", fontName=FONT, fontSize=10.5, leading=17))


def _table(rows, widths):
    from reportlab.lib import colors
    from reportlab.platypus import Table, TableStyle

    table = Table(rows, colWidths=widths)
    table.setStyle(TableStyle([("FONTNAME", (0, 0), (-1, -1), FONT), ("FONTSIZE", (0, 0), (-1, -1), 10),
                               ("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
                               ("BACKGROUND", (0, 0), (0, -1), colors.whitesmoke),
                               ("VALIGN", (0, 0), (-1, -1), "MIDDLE")]))
    return table


def _in_chinese(build):
    @functools.wraps(build)
    def wrapper(*args, **kwargs):
        with translation.override(settings.LANGUAGE_CODE):
            return build(*args, **kwargs)
    return wrapper


def _build(title: str, story_of) -> bytes:
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.units import mm
    from reportlab.platypus import SimpleDocTemplate

    buffer = io.BytesIO()
    doc = SimpleDocTemplate(buffer, pagesize=A4, leftMargin=20 * mm, rightMargin=20 * mm, title=title)
    doc.build(story_of(mm))
    return buffer.getvalue()


@_in_chinese
def task_agreement_pdf(project: Application) -> bytes:
    """The agreement of an executing (or later) project; ValueError when none was issued."""
    from reportlab.platypus import Paragraph, Spacer

    agreement = getattr(project, "agreement", None)
    if agreement is None:
        raise ValueError("该项目尚未下达任务书")
    title, text = _styles()
    team = "、".join(f"{m.worker.name}（{m.get_role_display()}）" for m in project.team.select_related("worker"))

    def story(mm):
        rows = [["任务书编号", agreement.number], ["项目名称", Paragraph(project.title, text)],
                ["项目类别", project.call.get_category_display()], ["承担单位", project.institution.name],
                ["项目负责人", project.pi.name], ["团队成员", Paragraph(team or "无", text)],
                ["执行期限", f"{agreement.starts_on} 至 {agreement.ends_on}"],
                ["资助经费", f"{agreement.funding} 万元"]]
        items = [Paragraph("科研项目任务书", title), Spacer(1, 6 * mm), _table(rows, [32 * mm, 138 * mm]),
                 Spacer(1, 5 * mm), Paragraph("年度目标与考核指标：", text)]
        items += [Paragraph(f"{n}. {goal}", text) for n, goal in enumerate(agreement.milestones, start=1)] or [
            Paragraph("（未列明）", text)]
        items += [Spacer(1, 6 * mm),
                  Paragraph(f"项目应于 {agreement.ends_on} 前完成并申请结题验收；变更须经批准。", text),
                  Spacer(1, 10 * mm),
                  Paragraph(f"下达日期：{timezone.localtime(agreement.created_at):%Y-%m-%d}　　"
                            "本任务书由卫健平台根据立项决定生成。", text)]
        return items

    return _build(f"{agreement.number} 科研项目任务书", story)


@_in_chinese
def closure_certificate_pdf(project: Application) -> bytes:
    """The certificate of a project closed with a passing verdict; ValueError otherwise."""
    from reportlab.platypus import Paragraph, Spacer

    closure = getattr(project, "closure", None)
    if closure is None or closure.verdict not in (ClosureVerdict.PASSED, ClosureVerdict.PASSED_WITH_CONDITIONS):
        raise ValueError("该项目尚未通过结题验收")
    title, text = _styles()
    outputs = list(project.outputs.all())

    def story(mm):
        rows = [["项目编号", project.number], ["项目名称", Paragraph(project.title, text)],
                ["承担单位", project.institution.name], ["项目负责人", project.pi.name],
                ["验收结论", closure.get_verdict_display()], ["结题日期", str(closure.closed_on)],
                ["登记成果", f"{len(outputs)} 项"]]
        items = [Paragraph("科研项目结题证书", title), Spacer(1, 6 * mm), _table(rows, [32 * mm, 138 * mm]),
                 Spacer(1, 5 * mm)]
        items += [Paragraph(f"{o.get_kind_display()}：{o.title}（{o.achieved_on}）", text) for o in outputs]
        items += [Spacer(1, 10 * mm), Paragraph("本证书由卫健平台根据结题验收记录生成。", text)]
        return items

    return _build(f"{project.number} 结题证书", story)


@_in_chinese
def ethics_letter_pdf(submission) -> bytes:
    """The decision letter of an ethics submission: 伦理审查批件 when it grants an approval, 伦理审查意见通知书
    otherwise. ValueError until the committee has decided."""
    from reportlab.platypus import Paragraph, Spacer

    if submission.status != EthicsSubmissionStatus.DECIDED or not submission.letter_number:
        raise ValueError("该伦理审查申请尚未作出决定")
    title, text = _styles()
    project, committee, meeting = submission.application, submission.committee, submission.meeting
    approval = submission_approvals(submission).first()
    heading = "伦理审查批件" if approval is not None else "伦理审查意见通知书"
    rows = [["编号", submission.letter_number], ["项目名称", Paragraph(project.title, text)],
            ["申报编号", project.number], ["项目负责人", project.pi.name], ["承担单位", project.institution.name],
            ["审查类别", submission.get_kind_display()], ["审查方式", submission.get_review_type_display()]]
    if meeting is not None:
        item = agenda_item(submission)
        names = "、".join(m.name for m in item.voters)
        rows += [["会议日期", f"{meeting.held_on:%Y-%m-%d} {meeting.location}"],
                 ["到会委员", Paragraph(f"{names}（{item.quorum.present} 人，回避 {len(item.recused)} 人）", text)],
                 ["表决结果", "，".join(f"{_decision_label(c)} {n} 票" for c, n in item.tally.items())]]
    rows.append(["审查决定", submission.get_decision_display()])
    if approval is not None:
        rows.append(["批件有效期", f"{approval.valid_from} 至 {approval.valid_until}"])

    def story(mm):
        items = [Paragraph(committee.name, text), Paragraph(heading, title), Spacer(1, 6 * mm),
                 _table(rows, [32 * mm, 138 * mm]), Spacer(1, 5 * mm), Paragraph("审查意见：", text),
                 Paragraph(submission.opinion or "无", text), Spacer(1, 10 * mm)]
        if approval is not None:
            items.append(Paragraph("请按批准的方案开展研究；方案修改、严重不良事件和违背方案须及时报告本委员会，"
                                   "并在批件有效期届满前提交跟踪审查。", text))
        items += [Spacer(1, 6 * mm),
                  Paragraph(f"{committee.name}（备案号：{committee.filing_number or '—'}）　　"
                            f"{submission.decided_on:%Y-%m-%d}", text),
                  Paragraph("本文书由卫健平台根据伦理委员会的审查决定生成。", text)]
        return items

    return _build(f"{submission.letter_number} {heading}", story)


def _decision_label(value: str) -> str:
    return dict(EthicsDecision.choices).get(value, value)
