"""The life of an introduction, in process: a store, the real parser and replies
dispatcher, the clock in hand (no servers; the same story through Dovecot and aiosmtpd
is in tests/integration/test_introductions.py)."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest

from intro_support import ANIMATORS, Net
from workflows.shell.jobs import followups_job
from workflows.steps import introductions

PACO, LINA, ODILE = "paco.ruiz@example.net", "lina.petit@example.org", "odile.r@example.com"
A1, A2 = ANIMATORS


@pytest.fixture
def net(tmp_path) -> Net:
    return Net(tmp_path / "robot")


def pair(net: Net, *, lina_contact: str = "email", offer: str = "Cours d'espagnol",
         demand: str = "Apprendre l'espagnol") -> tuple[dict, dict]:
    paco = net.member(PACO, "Paco Ruiz", phone="+33611223344")
    lina = net.member(LINA, "Lina Petit", phone="+33699887766", contact=lina_contact)
    return net.item(paco, "offer", offer), net.item(lina, "demand", demand)


def approved(net: Net, **kw) -> None:
    pair(net, **kw)
    assert net.answer(A1, "question:approve", "OUI").startswith("MR-1 approved")


def introduced(net: Net, **kw) -> None:
    approved(net, **kw)
    net.answer(LINA, "question:consent", "oui")
    assert net.answer(PACO, "question:consent", "Oui bien sûr") == "MR-1 introduced"


# --- proposal and approval -----------------------------------------------------------------


def test_a_new_item_is_proposed_to_every_animator(net):
    offer, demand = pair(net)
    intro = net.intro()
    assert (intro["offer"], intro["demand"], intro["status"], intro["score"]) == ("O-1", "D-1", "proposed", 1.0)
    proposals = net.mails("question:approve")
    assert sorted(r for m in proposals for r in m.recipients) == sorted(ANIMATORS)
    assert len({m.token for m in proposals}) == 2, "one question (one token) per animator"
    text = proposals[0].text
    assert "MR-1" in proposals[0].subject and "Cours d'espagnol" in text and "Apprendre l'espagnol" in text
    assert "« espagnol » = « espagnol » (même mot)" in text and "Paco Ruiz" in text
    assert PACO not in text and LINA not in text, "animators get names and refs, not addresses"
    assert proposals[0].message["List-Unsubscribe"] is None
    assert not net.mails(to=PACO) and not net.mails(to=LINA), "members hear nothing before approval"


def test_the_first_animator_answer_wins_and_the_others_are_told(net):
    pair(net)
    late = net.token(A2, "question:approve")
    assert net.answer(A1, "question:approve", "OUI") == "MR-1 approved by an animator: consent asked"
    told = net.mails("introduction_decided")
    assert [m.recipients for m in told] == [[A2]]
    assert "anim.one@example.org a approuvé" in told[0].text
    assert net.intro()["status"] == "consent" and net.intro()["decided_by"] == A1
    assert net.send(A2, f"RE: [{late}] MR-1", "NON") == "refused: cancelled"
    assert net.intro()["status"] == "consent"
    assert sorted(r for m in net.mails("question:consent") for r in m.recipients) == sorted([PACO, LINA])


def test_a_refusal_closes_the_pair_for_good_and_frees_the_items(net):
    offer, demand = pair(net)
    assert net.answer(A2, "question:approve", "Non merci") == "MR-1 refused by an animator"
    assert net.intro()["status"] == "refused"
    assert not net.mails(to=PACO) and not net.mails(to=LINA), "refused: nobody else told"
    assert net.step(introductions.rematch) == [], "never the same pair again"
    other = net.member(ODILE, "Odile R")
    net.item(other, "offer", "Espagnol")
    assert net.intro("MR-2")["offer"] == "O-2" and net.intro("MR-2")["demand"] == "D-1"


def test_a_member_answering_with_a_leaked_token_changes_nothing(net):
    pair(net)
    leaked = net.token(A1, "question:approve")
    assert net.send(LINA, f"RE: [{leaked}] MR-1", "OUI") == "refused: wrong address"
    assert net.intro()["status"] == "proposed"
    forwarded = net.mails("refused_reply")
    assert forwarded and sorted(forwarded[0].recipients) == sorted(ANIMATORS)


@pytest.mark.parametrize("results,outcome", [
    (None, "refused: not authenticated"),
    ("mx.test; dkim=fail header.d=example.org", "refused: not authenticated"),
    ("mx.test; dkim=pass header.d=forger.example", "refused: not authenticated"),
    ("mx.forger.example; dkim=pass header.d=example.org", "refused: not authenticated"),
    ("mx.test; dkim=pass header.d=example.org", "MR-1 approved by an animator: consent asked"),
    ("mx.test; spf=fail; dmarc=pass header.from=example.org", "MR-1 approved by an animator: consent asked"),
])
def test_with_an_authserv_id_an_approval_needs_dkim_or_dmarc_pass(tmp_path, results, outcome):
    net = Net(tmp_path / "robot", network='authserv_id = "mx.test"')
    pair(net)
    headers = {"Authentication-Results": results} if results else None
    assert net.answer(A1, "question:approve", "OUI", headers=headers) == outcome
    assert net.intro()["status"] == ("consent" if outcome.startswith("MR-1") else "proposed")
    if not outcome.startswith("MR-1"):
        assert "DKIM/DMARC" in net.mails("refused_reply")[-1].text


def test_an_unclear_approval_gets_one_clarification(net):
    pair(net)
    assert net.answer(A1, "question:approve", "je ne sais pas encore") == "unclear: clarification asked"
    again = net.mails("question:approve", to=A1)[-1]
    assert "pas bien compris" in again.text and "MR-1" in again.text
    assert net.answer(A1, "question:approve", "OUI").startswith("MR-1 approved")


# --- consent and introduction ----------------------------------------------------------


def test_both_yes_gives_each_the_other_s_name_and_chosen_contact(tmp_path):
    net = Net(tmp_path / "robot", network="copy_animators_on_introductions = true")
    approved(net)
    consent = net.mails("question:consent", to=LINA)[0]
    assert "Paco propose un savoir" in consent.text and "Cours d'espagnol" in consent.text
    assert "votre adresse e-mail : lina.petit@example.org" in consent.text
    assert "Dire NON n'a aucune conséquence" in consent.text
    assert net.answer(LINA, "question:consent", "oui") == "MR-1 consent demand: yes, waiting for the other"
    assert "nous attendons maintenant la réponse" in net.mails("introduction_ack", to=LINA)[0].text.lower()
    assert net.answer(PACO, "question:consent", "Oui\nContact : téléphone") == "MR-1 introduced"
    assert not net.mails("introduction_ack", to=LINA), "« we wait for the other » unsent, then pointless: dropped"
    to_lina, to_paco = net.mails("introduction", to=LINA)[-1], net.mails("introduction", to=PACO)[-1]
    assert to_lina.purpose == "introduction"
    assert "Paco Ruiz" in to_lina.text and "06 11 22 33 44" in to_lina.text and PACO not in to_lina.text
    assert "Lina Petit" in to_paco.text and LINA in to_paco.text and "06 99 88 77 66" not in to_paco.text
    assert sorted(to_lina.recipients) == sorted([LINA, *ANIMATORS]), "animators copied"
    intro = net.intro()
    assert intro["status"] == "introduced" and intro["contacts"] == {"offer": "phone", "demand": "email"}


def test_an_acknowledgment_already_sent_stays_sent(net):
    approved(net)
    net.answer(LINA, "question:consent", "oui")
    (ack,) = [m for m in net.store.outbox.all() if m["purpose"] == "introduction_ack"]
    with net.store.transaction():
        net.store.outbox.update(ack["id"], status="sent")
    assert net.answer(PACO, "question:consent", "oui") == "MR-1 introduced"
    assert net.store.outbox.get(ack["id"])["status"] == "sent"


def test_the_permanence_contact_gives_the_next_permanence(net):
    approved(net, lina_contact="permanence")
    net.answer(LINA, "question:consent", "oui")
    net.answer(PACO, "question:consent", "oui")
    to_paco = net.mails("introduction", to=PACO)[-1].text
    # Monday 23 November 2026 10:00 in Paris: today's permanence has begun, the next is a week on.
    assert "Lina préfère vous rencontrer à la permanence" in to_paco
    assert "lundi 30 novembre 2026 à 9 h" in to_paco and "vous présenter l'un à l'autre" in to_paco
    assert LINA not in to_paco and "06 99 88 77 66" not in to_paco


def no_phone_pair(net: Net, *, lina_contact: str = "email") -> None:
    """Paco offers, Lina asks; Lina has no phone number recorded."""
    paco = net.member(PACO, "Paco Ruiz", phone="+33611223344")
    lina = net.member(LINA, "Lina Petit", contact=lina_contact)
    net.item(paco, "offer", "Cours d'espagnol")
    net.item(lina, "demand", "Apprendre l'espagnol")
    assert net.answer(A1, "question:approve", "OUI").startswith("MR-1 approved")


def test_a_contact_asked_for_that_cannot_be_given_becomes_the_permanence_never_the_address(net):
    no_phone_pair(net)
    net.answer(PACO, "question:consent", "oui")
    # A mail cannot change a confirmed member's phone: the number written here is not recorded.
    assert net.answer(LINA, "question:consent", "OUI\nContact : téléphone\nTél : 06 12 34 56 78") == "MR-1 introduced"
    assert net.intro()["contacts"]["demand"] == "permanence"
    to_paco = net.mails("introduction", to=PACO)[-1]
    assert LINA not in to_paco.everything() and "06 12 34 56 78" not in to_paco.everything()
    assert "Lina préfère vous rencontrer à la permanence" in to_paco.text
    to_lina = " ".join(net.mails("introduction", to=LINA)[-1].text.split())
    assert "cette personne sait qu'elle vous rencontrera à la permanence" in to_lina
    assert "demandé à être contacté(e) par téléphone" in to_lina and "aucune coordonnée" in to_lina
    told = net.mails("contact_unavailable")
    assert len(told) == 1 and sorted(told[0].recipients) == sorted(ANIMATORS)
    assert "MR-1" in told[0].text and "pas de numéro de téléphone" in " ".join(told[0].text.split())


def test_the_first_to_ask_for_a_contact_it_has_not_is_told_in_the_acknowledgment(net):
    no_phone_pair(net)
    assert net.answer(LINA, "question:consent", "Oui\nContact : téléphone") == \
        "MR-1 consent demand: yes, waiting for the other"
    ack = " ".join(net.mails("introduction_ack", to=LINA)[-1].text.split())
    assert "demandé à être contacté(e) par téléphone" in ack and "à la permanence" in ack
    assert net.mails("contact_unavailable")
    net.answer(PACO, "question:consent", "oui")
    assert LINA not in net.mails("introduction", to=PACO)[-1].everything()


def test_a_stored_preference_that_cannot_be_given_is_never_replaced_by_the_address(net):
    no_phone_pair(net, lina_contact="phone")
    consent = " ".join(net.mails("question:consent", to=LINA)[-1].text.split())
    assert LINA not in consent and "aucune coordonnée" in consent
    assert "choisi d'être contacté(e) par téléphone" in consent
    net.answer(PACO, "question:consent", "oui")
    assert net.answer(LINA, "question:consent", "oui") == "MR-1 introduced"
    assert net.intro()["contacts"]["demand"] == "permanence"
    assert LINA not in net.mails("introduction", to=PACO)[-1].everything()
    assert "pas de numéro de téléphone" in " ".join(net.mails("contact_unavailable")[-1].text.split())


def test_a_member_without_address_who_asks_for_email_does_not_get_their_phone_given(net):
    paco = net.member(None, "Paco Ruiz", phone="+33611223344", contact="phone")
    lina = net.member(LINA, "Lina Petit", phone="+33699887766")
    net.item(paco, "offer", "Espagnol")
    net.item(lina, "demand", "Espagnol")
    net.answer(A1, "question:approve", "OUI")
    net.answer(LINA, "question:consent", "oui")
    proxy = [m for m in net.mails("question:consent") if A1 in m.recipients][-1]
    assert net.send(A1, f"RE: [{proxy.token}] M-1", "POUR M-1 : OUI\nContact : e-mail") == "MR-1 introduced"
    assert net.intro()["contacts"]["offer"] == "permanence"
    to_lina = net.mails("introduction", to=LINA)[-1].text
    assert "Paco préfère vous rencontrer à la permanence" in to_lina and "06 11 22 33 44" not in to_lina


def test_a_permanence_introduction_goes_to_the_animators_whatever_the_configuration(net):
    assert not net.settings.network.copy_animators_on_introductions
    introduced(net, lina_contact="permanence")
    for member in (PACO, LINA):
        mail = net.mails("introduction", to=member)[-1]
        assert sorted(mail.recipients) == sorted([member, *ANIMATORS])
        assert "L'équipe d'animation reçoit une copie de ce message" in mail.text


def test_without_the_permanence_the_animators_are_copied_only_when_configured(net):
    introduced(net)
    assert net.mails("introduction", to=LINA)[-1].recipients == [LINA]


def test_the_eve_of_the_permanence_the_animators_list_the_pairs_to_present(net):
    from workflows.shell.publish import publish_calendar
    from workflows.shell.jobs import reminders_job

    introduced(net, lina_contact="permanence")  # Monday 23 November, during the permanence
    odile = net.member(ODILE, "Odile R")
    marc = net.member("marc@example.org", "Marc Vidal")
    net.item(odile, "offer", "Tricot")
    net.item(marc, "demand", "Apprendre le tricot")
    net.answer(A1, "question:approve", "OUI")
    net.answer(ODILE, "question:consent", "oui")
    net.answer("marc@example.org", "question:consent", "oui")
    assert net.intro("MR-2")["status"] == "introduced", "by e-mail: not on the list"
    publish_calendar(net.settings, net.store, net.now)
    reminders_job(net.settings, net.store, datetime(2026, 11, 29, 17, 30, tzinfo=timezone.utc))
    (listed,) = net.mails("event_attendees")
    assert sorted(listed.recipients) == sorted(ANIMATORS)
    text = " ".join(listed.text.split())
    assert "À présenter l'un à l'autre demain" in text
    assert "MR-1 : Paco (M-1), qui propose « Cours d'espagnol », et Lina (M-2), qui le demande" in text
    assert "MR-2" not in text and LINA not in listed.everything() and PACO not in listed.everything()
    reminders_job(net.settings, net.store, datetime(2026, 12, 6, 17, 30, tzinfo=timezone.utc))
    assert "MR-1" not in net.mails("event_attendees")[-1].text, "the promise was for one day"


def test_a_cancelled_permanence_puts_the_pair_on_the_next_one_s_list(net):
    from workflows.shell.publish import publish_calendar
    from workflows.shell.jobs import reminders_job

    introduced(net, lina_contact="permanence")
    publish_calendar(net.settings, net.store, net.now)
    assert net.send(A1, "PERMANENCE ANNULÉE 2026-11-30", "") == "event_command cancel_permanence: done"
    reminders_job(net.settings, net.store, datetime(2026, 11, 29, 17, 30, tzinfo=timezone.utc))
    assert not net.mails("event_attendees"), "no permanence on the 30th"
    reminders_job(net.settings, net.store, datetime(2026, 12, 6, 17, 30, tzinfo=timezone.utc))
    assert "MR-1 : Paco (M-1)" in net.mails("event_attendees")[-1].text


def test_one_no_tells_both_the_same_thing_never_who(net):
    approved(net)
    net.answer(PACO, "question:consent", "oui")
    assert net.answer(LINA, "question:consent", "non merci") == "MR-1 declined"
    assert net.intro()["status"] == "declined"
    told = {m.recipients[0]: m for m in net.mails("introduction_cancelled")}
    assert set(told) == {PACO, LINA}
    for mail in told.values():
        assert "n'aura pas lieu" in mail.text and "Lina" not in mail.text and "Paco" not in mail.text
        assert "refus" not in mail.text.lower()
    assert not [m for m in net.mails("introduction") if m.purpose == "introduction"]


HOSTILE = [
    # (name, title, availability): a display name that is an address, numbers in titles…
    ("lina.petit@example.org", "Espagnol, appelez-moi au 06 99 88 77 66", "le soir : lina.petit@example.org"),
    ("Lina 0699887766", "Espagnol (+33 6 99 88 77 66)", "06.99.88.77.66"),
]


@pytest.mark.parametrize("name,title,availability", HOSTILE)
def test_before_both_consents_no_member_mail_holds_the_other_s_address_or_phone(tmp_path, name, title, availability):
    net = Net(tmp_path / "robot")
    paco = net.member(PACO, "Paco Ruiz", phone="+33611223344")
    lina = net.member(LINA, name, phone="+33699887766")
    net.item(paco, "offer", "Cours d'espagnol")
    net.item(lina, "demand", title, availability=availability)
    net.answer(A1, "question:approve", "OUI")
    net.answer(PACO, "question:consent", "oui")
    net.later(8)  # reminders
    net.answer(LINA, "question:consent", "non")
    to_paco = [m.everything() for m in net.mails(to=PACO)]
    assert to_paco
    for text in to_paco:
        assert "lina.petit" not in text and "99 88 77 66" not in text and "699887766" not in text
        assert "99.88.77.66" not in text


def test_the_contact_disclosure_refuses_without_both_consents():
    from workflows.model.privacy import PrivacyError, disclose

    with pytest.raises(PrivacyError):
        disclose({"ref": "MR-1", "consents": {"offer": "yes", "demand": None}}, "offer", {"address": "x@y.org"}, None)


# --- follow-ups --------------------------------------------------------------------------


def test_reminders_once_then_expiry_then_the_items_are_free_again(net):
    pair(net)
    assert net.later(6.9).reminders == []
    report = net.later(0.2)
    assert sorted(report.reminders) == ["MR-1:anim.one@example.org", "MR-1:anim.two@example.org"]
    assert "Rappel" in net.mails("question:approve", to=A1)[-1].subject
    assert followups_job(net.settings, net.store, net.now).reminders == [], "idempotent"
    assert net.later(7).reminders == [], "one reminder only"
    assert net.later(7).expired == ["MR-1"]
    assert net.intro()["status"] == "expired"
    assert not net.mails(to=PACO) and not net.mails(to=LINA), "proposal phase: members never knew"
    assert net.answer(A1, "question:approve", "OUI") == "refused: expired"  # its time had passed: said so


def test_in_the_consent_phase_the_silent_member_is_reminded_and_both_told_at_expiry(net):
    approved(net)
    net.answer(LINA, "question:consent", "oui")
    report = net.later(7)
    assert report.reminders == ["MR-1:offer"]
    assert "rappel" in net.mails("question:consent", to=PACO)[-1].text.lower()
    assert net.answer(PACO, "question:consent", "oui") == "MR-1 introduced", "the reminder's token works"
    assert net.later(30).expired == []


def test_consent_expiry_tells_both(net):
    approved(net)
    net.answer(LINA, "question:consent", "oui")
    assert net.later(21).expired == ["MR-1"]
    assert sorted(m.recipients[0] for m in net.mails("introduction_cancelled")) == [LINA, PACO]


def test_bilan_questions_after_bilan_days_and_answers_recorded(net):
    introduced(net)
    assert net.later(20.9).bilans == []
    assert net.later(0.1).bilans == ["MR-1"]
    asked = net.mails("question:bilan")
    assert sorted(m.recipients[0] for m in asked) == [LINA, PACO]
    assert "Échange réalisé : oui / non / en cours" in asked[0].text and "Freins" in asked[0].text
    assert net.answer(LINA, "question:bilan", "Échange réalisé : oui\nIntérêt : j'ose parler\n"
                      "Éléments facilitants : la patience de Paco\n") == "MR-1 bilan demand: yes"
    assert net.answer(PACO, "question:bilan", "C'était très bien, nous continuons le mardi.") == \
        "MR-1 bilan offer: ongoing"
    intro = net.intro()
    assert intro["status"] == "completed"
    assert intro["bilans"]["demand"]["interest"] == "j'ose parler"
    assert intro["bilans"]["demand"]["facilitators"] == "la patience de Paco"
    assert intro["bilans"]["offer"]["text"] == "C'était très bien, nous continuons le mardi."
    assert followups_job(net.settings, net.store, net.now).bilans == []


def test_an_exchange_that_did_not_happen_is_told_and_the_demand_matched_again(net):
    introduced(net)
    net.later(21)
    net.member(ODILE, "Odile R")
    odile = net.store.members.find_one("address", ODILE)
    net.item(odile, "offer", "Conversation en espagnol")
    assert net.store.introductions.count() == 1, "the demand is served while the exchange may happen"
    assert net.answer(LINA, "question:bilan", "Échange réalisé : non\nFreins : nos horaires\n") == "MR-1 bilan demand: no"
    told = net.mails("introduction_not_happened")
    assert sorted(told[0].recipients) == sorted(ANIMATORS) and "nos horaires" in told[0].text
    again = net.intro("MR-2")
    assert (again["offer"], again["demand"]) == ("O-2", "D-1")
    assert net.later(30).completed == ["MR-1"], "the silent side's question expired"


@pytest.mark.parametrize("words", ["Finalement on ne s'est pas vus.", "L'échange n'a pas eu lieu",
                                   "Bonjour, on n'a pas pu se voir, nos horaires ne collaient pas.",
                                   "Elle n'a jamais répondu à mes messages."])
def test_a_free_text_bilan_saying_it_did_not_happen_is_told_and_the_demand_matched_again(net, words):
    introduced(net)
    net.later(21)
    odile = net.member(ODILE, "Odile R")
    net.item(odile, "offer", "Conversation en espagnol")
    assert net.answer(LINA, "question:bilan", words) == "MR-1 bilan demand: no"
    assert net.intro()["bilans"]["demand"]["happened"] == "no" and net.intro()["not_happened"]
    told = net.mails("introduction_not_happened")
    assert len(told) == 1 and sorted(told[0].recipients) == sorted(ANIMATORS)
    again = net.intro("MR-2")
    assert (again["offer"], again["demand"]) == ("O-2", "D-1")


def test_a_free_text_bilan_that_says_nothing_clear_is_kept_as_text(net):
    introduced(net)
    net.later(21)
    assert net.answer(LINA, "question:bilan", "Merci de prendre des nouvelles !") == "MR-1 bilan demand: free text"
    assert net.intro()["bilans"]["demand"]["happened"] is None and not net.mails("introduction_not_happened")


# --- the animators' command ----------------------------------------------------------------


def test_mise_en_relation_creates_an_approved_proposal(net):
    paco = net.member(PACO, "Paco Ruiz")
    lina = net.member(LINA, "Lina Petit")
    net.item(paco, "offer", "Guitare", opened=False)
    net.item(lina, "demand", "Cuisine", opened=False)
    assert net.send(A1, "MISE EN RELATION O-1 D-1", "") == "MR-1 created by command"
    intro = net.intro()
    assert intro["status"] == "consent" and intro["source"] == "command" and intro["decided_by"] == A1
    assert sorted(m.recipients[0] for m in net.mails("question:consent")) == [LINA, PACO]
    answer = net.mails("introduction_command")[-1]
    assert answer.recipients == [A1] and "MR-1 créée" in answer.subject
    assert net.send(A1, "MISE EN RELATION O-1 D-1", "") == "refused: in progress"
    assert net.send(A1, "MISE EN RELATION O-1 D-9", "") == "refused: missing"
    same = net.item(paco, "demand", "Couture", opened=False)
    assert net.send(A1, f"MISE EN RELATION O-1 {same['ref']}", "") == "refused: same member"
    assert "même membre" in net.mails("introduction_command")[-1].text


def test_the_command_needs_an_authenticated_animator(tmp_path):
    net = Net(tmp_path / "robot", network='authserv_id = "mx.test"')
    pair(net)
    net.answer(A1, "question:approve", "NON", headers={
        "Authentication-Results": "mx.test; dkim=pass header.d=example.org"})
    assert net.send(A1, "MISE EN RELATION O-1 D-1", "") == "refused: not authenticated"
    assert net.store.introductions.count() == 1


# --- erasure, full re-match, members without an address ------------------------------------


def test_forgetting_a_member_closes_tells_the_other_and_keeps_no_trace(net):
    introduced(net)
    net.later(21)
    net.answer(LINA, "question:bilan", "Échange réalisé : oui\nIntérêt : Paco m'a beaucoup appris")
    net.step(introductions.forget_member, "M-2")
    intro = net.intro()
    assert intro["demand_member"] is None and intro["status"] == "completed"
    assert intro["bilans"]["demand"] == {"happened": "yes", "at": intro["bilans"]["demand"]["at"]}


def test_forgetting_a_member_during_consent_tells_only_the_other(net):
    approved(net)
    net.step(introductions.forget_member, "M-1")
    assert net.intro()["status"] == "cancelled" and net.intro()["offer_member"] is None
    assert [m.recipients for m in net.mails("introduction_cancelled")] == [[LINA]]
    assert net.answer(LINA, "question:consent", "oui") == "refused: cancelled"


def test_the_other_party_is_never_offered_another_item_of_the_leaving_member(net):
    approved(net)
    paco = net.store.members.find_one("address", PACO)
    net.item(paco, "offer", "Conversation en espagnol", opened=False)
    net.step(introductions.forget_member, "M-1")
    assert net.store.introductions.count() == 1
    odile = net.member(ODILE, "Odile R")
    net.item(odile, "offer", "Espagnol")
    assert (net.intro("MR-2")["offer"], net.intro("MR-2")["demand"]) == ("O-3", "D-1")


def test_full_rematch_proposes_one_pair_per_item_and_dry_run_writes_nothing(net):
    members = [net.member(f"m{n}@example.org", f"Membre {n}") for n in range(4)]
    net.item(members[0], "offer", "Espagnol", opened=False)
    net.item(members[1], "offer", "Cours d'espagnol", opened=False)
    net.item(members[2], "demand", "Apprendre l'espagnol", opened=False)
    net.item(members[3], "demand", "Espagnol", opened=False)
    net.item(members[3], "demand", "Guitare", opened=False)
    dry = introductions.rematch(net.ctx(), dry_run=True)
    assert [(p.offer, p.demand, p.ref) for p in dry] == [("O-1", "D-1", None), ("O-2", "D-2", None)]
    assert net.store.introductions.count() == 0 and not net.mails()
    done = net.step(introductions.rematch)
    assert [p.ref for p in done] == ["MR-1", "MR-2"]
    assert net.step(introductions.rematch) == []


def test_a_closed_or_erased_item_is_never_proposed(net):
    paco = net.member(PACO, "Paco Ruiz")
    lina = net.member(LINA, "Lina Petit")
    offer = net.item(paco, "offer", "Espagnol", opened=False)
    introductions.rematch(net.ctx(), dry_run=True)  # the index now knows O-1
    with net.store.transaction():
        net.store.items.update(offer["id"], status="closed")
    net.item(lina, "demand", "Espagnol")
    assert net.store.introductions.count() == 0


def test_a_member_without_address_answers_through_the_animators(net):
    paco = net.member(None, "Paco Ruiz", phone="+33611223344", contact="phone")
    lina = net.member(LINA, "Lina Petit")
    net.item(paco, "offer", "Espagnol")
    net.item(lina, "demand", "Espagnol")
    net.answer(A1, "question:approve", "OUI")
    proxies = [m for m in net.mails("question:consent") if A1 in m.recipients or A2 in m.recipients]
    assert len(proxies) == 2 and "POUR M-1" in proxies[0].text
    net.answer(LINA, "question:consent", "oui")
    assert net.send(A2, f"RE: [{proxies[1].token}] M-1", "POUR M-1 : OUI") == "MR-1 introduced"
    to_lina = net.mails("introduction", to=LINA)[-1].text
    assert "06 11 22 33 44" in to_lina
    for_paco = [m for m in net.mails("introduction") if A1 in m.recipients and m.purpose == "introduction"]
    assert for_paco and "M-1" in for_paco[0].text and LINA in for_paco[0].text


def test_each_introduction_consent_is_kept_in_the_consent_records(net):
    from workflows.lookup import consent_in_force

    approved(net)
    net.answer(LINA, "question:consent", "oui")
    net.answer(PACO, "question:consent", "non merci")
    records = {(c["member"], c["given"]) for c in net.store.consents.all() if c["purpose"] == "introduction"}
    lina = net.store.members.find_one("address", LINA)["ref"]
    paco = net.store.members.find_one("address", PACO)["ref"]
    assert records == {(lina, True), (paco, False)}
    current = consent_in_force(net.ctx(), lina, "introduction", "MR-1")
    assert current["how"] == "mail" and current["message_id"]


def test_withdrawing_an_item_cancels_its_introduction_in_progress(net):
    approved(net)
    net.answer(LINA, "question:consent", "oui")
    assert net.send(PACO, "RETRAIT O-1", "Je n'ai plus le temps.").startswith("withdraw_item O-1")
    assert net.answer(PACO, "question:withdraw_item", "OUI") == "withdraw_item O-1: closed"
    intro = net.intro()
    assert (intro["status"], intro["close_reason"]) == ("cancelled", "item withdrawn")
    told = net.mails("introduction_cancelled", to=LINA)
    assert len(told) == 1 and "Paco" not in told[0].text, "the other is told it will not go ahead, not why"
    assert net.store.questions.count("status", "open") == 0 or all(
        q["subject_ref"] != "MR-1" for q in net.store.questions.find("status", "open"))


def test_forgetting_a_member_leaves_no_word_of_their_titles_in_the_introduction(net):
    paco = net.member(PACO, "Gérard Duval")
    lina = net.member(LINA, "Lina Petit")
    net.item(paco, "offer", "Guitare avec Gérard Duval")
    net.item(lina, "demand", "Apprendre la guitare")
    assert net.intro()["why"]
    from workflows.steps.erasure import erase_member

    net.step(erase_member, net.store.members.find_one("address", PACO), reason="forgotten", by="animator",
                     animator="Claire")
    raw = net.store.path.read_bytes().decode("utf-8").lower()
    assert "gerard" not in raw and "duval" not in raw and "gérard" not in raw


# --- changing one's mind: a consent is withdrawn as easily as it was given ---------------------


def test_a_non_after_an_oui_withdraws_the_consent_while_the_other_has_not_answered(net):
    from workflows.lookup import consent_in_force

    approved(net)
    assert net.answer(LINA, "question:consent", "oui") == "MR-1 consent demand: yes, waiting for the other"
    assert net.answer(LINA, "question:consent", "Finalement non, désolée") == "MR-1 declined: consent withdrawn"
    intro = net.intro()
    assert (intro["status"], intro["close_reason"], intro["consents"]["demand"]) == ("declined", "declined", "no")
    lina = net.store.members.find_one("address", LINA)["ref"]
    assert consent_in_force(net.ctx(), lina, "introduction", "MR-1")["given"] is False, "the yes is superseded"
    for who in (LINA, PACO):
        (told,) = net.mails("introduction_cancelled", to=who)
        assert "Lina" not in told.text and "Paco" not in told.text, "never who declined"
    assert not [m for m in net.mails(to=PACO) if m.purpose == "introduction"], "no contact left"
    assert net.store.questions.count("status", "open") == 0 or all(
        q["subject_ref"] != "MR-1" for q in net.store.questions.find("status", "open"))
    # Paco's answer now comes too late: his question was closed with the introduction.
    assert net.answer(PACO, "question:consent", "oui").startswith("refused")


def test_a_non_in_reply_to_the_we_wait_for_the_other_note_withdraws_too(net):
    approved(net)
    question = str(net.mails("question:consent", to=LINA)[-1].message["Message-ID"])
    net.answer(LINA, "question:consent", "oui", headers={"In-Reply-To": question, "References": question})
    (ack,) = [m for m in net.mails(to=LINA) if m.purpose == "introduction_ack"]
    ids = str(ack.message["References"]).split() + [str(ack.message["Message-ID"])]
    outcome = net.send(LINA, f"Re: {ack.subject}", "Finalement non, je ne suis plus disponible.",
                       headers={"In-Reply-To": ids[-1], "References": " ".join(ids)})
    assert outcome == "MR-1 declined: consent withdrawn", "the note joined the question's thread"


def test_a_non_to_the_note_withdraws_whatever_the_mail_clients_kept(net):
    approved(net)
    net.answer(LINA, "question:consent", "oui")  # the token in the subject only, no thread headers
    (ack,) = [m for m in net.mails(to=LINA) if m.purpose == "introduction_ack"]
    question = net.mails("question:consent", to=LINA)[-1]
    assert ack.token == question.token, "the note carries the question's token in its subject"
    assert str(question.message["Message-ID"]) in str(ack.message["References"]), "and joins its thread"
    assert net.send(LINA, f"Re: {ack.subject}", "non finalement") == "MR-1 declined: consent withdrawn"


def test_an_oui_then_a_non_in_one_cycle_sends_no_we_wait_note(net):
    approved(net)
    net.answer(LINA, "question:consent", "oui")
    assert net.answer(LINA, "question:consent", "non") == "MR-1 declined: consent withdrawn"
    assert not [m for m in net.mails(to=LINA) if m.purpose == "introduction_ack"], "dropped before it left"


def test_once_introduced_a_non_changes_nothing_and_goes_to_the_animators(net):
    introduced(net)
    before = net.intro()
    assert net.answer(LINA, "question:consent", "non") == "refused: MR-1 already introduced"
    assert net.intro() == before
    (closed,) = net.mails("question_closed", to=LINA)
    assert "La mise en relation a déjà été faite" in closed.text, "she is told why it is too late"
    (told,) = [m for m in net.mails("refused_reply") if ANIMATORS[0] in m.recipients]
    assert "MR-1" in told.text and "parlez-en avec les deux personnes" in " ".join(told.text.split())


def test_a_non_after_an_oui_from_another_address_or_to_a_non_changes_nothing(net):
    approved(net)
    net.answer(LINA, "question:consent", "oui")
    token = net.token(LINA, "question:consent")
    assert net.send("intrus@example.net", f"RE: [{token}] la question", "non") == "refused: wrong address", \
        "the animators see who answered, not a late answer"
    assert net.intro()["status"] == "consent"
    net.answer(PACO, "question:consent", "non")
    assert net.answer(PACO, "question:consent", "non") == "refused: already answered", "a NON stays a NON"
    assert net.answer(LINA, "question:consent", "oui") == "refused: already answered"
