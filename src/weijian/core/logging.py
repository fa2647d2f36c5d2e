"""A logging filter that masks ID numbers, bearer tokens, check-in tokens and passwords in every record."""

import logging
import re

_ID_NUMBER = re.compile(r"(?<![0-9A-Za-z])(\d{6})\d{8}(\d{3}[\dXx])(?![0-9A-Za-z])")
_TOKEN = re.compile(r"(?i)((?:token|bearer|authorization)[\"'=: ]+)[A-Za-z0-9._\-]{8,}")
_PASSWORD = re.compile(r"(?i)(password[\"'=: ]+)[^\s\"'&,]+")
# A session's QR check-in address carries its token: "Forbidden: /cme/checkin/<token>/" must not keep it.
_CHECKIN = re.compile(r"(/checkin/)[A-Za-z0-9_\-]{16,}")


def redact(text: str) -> str:
    text = _ID_NUMBER.sub(r"\1********\2", text)
    text = _TOKEN.sub(r"\1[redacted]", text)
    text = _CHECKIN.sub(r"\1[redacted]", text)
    return _PASSWORD.sub(r"\1[redacted]", text)


class RedactSensitiveFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, ()
        return True
