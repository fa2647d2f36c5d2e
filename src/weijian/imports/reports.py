"""The .xlsx files the framework hands to users: templates and row-error reports."""

import io

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.worksheet.datavalidation import DataValidation

from weijian.core.spreadsheets import neutralise
from weijian.imports.registry import ImportSpec, RowError

REQUIRED_FILL = PatternFill("solid", fgColor="FDE9D9")
HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")


def template_xlsx(spec: ImportSpec) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = "数据"
    ws.append(spec.headers)
    for idx, column in enumerate(spec.columns, start=1):
        cell = ws.cell(row=1, column=idx)
        cell.font = Font(bold=True)
        cell.fill = REQUIRED_FILL if column.required else HEADER_FILL
        ws.column_dimensions[cell.column_letter].width = max(14, len(column.header) * 2 + 4)
        # Identifiers must stay text, or Excel turns 18-digit numbers into 5.1E+17.
        for row in range(2, 2001):
            ws.cell(row=row, column=idx).number_format = "@"
    for idx, column in enumerate(spec.columns, start=1):
        options = ",".join(column.options)
        if options and len(options) < 250:  # Excel's limit for an inline list
            dv = DataValidation(type="list", formula1=f'"{options}"', allow_blank=True)
            letter = ws.cell(row=1, column=idx).column_letter
            dv.add(f"{letter}2:{letter}2000")
            ws.add_data_validation(dv)
    ws.freeze_panes = "A2"

    info = wb.create_sheet("填写说明")
    info.append(["列名", "是否必填", "填写要求", "示例"])
    for cell in info[1]:
        cell.font = Font(bold=True)
        cell.fill = HEADER_FILL
    for column in spec.columns:
        info.append([column.header, "必填" if column.required else "选填", column.help, column.example])
    info.append([])
    general = [
        f"本模板用于导入：{spec.title}。请在“数据”工作表第2行起逐行填写，不要修改、增删表头。",
        "红色表头为必填列。所有单元格请使用文本格式，不要输入公式（以 =、+、-、@ 开头的内容会被拒绝）。",
        "上传后系统先进行校验（试导入），显示将新增、更新、拒绝的行数及逐行错误报告，确认后才写入。",
        "同一文件重复上传不会产生重复数据：已存在的记录按唯一标识更新，内容相同的记录保持不变。",
        "支持 .xlsx 与 .csv（UTF-8 或 GB18030 编码）文件。",
        *spec.notes,
    ]
    for line in general:
        info.append([line])
    for col, width in zip("ABCD", (18, 10, 70, 28), strict=True):
        info.column_dimensions[col].width = width
    for row in info.iter_rows(min_row=2):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def error_report_xlsx(spec_title: str, errors: list[RowError]) -> bytes:
    """One row per problem: 行号, 列, 值, 错误原因 (values are neutralised, ID numbers arrive masked)."""
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("错误报告")
    ws.freeze_panes = "A2"
    for letter, width in zip("ABCD", (8, 22, 30, 60), strict=True):
        ws.column_dimensions[letter].width = width
    ws.append(["行号", "列", "值", "错误原因"])
    for error in errors:
        ws.append([error.row, error.column, neutralise(error.value), error.reason])
    info = wb.create_sheet("说明")
    info.append([f"{spec_title}导入错误报告：共 {len(errors)} 处错误。"])
    info.append(["请按“行号”在原文件中找到对应行，按“错误原因”修正后重新上传。"])
    info.append(["身份证号等敏感信息在本报告中已脱敏显示。"])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
