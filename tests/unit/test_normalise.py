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


@pytest.mark.parametrize(("branch", "carrier"), [
    ("广东电信", "china-telecom"), ("上海电信", "china-telecom"), ("上海市电信", "china-telecom"),
    ("中国电信广东分公司", "china-telecom"), ("中国电信股份有限公司上海分公司", "china-telecom"),
    ("Guangdong Telecom", "china-telecom"), ("广西壮族自治区电信", "china-telecom"),
    ("北京联通", "china-unicom"), ("Inner Mongolia Unicom", "china-unicom"),
    ("浙江移动", "china-mobile"), ("China Mobile Guangdong", "china-mobile"),
    ("新疆维吾尔自治区移动", "china-mobile"), ("江苏广电", "china-broadnet"),
])
def test_provincial_branches_are_the_national_carrier(branch: str, carrier: str) -> None:
    assert carrier_key(branch) == carrier


@pytest.mark.parametrize(("name", "key"), [
    ("歌华有线", "gehua"), ("Gehua", "gehua"), ("东方有线", "oriental-cable"),
    ("上海东方有线", "oriental-cable"), ("长城宽带", "great-wall-broadband"),
    ("北京长城宽带", "great-wall-broadband"), ("鹏博士", "dr-peng"), ("Dr. Peng", "dr-peng"),
])
def test_independent_regional_operators_keep_their_identity(name: str, key: str) -> None:
    assert carrier_key(name) == key


def test_regional_operators_differ_from_each_other_and_the_four() -> None:
    names = ("歌华有线", "东方有线", "长城宽带", "鹏博士", "中国电信", "中国联通", "中国移动", "中国广电")
    assert len({carrier_key(n) for n in names}) == len(names)


@pytest.mark.parametrize("name", ["广东", "telecom", "Shanghai Mobile Branch", "某某网络"])
def test_unknown_names_fold_to_themselves(name: str) -> None:
    assert carrier_key(name) == fold(name)


def test_one_normaliser_for_checks_waivers_and_inventory() -> None:
    from mlps import waivers
    from mlps.checks import logs, network
    from stacks import inventory
    assert waivers.fold is logs.fold is network.fold is inventory.fold is fold
