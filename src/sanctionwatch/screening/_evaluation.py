"""A labelled evaluation set for screening, built from the lists themselves.

Positives are listed names rewritten by documented rules, each labelled with the entry it
came from, plus hand-written variants. For people (family name first, as both lists write
Korean names), the rules are:

- `hyphenated`: given names joined by a hyphen (Ri Won-ho);
- `joined`: given names written as one word (Ri Wonho);
- `family-last`: given names first, family name last (Won Ho Ri);
- `south-korean`: each syllable in South Korea's Revised Romanisation and the family name
  as South Koreans usually write it (Lee Won-ho, Jeong, Cheol, Gyeong, Park, Choi);
- `western`: habitual Western spellings (Rhee, Chul, Sung, Young, Myung, Hyuk, Soo, Woo);
- `mccune-reischauer`: the breve and aspiration marks written as apostrophes (Ch'oe, Cho'l);
- `list-style`: the other list's layout (RI, Won Ho for a UN name; RI WON HO for OFAC's).

For organisations and vessels: `lower-case`, `legal-form` (Corporation <-> Corp., Company
<-> Co., Limited <-> Ltd) and, for vessels, `joined` (Chong Chon Gang -> Chongchongang).

Negatives are common Korean and Chinese names, company and ship names that are not listed
(a test checks that no listed name shares their key), plus `generated` Korean names built
from the commonest family names and given-name syllables. A generated name is kept only if
no listed name has the same key; because keys merge romanisations, that errs toward dropping
real negatives, never toward keeping a listed name.

Because those positives come from the same romanisation knowledge as the matcher's variant
table, recall is also measured on a second set built without it (`independent_set`): names
the list compilers themselves wrote for one party, which the screened entry does not carry.

- `other-version`: names another version of the same list gives the entry (same source and
  reference number), screened against the version being evaluated;
- `other-list`: the UN name of a party screened for its OFAC entry and the reverse. UN and
  OFAC entries are paired when they share a document number (passport) or an IMO number, or
  a full date of birth, unless both list documents and none agree.

Only different spellings count, not different names (a ministry renamed, a Chinese alias of a
Korean name): a name is kept when at least `SPELLING_AGREEMENT` of its letters agree with one
of the entry's names by difflib's ratio, a generic measure that knows nothing of the table.

A query counts as flagged when any entry scores at least the threshold. A flagged positive
is correct when its own entry is among the matches (the same person listed by both the UN
and OFAC matching twice is not an error); a flagged negative is a false alarm.
"""

from __future__ import annotations

import random
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher

import pyarrow as pa

from sanctionwatch.screening._defaults import DEFAULT_THRESHOLD
from sanctionwatch.screening._match import QUERIES, Screener
from sanctionwatch.screening._model import ListEntry, ListFile
from sanctionwatch.screening._names import literal_form, name_key

__all__ = [
    "HAND_WRITTEN_NEGATIVES",
    "HAND_WRITTEN_POSITIVES",
    "SPELLING_AGREEMENT",
    "Evaluation",
    "LabelledName",
    "evaluate",
    "evaluation_set",
    "independent_set",
]

SPELLING_AGREEMENT = 0.7
"""Share of letters (difflib ratio) above which a list's other name is another spelling."""


@dataclass(frozen=True)
class LabelledName:
    """A query name and the entry it should match (`None`: it should match nothing)."""

    name: str
    source: str | None
    ref: str | None
    rule: str


@dataclass(frozen=True)
class Evaluation:
    """Precision and recall of screening at one threshold, with the errors to look at."""

    threshold: float
    positives: int
    negatives: int
    true_positives: int
    false_positives: int
    precision: float
    recall: float
    misses: tuple[LabelledName, ...]
    false_alarms: tuple[tuple[LabelledName, str], ...]
    independent_positives: int = 0
    independent_true_positives: int = 0
    independent_recall: float | None = None
    independent_misses: tuple[LabelledName, ...] = ()


_SOUTH_KOREAN_SYLLABLES = {
    "chol": "cheol", "song": "seong", "yong": "yeong", "jong": "jeong", "chong": "jeong",
    "myong": "myeong", "hyok": "hyeok", "kyong": "gyeong", "pyong": "byeong",
    "byong": "byeong", "chon": "cheon", "jon": "jeon", "hyon": "hyeon", "sok": "seok",
    "kwang": "gwang", "kuk": "guk", "kyu": "gyu", "tong": "dong", "to": "do", "pong": "bong",
    "pom": "beom", "un": "eun", "kum": "geum", "yon": "yeon", "chin": "jin", "kil": "gil",
    "kon": "geon", "kuen": "geun", "tae": "dae", "ku": "gu", "ki": "gi", "kap": "gap",
}  # fmt: skip
_SOUTH_KOREAN_FAMILY = {
    "ri": "Lee", "pak": "Park", "choe": "Choi", "o": "Oh", "jong": "Jeong", "ryu": "Yoo",
    "rim": "Lim", "ro": "Noh", "yun": "Yoon", "jon": "Jeon", "mun": "Moon", "paek": "Baek",
    "hyon": "Hyun", "chu": "Joo", "ju": "Joo", "kang": "Kang", "ko": "Ko", "sin": "Shin",
    "kil": "Gil", "so": "Seo", "song": "Song", "jang": "Jang", "cho": "Cho", "jo": "Jo",
}  # fmt: skip
_WESTERN_SYLLABLES = {
    "chol": "chul", "song": "sung", "yong": "young", "myong": "myung", "kyong": "kyung",
    "hyok": "hyuk", "hyon": "hyun", "jong": "jung", "chong": "chung", "sok": "suk",
    "un": "eun", "su": "soo", "ju": "joo", "u": "woo", "hui": "hee", "yun": "yoon",
    "mun": "moon", "pyong": "pyung", "hyong": "hyung", "chun": "choon",
}  # fmt: skip
_WESTERN_FAMILY = {
    "ri": "Rhee", "pak": "Pak", "choe": "Chwe", "o": "O", "jong": "Chung", "ryu": "Rhyu",
    "rim": "Im", "yun": "Yoon", "mun": "Moon", "paek": "Paik", "kim": "Kim",
}  # fmt: skip
_MR_SYLLABLES = {
    "chol": "ch'o'l", "song": "so'ng", "yong": "yo'ng", "jong": "cho'ng", "chong": "ch'o'ng",
    "myong": "myo'ng", "hyok": "hyo'k", "kyong": "kyo'ng", "pyong": "p'yo'ng",
    "chon": "ch'o'n", "jon": "cho'n", "hyon": "hyo'n", "sok": "so'k", "choe": "ch'oe",
    "chun": "ch'un", "un": "u'n", "yon": "yo'n",
}  # fmt: skip
_LEGAL_FORMS = [
    (r"\bCORPORATION\b", "Corp."), (r"\bCORP\.?(?=\s|$)", "Corporation"),
    (r"\bCOMPANY\b", "Co."), (r"\bCO\.?(?=\s|$)", "Company"),
    (r"\bLIMITED\b", "Ltd"), (r"\bLTD\.?(?=\s|$)", "Limited"),
]  # fmt: skip

HAND_WRITTEN_POSITIVES: tuple[tuple[str, str, str], ...] = (
    ("Kim Jong Un", "ofac", "20157"),
    ("Kim Jong-un", "ofac", "20157"),
    ("Kim Chong-un", "ofac", "20157"),
    ("Kim Jongun", "ofac", "20157"),
    ("Kim Jŏng-ŭn", "ofac", "20157"),
    ("KIM Jong-Un", "ofac", "20157"),
    ("Jong Un Kim", "ofac", "20157"),
    ("Kim Jong Eun", "ofac", "20157"),
    ("Lee Won-ho", "un", "KPi.033"),
    ("Rhee Won Ho", "un", "KPi.033"),
    ("Won Ho Ri", "un", "KPi.033"),
    ("Jang Chang-ha", "un", "KPi.037"),
    ("Chang Chang Ha", "un", "KPi.037"),
    ("Jo Chun Ryong", "un", "KPi.038"),
    ("Cho Chun-ryong", "un", "KPi.038"),
    ("Choi Chun Sik", "un", "KPi.013"),
    ("Chwe Chun-sik", "un", "KPi.013"),
    ("Park Bong Nam", "un", "KPi.073"),
    ("Pak Pong-nam", "un", "KPi.073"),
    ("Min Byeong-cheol", "un", "KPi.047"),
    ("Min Pyong Chol", "un", "KPi.047"),
    ("Ri Un-song", "un", "KPi.078"),
    ("Lee Eun Sung", "un", "KPi.078"),
    ("Ra Kyung Su", "un", "KPi.008"),
    ("Ra Kyong-soo", "un", "KPi.008"),
    ("Cho Il Woo", "un", "KPi.040"),
    ("Ch\u02bco Il-u", "un", "KPi.040"),
    ("Jo Il U", "un", "KPi.040"),
    ("Kim Tong Myong", "un", "KPi.023"),
    ("Kim Dong-myeong", "un", "KPi.023"),
    ("Yun Ho-jin", "un", "KPi.001"),
    ("Yoon Ho Jin", "un", "KPi.001"),
    ("Paek Se Bong", "un", "KPi.048"),
    ("Baek Se-bong", "un", "KPi.048"),
    ("Chu Hyok", "un", "KPi.065"),
    ("Ju Hyuk", "un", "KPi.065"),
    ("Choe Chun Yong", "un", "KPi.054"),
    ("Choi Chun-young", "un", "KPi.054"),
    ("Kim Kyong Il", "un", "KPi.067"),
    ("Kim Gyeong-il", "un", "KPi.067"),
    ("Jon Myong Guk", "un", "KPi.018"),
    ("Jeon Myeong-guk", "un", "KPi.018"),
    ("Korea Mining Development Trading Corp", "un", "KPe.001"),
    ("KOMID", "ofac", "9345"),
    ("Amnokkang Development Bank", "un", "KPe.009"),
    ("Chong Chon Gang Shipping Co Ltd", "un", "KPe.022"),
    ("Chongchongang Shipping Company", "un", "KPe.022"),
    ("Green Pine Associated Corp", "un", "KPe.010"),
    ("Tanchon Commercial Bank", "un", "KPe.003"),
    ("Reconnaissance General Bureau", "ofac", "12210"),
    ("Chongchongang", "ofac", "17069"),
    ("Chong Chon Gang", "ofac", "17069"),
    ("Am Nok Gang", "ofac", "17084"),
    ("Amnokgang", "ofac", "17084"),
    ("Ryong Gun Bong", "ofac", "17104"),
    ("Ryonggunbong", "ofac", "17104"),
    ("Lazarus Group", "ofac", "27307"),
    ("Korea Ryonbong General Corp", "un", "KPe.002"),
    ("Korea Mining Developmnet Trading Corporation", "un", "KPe.001"),
    ("Reconnaisance General Bureau", "ofac", "12210"),
)
"""Variants written by hand: spellings seen in the press, typing slips in long names."""

HAND_WRITTEN_NEGATIVES: tuple[str, ...] = (
    # Common South Korean names.
    "Kim Min-jun", "Lee Seo-yeon", "Park Ji-ho", "Choi Ha-eun", "Jung Do-yun",
    "Kang Seo-jun", "Cho Ha-yoon", "Yoon Ji-woo", "Jang Ye-jun", "Lim Seo-ah",
    "Han Si-woo", "Oh Ji-an", "Seo Ju-won", "Shin Yu-na", "Kwon Eun-woo", "Hwang Ji-yu",
    "Ahn Do-hyun", "Song Min-seo", "Jeon Ha-rin", "Hong Ye-eun", "Yoo Jae-suk",
    "Son Heung-min", "Park Ji-sung", "Ban Ki-moon", "Moon Jae-in", "Lee Myung-bak",
    "Park Geun-hye", "Kim Dae-jung", "Roh Moo-hyun", "Yoon Suk-yeol", "Lee Jae-myung",
    "Bong Joon-ho", "Park Chan-wook", "Kim Yu-na", "Lee Min-ho", "Song Kang-ho",
    "Jun Ji-hyun", "Kim Tae-hee", "Bae Yong-joon", "Lee Byung-hun", "Hyun Bin",
    "Kim Soo-hyun", "Chung Mong-joon", "Lee Kun-hee", "Chey Tae-won", "Koo Kwang-mo",
    "Shin Dong-bin", "Kim Seung-youn", "Cho Yang-ho", "Hur Chang-soo", "Kim Hyun-joong",
    "Lee Hae-chan", "Choo Mi-ae", "Han Duck-soo", "Chung Sye-kyun", "Kim Boo-kyum",
    "Lee Nak-yon", "Ahn Cheol-soo", "Hong Joon-pyo", "Yoo Seung-min", "Sim Sang-jung",
    # Common Chinese names.
    "Wang Wei", "Li Na", "Zhang Wei", "Liu Yang", "Chen Jie", "Yang Li", "Huang Lei",
    "Zhao Min", "Wu Hao", "Zhou Xin", "Xu Ming", "Sun Li", "Ma Jun", "Zhu Hong", "Hu Jun",
    "Guo Jing", "He Yong", "Gao Feng", "Lin Tao", "Luo Qiang", "Zheng Hui", "Liang Bo",
    "Song Tao", "Xie Fang", "Tang Ying", "Han Mei", "Feng Gang", "Deng Chao", "Cao Yu",
    "Peng Li", "Zeng Qiang", "Xiao Ming", "Tian Yu", "Dong Jie", "Pan Wei", "Yuan Ping",
    "Cai Lin", "Jiang Tao", "Yu Hua", "Du Fei", "Ye Qing", "Cheng Long", "Su Bing",
    "Wei Dong", "Lu Xun", "Ding Lei", "Ren Zhengfei", "Jack Ma", "Wang Fang", "Li Qiang",
    # Companies and ships that are not listed.
    "Samsung Electronics", "Hyundai Merchant Marine", "Korea Electric Power Corporation",
    "China Ocean Shipping Company", "Pan Ocean", "Hanjin Shipping", "Sinokor Merchant Marine",
    "Korea Line Corporation", "Evergreen Marine", "Mitsui OSK Lines", "Ever Given",
    "Hyundai Pride", "MSC Oscar", "COSCO Shipping Universe", "Bank of China",
    "Industrial and Commercial Bank of China", "Kookmin Bank", "Shinhan Bank",
    "Woori Bank", "Hana Financial Group", "LG Chem", "SK Hynix", "Posco Holdings",
    "Daewoo Shipbuilding", "Korea Gas Corporation", "Dalian Port Group",
)  # fmt: skip
"""Names that are not on the UN or OFAC DPRK lists."""

_LETTERS = re.compile(r"[^a-z]")
_COMMON_FAMILY = ["Kim", "Ri", "Pak", "Choe", "Jong", "Kang", "Jo", "Yun", "Jang", "Han"]
_GIVEN_SYLLABLES = [
    "Chol", "Song", "Yong", "Myong", "Kwang", "Il", "Su", "Ho", "Nam", "Hyok", "Jin", "Sik",
    "Chun", "Hui", "Ok", "Sun", "Mi", "Gum", "Hak", "Man", "Guk", "Ung", "Dok", "Bom",
]  # fmt: skip


def evaluation_set(lists: Sequence[ListFile], *, generated: int = 400) -> list[LabelledName]:
    """Positives from the lists' own names and by hand; negatives by hand and generated."""
    labelled: list[LabelledName] = []
    known = {(listed.source, entry.ref) for listed in lists for entry in listed.entries}
    for listed in lists:
        for entry in listed.entries:
            for rule, text in _variants(entry):
                labelled.append(LabelledName(text, entry.source, entry.ref, rule))
    for text, source, ref in HAND_WRITTEN_POSITIVES:
        if (source, ref) in known:
            labelled.append(LabelledName(text, source, ref, "hand-written"))
    labelled.extend(
        LabelledName(text, None, None, "hand-written") for text in HAND_WRITTEN_NEGATIVES
    )
    labelled.extend(_generated_negatives(lists, generated))
    unique: dict[tuple[str, str | None, str | None], LabelledName] = {}
    for item in labelled:
        unique.setdefault((item.name, item.source, item.ref), item)
    return list(unique.values())


def evaluate(
    lists: Sequence[ListFile],
    *,
    threshold: float = DEFAULT_THRESHOLD,
    screener: Screener | None = None,
    labelled: Sequence[LabelledName] | None = None,
    other_versions: Sequence[ListFile] = (),
    independent: Sequence[LabelledName] | None = None,
) -> Evaluation:
    """Screen the evaluation set and count: precision and recall at `threshold`.

    Recall on `independent_set(lists, other_versions)` (or `independent`, when given) is
    counted apart, in the `independent_*` fields: it is `None` when that set is empty.
    """
    screener = screener or Screener(lists)
    labelled = list(labelled) if labelled is not None else evaluation_set(lists)
    independent = (
        list(independent)
        if independent is not None
        else independent_set(lists, other_versions=other_versions)
    )
    found = _flagged(screener, [*labelled, *independent], threshold)
    true_positives = 0
    false_positives = 0
    misses: list[LabelledName] = []
    alarms: list[tuple[LabelledName, str]] = []
    for item, flagged in zip(labelled, found[: len(labelled)], strict=True):
        hit = any((m["list"], m["ref"]) == (item.source, item.ref) for m in flagged)
        if item.ref is not None and hit:
            true_positives += 1
        elif item.ref is not None:
            misses.append(item)
        if flagged and not hit:
            false_positives += 1
            alarms.append((item, str(flagged[0]["explanation"])))
    positives = sum(item.ref is not None for item in labelled)
    independent_misses = [
        item
        for item, flagged in zip(independent, found[len(labelled) :], strict=True)
        if not any((m["list"], m["ref"]) == (item.source, item.ref) for m in flagged)
    ]
    independent_found = len(independent) - len(independent_misses)
    flagged_total = true_positives + false_positives
    return Evaluation(
        threshold=threshold,
        positives=positives,
        negatives=len(labelled) - positives,
        true_positives=true_positives,
        false_positives=false_positives,
        precision=true_positives / flagged_total if flagged_total else 1.0,
        recall=true_positives / positives if positives else 1.0,
        misses=tuple(misses),
        false_alarms=tuple(alarms),
        independent_positives=len(independent),
        independent_true_positives=independent_found,
        independent_recall=independent_found / len(independent) if independent else None,
        independent_misses=tuple(independent_misses),
    )


def _flagged(
    screener: Screener, labelled: Sequence[LabelledName], threshold: float
) -> list[list[dict[str, object]]]:
    """The matches of each labelled name, in the order given."""
    queries = pa.table(
        {
            "row": list(range(1, len(labelled) + 1)),
            "name": [item.name for item in labelled],
            "birth_date": [None] * len(labelled),
            "country": [None] * len(labelled),
            "imo": [None] * len(labelled),
        },
        schema=QUERIES,
    )
    found: list[list[dict[str, object]]] = [[] for _ in labelled]
    for match in screener.screen(queries, threshold=threshold).matches.to_pylist():
        found[int(match["row"]) - 1].append(match)
    return found


def independent_set(
    lists: Sequence[ListFile], *, other_versions: Sequence[ListFile] = ()
) -> list[LabelledName]:
    """Positives the variant table had no hand in: the list compilers' own other spellings.

    `lists` are the versions screened (one per source); `other_versions` are other versions
    of the same sources, whose extra spellings become `other-version` queries. UN and OFAC
    entries paired by shared identifiers give `other-list` queries in both directions.
    """
    labelled: list[LabelledName] = []
    screened = {listed.source: listed for listed in lists}
    for other in other_versions:
        target = screened.get(other.source)
        if target is None or other.version == target.version:
            continue
        entries = {entry.ref: entry for entry in target.entries}
        for entry in other.entries:
            if entry.ref in entries:
                labelled.extend(_spellings(entry, entries[entry.ref], "other-version"))
    if "un" in screened and "ofac" in screened:
        for un_entry, ofac_entry in _same_parties(screened["un"], screened["ofac"]):
            labelled.extend(_spellings(un_entry, ofac_entry, "other-list"))
            labelled.extend(_spellings(ofac_entry, un_entry, "other-list"))
    unique: dict[tuple[str, str | None, str | None], LabelledName] = {}
    for item in labelled:
        unique.setdefault((item.name, item.source, item.ref), item)
    return list(unique.values())


def _spellings(written: ListEntry, target: ListEntry, rule: str) -> Iterable[LabelledName]:
    """Names of `written` that `target` lacks and that spell one of `target`'s names."""
    targets = [name.name for name in target.names]
    literal = {literal_form(name) for name in targets}
    for name in written.names:
        if literal_form(name.name) in literal:
            continue
        if max(_letters_agree(name.name, other) for other in targets) >= SPELLING_AGREEMENT:
            yield LabelledName(name.name, target.source, target.ref, rule)


def _letters_agree(one: str, other: str) -> float:
    first, second = _LETTERS.sub("", one.casefold()), _LETTERS.sub("", other.casefold())
    if not first or not second:
        return 0.0
    return SequenceMatcher(None, first, second, autojunk=False).ratio()


def _same_parties(un: ListFile, ofac: ListFile) -> Iterable[tuple[ListEntry, ListEntry]]:
    """UN and OFAC entries for one party, told by identifiers, never by their names."""
    for un_entry in un.entries:
        un_documents = _document_numbers(un_entry)
        un_births = {date for date in un_entry.birth_dates if len(date) == 10}
        for ofac_entry in ofac.entries:
            ofac_documents = _document_numbers(ofac_entry)
            shared_identifier = un_documents & ofac_documents or set(un_entry.imo_numbers) & set(
                ofac_entry.imo_numbers
            )
            documents_disagree = bool(un_documents and ofac_documents) and not shared_identifier
            same_birth = bool(un_births & set(ofac_entry.birth_dates))
            if shared_identifier or (same_birth and not documents_disagree):
                yield un_entry, ofac_entry


def _document_numbers(entry: ListEntry) -> set[str]:
    return {document.split()[-1] for document in entry.documents}


def _variants(entry: ListEntry) -> Iterable[tuple[str, str]]:
    if entry.schema == "Person":
        yield from _person_variants(entry)
    elif entry.schema in ("Organization", "Vessel"):
        yield from _thing_variants(entry)


def _person_variants(entry: ListEntry) -> Iterable[tuple[str, str]]:
    family, given = _split_person(entry.name)
    if not family or not given:
        return
    syllables = [part for word in given for part in word.split("-") if part]
    cap = [syllable.capitalize() for syllable in syllables]
    family_cap = family.capitalize()
    produced = {
        "hyphenated": f"{family_cap} {_hyphenate(cap)}",
        "joined": f"{family_cap} {''.join(cap).capitalize()}",
        "family-last": f"{' '.join(cap)} {family_cap}",
        "south-korean": _rewritten(
            family, syllables, _SOUTH_KOREAN_FAMILY, _SOUTH_KOREAN_SYLLABLES
        ),
        "western": _rewritten(family, syllables, _WESTERN_FAMILY, _WESTERN_SYLLABLES),
        "mccune-reischauer": _rewritten(family, syllables, _MR_SYLLABLES, _MR_SYLLABLES),
        "list-style": (
            f"{family.upper()}, {' '.join(cap)}"
            if entry.source == "un"
            else f"{family.upper()} {' '.join(syllables).upper()}"
        ),
    }  # fmt: skip
    original = entry.name.casefold()
    for rule, text in produced.items():
        if text.casefold() != original:
            yield rule, text


def _split_person(name: str) -> tuple[str, list[str]]:
    """Family name and given names: `RI, Won Ho` (OFAC) and `RI WON HO` (UN) alike."""
    if "," in name:
        family, _, given = name.partition(",")
        return family.strip().lower(), given.lower().split()
    words = name.lower().split()
    return (words[0], words[1:]) if len(words) > 1 else ("", [])


def _hyphenate(syllables: list[str]) -> str:
    if len(syllables) < 2:
        return " ".join(syllables)
    return syllables[0] + "-" + "-".join(part.lower() for part in syllables[1:])


def _rewritten(
    family: str, syllables: list[str], families: dict[str, str], table: dict[str, str]
) -> str:
    family_text = families.get(family, family).capitalize()
    given = [table.get(syllable, syllable) for syllable in syllables]
    return f"{family_text} {_hyphenate([syllable.capitalize() for syllable in given])}"


def _thing_variants(entry: ListEntry) -> Iterable[tuple[str, str]]:
    name = entry.name
    if name.lower() != name:
        yield "lower-case", name.lower()
    for pattern, replacement in _LEGAL_FORMS:
        changed = re.sub(pattern, replacement, name, flags=re.IGNORECASE)
        if changed != name:
            yield "legal-form", changed
            break
    words = name.split()
    if entry.schema == "Vessel" and len(words) > 1 and not any(w.isdigit() for w in words):
        yield "joined", "".join(words).capitalize()


def _generated_negatives(lists: Sequence[ListFile], count: int) -> list[LabelledName]:
    listed_forms = {
        form
        for listed in lists
        for entry in listed.entries
        for name in entry.names
        for form, _ in name_key(name.name).forms
    }
    chooser = random.Random(2024)
    negatives: list[LabelledName] = []
    seen: set[str] = set()
    attempts = 0
    while len(negatives) < count and attempts < count * 50:
        attempts += 1
        family = chooser.choice(_COMMON_FAMILY)
        given = chooser.sample(_GIVEN_SYLLABLES, 2)
        text = f"{family} {given[0]} {given[1].lower()}"
        forms = {form for form, _ in name_key(text).forms}
        if text in seen or listed_forms.intersection(forms):
            continue
        seen.add(text)
        negatives.append(LabelledName(text, None, None, "generated"))
    return negatives
