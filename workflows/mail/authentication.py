"""What the network's own mail server says of a message: the ``Authentication-Results``
field (RFC 8601) that the configured ``authserv_id`` wrote, read for DMARC (RFC 7489) and
aligned DKIM (RFC 6376). Pure functions of the settings and the parsed message.

The rules, and why:

- Only the **topmost** field carrying the configured authserv-id counts. The receiving
  server adds its field above the ones the message arrived with, and RFC 8601 §5 says it
  must remove (or rename) incoming fields that claim its own authserv-id. Any lower field
  with that id is therefore a forgery the server failed to strip: it is never believed,
  and counted (:attr:`Verdict.stripped_forgeries`) so that the caller can log it. Fields
  of any other authserv-id are ignored (anyone can write one).
- ``dmarc=pass`` counts only when its ``header.from`` is the From domain: DMARC's
  verdict is about one domain, and the robot's identity is the From mailbox.
- ``dkim=pass`` counts only when its signing domain (``header.d``, else the domain of
  ``header.i``) is aligned with the From domain (relaxed alignment, RFC 7489 §3.1.1,
  approximated without a public-suffix list: the same domain, or one a sub-domain of the
  other, never a bare top-level domain; a signature by a registry suffix such as
  ``co.uk`` would still align, which only that registry could make): anyone can sign a
  forged From with their own domain's key.
- SPF alone never counts (it checks the envelope sender, not From). ``none``,
  ``neutral``, ``fail``, ``softfail``, ``policy``, ``temperror``, ``permerror``, no
  result at all, an unreadable field: not authenticated.
- ``dmarc=fail`` in that field means **forged**: the From domain's owner publishes that
  its mail passes, and this one did not. It refuses even a message carrying a valid token.

Without ``authserv_id`` nothing can be checked: :func:`verdict` says ``authenticated``
(as before) with ``checked=False`` and says why.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Sequence

import authres

from config.settings import Settings
from workflows.mail.decode import normal_address
from workflows.mail.model import Parsed


@dataclass(frozen=True)
class Verdict:
    """The server's word on one message.

    ``authenticated``: the From domain is vouched for (aligned DMARC or DKIM pass in the
    trusted field), or nothing is checked (``checked`` False). ``forged``: the trusted
    field says ``dmarc=fail``. ``stripped_forgeries``: how many *lower* fields carry the
    trusted authserv-id (forgeries the server should have removed; log them). ``reason``:
    one line for logs and the animators, without the sender's address.
    """

    authenticated: bool
    forged: bool
    stripped_forgeries: int
    reason: str
    checked: bool = True


def verdict(settings: Settings, parsed: Parsed) -> Verdict:
    """The :class:`Verdict` on ``parsed`` under the configured ``authserv_id``
    (:func:`judge`)."""
    return judge(settings.network.authserv_id, parsed.sender, parsed.authentication_results)


def authenticated(settings: Settings, parsed: Parsed) -> bool:
    """:attr:`Verdict.authenticated` of :func:`verdict` (True when no ``authserv_id`` is
    configured: nothing to check)."""
    return verdict(settings, parsed).authenticated


def forged(settings: Settings, parsed: Parsed) -> bool:
    """:attr:`Verdict.forged` of :func:`verdict`: the trusted field says ``dmarc=fail``.
    False without ``authserv_id``, and for a message with no verdict (a member's provider
    may publish no DMARC policy at all)."""
    return verdict(settings, parsed).forged


def judge(authserv_id: str | None, sender: str | None, fields: Sequence[str]) -> Verdict:
    """The :class:`Verdict` for a message from ``sender`` (its From address, canonical,
    or None) whose ``Authentication-Results`` values are ``fields``, topmost first (the
    order of the header block, as :class:`Parsed` keeps them). Never raises."""
    if not authserv_id:
        return Verdict(True, False, 0, "no authserv_id configured: nothing checked", checked=False)
    trusted = authserv_id.strip().lower()
    ours = [value for value in fields if _authserv_id(value) == trusted]
    if not ours:
        return Verdict(False, False, 0, f"no Authentication-Results of {trusted}")
    stripped = len(ours) - 1
    header = _parse_results(ours[0])
    if header is None:
        return Verdict(False, False, stripped, f"the topmost Authentication-Results of {trusted} is unreadable")
    from_domain = _domain(sender)
    results = [(str(result.method or "").lower(), str(result.result or "").lower(), result)
               for result in header.results]
    if any(method == "dmarc" and outcome == "fail" for method, outcome, _ in results):
        return Verdict(False, True, stripped, "dmarc=fail: the From domain's policy was not met")
    if from_domain is None:
        return Verdict(False, False, stripped, "no single From address to vouch for")
    reasons = []
    for method, outcome, result in results:
        if outcome != "pass":
            continue
        if method == "dmarc":
            claimed = _domain(_property(result, "header", "from"))
            if claimed == from_domain:
                return Verdict(True, False, stripped, "dmarc=pass for the From domain")
            reasons.append("dmarc=pass for another domain" if claimed else "dmarc=pass without header.from")
        elif method == "dkim":
            signer = _domain(_property(result, "header", "d") or _property(result, "header", "i"))
            if _aligned(signer, from_domain):
                return Verdict(True, False, stripped, "dkim=pass aligned with the From domain")
            reasons.append("dkim=pass for a domain not aligned with From")
        elif method == "spf":
            reasons.append("spf=pass alone does not vouch for From")
    return Verdict(False, False, stripped, "; ".join(reasons) or "no dmarc or dkim pass")


_AUTHSERV_ID_RE = re.compile(r'\s*(?:\([^()]*\)\s*)*"?([^\s;()"]+)')


def _authserv_id(value: str) -> str | None:
    """The authserv-id a field claims, lower-cased: from ``authres`` when it reads the
    field, else its first token (RFC 8601 §2.2: ``[CFWS] authserv-id``), so that an
    unreadable field of the trusted server still counts as the topmost one (a readable
    forgery below it must not take its place)."""
    header = _parse_results(value)
    if header is not None and header.authserv_id:
        return str(header.authserv_id).lower()
    match = _AUTHSERV_ID_RE.match(value or "")
    return match.group(1).lower() if match else None


_BRACKETED = re.compile(r"=\s*(?:<([^<>\s]*)>|\[([^\[\]\s]*)\])")


def _parse_results(value: str):
    """``value`` parsed by ``authres``, or None. Servers write forms its grammar (RFC
    8601) refuses — a trailing semicolon, ``smtp.mailfrom=<a@b>``, ``smtp.helo=[1.2.3.4]``
    (Zoho, some Postfix milters): tried again without them, so that a real verdict is
    never skipped."""
    for text in (value, _BRACKETED.sub(lambda m: "=" + (m.group(1) or m.group(2) or ""), value).strip().rstrip(";")):
        try:
            return authres.AuthenticationResultsHeader.parse_value(text)
        except Exception:  # authres raises its own SyntaxError and assorted others
            continue
    return None


def _property(result, kind: str, name: str) -> str:
    for prop in result.properties:
        if prop.type == kind and prop.name == name and prop.value:
            return str(prop.value)
    return ""


def _domain(value: str | None) -> str | None:
    """The domain of an address or a bare domain, canonical as the parser makes
    addresses (lower-case, U-label), or None."""
    if not value:
        return None
    canonical = normal_address("x@" + value.strip().strip("<>").rpartition("@")[2])
    return canonical.rpartition("@")[2] if canonical else None


def _aligned(signer: str | None, sender: str) -> bool:
    # Relaxed alignment without a public-suffix list: the same domain, or one a
    # sub-domain of the other, never through a bare top-level domain ("d=test" would
    # otherwise vouch for every *.test).
    if not signer or "." not in signer or "." not in sender:
        return signer == sender and bool(signer)
    return signer == sender or sender.endswith("." + signer) or signer.endswith("." + sender)


__all__ = ["Verdict", "authenticated", "forged", "judge", "verdict"]
