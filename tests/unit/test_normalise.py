"""Identity folding: names that mean the same compare equal."""

from __future__ import annotations

import pytest

from mlps.normalise import carrier_key, fold


@pytest.mark.parametrize(
    "variant",
    [
        "Zhang Wei",
        "zhangwei",
        "ZHANG\u200bWEI",
        "\uff3a\uff48\uff41\uff4e\uff47 \uff37\uff45\uff49",
        "\u202ezhang wei",
        " zhang\twei ",
    ],
)
def test_person_variants_fold_equal(variant: str) -> None:
    assert fold(variant) == fold("ZhangWei")


def test_different_people_stay_different() -> None:
    assert fold("Zhang Wei") != fold("Zhang Wen")


@pytest.mark.parametrize(
    "alias", ["中国电信", "电信", "China Telecom", "CT", "\uff43\uff48\uff49\uff4e\uff41 telecom"]
)
def test_carrier_aliases(alias: str) -> None:
    assert carrier_key(alias) == "china-telecom"


def test_carriers_distinct() -> None:
    keys = {carrier_key(c) for c in ("电信", "China Unicom", "CMCC", "中国广电")}
    assert len(keys) == 4
