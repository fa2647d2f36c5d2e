"""WS 365 (城乡居民健康档案基本数据集) uploads mapped to FHIR R4: the seven data sets' columns, the row →
resources mapping, the code checks against the terminology, the templates and synthetic rows.

Pure mapping: nothing here writes to the database; the upload pipeline reads rows, calls `map_row` and
stores what it returns. See docs/ws365.md.
"""

from weijian.records.ws365.codes import CodeChecker, seed_checker, terminology_checker
from weijian.records.ws365.datasets import DATASETS, Column, Dataset
from weijian.records.ws365.mapping import SourceContext, map_row
from weijian.records.ws365.samples import sample_rows
from weijian.records.ws365.templates import template_xlsx
from weijian.records.ws365.values import RowError

__all__ = [
    "DATASETS", "CodeChecker", "Column", "Dataset", "RowError", "SourceContext", "map_row", "sample_rows",
    "seed_checker", "template_xlsx", "terminology_checker",
]
