"""Introductions (*mises en relation*): proposal → approval → consent → introduction →
follow-up → bilan. (Being written: issue 5.)

The hooks other workflows call are fixed here so that they can be called already:

* :func:`on_items_opened` — items became ``open`` (a confirmed member's new item, or the
  held items of a member who just confirmed): match them.
* :func:`forget_member` — a member is being erased: close the introductions involving
  them, tell the other party only that it will not go ahead.
"""
from __future__ import annotations

from workflows.context import Context

ANSWER_HANDLERS: dict = {}
"""Question kinds of introductions (``approve``, ``consent``, ``bilan``) → handler."""


def on_items_opened(ctx: Context, items: list[dict]) -> None:
    """Match newly open items against the open items of the other kind (not yet written)."""


def forget_member(ctx: Context, member_ref: str) -> None:
    """Close the introductions involving ``member_ref`` before its erasure (not yet written)."""
