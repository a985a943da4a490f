"""The HTML report: one self-contained page that works offline, on a phone and on paper."""

from sanctionwatch.report._build import key_findings, render_report, write_report
from sanctionwatch.report._svg import gauge, running_total

__all__ = ["gauge", "key_findings", "render_report", "running_total", "write_report"]
