"""What the network's own mail server says of a message: ``Authentication-Results``
(RFC 8601) read for DMARC and aligned DKIM, counting only the fields of the configured
``authserv_id`` (any other can be written by anyone). Pure functions of the settings and
the parsed message.
"""
from __future__ import annotations

import re

import authres

from config.settings import Settings
from workflows.mail.model import Parsed


def authenticated(settings: Settings, parsed: Parsed) -> bool:
    """True when the configuration trusts no ``authserv_id`` (nothing to check), or when
    an ``Authentication-Results`` header (RFC 8601) of that ``authserv_id`` shows
    ``dmarc=pass``, or ``dkim=pass`` for a signing domain aligned with the From domain
    (the same, or one a sub-domain of the other: DMARC's relaxed alignment, RFC 7489
    §3.1.1). Headers of other servers are ignored: anyone can write one; and anyone can
    sign a forged From with their own domain's key, hence the alignment. A ``dmarc=fail``
    of that server wins over any pass (:func:`forged`): a forger can add a header that
    claims the server's name below the server's own, never remove the server's."""
    if not settings.network.authserv_id:
        return True
    if forged(settings, parsed):
        return False
    sender_domain = (parsed.sender or "").rpartition("@")[2].lower()
    for result in _trusted_results(settings, parsed):
        if result.result != "pass":
            continue
        if result.method == "dmarc":
            return True
        if result.method == "dkim" and _aligned(_signing_domain(result), sender_domain):
            return True
    return False


def forged(settings: Settings, parsed: Parsed) -> bool:
    """True when an ``Authentication-Results`` header of the configured ``authserv_id``
    shows ``dmarc=fail``: the From domain's owner publishes that mail from it must pass,
    and this one did not (RFC 7489). False without ``authserv_id``, and for a message with
    no verdict (a member's provider may publish no DMARC policy at all)."""
    return any(result.method == "dmarc" and result.result == "fail"
               for result in _trusted_results(settings, parsed))


def _trusted_results(settings: Settings, parsed: Parsed):
    """The results (``authres`` objects) of the ``Authentication-Results`` headers that the
    configured ``authserv_id`` wrote; none without it. Unreadable headers are skipped."""
    trusted = settings.network.authserv_id
    if not trusted:
        return
    for value in parsed.authentication_results:
        header = _parse_results(value)
        if header is not None and (header.authserv_id or "").lower() == trusted.lower():
            yield from header.results


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


def _signing_domain(result) -> str:
    for prop in result.properties:
        if prop.type == "header" and prop.name in ("d", "i") and prop.value:
            return prop.value.rpartition("@")[2].lower()
    return ""


def _aligned(signer: str, sender: str) -> bool:
    return bool(signer and sender) and (signer == sender or sender.endswith("." + signer)
                                         or signer.endswith("." + sender))
