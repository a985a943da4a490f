"""The kinds of test event a relief commitment can name, kept apart from the event lists so
that the command line can offer them without loading those lists' machinery."""

from __future__ import annotations

from enum import StrEnum

__all__ = ["EventType"]


class EventType(StrEnum):
    """Normalised kinds of event a commitment can name."""

    NUCLEAR_TEST = "nuclear-test"
    ICBM = "icbm"
    IRBM = "irbm"
    MRBM = "mrbm"
    SRBM = "srbm"
    SLBM = "slbm"
    SATELLITE_LAUNCH = "satellite-launch"
    HYPERSONIC = "hypersonic"
    BALLISTIC_MISSILE = "ballistic-missile"
    CRUISE_MISSILE = "cruise-missile"
    OTHER_MISSILE = "other-missile"
    ENGINE_TEST = "engine-test"
    OTHER = "other"
