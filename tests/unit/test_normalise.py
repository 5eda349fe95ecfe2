"""Identity folding: names that mean the same compare equal."""

from __future__ import annotations

import pytest

from mlps.normalise import SURNAME_READINGS, carrier_key, fold, same_person_name


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


@pytest.mark.parametrize(("hanzi", "latin"), [
    ("张伟", "Zhang Wei"), ("张伟", "zhangwei"), ("张伟", "ZHANG-Wei"), ("张伟", "Zhāng Wěi"),
    ("张伟", "\uff3a\uff48\uff41\uff4e\uff47\u3000\uff37\uff45\uff49"), ("张伟", "张 Wei"),
    ("张伟", "zhang\u200b wei"), ("张伟", "Zhang.Wei"),
    # Surname readings that are not pypinyin's first reading of the character.
    ("曾敏", "Zeng Min"), ("曾敏", "Ceng Min"), ("单磊", "Shan Lei"), ("解缙", "Xie Jin"),
    ("仇英", "Qiu Ying"), ("区志", "Ou Zhi"), ("朴树", "Piao Shu"), ("查明", "Zha Ming"),
    ("覃宇", "Qin Yu"), ("翟林", "Zhai Lin"), ("万俟卨", "Moqi Xie"), ("尉迟恭", "Yuchi Gong"),
    ("黑刚", "He Gang"), ("谌龙", "Shen Long"),
    # ü written u, v, yu or with its diaeresis.
    ("吕布", "Lü Bu"), ("吕布", "Lv Bu"), ("吕布", "Lyu Bu"), ("吕布", "Lu Bu"),
    ("阿依古丽·买买提", "Ayiguli Maimaiti"),
    # A two-word Latin name written given name first.
    ("张伟", "Wei Zhang"), ("张伟", "WEI  zhang"), ("曾敏", "Min Zeng"),
])
def test_hanzi_and_pinyin_of_one_name_match(hanzi: str, latin: str) -> None:
    assert same_person_name(hanzi, latin)
    assert same_person_name(latin, hanzi)


@pytest.mark.parametrize(("a", "b"), [
    ("张伟", "李娜"), ("张伟", "Zhang Wen"), ("张伟", "Wang Wei"), ("张伟", "张伟伟"), ("张伟", "zhangwe"),
    ("张伟", "Zhang Weii"), ("Zhang Wei", "Zhang Wen"), ("曾敏", "Zhen Min"), ("王强", "Wang Qing"),
    ("-", "·"), ("张伟", "-"), ("", "张伟"),
    # Only two words swap: three Latin words keep their order, hanzi never swap.
    ("张伟", "Wei Zhang Li"), ("伟张", "Zhang Wei Li"), ("欧阳娜", "Na Ou Yang"),
])
def test_different_names_do_not_match(a: str, b: str) -> None:
    assert not same_person_name(a, b)
    assert not same_person_name(b, a)


def test_names_with_one_pinyin_match_whatever_their_hanzi() -> None:
    assert same_person_name("张伟", "章伟")
    assert same_person_name("张西安", "张先")  # xi an / xian: the letters, not the syllables, count


def test_surname_readings_apply_to_the_first_hanzi_only() -> None:
    assert set(SURNAME_READINGS) == {"黑", "谌"}
    assert not same_person_name("张黑", "Zhang He")
    assert same_person_name("张黑", "Zhang Hei")


def test_a_name_without_letters_matches_only_its_folded_form() -> None:
    assert same_person_name("-", " - ")
    assert not same_person_name("-", "--")


def test_many_polyphonic_characters_stay_fast() -> None:
    # 3^40 reading combinations (dan, chan, shan): the comparison must not enumerate them.
    long = "单" * 40
    assert same_person_name(long, "shan" * 39 + "dan")
    assert not same_person_name(long, "shan" * 39 + "xie")


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
