"""B5: screen many names against the UN and OFAC DPRK lists, beside nomenklatura's logic-v1.

Our side: `Screener.screen` on N query names (normalisation, blocking and scoring included),
DuckDB on one thread. The workload is the labelled evaluation set's distinct names (at most
a fifth of N; the set has about 2,300, so 2.3 % of 100,000 names; the share is printed) and
generated names that are mostly unlisted.

Baseline speed, two ways, each timed on the same random sample of the queries and scaled
linearly to N: nomenklatura's logic-v1 comparing a query with every list entry (how it scores
without an index), and logic-v1 on exactly the (query, entry) pairs our blocking keeps
(`Screener.blocked_pairs`), which isolates the pairwise comparison from the index.

Recall and precision under one protocol for both matchers: each query of a random sample of
the labelled set (and every query of the independent set, see `independent_set`) is scored
against every list entry; a positive is found when its own entry scores at least the
threshold, a query is a false alarm when some entry scores at least the threshold but not
its own. Precision is given for the labelled set only: every query of the independent set
is a listed name, which rightly matches the entry it was written for as well. Both are
reported at 0.7, 0.8 and 0.9; the defaults are 0.9 for ours (chosen on the
labelled set, so flattered by it) and 0.7 for logic-v1 (yente's default cut-off).

Usage: python benchmarks/b5_screening.py [--names 100000] [--sample 200] [--eval-sample 400]
[--quick]. The last line printed is the speed ratio over all pairs (baseline / our time).
"""

from __future__ import annotations

import argparse
import random
import time
from pathlib import Path

import ibis
import pyarrow as pa

from sanctionwatch.screening import (
    DEFAULT_THRESHOLD,
    QUERIES,
    LabelledName,
    ListFile,
    Screener,
    entity_id,
    evaluation_set,
    independent_set,
    list_entities,
    read_list,
)

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
LISTS = ("un_consolidated_list_2020-03-20.xml", "ofac_sdn_2024-05-03.csv")
OTHER_VERSIONS = ("un_consolidated_list_2025-08-16_corrupted.xml",)
NOMENKLATURA_THRESHOLD = 0.7
THRESHOLDS = (0.7, 0.8, 0.9)

KOREAN_FAMILY = [
    "Kim",
    "Ri",
    "Lee",
    "Pak",
    "Park",
    "Choe",
    "Choi",
    "Jong",
    "Jeong",
    "Kang",
    "Jo",
    "Cho",
    "Yun",
    "Yoon",
    "Jang",
    "Han",
    "Im",
    "O",
    "Oh",
    "Song",
    "Hwang",
    "Ahn",
    "Shin",
    "Seo",
    "Kwon",
    "Yu",
    "Hong",
    "Jeon",
    "Ko",
    "Mun",
    "Son",
    "Bae",
]
SYLLABLES = [
    "chol",
    "song",
    "yong",
    "myong",
    "kwang",
    "il",
    "su",
    "ho",
    "nam",
    "hyok",
    "jin",
    "sik",
    "chun",
    "hui",
    "ok",
    "sun",
    "mi",
    "gum",
    "hak",
    "man",
    "guk",
    "dok",
    "bom",
    "min",
    "jun",
    "seo",
    "yeon",
    "ji",
    "hoon",
    "woo",
    "eun",
    "hye",
    "young",
    "hyun",
    "jae",
    "dong",
    "sang",
    "tae",
    "hee",
    "kyung",
    "won",
    "seok",
    "bin",
    "rin",
    "ah",
]
CHINESE_FAMILY = [
    "Wang",
    "Li",
    "Zhang",
    "Liu",
    "Chen",
    "Yang",
    "Huang",
    "Zhao",
    "Wu",
    "Zhou",
    "Xu",
    "Sun",
    "Ma",
    "Zhu",
    "Hu",
    "Guo",
    "He",
    "Gao",
    "Lin",
    "Luo",
    "Zheng",
]
CHINESE_GIVEN = [
    "wei",
    "fang",
    "na",
    "min",
    "jing",
    "li",
    "qiang",
    "lei",
    "jun",
    "yang",
    "yong",
    "jie",
    "tao",
    "ming",
    "chao",
    "xiu",
    "hua",
    "ping",
    "gang",
    "hong",
    "xin",
    "yu",
]
WESTERN_FIRST = [
    "John",
    "Maria",
    "David",
    "Anna",
    "Michael",
    "Elena",
    "Peter",
    "Sophie",
    "Ahmed",
    "Fatima",
    "Ivan",
    "Olga",
    "Carlos",
    "Lucia",
    "Thomas",
    "Sarah",
]
WESTERN_LAST = [
    "Smith",
    "Garcia",
    "Muller",
    "Rossi",
    "Ivanov",
    "Hassan",
    "Novak",
    "Silva",
    "Johnson",
    "Martin",
    "Kowalski",
    "Jensen",
    "Dubois",
    "Nakamura",
    "Petrov",
]
COMPANY_WORDS = [
    "Golden",
    "Ocean",
    "Star",
    "Pacific",
    "Trading",
    "Shipping",
    "Global",
    "United",
    "Eastern",
    "Dragon",
    "Harbour",
    "Marine",
    "Energy",
    "Metal",
    "Silk",
    "Bright",
    "Asia",
    "Northern",
    "Lucky",
    "Union",
    "Logistics",
    "Import",
    "Export",
]
COMPANY_FORMS = ["Co Ltd", "Corporation", "Limited", "LLC", "Pte Ltd", "Group", "JSC"]


def workload(size: int, labelled_names: list[str], seed: int) -> list[str]:
    """`size` distinct names: the labelled set (at most a fifth), then mostly unlisted names."""
    chooser = random.Random(seed)
    names = dict.fromkeys(labelled_names[: size // 5])
    makers = [
        lambda: (
            f"{chooser.choice(KOREAN_FAMILY)} "
            f"{chooser.choice(SYLLABLES).capitalize()}-{chooser.choice(SYLLABLES)}"
        ),
        lambda: (
            f"{chooser.choice(CHINESE_FAMILY)} "
            f"{chooser.choice(CHINESE_GIVEN).capitalize()}{chooser.choice(CHINESE_GIVEN)}"
        ),
        lambda: f"{chooser.choice(WESTERN_FIRST)} {chooser.choice(WESTERN_LAST)}",
        lambda: " ".join(chooser.sample(COMPANY_WORDS, 2)) + " " + chooser.choice(COMPANY_FORMS),
        lambda: (
            f"{chooser.choice(COMPANY_WORDS)} {chooser.choice(SYLLABLES).capitalize()} "
            f"{chooser.randint(1, 99)}"
        ),
    ]
    while len(names) < size:
        names.setdefault(chooser.choice(makers)())
    return list(names)


def query_table(names: list[str]) -> pa.Table:
    nulls = [None] * len(names)
    return pa.table(
        {"row": range(1, len(names) + 1), "name": names, "birth_date": nulls,
         "country": nulls, "imo": nulls},
        schema=QUERIES,
    )  # fmt: skip


Scores = list[dict[tuple[str, str], float]]
"""Per query, the score of each list entry (source, ref) that reached the lowest threshold."""


class LogicV1:
    """nomenklatura's logic-v1 over the same list entities as ours."""

    def __init__(self, lists: list[ListFile]) -> None:
        from followthemoney import model
        from nomenklatura.matching import get_algorithm
        from nomenklatura.matching.types import ScoringConfig

        algorithm = get_algorithm("logic-v1")
        if algorithm is None:
            raise ImportError("logic-v1")
        self.model, self.algorithm = model, algorithm
        self.config = ScoringConfig.defaults()
        keys = {
            entity_id(listed.source, entry.ref): (listed.source, entry.ref)
            for listed in lists
            for entry in listed.entries
        }
        self.entities = {
            keys[entity["id"]]: model.get_proxy(entity)
            for entity in list_entities(lists)
            if entity["schema"] != "Sanction"
        }

    def query(self, name: str):  # type: ignore[no-untyped-def]
        proxy = self.model.make_entity("LegalEntity")
        proxy.id = "query"
        proxy.add("name", name)
        return proxy

    def score(self, name: str, key: tuple[str, str]) -> float:
        return float(
            self.algorithm.compare(self.query(name), self.entities[key], self.config).score
        )

    def full_screen(self, names: list[str], floor: float) -> Scores:
        scores: Scores = []
        for name in names:
            probe = self.query(name)
            found = {}
            for key, candidate in self.entities.items():
                score = self.algorithm.compare(probe, candidate, self.config).score
                if score >= floor:
                    found[key] = float(score)
            scores.append(found)
        return scores


def our_full_screen(screener: Screener, names: list[str], floor: float) -> Scores:
    matches = screener.screen(query_table(names), threshold=floor).matches.to_pylist()
    scores: Scores = [{} for _ in names]
    for match in matches:
        scores[match["row"] - 1][(match["list"], match["ref"])] = match["score"]
    return scores


def tally(labelled: list[LabelledName], scores: Scores, threshold: float) -> dict[str, float]:
    """Recall and precision by the one rule both matchers are held to (see the docstring)."""
    positives = found = alarms = 0
    for item, scored in zip(labelled, scores, strict=True):
        flagged = {key for key, score in scored.items() if score >= threshold}
        hit = item.source is not None and (item.source, str(item.ref)) in flagged
        positives += item.ref is not None
        found += hit
        alarms += bool(flagged) and not hit
    return {
        "positives": positives,
        "negatives": len(labelled) - positives,
        "recall": found / positives if positives else float("nan"),
        "precision": found / (found + alarms) if found + alarms else float("nan"),
        "false_alarms": alarms,
    }


def timed_all_pairs(baseline: LogicV1, sample: list[str]) -> float:
    """Seconds per query, logic-v1 against every entry."""
    started = time.perf_counter()
    for name in sample:
        probe = baseline.query(name)
        for candidate in baseline.entities.values():
            baseline.algorithm.compare(probe, candidate, baseline.config)
    return (time.perf_counter() - started) / len(sample)


def timed_blocked_pairs(
    baseline: LogicV1, screener: Screener, sample: list[str]
) -> tuple[float, int]:
    """Seconds per query, logic-v1 on the pairs our blocking keeps; and how many pairs."""
    pairs = screener.blocked_pairs(sample).to_pylist()
    probes = {name: baseline.query(name) for name in sample}
    started = time.perf_counter()
    for pair in pairs:
        candidate = baseline.entities[(pair["list"], pair["ref"])]
        baseline.algorithm.compare(probes[pair["name"]], candidate, baseline.config)
    return (time.perf_counter() - started) / len(sample), len(pairs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--names", type=int, default=100_000)
    parser.add_argument("--sample", type=int, default=200)
    parser.add_argument("--eval-sample", type=int, default=400)
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--quick", action="store_true", help="10,000 names, 50 sampled")
    options = parser.parse_args()
    if options.quick:
        options.names, options.sample, options.eval_sample = 10_000, 50, 150
    missing = [name for name in LISTS if not (DATA / name).is_file()]
    if missing:
        raise SystemExit(f"missing ../shared/data/{missing[0]}")
    lists = [read_list(DATA / name) for name in LISTS]
    others = [read_list(DATA / name) for name in OTHER_VERSIONS if (DATA / name).is_file()]
    entries = sum(len(listed.entries) for listed in lists)
    listed_names = sum(len(entry.names) for listed in lists for entry in listed.entries)
    labelled = evaluation_set(lists)
    names = workload(options.names, [item.name for item in labelled], options.seed)
    labelled_share = len({item.name for item in labelled}.intersection(names))

    backend = ibis.duckdb.connect()
    backend.raw_sql("SET threads TO 1")
    screener = Screener(lists, backend=backend)
    screener.screen(query_table(names[:100]))
    started = time.perf_counter()
    result = screener.screen(query_table(names))
    ours = time.perf_counter() - started

    print(f"lists: {', '.join(listed.version for listed in lists)}")
    print(f"workload: {len(names)} query names x {entries} entries ({listed_names} listed names); "
          f"{labelled_share} of them ({100 * labelled_share / len(names):.1f} %) from the "
          "labelled set, the rest generated")  # fmt: skip
    print(f"sanctionwatch: {ours:.2f} s ({result.matches.num_rows} matches at "
          f"threshold {DEFAULT_THRESHOLD}; 1 DuckDB thread)")  # fmt: skip

    try:
        baseline = LogicV1(lists)
    except ImportError:
        raise SystemExit("nomenklatura is not installed: pip install nomenklatura") from None
    chooser = random.Random(options.seed)
    sample = chooser.sample(names, min(options.sample, len(names)))
    all_pairs = timed_all_pairs(baseline, sample) * len(names)
    per_query, blocked = timed_blocked_pairs(baseline, screener, sample)
    same_pairs = per_query * len(names)
    print(f"nomenklatura logic-v1, all pairs: {all_pairs / len(names) * 1000:.1f} ms per query "
          f"on {len(sample)} sampled queries x {entries} entries; {all_pairs:.0f} s scaled "
          f"to {len(names)} names")  # fmt: skip
    print(f"nomenklatura logic-v1, the pairs our blocking keeps: {blocked} pairs for the "
          f"{len(sample)} sampled queries ({blocked / len(sample):.1f} per query), "
          f"{per_query * 1000:.2f} ms per query; {same_pairs:.0f} s scaled")  # fmt: skip
    print(f"ratio like for like (logic-v1 on our blocked pairs / sanctionwatch): "
          f"{same_pairs / ours:.1f}x")  # fmt: skip

    eval_sample = chooser.sample(labelled, min(options.eval_sample, len(labelled)))
    independent = independent_set(lists, other_versions=others)
    floor = min(THRESHOLDS)
    for title, queries, with_precision in (
        (f"labelled set, {len(eval_sample)} sampled of {len(labelled)}", eval_sample, True),
        ("independent set (the lists' own other spellings)", independent, False),
    ):
        query_names = [item.name for item in queries]
        ours_scores = our_full_screen(screener, query_names, floor)
        theirs_scores = baseline.full_screen(query_names, floor)
        for threshold in THRESHOLDS:
            for matcher, scores, default in (
                ("sanctionwatch", ours_scores, DEFAULT_THRESHOLD),
                ("logic-v1", theirs_scores, NOMENKLATURA_THRESHOLD),
            ):
                counted = tally(queries, scores, threshold)
                mark = " (its default)" if threshold == default else ""
                precision = (
                    f", precision {counted['precision']:.4f} ({counted['false_alarms']} false "
                    f"alarms; {counted['negatives']} negatives)"
                    if with_precision
                    else ""
                )
                recall = f"recall {counted['recall']:.4f} of {counted['positives']} positives"
                print(f"{title}: {matcher} at {threshold}{mark}: {recall}{precision}")
    print(f"ratio over all pairs (nomenklatura / sanctionwatch): {all_pairs / ours:.1f}x")
    print(f"{all_pairs / ours:.1f}")


if __name__ == "__main__":
    main()
