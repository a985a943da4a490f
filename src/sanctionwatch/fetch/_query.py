"""What a Comtrade fetch asks for, as the user names it and as the API's parameters."""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass
from functools import cache

from sanctionwatch._errors import SanctionwatchError
from sanctionwatch.store._countries import COMTRADE_AREAS, country_codes

__all__ = ["ALL_REPORTERS", "ComtradeQuery", "m49_code"]

ALL_REPORTERS = "all"
_FREQUENCIES = ("A", "M")
_FLOWS = ("M", "X", "RM", "RX")
_PERIOD = re.compile(r"(\d{4})(?:-(\d{2}))?")
_HS_CODE = re.compile(r"TOTAL|ALL|AG[1-6]|\d{2}(?:\d{2}){0,2}")


@cache
def _codes_by_iso3() -> dict[str, int]:
    """ISO3 to the numeric code Comtrade reports under: its own where it has one (France 251,
    not ISO's 250), else ISO 3166's."""
    table = country_codes()
    codes: dict[str, int] = {}
    for code, iso3 in zip(table["code"].to_pylist(), table["iso3"].to_pylist(), strict=True):
        if iso3 is not None:
            codes.setdefault(iso3, code)
    for code, iso3, _ in COMTRADE_AREAS:
        if iso3 is not None:
            codes[iso3] = code
    return codes


def m49_code(iso3: str, option: str) -> int:
    """The numeric (M49) code Comtrade uses for `iso3`; an error naming `option` if none."""
    code = _codes_by_iso3().get(iso3.strip().upper())
    if code is None:
        raise SanctionwatchError(f"{option} {iso3}: not a country's ISO3 code")
    return code


@dataclass(frozen=True)
class ComtradeQuery:
    """A fetch of Comtrade's final data: `reporters` (ISO3 codes, or `("all",)`), trading
    with `partner` (ISO3), over the periods `first`..`last` (`YYYY`, or `YYYY-MM` when
    `frequency` is `M`), for the HS `codes` (`TOTAL`, `AG2`..`AG6`, `ALL` or codes) and the
    `flows` (M, X, RM, RX).

    `ComtradeQuery.parse` builds one from the command line's text and checks it."""

    reporters: tuple[str, ...]
    partner: str
    first: str
    last: str
    frequency: str = "A"
    codes: tuple[str, ...] = ("ALL",)
    flows: tuple[str, ...] = ("M", "X")

    @classmethod
    def parse(
        cls,
        reporters: str,
        partner: str,
        period: str,
        *,
        frequency: str = "A",
        codes: str = "ALL",
        flows: str = "M,X",
    ) -> ComtradeQuery:
        """A query from `--reporter`, `--partner`, `--period FIRST..LAST` and the rest."""
        first, separator, last = period.partition("..")
        query = cls(
            reporters=_listed(reporters, upper=True),
            partner=partner.strip().upper(),
            first=first.strip(),
            last=(last if separator else first).strip(),
            frequency=frequency.strip().upper(),
            codes=_listed(codes, upper=True),
            flows=_listed(flows, upper=True),
        )
        query.periods()
        query.reporter_codes()
        query.partner_code()
        return query

    def partner_code(self) -> int:
        return m49_code(self.partner, "--partner")

    def reporter_codes(self) -> tuple[int, ...] | None:
        """The reporters' codes; None for every reporter."""
        if tuple(reporter.lower() for reporter in self.reporters) == (ALL_REPORTERS,):
            return None
        if not self.reporters:
            raise SanctionwatchError("--reporter: name at least one ISO3 code, or all")
        return tuple(sorted({m49_code(iso3, "--reporter") for iso3 in self.reporters}))

    def periods(self) -> tuple[str, ...]:
        """The periods as Comtrade writes them (`2020`, `202001`), in order; refuses a range
        that is not of the frequency, or is empty."""
        if self.frequency not in _FREQUENCIES:
            raise SanctionwatchError(f"--freq {self.frequency}: expected A or M")
        bad_flows = [flow for flow in self.flows if flow not in _FLOWS]
        if bad_flows or not self.flows:
            raise SanctionwatchError(
                f"--flow {','.join(self.flows)}: expected some of {', '.join(_FLOWS)}"
            )
        bad_codes = [code for code in self.codes if not _HS_CODE.fullmatch(code)]
        if bad_codes or not self.codes:
            raise SanctionwatchError(
                f"--hs {','.join(self.codes)}: expected HS codes (2, 4 or 6 digits), "
                "TOTAL, AG2..AG6 or ALL"
            )
        start, end = (_month(self.first, True), _month(self.last, False))
        if start is None or end is None:
            raise SanctionwatchError(
                f"--period {self.first}..{self.last}: expected YYYY..YYYY or YYYY-MM..YYYY-MM"
            )
        if self.frequency == "A" and not (len(self.first) == len(self.last) == 4):
            raise SanctionwatchError(
                f"--period {self.first}..{self.last}: annual data (--freq A) is by year: "
                "give YYYY..YYYY"
            )
        if start > end:
            raise SanctionwatchError(
                f"--period {self.first}..{self.last}: the first period comes after the last"
            )
        if self.frequency == "A":
            return tuple(str(year) for year in range(start // 12, end // 12 + 1))
        return tuple(f"{month // 12}{month % 12 + 1:02d}" for month in range(start, end + 1))

    def to_json(self) -> str:
        """The query as text: what a saved subscription holds."""
        return json.dumps(asdict(self), sort_keys=True, separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str) -> ComtradeQuery:
        fields = json.loads(text)
        for name in ("reporters", "codes", "flows"):
            fields[name] = tuple(fields[name])
        return cls(**fields)

    def describe(self) -> str:
        """The query as the command line would give it."""
        return (
            f"--reporter {','.join(self.reporters)} --partner {self.partner} "
            f"--period {self.first}..{self.last} --freq {self.frequency} "
            f"--hs {','.join(self.codes)} --flow {','.join(self.flows)}"
        )


def _listed(text: str, *, upper: bool) -> tuple[str, ...]:
    items = (item.strip() for item in text.split(","))
    return tuple(item.upper() if upper else item for item in items if item)


def _month(period: str, first: bool) -> int | None:
    """`YYYY` or `YYYY-MM` as a count of months (a year: its first or last month)."""
    matched = _PERIOD.fullmatch(period)
    if matched is None:
        return None
    year, month = int(matched.group(1)), matched.group(2)
    if month is None:
        return year * 12 + (0 if first else 11)
    if not 1 <= int(month) <= 12:
        return None
    return year * 12 + int(month) - 1
