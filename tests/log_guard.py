"""Watches every log record emitted during the test run for sensitive values.

The suite fails at the end if any formatted record (message or traceback) contains a full
ID number (any 18-character string that passes the GB 11643 check), the test password, or
an API token.
"""

import logging
import re

from tests.factories import PASSWORD
from weijian.workforce.idnumber import IdNumberError, parse_id_number

_CANDIDATE_ID = re.compile(r"(?<![0-9A-Za-z])\d{17}[\dXx](?![0-9A-Za-z])")
_TOKEN = re.compile(r"wj_[A-Za-z0-9_\-]{20,}")


def sensitive_values(text: str) -> list[str]:
    found = []
    for candidate in _CANDIDATE_ID.findall(text):
        try:
            parse_id_number(candidate)
        except IdNumberError:
            continue
        found.append(f"ID number {candidate[:4]}…")
    if PASSWORD in text:
        found.append("test password")
    found += [f"API token {t[:7]}…" for t in _TOKEN.findall(text)]
    return found


class RecordingHandler(logging.Handler):
    def __init__(self):
        super().__init__(level=logging.DEBUG)
        self.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))
        self.problems: list[str] = []

    def emit(self, record):
        text = self.format(record)
        for problem in sensitive_values(text):
            self.problems.append(f"{record.name}: {problem}")
