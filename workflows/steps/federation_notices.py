"""Notices to the animators about a linked network (docs/reseaux-voisins.md): a peer
that restarted from an empty store, a peer's calendar that cannot be read. The notices
carry no member data: a peer's name, a number, what went wrong."""
from __future__ import annotations

from workflows.decision import Plan
from workflows.steps.speaking import tell_animators

NOTICES = ("restart", "feed_unreadable", "feed_read_again")
"""What a ``federation_notice`` mail says: ``restart`` (the peer's messages start again
at number 1 under a newer epoch), ``feed_unreadable`` (its calendar cannot be read:
``error``), ``feed_read_again`` (it can be read again)."""


def tell_about_peer(plan: Plan, what: str, peer, *, cause: str, **values: object) -> str | None:
    """Queue the ``federation_notice`` mail ``what`` (:data:`NOTICES`) about ``peer`` (a
    :class:`config.settings.Peer` or a :class:`config.feeds.Feed`: its ``name``) to
    the animators, once per ``cause`` (the Message-ID depends on it). Returns its
    Message-ID, or None. Raises ``ValueError`` for another ``what``."""
    if what not in NOTICES:
        raise ValueError(f"unknown notice {what!r}")
    return tell_animators(plan, template="federation_notice", values={"what": what, "peer": peer.name, **values},
                          purpose="federation_notice", cause=cause)
