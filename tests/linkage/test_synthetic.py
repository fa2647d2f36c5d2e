"""The synthetic residents: deterministic, truthful about who is who, every scenario present; pairwise scores
worked out by hand."""

import datetime as dt
from collections import Counter

import pandas as pd
import pytest

from weijian.linkage.standardise import check_id_number, parse_birth_date, standardise_frame
from weijian.linkage.synthetic import COLUMNS, HARD, RAW_COLUMNS, gazetteer, generate, pairwise_scores

TODAY = dt.date(2025, 6, 30)


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    return generate(3000, seed=5, mix="hard", today=TODAY)


def _tags(frame: pd.DataFrame) -> Counter:
    return Counter(tag for tags in frame["tags"] for tag in tags.split(",") if tag)


def test_same_seed_same_records_other_seed_other_records():
    first = generate(400, seed=1, today=TODAY)
    assert first.equals(generate(400, seed=1, today=TODAY))
    assert not first.equals(generate(400, seed=2, today=TODAY))
    assert tuple(first.columns) == COLUMNS
    assert first["record_id"].is_unique
    assert first["truth"].nunique() == 400


def test_records_are_raw_text_the_standardiser_accepts(frame):
    for column in RAW_COLUMNS:
        assert frame[column].map(type).eq(str).all(), column
    assert set(frame["source"]) == {"hospital-a", "hospital-b", "hospital-c", "community", "public-health"}
    assert not frame.duplicated(["source", "local_id"]).any()
    standardised = standardise_frame(frame[list(RAW_COLUMNS)], gazetteer(), today=TODAY)
    # the synthetic city's addresses parse down to a district
    with_address = frame["address"] != ""
    assert (standardised.loc[with_address, "address_district"] != "").mean() > 0.99
    assert standardised["address_district"].str.startswith("5101").sum() == with_address.sum()


def test_truth_is_consistent(frame):
    # a resident lives in one household and has one birth date: the records without a birth-date error agree
    assert (frame.groupby("truth")["household"].nunique() == 1).all()
    clean = frame[frame["tags"].map(lambda t: not set(t.split(",")) & {"birth_missing", "birth_swapped",
                                                                        "birth_digit"})]
    births = clean["birth_date"].map(lambda value: parse_birth_date(value, today=TODAY)[0])
    assert (births != "").all()
    assert (births.groupby(clean["truth"]).nunique() == 1).all()
    # records carrying their own, untouched ID number: one ID per resident, one resident per ID
    own = frame[(frame["id_number"] != "") & frame["tags"].map(lambda t: not set(t.split(",")) & {
        "parent_id", "id_transposed", "id_digit", "id_check_char", "id_legacy15", "id_format"})]
    assert (own.groupby("truth")["id_number"].nunique() == 1).all()
    assert (own.groupby("id_number")["truth"].nunique() == 1).all()
    assert all(check_id_number(number, today=TODAY).status == "valid" for number in own["id_number"])


def test_every_scenario_is_present(frame):
    tags = _tags(frame)
    for scenario in ("twin", "newborn", "newborn_placeholder", "child", "parent_id", "homophone", "near_pinyin",
                     "other_char", "traditional", "name_noise", "id_missing", "id_transposed", "id_digit",
                     "id_check_char", "id_legacy15", "id_format", "birth_missing", "birth_swapped",
                     "birth_digit", "sex_missing", "phone_changed", "phone_household", "phone_missing",
                     "address_moved", "address_missing"):
        assert tags[scenario] > 0, scenario
    legacy = [row.id_number for row in frame.itertuples()
              if "id_legacy15" in row.tags and not {"id_format", "id_transposed", "id_digit"} & set(row.tags.split(","))]
    assert legacy and all(len(number) == 15 and check_id_number(number).status == "legacy15" for number in legacy)


def test_households_share_phone_and_address(frame):
    clean = frame[frame["tags"].map(lambda t: not set(t.split(",")) & {
        "phone_changed", "phone_missing", "phone_household", "phone_digit", "address_moved", "address_missing"})]
    digits = clean["phone"].str.replace(r"\D", "", regex=True).str[-11:]
    shared = clean.assign(phone=digits).groupby("household").agg(people=("truth", "nunique"),
                                                                   phones=("phone", "nunique"))
    # in many households several residents give one phone (children give a parent's)
    assert (shared[shared.people > 1].phones < shared[shared.people > 1].people).mean() > 0.5


def test_twins_share_birth_date_and_household_but_not_name_or_id(frame):
    untouched = frame[frame["tags"].str.contains("twin") & ~frame["tags"].str.contains(
        "birth_|id_|parent_id|newborn_placeholder|homophone|near_pinyin|other_char|traditional|name_")]
    pairs = 0
    for _, group in untouched.groupby("household"):
        if group["truth"].nunique() != 2:
            continue
        pairs += 1
        first, second = (g for _, g in group.groupby("truth"))
        births = {parse_birth_date(value, today=TODAY)[0] for value in group["birth_date"]}
        assert len(births) == 1
        assert set(first["name"]).isdisjoint(second["name"])
        assert (set(first["id_number"]) - {""}).isdisjoint(set(second["id_number"]) - {""})
    assert pairs > 0


def test_newborn_placeholders_are_recognised():
    records = generate(2000, seed=3, mix=HARD, today=TODAY)
    placeholders = records[records["tags"].str.contains("newborn_placeholder")]
    assert len(placeholders) > 10
    standardised = standardise_frame(placeholders[list(RAW_COLUMNS)], today=TODAY)
    assert standardised["placeholder_name"].all()
    # a parent's ID on a newborn's record never counts as the baby's own
    parents = standardised[placeholders["tags"].str.contains("parent_id").to_numpy()]
    assert len(parents) and not parents["id_consistent"].any()


def test_generation_is_fast_enough_for_a_city():
    import time

    started = time.perf_counter()
    records = generate(20_000, seed=9, today=TODAY)
    assert len(records) > 40_000
    assert time.perf_counter() - started < 20  # ~2 s here; a million records take well under a minute


# --------------------------------------------------------------------------------------------------------
# pairwise_scores
# --------------------------------------------------------------------------------------------------------


def test_pairwise_scores_by_hand():
    truth = {"a": 1, "b": 1, "c": 1, "d": 2, "e": 2, "f": 3}
    # true pairs: ab ac bc de = 4
    predicted = {"a": "x", "b": "x", "c": "y", "d": "y", "e": "z", "f": "z"}
    # predicted pairs: ab cd ef = 3; true among them: ab = 1
    scores = pairwise_scores(predicted, truth)
    assert (scores["tp"], scores["fp"], scores["fn"]) == (1, 2, 3)
    assert scores["precision"] == pytest.approx(1 / 3)
    assert scores["recall"] == pytest.approx(1 / 4)
    assert scores["f1"] == pytest.approx(2 * (1 / 3) * (1 / 4) / (1 / 3 + 1 / 4))


def test_pairwise_scores_perfect_merged_and_split():
    truth = {"a": "p", "b": "p", "c": "q", "d": "q"}
    assert pairwise_scores(truth, truth) == {"precision": 1.0, "recall": 1.0, "f1": 1.0, "tp": 2, "fp": 0, "fn": 0}
    merged = pairwise_scores(dict.fromkeys(truth, 0), truth)  # one cluster: 6 pairs, 2 true
    assert (merged["tp"], merged["fp"], merged["fn"], merged["precision"], merged["recall"]) == (2, 4, 0, 1 / 3, 1.0)
    split = pairwise_scores({key: key for key in truth}, truth)  # all singletons: no pair predicted
    assert (split["tp"], split["fp"], split["fn"], split["precision"], split["recall"], split["f1"]) == (
        0, 0, 2, 1.0, 0.0, 0.0)


def test_pairwise_scores_missing_and_unknown_records():
    truth = {"a": 1, "b": 1, "c": 1}
    # c missing from the prediction: its own cluster; 3 true pairs, ab predicted
    scores = pairwise_scores({"a": "k", "b": "k"}, truth)
    assert (scores["tp"], scores["fp"], scores["fn"]) == (1, 0, 2)
    # two missing records are two clusters, not one
    assert pairwise_scores({}, truth)["tp"] == 0
    with pytest.raises(ValueError, match="not in the truth"):
        pairwise_scores({"a": 1, "zz": 1}, truth)


def test_pairwise_scores_counts_without_listing_pairs():
    # one cluster of 200,000 records would be 2e10 pairs to list; the contingency counts are instant
    truth = {f"r{i}": i % 2 for i in range(200_000)}
    scores = pairwise_scores(dict.fromkeys(truth, "all"), truth)
    assert scores["tp"] == 2 * (100_000 * 99_999 // 2)
    assert scores["fp"] == 200_000 * 199_999 // 2 - scores["tp"]
