"""Name keys: one spelling for the many romanisations of a name, and the forms matched on.

A name becomes ASCII (normality), loses apostrophes (the McCune-Reischauer breve and
aspiration marks) and splits into words (rigour). The variant table in `variants.tsv` then
applies: whole-word replacements (Corporation -> corp) anywhere, family-name replacements
(Lee -> ri) to the first and last word, where family names stand, and spelling rules
(eo -> o, ch -> j, g -> k ...) to the family name and to the given names written together,
so Jong-un, Jong Un and Jongun end up alike even where a rule spans two syllables. Because
the family name may come first or last, a name of several words also has a form with its
last word moved to the front; and because a whole-word replacement may be wrong (Yang Gak Do
is a ship, not the Ryang family), the forms without it are kept beside those with it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from normality import ascii_text
from rigour.names import tokenize_name

__all__ = [
    "NameKey",
    "Variant",
    "block_keys",
    "literal_form",
    "name_key",
    "variant_table",
]

_APOSTROPHES = re.compile(r"['`\u2018\u2019\u02bc\u02bb\u00b4]")


@dataclass(frozen=True)
class Variant:
    """One row of the variant table."""

    kind: str
    source: str
    target: str
    why: str

    @property
    def label(self) -> str:
        return f"{self.source}->{self.target}"


@dataclass(frozen=True)
class NameKey:
    """A name as matching sees it.

    `forms` pairs each spelling-normalised form (no spaces) with its word order: 0 as
    written, 1 with the last word moved first (family name written last). `words` are the
    single words, normalised the same way, for the index. `variants` names the table rows
    that changed the name, once per change, for explanations.
    """

    words: tuple[str, ...]
    forms: tuple[tuple[str, int], ...]
    variants: tuple[str, ...]


@lru_cache(maxsize=1)
def variant_table() -> tuple[Variant, ...]:
    """The rows of `variants.tsv`, in order."""
    text = resources.files("sanctionwatch.screening").joinpath("variants.tsv").read_text("utf-8")
    rows = [line.split("\t") for line in text.splitlines() if line and not line.startswith("#")]
    header, *body = rows
    if header != ["kind", "from", "to", "why"]:
        raise ValueError(f"variants.tsv: unexpected header {header}")
    return tuple(Variant(*row) for row in body)


@lru_cache(maxsize=1)
def _rules() -> tuple[dict[str, Variant], dict[str, Variant], tuple[Variant, ...]]:
    table = variant_table()
    return (
        {row.source: row for row in table if row.kind == "family"},
        {row.source: row for row in table if row.kind == "word"},
        tuple(row for row in table if row.kind == "spelling"),
    )


def _plain_words(name: str) -> list[str]:
    text = ascii_text(_APOSTROPHES.sub("", name)).lower()
    return [word for word in tokenize_name(text) if word]


@lru_cache(maxsize=262144)
def _spelled(text: str) -> tuple[str, tuple[str, ...]]:
    fired: list[str] = []
    for rule in _rules()[2]:
        count = text.count(rule.source)
        if count:
            text = text.replace(rule.source, rule.target)
            fired.extend([rule.label] * count)
    return text, tuple(fired)


@lru_cache(maxsize=262144)
def name_key(name: str) -> NameKey:
    """The matching key of one name (cached: query files repeat names)."""
    families, words_table, _ = _rules()
    fired: list[str] = []
    plain: list[str] = []
    for word in _plain_words(name):
        rule = words_table.get(word)
        if rule is not None:
            fired.append(rule.label)
        plain.append(rule.target if rule is not None else word)
    if not plain:
        return NameKey(words=(), forms=(), variants=())
    ruled = list(plain)
    for position in sorted({0, len(plain) - 1}):
        rule = families.get(plain[position])
        if rule is not None:
            ruled[position] = rule.target
            fired.append(rule.label)
    forms: dict[str, int] = {}
    for words in (ruled, plain) if ruled != plain else (plain,):
        splits = [(words[0], words[1:])]
        if len(words) > 1:
            splits.append((words[-1], words[:-1]))
        for order, (family, given) in enumerate(splits):
            forms.setdefault(_spelled(family)[0] + _spelled("".join(given))[0], order)
    spelled = _spelled(ruled[0])[1] + _spelled("".join(ruled[1:]))[1]
    return NameKey(
        words=tuple(_spelled(word)[0] for word in ruled),
        forms=tuple(forms.items()),
        variants=(*fired, *spelled),
    )


def literal_form(name: str) -> str:
    """The name without case, accents, punctuation or spaces: equal means written alike."""
    return "".join(_plain_words(name))


def block_keys(key: NameKey) -> set[str]:
    """Index keys: every word, and the first and last four letters of each form.

    Two names that could match share at least one key, even when one is written as one word
    (Chongchongang) and the other as several (Chong Chon Gang).
    """
    keys = set(key.words)
    for form, _ in key.forms:
        keys.add(form[:4])
        keys.add(form[-4:])
    return keys
