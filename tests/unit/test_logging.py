import logging

from weijian.core.logging import RedactSensitiveFilter, redact


def test_redact_masks_ids_tokens_and_passwords():
    text = "worker 510104198506150375 token=wj_abcdefghijklmnop password=Hunter2! ok"
    cleaned = redact(text)
    assert "510104198506150375" not in cleaned and "510104********0375" in cleaned
    assert "wj_abcdefghijklmnop" not in cleaned
    assert "Hunter2!" not in cleaned
    assert cleaned.endswith("ok")


def test_filter_rewrites_records_with_args():
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "id %s", ("510104198506150375",), None)
    assert RedactSensitiveFilter().filter(record) is True
    assert record.getMessage() == "id 510104********0375"


def test_filter_leaves_ordinary_numbers():
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "imported %s rows in %s ms", (100000, 12), None)
    RedactSensitiveFilter().filter(record)
    assert record.getMessage() == "imported 100000 rows in 12 ms"
