"""Building import files in memory, and running the framework the way the pages and jobs do."""

import csv
import datetime as dt
import io
import zipfile

from openpyxl import Workbook, load_workbook

from tests import factories
from weijian.imports import services
from weijian.imports.models import ImportJob
from weijian.workforce.importers import WORKER_IMPORT

WORKER_HEADERS = [c.header for c in WORKER_IMPORT.columns]


def worker_row(institution, **values) -> dict:
    """One valid row of the worker template, as a user would type it (Chinese labels)."""
    id_number = values.pop("id_number", None) or factories.unique_id_number(birth=dt.date(1985, 3, 9))
    row = {"姓名": "赵医生", "身份证号": id_number, "机构统一社会信用代码": institution.uscc, "职业类别": "医师",
           "职称级别": "中级", "执业起始日期": "2010-07-01", "状态": "在岗", "出生日期": "", "性别": ""}
    row.update(values)
    return row


def xlsx(rows: list[dict], headers: list[str] = WORKER_HEADERS) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.append(headers)
    for row in rows:
        ws.append([row.get(h, "") for h in headers])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def csv_data(rows: list[dict], headers: list[str] = WORKER_HEADERS, encoding: str = "utf-8") -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(headers)
    for row in rows:
        writer.writerow([row.get(h, "") for h in headers])
    return out.getvalue().encode(encoding)


def zip_bomb() -> bytes:
    """A real .xlsx whose sheet inflates 1,000-fold (100 MB of zeros from ~100 KB)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        zf.writestr("xl/workbook.xml", "<workbook/>")
        zf.writestr("xl/worksheets/sheet1.xml", b"0" * (100 * 1024 * 1024))
    return out.getvalue()


def upload(actor, data: bytes, filename: str = "workers.xlsx", entity: str = "worker") -> ImportJob:
    """Upload and dry-run in this process, as the background job would."""
    job = services.import_upload(actor=actor, entity=entity, filename=filename, chunks=[data], background=False)
    if job.status == "validating":
        job = services.import_validate(job_id=job.pk)
    return job


def apply(actor, job: ImportJob, *, only_valid: bool = False) -> ImportJob:
    services.import_confirm(actor=actor, job=job, only_valid=only_valid, background=False)
    return services.import_apply(job_id=job.pk)


def read_xlsx(data: bytes) -> dict[str, list[tuple]]:
    wb = load_workbook(io.BytesIO(data), read_only=True)
    return {ws.title: [tuple(r) for r in ws.iter_rows(values_only=True)] for ws in wb.worksheets}
