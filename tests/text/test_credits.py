"""credits: credit lines, teaser tails and outlet names in many languages and scripts (issue 13).

Each form is a case of its own, so a regression names the language and the form that broke.
"""

from __future__ import annotations

import pytest

from pipeline.text.clean import clean_line
from pipeline.text.credits import AliasTable, is_outlet_name, split_body

BODY = {
    "ru": "Переговоры в столице начались в понедельник, сообщили в министерстве.",
    "ar": "بدأت المحادثات في العاصمة يوم الاثنين، حسبما أعلنت الوزارة.",
    "th": "การเจรจาในเมืองหลวงเริ่มขึ้นเมื่อวันจันทร์ตามที่กระทรวงแจ้ง",
    "ja": "首都での協議は月曜日に始まったと省が発表した。",
    "zh": "首都的会谈于周一开始，外交部表示。",
    "en": "Talks in the capital opened on Monday, the ministry said.",
}


def _credit_line(language: str, line: str) -> tuple[list[str], str | None, bool]:
    """split_body of a body paragraph and a credit line, both cleaned as normalize cleans them."""
    return split_body([clean_line(BODY[language]), clean_line(line)])


@pytest.mark.parametrize(
    ("language", "line", "name"),
    [
        ("ru", "Источник: ТАСС", "ТАСС"),
        ("ru", "Источник — ТАСС", "ТАСС"),
        ("ru", "(ТАСС)", "ТАСС"),
        ("ru", "По материалам РИА Новости", "РИА Новости"),
        ("ar", "نقلاً عن وكالة الأنباء السعودية", "وكالة الأنباء السعودية"),
        ("ar", "نقلا عن رويترز", "رويترز"),
        ("ar", "— رويترز", "رويترز"),
        ("ar", "المصدر: صحيفة الرياض", "صحيفة الرياض"),
        ("ar", "منبع: ایرنا", "ایرنا"),  # Persian
        ("th", "ที่มา มติชนออนไลน์", "มติชนออนไลน์"),
        ("th", "ที่มา: ไทยรัฐ", "ไทยรัฐ"),
        ("th", "ขอบคุณข้อมูลจาก ไทยรัฐ", "ไทยรัฐ"),
        ("th", "ขอบคุณข้อมูลจากไทยรัฐ", "ไทยรัฐ"),
        ("ja", "ソース:共同通信", "共同通信"),
        ("ja", "情報源：NHK", "NHK"),
        ("ja", "出典：時事通信", "時事通信"),
        ("zh", "（来源：新华社）", "新华社"),
        ("zh", "本文来源：人民网", "人民网"),
        ("zh", "转载自澎湃新闻", "澎湃新闻"),
        ("zh", "转载自：澎湃新闻", "澎湃新闻"),
        ("zh", "來源：中央社", "中央社"),
        ("en", "Quelle: dpa", "dpa"),  # German
        ("en", "Source : AFP", "AFP"),  # French, a space before the colon
        ("en", "Source\u202f: AFP", "AFP"),  # French, a narrow no-break space before the colon
        ("en", "Fuente: EFE", "EFE"),  # Spanish
        ("en", "Fonte: Agência Brasil", "Agência Brasil"),  # Portuguese
        ("en", "Fonte: ANSA", "ANSA"),  # Italian
        ("en", "Kaynak: Anadolu Ajansı", "Anadolu Ajansı"),  # Turkish
        ("en", "Bron: ANP", "ANP"),  # Dutch
        ("en", "Źródło: PAP", "PAP"),  # Polish
        ("en", "Sumber: Antara", "Antara"),  # Indonesian
        ("en", "Nguồn: VnExpress", "VnExpress"),  # Vietnamese
        ("en", "Πηγή: ΑΠΕ-ΜΠΕ", "ΑΠΕ-ΜΠΕ"),  # Greek
        ("en", "स्रोत: पीटीआई", "पीटीआई"),  # Hindi
        ("en", "출처: 연합뉴스", "연합뉴스"),  # Korean
        ("ru", "Джерело: Укрінформ", "Укрінформ"),  # Ukrainian
        ("en", "Mit Material von dpa", "dpa"),  # German phrase
        ("en", "Com informações da Reuters", "Reuters"),  # Portuguese phrase
        ("en", "Publicado originalmente en El País", "El País"),  # Spanish phrase
        ("en", "— Reuters", "Reuters"),
    ],
)
def test_credit_line_of_its_own(language: str, line: str, name: str) -> None:
    body, credit, truncated = _credit_line(language, line)
    assert credit == name
    assert body == [clean_line(BODY[language])]
    assert not truncated


@pytest.mark.parametrize(
    ("text", "kept", "name"),
    [
        (
            "قالت الوزارة إن الأسعار ارتفعت بنسبة ٣ و٥ في المئة على التوالي.المصدر: صحيفة الرياض",
            "قالت الوزارة إن الأسعار ارتفعت بنسبة ٣ و٥ في المئة على التوالي.",
            "صحيفة الرياض",
        ),
        ("会议在北京举行，双方达成一致。来源: 人民日报", "会议在北京举行,双方达成一致。", "人民日报"),
        ("会议在北京举行，双方达成一致。（来源：新华社）", "会议在北京举行,双方达成一致。", "新华社"),
        ("Переговоры начались в понедельник. Источник: ТАСС", "Переговоры начались в понедельник.", "ТАСС"),
        ("بدأت المحادثات يوم الاثنين. نقلاً عن رويترز", "بدأت المحادثات يوم الاثنين.", "رويترز"),
        ("بدأت المحادثات يوم الاثنين. — رويترز", "بدأت المحادثات يوم الاثنين.", "رويترز"),
        ("会談は月曜日に始まった。情報源：NHK", "会談は月曜日に始まった。", "NHK"),
        ("Die Gespräche begannen am Montag. Quelle: dpa", "Die Gespräche begannen am Montag.", "dpa"),
    ],
)
def test_credit_glued_to_the_last_sentence(text: str, kept: str, name: str) -> None:
    body, credit, _ = split_body([clean_line(text)])
    assert (body, credit) == ([kept], name)


@pytest.mark.parametrize(
    "paragraph",
    [
        "Fuentes del gobierno dijeron que no habrá cambios.",  # "sources" opening a sentence, no colon
        "Quellen zufolge bleibt alles beim Alten.",
        "Viaduct closed.",  # "Via" is a word of its own only
        "— Нет, — ответил он.",  # a line of dialogue, not a "— Name" sign-off
        "Министр рассказал подробнее.",
    ],
)
def test_ordinary_last_paragraph_is_no_credit(paragraph: str) -> None:
    body, credit, truncated = split_body([BODY["en"], paragraph])
    assert (body, credit, truncated) == ([BODY["en"], paragraph], None, False)


def test_a_dateline_with_a_story_number_credits_no_one() -> None:
    body, credit, _ = split_body(["SYDNEY (2805) - Sydney's harbour ferries will run through the night."])
    assert credit is None
    assert body == ["Sydney's harbour ferries will run through the night."]
    assert split_body(["PERTH (17) - Households may water their gardens again."])[1] is None
    assert split_body(["SYDNEY (AAP) - Fire crews battled a blaze."])[1] == "AAP"  # a real wire credit stays


@pytest.mark.parametrize(
    "line", ["(2805)", "(17)", "This article first appeared on October 6, 2025.", "— 2025"]
)
def test_a_number_or_a_date_is_no_credit(line: str) -> None:
    assert split_body([BODY["en"], line])[1] is None


@pytest.mark.parametrize(
    ("name", "outlet"),
    [
        ("2805", False),
        ("2025-10-06", False),
        ("October 6, 2025", False),
        ("Monday", False),
        ("2025年10月6日", False),
        ("SYDNEY —", False),
        ("WASHINGTON, Oct. 6", False),
        ("AP", True),
        ("The Sun", True),
        ("AP, Reuters", True),
        ("新华社", True),
        ("voanews.com", True),
    ],
)
def test_is_outlet_name(name: str, outlet: bool) -> None:
    assert is_outlet_name(name) is outlet


@pytest.mark.parametrize(
    ("text", "kept"),
    [
        ("وقال الوزير إن المحادثات ستستمر اقرأ المزيد", "وقال الوزير إن المحادثات ستستمر"),
        ("وقال الوزير إن المحادثات ستستمر. التفاصيل", "وقال الوزير إن المحادثات ستستمر."),
        ("会談は月曜日に始まった。続きはこちら", "会談は月曜日に始まった。"),
        ("会談は月曜日に始まった。続きを読む", "会談は月曜日に始まった。"),
        ("Переговоры начались в понедельник. Подробнее", "Переговоры начались в понедельник."),
        ("Переговоры начались в понедельник… Читать далее", "Переговоры начались в понедельник..."),
        ("การเจรจาเริ่มขึ้นเมื่อวันจันทร์ อ่านต่อ", "การเจรจาเริ่มขึ้นเมื่อวันจันทร์"),
        ("会谈于周一开始。阅读全文", "会谈于周一开始。"),
        ("会谈于周一开始。[详细]", "会谈于周一开始。"),
        ("会谈于周一开始。【详细】", "会谈于周一开始。"),
        ("Die Gespräche begannen am Montag. Weiterlesen", "Die Gespräche begannen am Montag."),
        ("Les pourparlers ont commencé lundi. Lire la suite", "Les pourparlers ont commencé lundi."),
        ("Las conversaciones comenzaron el lunes. Leer más", "Las conversaciones comenzaron el lunes."),
        ("As conversas começaram na segunda. Leia mais", "As conversas começaram na segunda."),
        ("I colloqui sono iniziati lunedì. Continua a leggere", "I colloqui sono iniziati lunedì."),
    ],
)
def test_native_read_more_tail_marks_a_teaser(text: str, kept: str) -> None:
    body, _, truncated = split_body([clean_line(text)])
    assert truncated
    assert body == [kept]


@pytest.mark.parametrize(
    "link", ["Подробнее", "Читать далее", "اقرأ المزيد", "続きを読む", "[详细]", "Weiterlesen"]
)
def test_native_read_more_on_a_line_of_its_own_marks_a_teaser(link: str) -> None:
    body, _, truncated = split_body([BODY["en"], link])
    assert truncated and body == [BODY["en"]]


def test_a_word_for_details_ending_a_sentence_is_no_tail() -> None:
    text = "ولم يكشف الوزير عن التفاصيل."  # "the minister did not reveal the details."
    assert split_body([text]) == ([text], None, False)


_SENTENCE_ZH = "会谈于周一在首都开始双方讨论了停火和人道主义援助问题"


def test_chinese_ellipsis_ends_a_short_teaser() -> None:
    body, _, truncated = split_body([clean_line(_SENTENCE_ZH + "……")])
    assert truncated and body == [_SENTENCE_ZH]


def test_chinese_ellipsis_ending_a_full_article_is_no_teaser_cut() -> None:
    # Twelve sentences of 26 characters: 300+ characters, above the 150-word teaser limit.
    article = ["。".join([_SENTENCE_ZH] * 6), "。".join([_SENTENCE_ZH] * 5) + "。" + _SENTENCE_ZH + "……"]
    body, _, truncated = split_body([clean_line(p) for p in article])
    assert not truncated
    assert body == [clean_line(p) for p in article]


def test_an_explicit_tail_ends_a_long_chinese_article_too() -> None:
    article = "。".join([_SENTENCE_ZH] * 12) + "……阅读全文"
    assert split_body([clean_line(article)])[2]


@pytest.mark.parametrize(
    ("credit", "feed"),
    [
        ("the Valley Courier", "Valley Courier"),
        ("The Valley Courier.", "Valley Courier"),
        ("Le Monde", "Monde"),
        ("Monde", "Le Monde"),
        ("die Welt", "Die Welt"),
        ("El País", "País"),
        ("O Globo", "Globo"),
        ("De Telegraaf", "Telegraaf"),
        ("l'Express", "L'Express"),
        ("la Repubblica", "Repubblica"),
    ],
)
def test_articles_are_dropped_before_matching_a_feed_name(credit: str, feed: str) -> None:
    table = AliasTable({}, [feed, "Harbor Daily"])
    assert table.resolve(credit) == feed  # the feed's configured name, not the credit's words
    assert table.names(credit, feed)


def test_articles_are_dropped_before_matching_an_alias() -> None:
    table = AliasTable({"Valley Courier": ["Courier", "valleycourier.example"]}, ["Harbor Daily"])
    assert table.resolve("the Courier") == "Valley Courier"


def test_a_name_that_is_only_an_article_keeps_it() -> None:
    table = AliasTable({}, ["AS", "A", "Valley Courier"])
    assert table.resolve("AS") == "AS" and table.resolve("A") == "A"
    assert AliasTable.key("AS") == "as"
    assert table.resolve("the") == "the"  # an unknown name is returned as written


@pytest.mark.parametrize(
    ("text", "credit"),
    [
        ("Talks began on Monday in the capital. Source:-Al Jazeera and news agencies", "Al Jazeera"),
        ("Talks began on Monday in the capital. SOURCE: Al Jazeera, agencies", "Al Jazeera"),
        ("Talks began on Monday in the capital. Source:-News agencies", None),
        ("Talks began on Monday in the capital. Source: Staff and agencies", None),
        ("Talks began on Monday in the capital. Source: - AFP news agency", "AFP news agency"),
    ],
)
def test_agencies_in_general_credit_no_outlet(text: str, credit: str | None) -> None:
    # Al Jazeera signs its articles "Source: News agencies" or "Al Jazeera and news agencies".
    body, found, _ = split_body([clean_line(text)])
    assert found == credit
    assert body == ["Talks began on Monday in the capital."]  # the credit line is cut either way


def test_a_stored_credit_with_a_separator_or_agencies_resolves_to_the_feed() -> None:
    aliases = AliasTable({}, ["Al Jazeera"])
    assert aliases.resolve("-Al Jazeera and news agencies") == "Al Jazeera"
    assert not is_outlet_name("-News agencies")
    assert is_outlet_name("Wire") and is_outlet_name("The Wire") and is_outlet_name("News Agency of Nigeria")


def test_credit_sentence_prefilter_never_hides_a_match() -> None:
    """The search is skipped when no lead word is there: on random text built from the leads' words,
    every paragraph the regex matches passes the filter (and unrelated ASCII text is skipped)."""
    import random

    from pipeline.text.credits import _CREDIT_SENTENCE, _may_hold_credit_sentence

    rng = random.Random(15)
    pieces = ["Source", "CREDIT", "courtesy of", "This article was originally", "First", "published", "in"]
    pieces += [
        "appeared",
        "Republished from",
        "on",
        "by",
        ":",
        ".",
        " ",
        "  ",
        "AAP",
        "voa.gov",
        "ſource",
        "é",
    ]
    pieces += ["Talks open today.", "\n", "more", "»", "https://x.example/a"]
    matched = 0
    for _ in range(20000):
        paragraph = "".join(rng.choice(pieces) for _ in range(rng.randint(1, 12)))
        if _CREDIT_SENTENCE.search(paragraph):
            matched += 1
            assert _may_hold_credit_sentence(paragraph), repr(paragraph)
    assert matched > 500  # the random paragraphs do reach the regex's credits
    for paragraph in (
        "Talks end. Source: AAP",
        "Talks end. Credit: Daily Planet.",
        "Talks end. Courtesy of VOA",
        "Talks end. First appeared in Daily Planet.",
        "Talks end. This story was originally published by VOA.",
        "Talks end. Republished with permission from AP",
    ):
        assert _CREDIT_SENTENCE.search(paragraph) and _may_hold_credit_sentence(paragraph), paragraph
    assert not _may_hold_credit_sentence("Talks opened in Astana on Monday. They end on Friday.")
