"""Which reporters attribute imports to the country of consignment rather than of origin."""

from __future__ import annotations

import functools
from importlib import resources
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from sanctionwatch._yamldoc import describe, line_of, plain, read_mapping
from sanctionwatch.regime._load import RegimeError
from sanctionwatch.regime._model import Quote

__all__ = ["Attribution", "ConsignmentReporter", "consignment_reporters"]

_FILE = "attribution.yaml"


class ConsignmentReporter(BaseModel):
    """A reporter whose imports name the country they were consigned from, with the source
    that says so."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    reporter: Annotated[str, Field(pattern=r"^[A-Z]{3}$")]
    source: str
    url: Annotated[str, Field(pattern=r"^https?://")]
    quote: Quote


class Attribution(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    consignment: tuple[ConsignmentReporter, ...] = ()


@functools.cache
def consignment_reporters() -> frozenset[str]:
    """ISO3 codes of the reporters listed in the shipped `attribution.yaml`."""
    text = resources.files("sanctionwatch.regime").joinpath(_FILE).read_text(encoding="utf-8")
    document = read_mapping(_FILE, RegimeError, "a mapping with consignment", text=text)
    try:
        attribution = Attribution.model_validate(plain(document))
    except ValidationError as error:
        loc = tuple(error.errors()[0]["loc"])
        raise RegimeError(
            _FILE, line_of(document, loc), describe(document, loc), error.errors()[0]["msg"]
        ) from None
    return frozenset(entry.reporter for entry in attribution.consignment)
