"""Testimonies (*témoignages*, ``T-<n>``): a member's words about the network, published on
the public catalogue page once an animator approved them (protocol.md, « The network's
voice »; the document: :mod:`workflows.model.testimonies`).

1. ``TÉMOIGNAGE`` (``Signature : anonyme`` or ``prénom``, default anonyme) from a confirmed
   member writing from their own address (:data:`workflows.routes.OWN_ADDRESS`):
   ``T-<n>`` recorded ``held``, the author told, each animator asked (a question of kind
   ``testimony_approve``);
2. the first animator's OUI publishes it (the page shows it at its next publication),
   a NON does not; the other animators are told who decided, their questions cancelled;
   the author is told either way, kindly;
3. ``RETRAIT T-4`` from the author (:data:`workflows.routes.ITEM_HOLDER`) asks them to
   confirm (kind ``testimony_withdraw``); OUI unpublishes it;
4. the author's erasure deletes their testimonies (:func:`forget_member`).
"""
from __future__ import annotations

from typing import Iterable

from workflows.decision import Incoming, Plan
from workflows.lookup import find_member, find_ref
from workflows.mail.sender import person_address
from workflows.model.privacy import public_member
from workflows.model.questions import DEFAULT_VALID_DAYS
from workflows.model.testimonies import public_testimony, testimony_text
from workflows.steps import questions
from workflows.steps.questions import destructive, settle_or_clarify
from workflows.steps.speaking import answer_sender, reply_id, tell_animators, tell_member
from workflows.model.said import Said

APPROVE = "testimony_approve"
WITHDRAW = "testimony_withdraw"


def find_testimony(plan: Plan, ref: str | None) -> dict | None:
    return plan.testimonies.find_one("ref", ref.strip().upper()) if ref else None


def _update(plan: Plan, testimony: dict, **fields) -> dict:
    return plan.testimonies.update(testimony["id"], **fields)


def member_names(plan: Plan) -> list[str | None]:
    """Every member's name, to mask in a testimony's words."""
    return [m.get("name") for m in plan.members.all()]


def animator_view(testimony: dict, names: "Iterable[str | None]" = ()) -> dict:
    """What the animators read of a testimony: the words as the page would show them
    (contact details and the members' ``names`` masked), the author's reference, the
    signature chosen."""
    return {"testimony": {**public_testimony(testimony, names), "member": testimony.get("member"),
                          "status": testimony.get("status")}}


def on_testimony(plan: Plan, incoming: Incoming) -> str:
    """``TÉMOIGNAGE`` from a confirmed member (past :data:`workflows.routes.OWN_ADDRESS`):
    recorded ``held``, the author told, each animator asked to approve it. A message with
    no words besides its fields is not recorded: the author is told how to write one."""
    parsed = incoming.parsed
    member = find_member(plan, person_address(parsed))
    text = testimony_text(parsed.text)
    signature = parsed.signature or "anonyme"
    if not text:
        answer_sender(plan, incoming, template="testimony_received", values={"empty": True, "testimony": None},
                      purpose="testimony_received")
        return Said("testimony: no words, the author told how to write one")
    number = plan.next_number("testimony")
    testimony = {
        "ref": f"T-{number}", "member": member["ref"], "signature": signature,
        "first_name": public_member(member).first_name if signature == "prénom" else None,
        "text": text, "status": "held", "created": plan.stamp(), "decided": None, "decided_by": None,
        "published": None, "withdrawn": None,
    }
    testimony["id"] = plan.testimonies.insert(testimony)
    plan.audit.info("%s: testimony %s held from %s (%s)", parsed.message_id, testimony["ref"], member["ref"],
                    signature)
    answer_sender(plan, incoming, template="testimony_received",
                  values={"empty": False, **animator_view(testimony, member_names(plan))}, purpose="testimony_received")
    ask_approval(plan, testimony)
    return Said("testimony {testimony} held, the animators asked", testimony=testimony['ref'])


def ask_approval(plan: Plan, testimony: dict) -> None:
    """Each animator asked to approve ``testimony`` (one question each; the first answer wins)."""
    animators = list(plan.settings.network.animators)
    if not animators:
        plan.audit.warning("%s: no animator configured to approve it", testimony["ref"])
        return
    for animator in animators:
        questions.ask(plan, kind=APPROVE, subject_ref=testimony["ref"], address=animator,
                      template="testimony_proposal", values=animator_view(testimony, member_names(plan)),
                      cause=f"{testimony['ref']}:approve", valid_days=DEFAULT_VALID_DAYS,
                      data={"testimony": testimony["ref"]}, to_member=False)


def on_approve_answer(plan: Plan, incoming: Incoming, question: dict, answer: str) -> str:
    """An animator's OUI/NON on ``T-<n>`` (past :data:`workflows.routes.ANIMATOR_ANSWER`).
    The first answer wins: the others' questions are cancelled and they are told who
    decided; the author is told whether it is published."""
    testimony = find_testimony(plan, question["data"].get("testimony"))
    if testimony is None or testimony["status"] != "held":
        questions.close(plan, question, status="cancelled", answer=answer, message_id=incoming.parsed.message_id)
        return Said("ignored: {ref} is no longer waiting for approval", ref=question['subject_ref'])
    if answer == "unclear":
        return questions.clarify(plan, incoming, question, template="clarify",
                                 values={"kind": APPROVE, "member": {"ref": testimony["member"]}, "item": None,
                                         "proxy": False})
    decided_by = question["address"]
    questions.settle(plan, question, answer=answer, message_id=incoming.parsed.message_id)
    if answer == "yes":
        testimony = _update(plan, testimony, status="published", decided=plan.stamp(), decided_by=decided_by,
                            published=plan.stamp())
    else:
        testimony = _update(plan, testimony, status="refused", decided=plan.stamp(), decided_by=decided_by)
    tell_animators(plan, template="testimony_decided",
                   values={**animator_view(testimony, member_names(plan)), "decision": answer, "decided_by": decided_by},
                   purpose="testimony_decided", cause=f"{testimony['ref']}:decided",
                   only=[a for a in plan.settings.network.animators if a != decided_by])
    author = find_ref(plan, testimony["member"])
    tell_member(plan, author, template="testimony_outcome",
                values={**animator_view(testimony, member_names(plan)), "published": answer == "yes", "member": author},
                purpose="testimony_outcome", cause=f"{testimony['ref']}:outcome")
    outcome = Said("published") if answer == "yes" else Said("not published")
    plan.audit.info("%s %s (decided by %s)", testimony["ref"], outcome, decided_by)
    return Said("{testimony} {outcome} by an animator", testimony=testimony['ref'], outcome=outcome)


def on_withdraw(plan: Plan, incoming: Incoming) -> str:
    """``RETRAIT T-4`` (past :data:`workflows.routes.ITEM_HOLDER`: the author, or an
    animator): the author is asked to confirm."""
    parsed = incoming.parsed
    testimony = find_testimony(plan, parsed.item_ref)
    author = find_ref(plan, testimony["member"]) if testimony else None
    if testimony is None or author is None or testimony["status"] in ("withdrawn", "refused"):
        answer_sender(plan, incoming, template="withdraw_item_refused",
                      values={"ref": parsed.item_ref, "closed": testimony is not None and author is not None},
                      purpose="withdraw_item_refused")
        return Said("withdraw {item_ref}: nothing to withdraw", item_ref=parsed.item_ref)
    own = person_address(parsed) == author.get("address")
    questions.ask_member(plan, author, kind=WITHDRAW, subject_ref=testimony["ref"],
                         template="testimony_withdraw_confirm", values=animator_view(testimony, member_names(plan)),
                         cause=parsed.message_id, in_reply_to=reply_id(parsed.message_id) if own else None,
                         auto_submitted="auto-replied" if own else "auto-generated")
    return Said("withdraw {testimony}: confirmation asked of {author}", testimony=testimony['ref'], author=author['ref'])


def on_withdraw_answer(plan: Plan, incoming: Incoming, question: dict, answer: str) -> str:
    """The author's answer: OUI unpublishes the testimony (withdrawn for good), NON keeps it."""
    testimony = find_testimony(plan, question["subject_ref"])
    answer = destructive(incoming, answer)
    early = settle_or_clarify(plan, incoming, question, answer, find_ref(plan, question["member"]), testimony,
                              needs_item=True)
    if early:
        return early
    if answer == "yes" and testimony["status"] != "withdrawn":
        questions.cancel_open(plan, subject_ref=testimony["ref"], kind=APPROVE)
        testimony = _update(plan, testimony, status="withdrawn", withdrawn=plan.stamp())
    answer_sender(plan, incoming, template="testimony_withdraw_done",
                  values={**animator_view(testimony, member_names(plan)), "withdrawn": answer == "yes"},
                  purpose="testimony_withdraw_done", must_reach=True)
    questions.pass_on_remarks(plan, incoming, question, answer)
    if answer == "yes":
        return Said("{testimony}: withdrawn", testimony=testimony["ref"])
    return Said("{testimony}: kept", testimony=testimony["ref"])


def forget_member(plan: Plan, member_ref: str) -> int:
    """The author's erasure: their testimonies deleted whole, the questions about them
    cancelled; returns how many."""
    mine = plan.testimonies.find("member", member_ref)
    for testimony in mine:
        questions.cancel_open(plan, subject_ref=testimony["ref"])
        plan.testimonies.delete(testimony["id"])
    return len(mine)
