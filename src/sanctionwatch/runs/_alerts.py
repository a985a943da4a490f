"""Telling someone what changed between two runs: a JSON POST to a webhook, a short email."""

from __future__ import annotations

import smtplib
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Any

from sanctionwatch._errors import SanctionwatchError
from sanctionwatch._format import counted
from sanctionwatch.runs._record import RunDiff

__all__ = ["Alerts", "alert_text", "send_alerts", "smtp_address"]

_TIMEOUT_SECONDS = 30.0
# The changes an email names one by one; the rest are counted.
_EMAIL_LINES = 50


@dataclass(frozen=True)
class Alerts:
    """Where to say what changed: a webhook URL, and an email address with the SMTP server
    (HOST:PORT) to send through."""

    webhook: str | None = None
    email: str | None = None
    smtp: str | None = None
    sender: str = "sanctionwatch@localhost"

    def __post_init__(self) -> None:
        if (self.email is None) != (self.smtp is None):
            raise SanctionwatchError("an email alert needs both an address and an SMTP server")
        if self.smtp is not None:
            smtp_address(self.smtp)


def smtp_address(text: str) -> tuple[str, int]:
    """HOST:PORT as a host and a port; anything else is one error."""
    host, _, port = text.rpartition(":")
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise SanctionwatchError(f"--smtp {text!r}: expected HOST:PORT, such as localhost:25")
    return host.strip("[]"), int(port)


def send_alerts(diff: RunDiff, alerts: Alerts, *, location: str) -> list[str]:
    """Send `diff` where `alerts` says; what was sent, one line each."""
    sent = []
    if alerts.webhook is not None:
        _post(alerts.webhook, diff.to_json())
        sent.append(f"webhook {alerts.webhook}")
    if alerts.email is not None and alerts.smtp is not None:
        _mail(alerts.email, alerts.smtp, alerts.sender, diff, location)
        sent.append(f"email to {alerts.email}")
    return sent


def alert_text(diff: RunDiff, location: str) -> str:
    """A short plain-text account of `diff`: counts, then one line per change."""
    counts = diff.counts()
    lines = [
        f"sanctionwatch: what changed from run {diff.before.run_id} to run "
        f"{diff.after.run_id} in {location}",
        f"{counts['new']} new, {counts['changed']} changed, {counts['resolved']} resolved "
        f"findings; {counts['designated']} designated, {counts['removed']} removed parties",
        "",
    ]
    changes = [_line(row) for row in diff.rows()]
    lines.extend(changes[:_EMAIL_LINES])
    if len(changes) > _EMAIL_LINES:
        lines.append(f"and {counted(len(changes) - _EMAIL_LINES, 'more change')}")
    return "\n".join(lines) + "\n"


def _line(row: dict[str, Any]) -> str:
    if row["item"] == "party":
        return f"{row['change']}: {row['list_source']} {row['ref']} {row['name']}"
    where = " ".join(
        str(row[name])
        for name in ("measure_id", "reporter", "partner", "flow", "period", "hs_code")
        if row.get(name)
    )
    if row.get("cap_period"):
        where = f"{where} cap period {row['cap_period']}"
    before = _said(row, "before")
    after = _said(row, "after")
    if row["change"] == "new":
        return f"new: {where}: {after}"
    if row["change"] == "resolved":
        return f"resolved: {where}: was {before}"
    return f"changed: {where}: {before} -> {after}"


def _said(row: dict[str, Any], side: str) -> str:
    status = row[f"status_{side}"]
    value = row[f"value_usd_{side}"]
    used = row[f"used_{side}"]
    figure = f"US${value:,.0f}" if value is not None else ""
    if used is not None:
        figure = f"{used:,.0f} {row.get('unit') or ''}".strip()
    return f"{status} {figure}".strip()


def _post(url: str, body: str) -> None:
    # httpx is imported when an alert is sent, not by every command that starts.
    import httpx

    try:
        response = httpx.post(
            url,
            content=body.encode("utf-8"),
            headers={"Content-Type": "application/json"},
            timeout=_TIMEOUT_SECONDS,
        )
    except httpx.HTTPError as error:
        raise SanctionwatchError(
            f"webhook {url}: not sent ({type(error).__name__}: {error})"
        ) from error
    if not response.is_success:
        raise SanctionwatchError(
            f"webhook {url}: not taken, the server answered {response.status_code} "
            f"{response.reason_phrase}"
        )


def _mail(address: str, smtp: str, sender: str, diff: RunDiff, location: str) -> None:
    host, port = smtp_address(smtp)
    message = EmailMessage()
    message["From"] = sender
    message["To"] = address
    counts = diff.counts()
    message["Subject"] = (
        f"sanctionwatch: {counts['new']} new, {counts['changed']} changed, "
        f"{counts['resolved']} resolved findings"
    )
    message.set_content(alert_text(diff, location))
    try:
        with smtplib.SMTP(host, port, timeout=_TIMEOUT_SECONDS) as server:
            server.send_message(message)
    except (OSError, smtplib.SMTPException) as error:
        raise SanctionwatchError(
            f"email to {address} through {smtp}: not sent ({error})"
        ) from error
