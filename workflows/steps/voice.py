"""The échanges sur les échanges by mail (*recueil*, protocol.md « The network's voice »;
the documents and the synthesis: :mod:`workflows.model.voice`).

* :func:`collection_due` — the hourly job's step: ``collection_days`` before each
  échanges sur les échanges of the calendar, a collection ``R-<n>`` starts (each
  confirmed member who wants it asked, :func:`start_collection`); ``synthesis_days``
  before the meeting, the synthesis goes to the animators (:func:`send_synthesis`);
  answers older than ``collection_keep_days`` are deleted;
* :func:`start_collection` — also ``rers collection start --questions FILE``: the same
  machinery for an animators' questionnaire;
* :func:`on_collection_answer` — a member's reply: their words, the quote they allow
  (``Citation : non / anonyme / prénom``, default non) and the optional effects
  (``Isolement``, ``Confiance``, ``Réseau``: counts of the semester only). A plain NON
  records nothing, and the member is not asked again (``voice: False``);
* :func:`forget_member` — the author's erasure deletes their answers at once.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from workflows.decision import Incoming, Plan
from workflows.lookup import find_ref
from workflows.mail.answers import plain_yes
from workflows.model.members import reachable
from workflows.model.privacy import public_member
from workflows.model.voice import add_effects, read_answer, semester, semester_bounds, synthesis
from workflows.steps import questions
from workflows.steps.calendar import load_series
from workflows.steps.speaking import answer_sender, tell_animators
from workflows.events.rules import occurrences

KIND = "collection"
EFFECTS_KEY = "effects:{semester}"


@dataclass
class VoiceReport:
    started: list[str] = field(default_factory=list)
    asked: int = 0
    synthesised: list[str] = field(default_factory=list)
    deleted: int = 0


def wants_it(member: dict) -> bool:
    """A confirmed member the robot can write to, who did not say NON to a collection."""
    return member.get("status") == "confirmed" and reachable(member) and member.get("voice") is not False


def find_collection(plan: Plan, ref: str | None) -> dict | None:
    return plan.recueils.find_one("ref", ref.strip().upper()) if ref else None


def start_collection(plan: Plan, *, questions_asked: list[str], meeting: date, source: str,
                     uid: str | None = None) -> dict:
    """A collection ``R-<n>`` before ``meeting``: each member who wants it gets the
    questions (one question of kind ``collection`` each, valid until the meeting)."""
    number = plan.next_number("recueil")
    collection = {"ref": f"R-{number}", "source": source, "meeting": meeting.isoformat(), "uid": uid,
                  "questions": list(questions_asked), "status": "open", "started": plan.stamp(), "asked": 0,
                  "answered": 0, "synthesis": None, "semester": semester(meeting)}
    collection["id"] = plan.recueils.insert(collection)
    valid = max(1, (meeting - plan.local_date).days)
    asked = 0
    for member in plan.members.find("status", "confirmed"):
        if not wants_it(member):
            continue
        questions.ask(plan, kind=KIND, subject_ref=collection["ref"], member=member["ref"],
                      address=member["address"], to_name=member.get("name"), template="collection_question",
                      values={"collection": collection, "member": member}, cause=f"{collection['ref']}:ask",
                      valid_days=valid, data={"collection": collection["ref"]})
        asked += 1
    collection = plan.recueils.update(collection["id"], asked=asked)
    plan.audit.info("collection %s (%s) started before %s: %d member(s) asked", collection["ref"], source,
                    collection["meeting"], asked)
    return collection


def on_collection_answer(plan: Plan, incoming: Incoming, question: dict, answer: str) -> str:
    """A member's answer (past :data:`workflows.routes.ADDRESSEE`): a plain NON records
    nothing and they are not asked again; anything else is their words, recorded with the
    quote they allow, and the effects they wrote added to the semester's counts."""
    collection = find_collection(plan, question["data"].get("collection"))
    member = find_ref(plan, question["member"])
    if collection is None or member is None:
        questions.close(plan, question, status="cancelled", answer=answer, message_id=incoming.parsed.message_id)
        return f"ignored: {question['subject_ref']} is over"
    read = read_answer(incoming.parsed.text)
    if answer == "no" and not read["effects"] and len(read["words"]) < 40:
        questions.settle(plan, question, answer="no", message_id=incoming.parsed.message_id)
        plan.members.update(member["id"], voice=False)
        return f"{collection['ref']}: {member['ref']} said no, nothing recorded"
    if not read["words"] and not read["effects"] or (answer == "yes" and plain_yes(read["words"])
                                                      and len(read["words"]) < 12):
        return questions.clarify(plan, incoming, question, template="collection_question",
                                 values={"collection": collection, "member": member, "again": True})
    questions.settle(plan, question, answer="answered", message_id=incoming.parsed.message_id)
    plan.voice_answers.insert({
        "collection": collection["ref"], "member": member["ref"], "words": read["words"], "quote": read["quote"],
        "first_name": public_member(member).first_name if read["quote"] == "prénom" else None, "at": plan.stamp()})
    if read["effects"]:
        key = EFFECTS_KEY.format(semester=collection["semester"])
        plan.set_state(key, add_effects(plan.get_state(key), read["effects"]))
    plan.recueils.update(collection["id"], answered=int(collection.get("answered") or 0) + 1)
    answer_sender(plan, incoming, template="collection_thanks", values={"collection": collection, **read},
                  purpose="collection_thanks")
    plan.audit.info("%s: an answer recorded (quote: %s, %d effect line(s))", collection["ref"], read["quote"],
                    len(read["effects"]))
    return f"{collection['ref']}: answer recorded (quote {read['quote']})"


def semester_bilans(plan: Plan, name: str) -> list[dict]:
    """The bilans of introductions and groups given in semester ``name`` (local days)."""
    first, last = semester_bounds(name)
    zone = plan.settings.network.zone

    def within(stamp: str | None) -> bool:
        if not stamp:
            return False
        day = datetime.fromisoformat(stamp).astimezone(zone).date()
        return first <= day <= last

    found = [b for i in plan.introductions.all() for b in (i.get("bilans") or {}).values() if b and within(b.get("at"))]
    found += [b for g in plan.groups.all() for b in (g.get("bilans") or ()) if b and within(b.get("at"))]
    return found


def send_synthesis(plan: Plan, collection: dict) -> str | None:
    """The synthesis of ``collection`` to the animators (text and HTML), once."""
    answers = plan.voice_answers.find("collection", collection["ref"])
    effects = plan.get_state(EFFECTS_KEY.format(semester=collection["semester"]))
    values = synthesis(collection, answers, semester_bilans(plan, collection["semester"]), effects)
    mid = tell_animators(plan, template="collection_synthesis", values=values, purpose="collection_synthesis",
                         cause=f"{collection['ref']}:synthesis")
    plan.recueils.update(collection["id"], status="synthesised", synthesis=plan.stamp())
    plan.audit.info("collection %s: synthesis to the animators", collection["ref"])
    return mid


def collection_due(plan: Plan, default_questions: list[str]) -> VoiceReport:
    """The hourly job (see the module docstring)."""
    report = VoiceReport()
    settings = plan.settings.voice
    today = plan.local_date
    known = {c.get("uid") and f"{c['uid']}:{c['meeting']}" for c in plan.recueils.all()}
    for series in load_series(plan).values():
        if series.kind != "exchange_review" or series.cancelled:
            continue
        for occurrence in occurrences(series, today + timedelta(days=settings.synthesis_days + 1),
                                      today + timedelta(days=settings.collection_days)):
            if f"{series.uid}:{occurrence.day.isoformat()}" in known:
                continue
            started = start_collection(plan, questions_asked=default_questions, meeting=occurrence.day,
                                       source="calendar", uid=series.uid)
            report.started.append(started["ref"])
            report.asked += started["asked"]
    for collection in plan.recueils.find("status", "open"):
        due = date.fromisoformat(collection["meeting"]) - timedelta(days=settings.synthesis_days)
        if today >= due:
            send_synthesis(plan, collection)
            questions.cancel_open(plan, subject_ref=collection["ref"], kind=KIND)
            report.synthesised.append(collection["ref"])
    limit = (plan.now - timedelta(days=settings.collection_keep_days)).isoformat(timespec="seconds")
    for old in plan.voice_answers.scan(lambda a: (a.get("at") or "") < limit):
        plan.voice_answers.delete(old["id"])
        report.deleted += 1
    return report


def forget_member(plan: Plan, member_ref: str) -> int:
    """The author's erasure: their answers deleted at once; returns how many."""
    mine = plan.voice_answers.find("member", member_ref)
    for each in mine:
        plan.voice_answers.delete(each["id"])
    return len(mine)
