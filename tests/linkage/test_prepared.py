"""The vectorised prepared frame equals preparing each record on its own (`prepare_record`,
`blocking_values`), the definition real-time matching uses."""

import pandas as pd
import pytest

from weijian.linkage.batch import prepare_raw
from weijian.linkage.comparisons import blocking_values, prepare_record
from weijian.linkage.engines import prepare_frame
from weijian.linkage.prepared import FRAME_COLUMNS, prepared_columns
from weijian.linkage.standardise import standardise_frame
from weijian.linkage.standardise.record import standardise_record
from weijian.linkage.synthetic import RAW_COLUMNS, gazetteer, generate


def _row_by_row(records: list[dict]) -> pd.DataFrame:
    rows = []
    for record in records:
        prepared = prepare_record(record)
        rows.append({**prepared, **blocking_values(record, prepared)})
    return pd.DataFrame(rows, columns=list(FRAME_COLUMNS), dtype=object)


def _assert_same(fast: pd.DataFrame, slow: pd.DataFrame) -> None:
    assert tuple(fast.columns) == FRAME_COLUMNS
    for column in FRAME_COLUMNS:
        assert fast[column].tolist() == slow[column].tolist(), column


@pytest.mark.parametrize("mix", ["ordinary", "hard"])
def test_vectorised_frame_equals_record_by_record_on_synthetic_residents(mix):
    raw = generate(600, seed=11, mix=mix)
    standardised = standardise_frame(raw[list(RAW_COLUMNS)], gazetteer())
    fast = prepared_columns(standardised)
    _assert_same(fast, _row_by_row(standardised.to_dict("records")))
    # the synthetic city has placeholders, homophones, parents' IDs and missing fields: all were exercised
    assert (fast["name"] == "").any() and (fast["id_ok"] != fast["id_valid"]).any()
    assert fast["bk_ph"].isna().any() and fast["bk_ph"].notna().any()


def test_vectorised_frame_equals_record_by_record_on_awkward_values():
    records = [
        {"record_id": " a ", "name": " 张三 ", "name_pinyin_key": "zhang san", "surname_pinyin": "zhang",
         "name_pinyin": "zhang san", "placeholder_name": "false", "id_number": "110105199001020013",
         "id_status": "valid", "id_consistent": "True", "birth_date": "1990-01-02", "sex": "1",
         "phone": "13900000000", "address_key": "", "address": "红星路1号", "address_district": "510104",
         "address_street": "", "birth_date_from_id": 1},
        {"record_id": "b", "name": "王芳之子", "name_pinyin_key": "wangfangzhizi", "placeholder_name": True,
         "id_number": "11010519900102001X", "id_status": "bad_checksum", "id_consistent": False,
         "birth_date": "1990-13-45", "sex": "9", "address_district": "510104", "address_street": "红星街道"},
        {"record_id": "c", "name": None, "name_pinyin_key": float("nan"), "placeholder_name": pd.NA,
         "id_number": pd.NA, "birth_date": None, "sex": float("nan"), "phone": " "},
        {"record_id": "d", "name": "欧阳娜娜", "name_pinyin_key": "ouyangnana", "surname_pinyin": "ou yang",
         "name_pinyin": "ou yang na na", "id_number": "110105900102001", "id_status": "legacy15",
         "id_consistent": 0, "birth_date": "1990-01-02", "sex": "2", "address_key": "锦江区红星路1号"},
        {"record_id": "e"},
    ]
    _assert_same(prepare_frame(records), _row_by_row(records))
    frame = pd.DataFrame(records)
    frame["id_consistent"] = frame["id_consistent"].astype(object)
    _assert_same(prepared_columns(frame), _row_by_row(frame.to_dict("records")))


def test_a_prepared_frame_is_passed_through_and_an_empty_one_is_empty():
    prepared = prepare_frame([{"record_id": "a", "name": "张三"}])
    assert prepare_frame(prepared) is prepared
    empty = prepared_columns(pd.DataFrame({"record_id": pd.Series([], dtype=object)}))
    assert len(empty) == 0 and tuple(empty.columns) == FRAME_COLUMNS


@pytest.mark.parametrize("processes", [1, 2])
def test_prepare_raw_in_chunks_and_processes_equals_one_call(processes):
    raw = generate(400, seed=5, mix="hard")[list(RAW_COLUMNS)]
    raw.index = raw.index + 1000  # the result has a fresh index whatever the input's
    city = gazetteer()
    whole = prepare_frame(standardise_frame(raw, city)).reset_index(drop=True)
    chunked = prepare_raw(raw, city, chunk_records=97, processes=processes)
    assert len(chunked) == len(raw) and chunked.index.tolist() == list(range(len(raw)))
    _assert_same(chunked, whole)
    assert len(prepare_raw(raw.iloc[:0], city, processes=processes)) == 0


@pytest.mark.parametrize("mix", ["ordinary", "hard"])
def test_standardise_frame_equals_standardise_record_on_synthetic_residents(mix):
    """Every source's way of writing names, IDs, dates, phones and addresses, fast paths included."""
    raw = generate(600, seed=13, mix=mix)[list(RAW_COLUMNS)]
    city = gazetteer()
    frame = standardise_frame(raw, city)
    for position, record in enumerate(raw.to_dict("records")):
        row = {key: (value.item() if hasattr(value, "item") else value)
               for key, value in frame.iloc[position].to_dict().items()}
        assert row == standardise_record(record, city), record["record_id"]
    assert raw["phone"].str.contains("-").any() and raw["phone"].str.startswith("+86").any()
    assert raw["birth_date"].str.fullmatch(r"\d{8}").any() and raw["birth_date"].str.contains("/").any()
