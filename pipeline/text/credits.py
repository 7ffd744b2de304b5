"""What is not the article itself: credit lines ("Source: VOA", "(Reuters) -"), datelines ("ASTANA -"),
a teaser's "..."/"Read more" tail, a repeated headline, and the share/footer lines every site adds;
and the alias table that folds an outlet's many names to one.

Credit lines are read in English, German, French, Spanish, Portuguese, Italian, Dutch, Polish,
Turkish, Indonesian, Vietnamese, Greek, Hindi, Korean, Russian, Ukrainian, Arabic, Persian, Thai,
Japanese and Chinese (simplified and traditional): "Source:"/"Quelle:"/"Source :"/"Fuente:"/
"Fonte:"/"Kaynak:"/"Источник:"/"Источник —"/"المصدر:"/"منبع:"/"ที่มา"/"ソース:"/"情報源："/"来源："
and the like on a line of their own or glued after the last sentence ("…。来源: 人民日报"), in
brackets ("（来源：新华社）"), as a phrase ("نقلاً عن", "ขอบคุณข้อมูลจาก", "转载自", "По материалам",
"Originally published by") or as a trailing "— Reuters". A number, a date or a dateline is never
an outlet ("SYDNEY (2805) -" credits no one). Teaser tails are read in the same languages
("Read more", "Weiterlesen", "Lire la suite", "Leer más", "Leia mais", "Continua a leggere",
"Подробнее", "Читать далее", "اقرأ المزيد", "التفاصيل", "อ่านต่อ", "続きを読む", "続きはこちら",
"阅读全文", "[详细]"). Dates are recognised in English and in numeric and CJK forms.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from urllib.parse import urlparse

from pipeline.text.tokens import UNSPACED

# What opens a credit, the separator after it optional: "Source", "Originally published by", "© 2001",
# "来源", "المصدر" ... and phrases that say "taken from" in other languages. English words end at a
# word boundary ("Viaduct closed." is no credit "duct closed").
_CREDIT_LEAD = (
    r"(?:(?:source|sources|credit|credits|via|courtesy(?:\s+of)?|"
    r"(?:this\s+(?:article|story)\s+(?:was\s+)?)?(?:originally\s+|first\s+)?(?:published|appeared)\s+(?:first\s+)?"
    r"(?:by|in|on|at)|originally\s+(?:published|appeared)\s+(?:by|in|on|at)|republished\s+(?:from|with\s+permission\s+from)|"
    r"reprinted\s+(?:from|with\s+permission\s+from)|"
    r"по\s+материалам|نقل(?:اً|ًا|ا)\s+عن|"  # ru "based on material of", ar "quoted from"
    r"zuerst\s+erschienen\s+(?:in|im|bei|auf)|mit\s+material\s+von|"
    r"publié\s+(?:initialement|d'abord)\s+(?:dans|par|sur)|"
    r"publicado\s+originalmente\s+(?:en|por|em|no|na|pelo|pela)|con\s+información\s+de|"
    r"com\s+informações\s+(?:de|da|do|dos|das)|pubblicato\s+originariamente\s+(?:su|da|in|sul))(?!\w)|"
    r"(?:©|\(c\)|copyright)(?:\s*\d{4})?|"
    r"(?:本文|文章|稿件|新闻|新聞|消息|信息)?(?:来源|來源)(?:于|於)?|出典|出处|出處|"
    r"转载自|轉載自|转自|轉自|摘自|编译自|編譯自|ขอบคุณข้อมูลจาก|ขอบคุณข้อมูล|"
    r"ที่มา(?=\s*[:：]|\s)|المصدر|مصدر)"
)
# Words that mean "source" but also open ordinary sentences ("Fuentes del gobierno dijeron..."):
# a credit only with a separator after them (":" or a dash).
_SOURCE_WORD = (
    r"(?:(?:quelle|quellen|fuente|fuentes|fonte|fontes|kaynak|bron|źródło|sumber|nguồn|"
    r"источник|первоисточник|джерело|منبع|πηγή|स्रोत)(?!\w)|출처|ソース|情報源|出所|引用元|แหล่งที่มา|แหล่งข่าว)"
)
_SEPARATOR = r"[:：\-—–]"
_COPYRIGHT = re.compile(r"^\s*(?:©|\(c\)|copyright)", re.IGNORECASE)
# Credit lines: a short paragraph naming who published the story first ("(Reuters)" alone too).
_CREDIT_LINE = re.compile(
    rf"^\s*(?:{_CREDIT_LEAD}\s*{_SEPARATOR}?\s*(?P<name>(?:(?!\.\s)[^\n]){{2,80}}?)"
    rf"|{_SOURCE_WORD}\s*{_SEPARATOR}\s*(?P<word>(?:(?!\.\s)[^\n]){{2,80}}?)"
    rf"|[(（]\s*(?:{_CREDIT_LEAD}|{_SOURCE_WORD})\s*[:：]?\s*(?P<bracketed>[^()（）\n]{{2,60}}?)\s*[)）]"
    rf"|\((?P<paren>[^()\n:]{{2,40}})\))\s*[.。]?\s*$",
    re.IGNORECASE,
)
# The same as the last (or first) sentence of a paragraph: "... on Monday. Source: AAP".
# Only explicit forms count here ("Source:" with its colon, "Originally published by"), never "via".
_CREDIT_SENTENCE = re.compile(
    r"(?:(?<=[.!?\"”’\]…»])\s+|(?<=\bmore)\s+|^)(?P<line>(?:source|credit|courtesy\s+of|"
    r"(?:this\s+(?:article|story)\s+(?:was\s+)?)?(?:originally|first)\s+(?:published|appeared)\s+(?:by|in|on|at)|"
    r"republished\s+(?:from|with\s+permission\s+from))\s*:?\s*(?P<name>https?://\S+|[^.!?\n]{2,60}?(?:\.[a-z]{2,6})*)\s*\.?)\s*$",
    re.IGNORECASE,
)
# A credit glued to the last sentence in any script, often with no space: "…على التوالي.المصدر: صحيفة
# الرياض", "…。来源: 人民日报", "…。（来源：新华社）", "… بالأمس. نقلاً عن رويترز", "… today. — Reuters".
# After a sentence end a lead needs its colon (or is a "taken from" phrase); brackets may follow anything.
_GLUED_CREDIT = re.compile(
    rf"(?:(?<=[.!?。！？؟…\"”’»\])）])\s*(?P<line>(?:{_CREDIT_LEAD}|{_SOURCE_WORD})\s*[:：]\s*"
    r"(?P<name>[^.!?。！？؟:：\n]{2,60}?)"
    r"|(?:по\s+материалам|نقل(?:اً|ًا|ا)\s+عن|转载自|轉載自|转自|轉自|摘自|ขอบคุณข้อมูลจาก)\s*"
    r"(?P<phrase>[^.!?。！？؟:：\n]{2,60}?))"
    rf"|(?P<bracket_line>[(（]\s*(?:{_CREDIT_LEAD}|{_SOURCE_WORD})\s*[:：]?\s*(?P<bracketed>[^()（）\n]{{2,60}}?)\s*[)）]))"
    r"\s*[.。]?\s*$",
    re.IGNORECASE,
)
# "— Reuters", "– وكالة الأنباء السعودية": a dash and a short name (no sentence of its own: no full
# stop, comma or quote) after the last sentence, or as the last paragraph, signs off the source.
_DASH_NAME = r"[—–]\s*(?P<name>[^\W\d_][^.!?。！？؟,;:\"«»“”\n]{1,40}?)\s*$"
_DASH_CREDIT = re.compile(rf"^\s*{_DASH_NAME}")
_GLUED_DASH_CREDIT = re.compile(rf"(?<=[.!?。！？؟…\"”»])\s*{_DASH_NAME}")
_DASH_CREDIT_WORDS = 4
# "(Reuters) —" or "WASHINGTON (AP) -" opening the first paragraph.
_INLINE_CREDIT = re.compile(
    r"^(?P<dateline>[A-Z][A-Za-z .,'\-]{0,40}?\s*)?\((?P<name>[^()\n]{2,40})\)\s*[—–\-\ufffd]+\s*"
)
# "ASTANA —", "SYDNEY, Australia –" (clean_line has turned a lost dash, " � ", back into " — ").
_DATELINE = re.compile(r"^[A-Z][A-Z .'\-]{1,40}(?:,\s*[A-Z][A-Za-z .]{1,30})?\s*[—–\-]+\s+")

# "Read more" in many languages: a teaser's link to the full article, at the end of its text.
_READ_MORE = (
    r"(?:read|continue)\s+(?:more|reading)|weiterlesen|mehr\s+lesen|lire\s+la\s+suite|"
    r"leer\s+más|seguir\s+leyendo|leia\s+mais|continue\s+lendo|continua\s+a\s+leggere|leggi\s+tutto|"
    r"lees\s+meer|verder\s+lezen|czytaj\s+dalej|devamını\s+oku|читать\s+далее|читать\s+полностью|"
    r"читати\s+далі|[اإ]قرأ\s+المزيد|ادامه\s+مطلب|อ่านต่อ|อ่านเพิ่มเติม|続きを読む|続きはこちら|"
    r"阅读全文|閱讀全文|查看全文|点击查看全文|더\s*보기"
)
# Words that end a teaser only set apart from the text ("… Подробнее", "[详细]", "| التفاصيل"): as the
# last word of a sentence they are ordinary words ("ولم يكشف عن التفاصيل.").
_MORE_WORD = r"(?:подробнее|التفاصيل|详细|詳細|全文|mehr|more)"
_TEASER_TAIL = re.compile(
    r"\s*(?:\.{3,}|…+|\[(?:…|\.\.\.)\]|\((?:more|more…|\.\.\.)\)|more\s*»"
    rf"|(?:{_READ_MORE})\W*"
    rf"|(?<=[.…!?:|—–»])\s*{_MORE_WORD}\s*(?:»|>>|\.\.\.|…)?"
    rf"|[\[【(]\s*(?:{_MORE_WORD}|{_READ_MORE})\s*[\]】)]|{_MORE_WORD}\s*(?:»|>>))\s*$",
    re.IGNORECASE,
)
# The Chinese and Japanese ellipsis "……" ends sentences in full articles too: it marks a teaser's cut
# only in a short text (at most _TEASER_MAX_WORDS words; each Chinese character counts as a word).
_CJK_ELLIPSIS = re.compile(r"(?:…{2,}|(?:\.\.\.){2,})\s*$")
_MORE_LINK = re.compile(
    rf"^(?:(?:read|continue)\s+(?:more|reading|the\s+full\s+(?:story|article))|{_READ_MORE}"
    rf"|[\[【(]?\s*(?:{_MORE_WORD})\s*[\]】)]?)\W*$",
    re.I,
)
_SITE_BOILERPLATE = re.compile(
    r"^(?:the\s+post\s+.+\s+appeared\s+first\s+on\s+.+|"
    r"(?:share|tweet|email|print|follow\s+us|subscribe|advertisement|sponsored|related|click\s+here|"
    r"read\s+more|continue\s+reading)\b.{0,80})$",
    re.IGNORECASE,
)

# A credited name that is a number, a date or a dateline is no outlet: "SYDNEY (2805) -", "(17)",
# "first appeared on October 6, 2025", "Source: SYDNEY —".
_MONTHS = (
    r"jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sept?(?:ember)?|"
    r"oct(?:ober)?|nov(?:ember)?|dec(?:ember)?"
)
_WEEKDAYS = (
    r"mon(?:day)?|tue(?:s|sday)?|wed(?:nesday)?|thu(?:rs|rsday)?|fri(?:day)?|sat(?:urday)?|sun(?:day)?"
)
_DATE_WORD = re.compile(
    rf"\d+(?:st|nd|rd|th)?|{_MONTHS}|{_WEEKDAYS}|today|yesterday|(?:\d+[年月日号號])+|[年月日]", re.I
)
# "SYDNEY —", "SYDNEY, Australia -": a dateline's place and dash.
_DATELINE_NAME = re.compile(r"[A-Z][A-Z .'\-]{1,40}(?:,\s*[^,]{1,30})?\s*[—–\-]+")
_PLACE = re.compile(r"[A-Z][A-Z .'\-]{1,40}")


# Agencies in general name no outlet: "Source: News agencies", "SOURCE: Agencies" (Al Jazeera's
# sign-off), "Staff and agencies" (the Guardian's byline); and "Al Jazeera and news
# agencies" credits Al Jazeera. A separator the site put after the colon ("Source:-News agencies")
# is not part of the name.
_GENERIC_CREDIT = re.compile(  # not "Wire", "Wire Service" or "Staff": feeds are named so
    r"(?:(?:news|wire)\s+)?agenc(?:y|ies)(?:\s+reports?)?|staff\s+(?:writers?|reporters?)|"
    r"(?:staff|reporters?)\s+and\s+(?:(?:news|wire)\s+)?agencies",
    re.IGNORECASE,
)
_AND_AGENCIES = re.compile(
    r"\s*(?:,|\band\b|\bwith\b|&)\s*(?:(?:news|wire)\s+)?(?:agencies|agency\s+reports|wires)\W*$",
    re.IGNORECASE,
)
_LEADING_MARKS = "-–—:;,·•|>»"


def clean_credit(name: str) -> str:
    """A credited name without the separators before it and an "and news agencies" after it:
    "-Al Jazeera and news agencies" is "Al Jazeera"; "" for agencies in general ("News agencies",
    "Staff and agencies")."""
    bare = name.strip().lstrip(_LEADING_MARKS).strip()
    return "" if _GENERIC_CREDIT.fullmatch(bare) else _AND_AGENCIES.sub("", bare).strip()


def _is_date(text: str) -> bool:
    return all(_DATE_WORD.fullmatch(word) for word in re.findall(r"\w+", text))


def is_outlet_name(name: str) -> bool:
    """Whether a credited name can name an outlet: it has a letter, and is neither a date nor a dateline.

    "2805", "17", "2025-10-06", "October 6, 2025", "Monday", "2025年10月6日", "SYDNEY —",
    "WASHINGTON, Oct. 6", "News agencies" and "Staff and agencies" are not; "AP", "The Sun",
    "AP, Reuters" and "新华社" are. Dates are read in English and in numeric and CJK forms.
    """
    text = name.strip()
    if not any(char.isalpha() for char in text) or _is_date(text) or _DATELINE_NAME.fullmatch(text):
        return False
    if not clean_credit(text):
        return False  # "News agencies", "Staff and agencies": no outlet
    place, comma, rest = text.partition(",")
    return not (comma and _PLACE.fullmatch(place.strip()) and _is_date(rest))  # "WASHINGTON, Oct. 6"


def _outlet(name: str | None) -> str | None:
    """The credited name, trimmed, or None when it cannot name an outlet."""
    if not name:
        return None
    cleaned = clean_credit(name.strip().rstrip("。．"))
    return cleaned if cleaned and is_outlet_name(cleaned) else None


def _line_credit(match: re.Match[str]) -> str | None:
    return _outlet(
        match.group("name") or match.group("word") or match.group("bracketed") or match.group("paren")
    )


# "Talks open | Daily Planet", "Talks open - Harbour Times": a site's suffix on its titles.
_TITLE_SUFFIX = re.compile(r"\s+[|–—\-:]\s+[^|–—\-:]{2,40}$")


# Curly and straight quotes compare equal (one character for one, so offsets stay valid).
_QUOTE_FOLD = str.maketrans({"’": "'", "‘": "'", "“": '"', "”": '"', "—": "-", "–": "-"})
_HEADLINE_SEPARATOR = re.compile(r"\s*(?:[:|]|\s[—–\-])\s+")


def strip_headline(paragraphs: list[str], title: str) -> list[str]:
    """Drop the entry's own headline where its text repeats it first (listings often do)."""
    if not paragraphs or not title:
        return paragraphs
    first = paragraphs[0]
    folded = first.translate(_QUOTE_FOLD).casefold()
    for headline in (title, _TITLE_SUFFIX.sub("", title)):
        if len(headline.split()) < 3:
            continue
        key = headline.translate(_QUOTE_FOLD).casefold()
        if folded == key:
            return paragraphs[1:]
        if folded.startswith(key) and len(folded) == len(first):
            # "Headline: text" or "Headline — text"; not "Headline. text" (a lead sentence may be the title)
            separator = _HEADLINE_SEPARATOR.match(first, len(headline))
            if separator:
                return [first[separator.end() :], *paragraphs[1:]]
    return paragraphs


def split_body(paragraphs: list[str]) -> tuple[list[str], str | None, bool]:
    """Separate the fingerprinted body from its credit line, dateline, teaser tail and boilerplate.

    Returns (body paragraphs, the credited name as written or None, whether the text is cut short).
    """
    credit: str | None = None
    copyright_holder: str | None = None
    body: list[str] = []
    more_link = False
    for paragraph in paragraphs:
        if _MORE_LINK.match(paragraph):  # "Read more" on a line of its own: a teaser's link
            more_link = more_link or sum(_word_count(p) for p in body) <= _TEASER_MAX_WORDS
            continue
        match = _CREDIT_LINE.match(paragraph)
        if match and len(paragraph.split()) <= 12:
            if _COPYRIGHT.match(paragraph):  # often the site's own sign-off: weaker than a credit
                copyright_holder = copyright_holder or _line_credit(match)
            else:
                credit = credit or _line_credit(match)
            continue
        if _SITE_BOILERPLATE.match(paragraph) and len(paragraph.split()) <= 25:
            continue
        body.append(paragraph)
    if body:
        # "— Reuters" as the last paragraph: a sign-off naming the source.
        dash = _DASH_CREDIT.match(body[-1])
        if dash and len(dash.group("name").split()) <= _DASH_CREDIT_WORDS and _outlet(dash.group("name")):
            credit = credit or _outlet(dash.group("name"))
            body.pop()
    if body:
        # A credit glued to the text (paragraphs joined without a break, or written inline).
        glued = _glued_credit(body[-1])
        if glued:
            credit = credit or glued[0]
            body[-1] = glued[1]
        leading = _leading_credit(body[0])
        if leading:
            credit = credit or leading[0]
            body[0] = leading[1]
    body, truncated = _cut_teaser_tail([p for p in body if p.strip()])
    truncated = truncated or (more_link and bool(body))
    if body:
        first = body[0]
        inline = _INLINE_CREDIT.match(first)
        if inline:  # "SYDNEY (2805) -" is a dateline with a story number: cut, but credits no one
            credit = credit or _outlet(inline.group("name"))
            first = first[inline.end() :]
        body[0] = _DATELINE.sub("", first)
    return [p for p in body if p.strip()], credit or copyright_holder, truncated


def _glued_credit(paragraph: str) -> tuple[str, str] | None:
    """ "… on Monday. Source: AAP" -> ("AAP", "… on Monday."); None when no credit ends the paragraph."""
    sentence = _CREDIT_SENTENCE.search(paragraph) if _may_hold_credit_sentence(paragraph) else None
    if sentence and sentence.start("line") > 0:
        name = _outlet(sentence.group("name")) or _agencies(sentence.group("name"))
        return (name, paragraph[: sentence.start("line")].rstrip()) if name is not None else None
    window = max(0, len(paragraph) - _GLUED_WINDOW)  # a glued credit is short: search the end only
    glued = _GLUED_CREDIT.search(paragraph, window)
    if glued:
        start = glued.start("line") if glued.group("line") else glued.start("bracket_line")
        raw = glued.group("name") or glued.group("phrase") or glued.group("bracketed")
        name = _outlet(raw) or _agencies(raw)
    else:
        glued = _GLUED_DASH_CREDIT.search(paragraph, window)
        if not glued or len(glued.group("name").split()) > _DASH_CREDIT_WORDS:
            return None
        start, name = glued.start(), _outlet(glued.group("name"))
    return (name, paragraph[:start].rstrip()) if name is not None and start > 0 else None


def _may_hold_credit_sentence(paragraph: str) -> bool:
    """False when ``_CREDIT_SENTENCE`` cannot match: each of its leads holds one of these words, and
    in ASCII text its case-insensitive letters are only ASCII ones (elsewhere "ſ" matches "s"). Most
    paragraphs have none: the search, tried at every character, was 30 µs per article."""
    if not paragraph.isascii():
        return True
    folded = paragraph.lower()
    return any(word in folded for word in _CREDIT_SENTENCE_WORDS)


_CREDIT_SENTENCE_WORDS = ("source", "credit", "courtesy", "published", "appeared")


def _agencies(raw: str | None) -> str | None:
    """ "" for a credit of agencies in general ("Source: News agencies": a credit line to cut that
    credits no outlet), else None."""
    return "" if raw and raw.strip() and not clean_credit(raw) else None


def _leading_credit(paragraph: str) -> tuple[str, str] | None:
    """ "Originally published by VOA. The talks opened..." -> ("VOA", "The talks opened...")."""
    head, sep, rest = paragraph.partition(". ")
    if not sep or len(head.split()) > 10:
        return None
    match = _CREDIT_LINE.match(head)
    name = match and _line_credit(match)
    return (name, rest) if name else None


# A teaser's cut is in its first paragraphs; what follows it is a link line or a site footer.
_TEASER_MAX_WORDS = 150
_TEASER_MAX_AFTER = 2
# Characters at a paragraph's end that can hold a teaser tail ("… Continue reading »", "[…]") or a
# glued credit (a 45-character lead such as "This article was originally published in", a 60-character name).
_TAIL_WINDOW = 40
_GLUED_WINDOW = 160
# Runs of characters of scripts written without spaces, each character a word (as tokenize counts them).
_UNSPACED_RUN = re.compile(rf"[{UNSPACED}]+")


def _word_count(text: str) -> int:
    """Words in ``text``, each Chinese, Japanese or Thai character counting as one."""
    if text.isascii():
        return len(text.split())
    spaced, runs = _UNSPACED_RUN.subn(" ", text)  # each run of such characters becomes one space
    return len(text) - len(spaced) + runs + len(spaced.split())


def _cut_teaser_tail(body: list[str]) -> tuple[list[str], bool]:
    """Strip a teaser's "..."/"Read more" tail and drop the lines after it (footers, links)."""
    words = 0
    for index, paragraph in enumerate(body):
        if words <= _TEASER_MAX_WORDS:  # past the limit the exact count no longer matters
            words += _word_count(paragraph)
        last = index == len(body) - 1
        if not last and (words > _TEASER_MAX_WORDS or len(body) - index - 1 > _TEASER_MAX_AFTER):
            continue
        # Tails are short: search the paragraph's end only (lookbehinds still see the text before it).
        end = max(0, len(paragraph) - _TAIL_WINDOW)
        if _CJK_ELLIPSIS.search(paragraph, end) and sum(map(_word_count, body)) > _TEASER_MAX_WORDS:
            continue  # "……" ends a sentence of a full article
        tail = _TEASER_TAIL.search(paragraph, end)
        stripped = paragraph[: tail.start()].rstrip() if tail else paragraph
        if stripped != paragraph and (last or words <= _TEASER_MAX_WORDS):
            kept = [*body[:index], stripped] if stripped.strip() else body[:index]
            return kept, True
    return body, False


# Articles and determiners that may open an outlet's name in a credit but not in the config (or the
# reverse): English, French, Italian, Spanish, Portuguese, German, Dutch.
_ARTICLES = frozenset(
    {
        *("the", "a", "an", "le", "la", "les", "l", "un", "une", "il", "lo", "gli", "i", "uno", "una"),
        *("el", "los", "las", "o", "os", "as", "der", "die", "das", "den", "dem", "des", "ein", "eine"),
        *("de", "het", "een"),
    }
)


class AliasTable:
    """Folds the many names of an outlet ("VOA", "voanews.com") to the one name in the config."""

    def __init__(
        self,
        aliases: Mapping[str, Iterable[str]],
        feed_names: Iterable[str],
        feed_hosts: Mapping[str, str] | None = None,
    ) -> None:
        """``feed_hosts`` (feed name -> host of the site it links to) makes a credit or canonical
        link naming that host ("voanews.com") resolve to the feed without an alias entry."""
        self._names: dict[str, str] = {}
        for name in feed_names:
            self._names[self.key(name)] = name
        for name, host in (feed_hosts or {}).items():
            self._names.setdefault(self.key(host), name)
        for name, others in aliases.items():
            self._names[self.key(name)] = name
            for other in others:
                self._names[self.key(other)] = name

    @staticmethod
    def key(name: str) -> str:
        """Compare names case-insensitively, ignoring punctuation, "www.", "https://" and leading
        articles ("the Valley Courier", "Le Monde", "Die Welt" match "Valley Courier", "Monde", "Welt");
        a name that is nothing but an article ("AS", "i") keeps it."""
        text = name.strip().casefold()
        if "://" in text:
            text = urlparse(text).netloc or text
        text = re.sub(r"^www\.", "", text)
        words = re.findall(r"\w+", text)
        start = 0
        while start < len(words) - 1 and words[start] in _ARTICLES:
            start += 1
        return " ".join(words[start:])

    def names(self, credit: str, feed: str) -> bool:
        """Whether a credit names ``feed`` itself (its one name, or its name inside a longer one)."""
        if self.resolve(credit) == self.resolve(feed):
            return True
        return f" {self.key(feed)} " in f" {self.key(credit)} "

    def resolve(self, credit: str) -> str:
        """The one name for a credited outlet; an unknown name is returned as written."""
        cleaned = clean_credit(credit).strip(".").strip()  # also credits stored by older versions
        for variant in (
            cleaned,
            re.sub(r"\s*\(.*?\)\s*", " ", cleaned),
            *re.findall(r"\((.*?)\)", cleaned),
        ):
            found = self._names.get(self.key(variant))
            if found:
                return found
        return cleaned
