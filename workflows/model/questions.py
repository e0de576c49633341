"""What a question of the robot is, as data: its token's alphabet, how long it stays open,
the Message-ID its mail carries, how a reply names it, and when two questions are the
same one (:mod:`workflows.steps.questions` asks and settles them).

A token ``RERS-XXXXXXXX`` is shown in the question's subject (``[RERS-…]``) and in its
mail's Message-ID (``<RERS-….n@domain>``), so that a reply names it either way.
"""
from __future__ import annotations

from workflows.mail.model import Parsed
from workflows.mail.tokens import find_token_in_ids

TOKEN_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
"""32 symbols, without I/O/0/1 which people misread; a subset of what
:data:`workflows.mail.tokens.TOKEN_RE` accepts."""


DEFAULT_VALID_DAYS = 30


PROXY_TEMPLATE = "proxy_question"
"""The animators' mail for a question meant for a member they answer for; it shows the
member's own question (the ``question_template`` of its context) inside."""


def answered_token(parsed: Parsed) -> str | None:
    """The token of the question a reply answers: from its subject or body, else from the
    robot's Message-IDs in its References and In-Reply-To."""
    return parsed.token or find_token_in_ids([*parsed.references, *parsed.in_reply_to])


def question_message_id(token: str, domain: str, n: int = 1) -> str:
    """The Message-ID of the ``n``-th mail carrying ``token``: ``<RERS-XXXXXXXX.n@domain>``."""
    return f"<{token}.{n}@{domain}>"


def same_question(question: dict, kind: str, subject_ref: str, member: str | None, address: str) -> bool:
    return (question["kind"], question["subject_ref"], question["member"], question["address"]) == (
        kind, subject_ref, member, address)
