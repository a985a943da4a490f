"""The HTML report: one self-contained page that works offline, on a phone and on paper."""

from sanctionwatch.report._build import render_report, write_report

__all__ = ["render_report", "write_report"]
