"""B5: screen many names against the UN and OFAC DPRK lists, beside nomenklatura's logic-v1.

Our side: `Screener.screen` on N query names (normalisation, blocking and scoring included),
DuckDB on one thread. Baseline: nomenklatura's logic-v1 matcher comparing a query with every
list entry, which is how it scores without an index; it runs about a quarter of a
millisecond per pair, so it is timed on a random sample of the queries and scaled to N
(it does the same work for every query, so the scaling is linear). Recall is measured on
the labelled evaluation set for both: ours at the default threshold, logic-v1 at 0.7 (yente's
default cut-off), on each positive's pair with its own entry.

Usage: python benchmarks/b5_screening.py [--names 100000] [--sample 200] [--quick]
The last line printed is the speed ratio (baseline time / our time).
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
    ListFile,
    Screener,
    entity_id,
    evaluate,
    evaluation_set,
    list_entities,
    read_list,
)

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
LISTS = ("un_consolidated_list_2020-03-20.xml", "ofac_sdn_2024-05-03.csv")
NOMENKLATURA_THRESHOLD = 0.7

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
    """`size` distinct names: the labelled set, then people and firms that are mostly unlisted."""
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


def nomenklatura_baseline(
    lists: list[ListFile], sample: list[str], labelled_positives: list[tuple[str, str]]
) -> tuple[float, float] | None:
    """(seconds per query against every entry, recall on the positives), or None if absent."""
    try:
        from followthemoney import model
        from nomenklatura.matching import get_algorithm
        from nomenklatura.matching.types import ScoringConfig
    except ImportError:
        return None
    algorithm = get_algorithm("logic-v1")
    if algorithm is None:
        return None
    config = ScoringConfig.defaults()
    entities = {
        entity["id"]: model.get_proxy(entity)
        for entity in list_entities(lists)
        if entity["schema"] != "Sanction"
    }
    candidates = list(entities.values())

    def query(name: str, number: int):  # type: ignore[no-untyped-def]
        proxy = model.make_entity("LegalEntity")
        proxy.id = f"q{number}"
        proxy.add("name", name)
        return proxy

    started = time.perf_counter()
    for number, name in enumerate(sample):
        probe = query(name, number)
        for candidate in candidates:
            algorithm.compare(probe, candidate, config)
    per_query = (time.perf_counter() - started) / len(sample)
    found = sum(
        algorithm.compare(query(name, number), entities[entity_id], config).score
        >= NOMENKLATURA_THRESHOLD
        for number, (name, entity_id) in enumerate(labelled_positives)
    )
    return per_query, found / len(labelled_positives)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--names", type=int, default=100_000)
    parser.add_argument("--sample", type=int, default=200)
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--quick", action="store_true", help="10,000 names, 50 sampled")
    options = parser.parse_args()
    if options.quick:
        options.names, options.sample = 10_000, 50
    missing = [name for name in LISTS if not (DATA / name).is_file()]
    if missing:
        raise SystemExit(f"missing ../shared/data/{missing[0]}")
    lists = [read_list(DATA / name) for name in LISTS]
    entries = sum(len(listed.entries) for listed in lists)
    listed_names = sum(len(entry.names) for listed in lists for entry in listed.entries)
    labelled = evaluation_set(lists)
    names = workload(options.names, [item.name for item in labelled], options.seed)

    backend = ibis.duckdb.connect()
    backend.raw_sql("SET threads TO 1")
    screener = Screener(lists, backend=backend)
    screener.screen(query_table(names[:100]))
    started = time.perf_counter()
    result = screener.screen(query_table(names))
    ours = time.perf_counter() - started
    our_eval = evaluate(lists, screener=screener, labelled=labelled)

    print(f"lists: {', '.join(listed.version for listed in lists)}")
    print(f"workload: {len(names)} query names x {entries} entries ({listed_names} listed names)")
    print(f"sanctionwatch: {ours:.2f} s ({result.matches.num_rows} matches at "
          f"threshold {DEFAULT_THRESHOLD}; 1 DuckDB thread)")  # fmt: skip
    print(f"sanctionwatch recall {our_eval.recall:.4f}, precision {our_eval.precision:.4f} "
          f"on {our_eval.positives} positives + {our_eval.negatives} negatives")  # fmt: skip

    chooser = random.Random(options.seed)
    sample = chooser.sample(names, min(options.sample, len(names)))
    positives = [
        (item.name, entity_id(item.source, item.ref))
        for item in labelled
        if item.ref is not None and item.source is not None
    ]
    baseline = nomenklatura_baseline(lists, sample, positives)
    if baseline is None:
        raise SystemExit("nomenklatura is not installed: pip install nomenklatura")
    per_query, their_recall = baseline
    theirs = per_query * len(names)
    print(f"nomenklatura logic-v1 (all pairs): {per_query * 1000:.1f} ms per query measured "
          f"on {len(sample)} queries x {entries} entries; {theirs:.0f} s scaled to "
          f"{len(names)} names")  # fmt: skip
    print(f"nomenklatura recall {their_recall:.4f} at {NOMENKLATURA_THRESHOLD} "
          f"on the same {len(positives)} positives")  # fmt: skip
    verdict = "equal or better" if our_eval.recall >= their_recall else "WORSE"
    print(f"recall: ours {our_eval.recall:.4f} vs nomenklatura {their_recall:.4f} ({verdict})")
    print(f"ratio (nomenklatura / sanctionwatch): {theirs / ours:.1f}x")
    print(f"{theirs / ours:.1f}")


if __name__ == "__main__":
    main()
