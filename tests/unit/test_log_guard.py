import logging

from tests.factories import PASSWORD, unique_id_number
from tests.log_guard import RecordingHandler, sensitive_values


def test_guard_spots_ids_passwords_and_tokens_but_not_ordinary_numbers():
    id_no = unique_id_number()
    assert sensitive_values(f"worker {id_no} saved") == [f"ID number {id_no[:4]}…"]
    assert sensitive_values(f"login with {PASSWORD}") == ["test password"]
    assert sensitive_values("Bearer wj_abcdefghijklmnopqrstuvwxyz0123") == ["API token wj_abcd…"]
    assert sensitive_values("imported 100000 rows, order 123456789012345678") == []


def test_recording_handler_collects_problems_from_real_log_calls():
    handler = RecordingHandler()
    logger = logging.getLogger("weijian.test-guard")
    logger.addHandler(handler)
    try:
        logger.warning("failed for %s", unique_id_number())
    finally:
        logger.removeHandler(handler)
    assert len(handler.problems) == 1
