"""Fixtures for screening tests: the real UN and OFAC lists under ../shared/data."""

from __future__ import annotations

import pytest
from tests.conftest import shared_file

from sanctionwatch.screening import ListFile, Screener, read_list

UN_2020 = "un_consolidated_list_2020-03-20.xml"
UN_2025_CORRUPTED = "un_consolidated_list_2025-08-16_corrupted.xml"
OFAC_2024 = "ofac_sdn_2024-05-03.csv"


@pytest.fixture(scope="session")
def un_2020() -> ListFile:
    return read_list(shared_file(UN_2020))


@pytest.fixture(scope="session")
def un_2025() -> ListFile:
    return read_list(shared_file(UN_2025_CORRUPTED))


@pytest.fixture(scope="session")
def ofac_2024() -> ListFile:
    return read_list(shared_file(OFAC_2024))


@pytest.fixture(scope="session")
def screener(un_2020: ListFile, ofac_2024: ListFile) -> Screener:
    return Screener([un_2020, ofac_2024])
