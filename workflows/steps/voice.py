"""The échanges sur les échanges by mail (*recueil*, protocol.md « The network's voice »;
the documents and the synthesis: :mod:`workflows.model.voice`).

* :func:`collection_due` — the hourly job's step: ``collection_days`` before each
  échanges sur les échanges of the calendar, a collection ``R-<n>`` starts, asked of the
  members who took part in at least one exchange since the last échanges sur les
  échanges (:func:`took_part`, :func:`since_last`); ``synthesis_days`` before the
  meeting, the synthesis goes to the animators (:func:`send_synthesis`); a
  questionnaire's synthesis goes the day after its last day; answers older than
  ``collection_keep_days`` are deleted;
* :func:`start_collection` — also ``rers collection start --questions FILE``: the same
  machinery for an animators' questionnaire (asked of every confirmed member who wants
  it, as the seed's first survey was);
* :func:`count_effects` — the optional effect lines of a bilan, added to the semester's
  counts (nothing kept with the person);
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
from workflows.model.voice import add_effects, read_answer, semester, semester_bounds, split_effects, synthesis
from workflows.steps import questions
from workflows.steps.calendar import load_series
from workflows.steps.speaking import answer_sender, tell_animators
from workflows.events.rules import occurrences
from workflows.model.said import Said

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
                     uid: str | None = None, only: set[str] | None = None, since: date | None = None) -> dict:
    """A collection ``R-<n>`` before ``meeting`` (a questionnaire's: its last day): each
    member who wants it gets the questions (one question of kind ``collection`` each,
    valid until the meeting); ``only``: just these member refs (those who took part in
    an exchange ``since``)."""
    number = plan.next_number("recueil")
    collection = {"ref": f"R-{number}", "source": source, "meeting": meeting.isoformat(), "uid": uid,
                  "questions": list(questions_asked), "status": "open", "started": plan.stamp(), "asked": 0,
                  "answered": 0, "synthesis": None, "semester": semester(meeting),
                  "since": since.isoformat() if since else None}
    collection["id"] = plan.recueils.insert(collection)
    valid = max(1, (meeting - plan.local_date).days)
    asked = 0
    for member in plan.members.find("status", "confirmed"):
        if not wants_it(member) or (only is not None and member["ref"] not in only):
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
        return Said("ignored: {ref} is over", ref=question['subject_ref'])
    read = read_answer(incoming.parsed.text)
    if answer == "no" and not read["effects"] and len(read["words"]) < 40:
        questions.settle(plan, question, answer="no", message_id=incoming.parsed.message_id)
        plan.members.update(member["id"], voice=False)
        return Said("{collection}: {member} said no, nothing recorded", collection=collection['ref'], member=member['ref'])
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
    return Said("{collection}: answer recorded (quote {quote})", collection=collection['ref'], quote=read['quote'])


def semester_bilans(plan: Plan, name: str) -> list[dict]:
    """The bilans of introductions (our side of those across networks too) and groups
    given in semester ``name`` (local days)."""
    first, last = semester_bounds(name)
    zone = plan.settings.network.zone

    def within(stamp: str | None) -> bool:
        if not stamp:
            return False
        day = datetime.fromisoformat(stamp).astimezone(zone).date()
        return first <= day <= last

    found = [b for i in plan.introductions.all() for b in (i.get("bilans") or {}).values() if b and within(b.get("at"))]
    found += [b for g in plan.groups.all() for b in (g.get("bilans") or ()) if b and within(b.get("at"))]
    found += [c["bilan"] for c in plan.crossings.all() if c.get("bilan") and within(c["bilan"].get("at"))]
    return found


def send_synthesis(plan: Plan, collection: dict) -> str | None:
    """The synthesis of ``collection`` to the animators (text and HTML), once."""
    answers = plan.voice_answers.find("collection", collection["ref"])
    effects = plan.get_state(EFFECTS_KEY.format(semester=collection["semester"]))
    values = synthesis(collection, answers, semester_bilans(plan, collection["semester"]), effects,
                       names=(m.get("name") for m in plan.members.all()))
    mid = tell_animators(plan, template="collection_synthesis", values=values, purpose="collection_synthesis",
                         cause=f"{collection['ref']}:synthesis")
    plan.recueils.update(collection["id"], status="synthesised", synthesis=plan.stamp())
    plan.audit.info("collection %s: synthesis to the animators", collection["ref"])
    return mid


def _local_day(plan: Plan, stamp: str | None) -> date | None:
    return datetime.fromisoformat(stamp).astimezone(plan.settings.network.zone).date() if stamp else None


def took_part(plan: Plan, since: date, until: date) -> set[str]:
    """The refs of the members who took part in at least one exchange from ``since`` to
    ``until`` (local days, inclusive): both sides of an introduction that went through
    (both said OUI: ``introduced`` in the period), and the offerer and the members holding
    a place in a group that met in the period (its first session, or its bilan asked).
    Only the exchange counts, not how it went: a bilan is not needed."""
    def within(day: date | None) -> bool:
        return day is not None and since <= day <= until

    found: set[str] = set()
    for intro in plan.introductions.all():
        if within(_local_day(plan, intro.get("introduced"))):
            found.update(ref for ref in (intro.get("offer_member"), intro.get("demand_member")) if ref)
    for group in plan.groups.all():
        first = date.fromisoformat(group["first_session"]) if group.get("first_session") else None
        if within(first) or within(_local_day(plan, group.get("bilan_asked"))):
            found.update(ref for ref in (group.get("offer_member"), *group.get("places", ())) if ref)
    return found


def since_last(plan: Plan, series, meeting: date) -> date:
    """The day after the last échanges sur les échanges before ``meeting``: the meeting
    of the series' previous collection, else the series' previous occurrence, else six
    months before (the first one the robot knows)."""
    before = [date.fromisoformat(c["meeting"]) for c in plan.recueils.all()
              if c.get("uid") == series.uid and c.get("meeting") and c["meeting"] < meeting.isoformat()]
    before += [o.day for o in occurrences(series, meeting - timedelta(days=370), meeting - timedelta(days=1))]
    return max(before) + timedelta(days=1) if before else meeting - timedelta(days=183)


def count_effects(plan: Plan, text: str | None) -> dict:
    """The optional ``Isolement``, ``Confiance``, ``Réseau`` lines of a bilan's ``text``
    added to the counts of today's semester (:data:`EFFECTS_KEY`): nothing is kept with
    the person. Returns the effects read."""
    effects = split_effects(text)[1]
    if effects:
        key = EFFECTS_KEY.format(semester=semester(plan.local_date))
        plan.set_state(key, add_effects(plan.get_state(key), effects))
    return effects


def synthesis_day(plan: Plan, collection: dict) -> date:
    """When the synthesis of ``collection`` is due: ``synthesis_days`` before the
    meeting, or the day after a questionnaire's last day."""
    meeting = date.fromisoformat(collection["meeting"])
    if collection.get("source") == "questionnaire":
        return meeting + timedelta(days=1)
    return meeting - timedelta(days=plan.settings.voice.synthesis_days)


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
            since = since_last(plan, series, occurrence.day)
            started = start_collection(plan, questions_asked=default_questions, meeting=occurrence.day,
                                       source="calendar", uid=series.uid, since=since,
                                       only=took_part(plan, since, today))
            report.started.append(started["ref"])
            report.asked += started["asked"]
    for collection in plan.recueils.find("status", "open"):
        if today >= synthesis_day(plan, collection):
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
