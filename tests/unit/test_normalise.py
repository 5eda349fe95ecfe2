"""Identity folding: names that mean the same compare equal."""

from __future__ import annotations

import pytest

from mlps.carriers import carrier_key
from mlps.normalise import CONFUSABLES, SURNAME_READINGS, fold, name_forms, same_person_name


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


@pytest.mark.parametrize(("a", "b"), [
    # A bracketed form, ASCII or full width, or a hanzi and a Latin name side by side.
    ("张伟", "Zhang Wei (张伟)"), ("张伟", "Zhang Wei（张伟）"), ("张伟", "张伟 (Zhang Wei)"),
    ("张伟", "David (张伟)"),
    ("张伟", "【张伟】"), ("张伟", "张伟 Zhang Wei"), ("张伟", "Zhang Wei 张伟"), ("Zhang Wei", "张伟 David"),
    ("Zhang Wei (张伟)", "张伟 (Zhang Wei)"),
    # Role words in brackets, titles and honorifics.
    ("张伟", "张伟（系统）"), ("张伟", "张伟 (security admin)"), ("张伟", "张伟[审计管理员]"),
    ("张伟", "张伟（2）"),
    ("张伟", "Mr. Zhang Wei"), ("张伟", "Mr Zhang Wei"), ("张伟", "Dr. Zhang Wei"),
    ("张伟", "Prof. Dr. Zhang Wei"),
    ("张伟", "Ms Zhang Wei"), ("张伟", "MRS. ZHANG WEI"), ("张伟", "张伟先生"), ("张伟", "张伟女士"),
    ("张伟", "张伟老师"), ("张伟", "张伟医生"),
    # SURNAME, Given: surname first, and as a two-word Latin name also the other way round.
    ("张伟", "ZHANG, Wei"), ("张伟", "WEI, Zhang"), ("张伟", "Zhang，Wei"), ("欧阳娜", "Ou Yang, Na"),
    # Look-alike Cyrillic and Greek letters.
    ("张伟", "Zh\u0430ng Wei"), ("张伟", "\u0396hang Wei"), ("张伟", "ZH\u0391NG WEI"),
    ("Zhang Wei", "Zh\u0430ng W\u0435i"),
])
def test_written_forms_of_one_name_match(a: str, b: str) -> None:
    assert same_person_name(a, b)
    assert same_person_name(b, a)


@pytest.mark.parametrize(("a", "b"), [
    # Just outside: another name in brackets, beside hanzi, after a title, with look-alikes.
    ("张伟", "Zhang Wen (张文)"), ("张伟", "张文 Zhang Wen"), ("张伟", "Mr. Zhang Wen"),
    ("张伟", "张文先生"),
    ("张伟", "Zh\u0430ng Wen"), ("张伟", "张伟伟先生"), ("张伟", "WEN, Zhang"), ("欧阳娜", "Na, Ou Yang"),
    # Labels and titles alone are no name; two names with one label stay two people.
    ("张伟", "（系统）"), ("张伟", "Mr."), ("张伟", "先生"), ("李娜（系统）", "王强（系统）"),
    ("李娜 (IT)", "王强 (IT)"),
    # Two different hanzi names, whatever they are written with.
    ("张伟（系统）", "李娜（系统）"), ("张伟 Zhang Wei", "李娜 Li Na"), ("张伟", "李娜"),
])
def test_other_names_in_those_forms_do_not_match(a: str, b: str) -> None:
    assert not same_person_name(a, b)
    assert not same_person_name(b, a)


def test_name_forms() -> None:
    assert name_forms("Zhang Wei (张伟)") == [("Zhang Wei", True), ("张伟", False)]
    assert name_forms("张伟 Zhang Wei") == [("张伟 Zhang Wei", True), ("张伟", True), ("Zhang Wei", True)]
    assert name_forms("张伟（系统）") == [("张伟", True)]
    assert name_forms("Mr. WEI, Zhang") == [("WEI Zhang", True)]
    assert name_forms("张 Wei") == [("张 Wei", True)]  # one hanzi: no split, the whole name matches
    assert name_forms(None) == [(None, True)]


def test_confusables_fold_to_latin() -> None:
    assert fold("Zh\u0430ng W\u0435i") == "zhangwei"
    assert fold("\u0397\u0399") == fold("\u041d\u0406") == "hi"
    assert all(len(k) == 1 and v.isascii() and v.isalpha() and len(v) == 1
               for k, v in CONFUSABLES.items())
    assert fold("Zh\u0430ng") != fold("Zhong")


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
    ("鹏博士电信传媒", "dr-peng"), ("北京歌华有线电视网络股份有限公司", "gehua"), ("华数", "wasu"),
    ("华数传媒", "wasu"), ("浙江华数", "wasu"), ("Wasu", "wasu"),
    ("Great Wall Broadband", "great-wall-broadband"),
])
def test_independent_regional_operators_keep_their_identity(name: str, key: str) -> None:
    assert carrier_key(name) == key


def test_regional_operators_differ_from_each_other_and_the_four() -> None:
    names = ("歌华有线", "东方有线", "长城宽带", "鹏博士", "华数",
             "中国电信", "中国联通", "中国移动", "中国广电")
    assert len({carrier_key(n) for n in names}) == len(names)


@pytest.mark.parametrize("name", [
    "广东", "某某网络", "Zhejiang", "有限公司",
    # Names that hold a carrier word but are other companies.
    "中华电信", "Pacific Telecom", "Hong Kong Telecom", "Taiwan Mobile", "香港移动通讯",
    # Short codes count as whole words only.
    "CTX", "Connect", "CT2", "CMC", "Acme CM",
    # A bracketed code of another carrier, or of a carrier beside an unknown name.
    "CT (CM)", "中国电信（联通）", "Foo (CT)",
])
def test_unknown_names_fold_to_themselves(name: str) -> None:
    assert carrier_key(name) == fold(name)


@pytest.mark.parametrize(("name", "carrier"), [
    # City branches.
    ("杭州电信", "china-telecom"), ("China Telecom Hangzhou", "china-telecom"),
    ("中国电信杭州分公司", "china-telecom"), ("深圳市联通", "china-unicom"),
    ("Mobile Hangzhou", "china-mobile"),
    # Legal names and legal forms.
    ("中国电信集团有限公司", "china-telecom"), ("中国电信股份有限公司浙江分公司", "china-telecom"),
    ("China Telecom Corporation Limited", "china-telecom"), ("China Telecom Co., Ltd.", "china-telecom"),
    ("China Telecommunications Corporation", "china-telecom"),
    ("中国联合网络通信集团有限公司", "china-unicom"), ("中国联合网络通信有限公司", "china-unicom"),
    ("中国联合网络通信有限公司浙江省分公司", "china-unicom"),
    ("China United Network Communications", "china-unicom"),
    ("中国移动通信集团浙江有限公司", "china-mobile"),
    ("China Mobile Communications Group Co., Ltd.", "china-mobile"), ("中国广电浙江公司", "china-broadnet"),
    # Traditional characters.
    ("中國電信", "china-telecom"), ("中國聯通", "china-unicom"), ("中國移動", "china-mobile"),
    ("中國廣電", "china-broadnet"), ("廣東電信", "china-telecom"),
    # Bare words, codes in brackets, networks, a line's wording.
    ("Telecom", "china-telecom"), ("telecom", "china-telecom"), ("Unicom", "china-unicom"),
    ("Mobile", "china-mobile"), ("Shanghai Mobile Branch", "china-mobile"),
    ("中国电信（CT）", "china-telecom"), ("中国电信（浙江）", "china-telecom"),
    ("China Unicom [CUCC]", "china-unicom"),
    ("ChinaNet", "china-telecom"), ("CN2", "china-telecom"), ("中国电信CN2专线", "china-telecom"),
    ("电信专线", "china-telecom"), ("CMCC-Zhejiang", "china-mobile"),
    # Look-alike letters.
    ("\u0421hina \u0422elecom", "china-telecom"),
])
def test_carrier_named_by_its_distinctive_parts(name: str, carrier: str) -> None:
    assert carrier_key(name) == carrier


def test_one_normaliser_for_checks_waivers_and_inventory() -> None:
    from mlps import waivers
    from mlps.checks import logs, network
    from stacks import inventory
    assert waivers.fold is logs.fold is network.fold is inventory.fold is fold


@pytest.mark.parametrize("written", [
    "张伟/系统管理员", "张伟 系统管理员", "张伟-信息科", "信息科 张伟", "张伟工程师", "张伟；安全",
    "Zhang Wei, MD", "zhangwei-sec", "Zhang1 Wei3", "Z\u029cang Wei", "Zhang We\u0131", "张\u3164伟",
])
def test_a_name_with_a_role_department_title_tone_or_look_alike_is_still_the_name(written: str) -> None:
    assert same_person_name(written, "张伟")


@pytest.mark.parametrize(("a", "b"), [
    ("李娜/信息科", "王强/信息科"), ("信息科 李娜", "信息科 王强"), ("张伟工程师", "李娜工程师"),
    ("Zhang6 Wei", "张伟"), ("Zhang-Wei", "Wei"), ("张 Wei", "张"),
])
def test_a_shared_department_role_or_one_syllable_does_not_make_one_person(a: str, b: str) -> None:
    assert not same_person_name(a, b)


@pytest.mark.parametrize(("written", "carrier"), [
    ("中国电信义乌分公司", "china-telecom"), ("萧山电信", "china-telecom"),
    ("中国电信杭州市萧山区分公司", "china-telecom"), ("China Telecom Yiwu", "china-telecom"),
    ("China Telecom (CN2 GIA)", "china-telecom"), ("中国电信政企客户部", "china-telecom"),
    ("CTCC-ZJ", "china-telecom"), ("天翼云", "china-telecom"), ("CTG", "china-telecom"),
    ("移动云", "china-mobile"), ("联通云", "china-unicom"), ("中国联通政企", "china-unicom"),
])
def test_a_carrier_among_other_words_is_that_carrier(written: str, carrier: str) -> None:
    assert carrier_key(written) == carrier


@pytest.mark.parametrize("written", ["中华电信", "香港移动通讯", "鹏博士电信传媒", "中国电信 中国联通",
                                     "Pacific Telecom", "Telecom Italia Sparkle"])
def test_outside_independent_or_mixed_names_are_no_national_carrier(written: str) -> None:
    assert carrier_key(written) not in ("china-telecom", "china-unicom", "china-mobile",
                                        "china-broadnet")
