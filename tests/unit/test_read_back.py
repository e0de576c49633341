"""What people read back (issue 15, « What people read back »): the words of the robot's
mails as a member, a newcomer or an animator reads them — negations whole, elisions made,
names written one way, dates that can be used, nothing a person wrote lost on the way to
a human."""
from __future__ import annotations

import html

import pytest

from intro_support import ANIMATORS, Net

PACO, LINA = "paco.ruiz@example.net", "lina.petit@example.org"
A1 = ANIMATORS[0]


@pytest.fixture
def net(tmp_path) -> Net:
    return Net(tmp_path / "robot")


def flat(text: str) -> str:
    return " ".join(text.split())


def html_of(mail) -> str:
    """The HTML part as a reader sees its words: entities read, no-break spaces as spaces."""
    return flat(html.unescape(mail.message.get_body(("html",)).get_content()).replace("\xa0", " "))


# --- 1. « ne » in every negation ------------------------------------------------------------


def test_a_member_met_at_the_permanence_reads_a_whole_negation(net):
    paco = net.member(PACO, "Paco Ruiz")
    jeanne = net.member(None, "Jeanne Roux", contact="permanence")
    net.item(paco, "offer", "couture et retouches")
    net.item(jeanne, "demand", "couture")
    net.answer(A1, "question:approve", "OUI")
    relayed = net.mails("question:consent", to=A1)[-1]
    for words in (flat(relayed.text), html_of(relayed)):
        assert "nous ne lui donnerons aucune coordonnée" in words
        assert "nous lui donnerons aucune" not in words


def test_a_member_who_shares_an_address_is_told_which_one(net):
    paco = net.member(PACO, "Paco Ruiz")
    lina = net.member(LINA, "Lina Petit")
    net.item(paco, "offer", "couture et retouches")
    net.item(lina, "demand", "couture")
    net.answer(A1, "question:approve", "OUI")
    consent = net.mails("question:consent", to=LINA)[-1]
    assert f"- nous lui donnerons votre adresse e-mail : {LINA}" in consent.text


# --- 2. a relayed bilan question says how to pass the bilan on ------------------------------


def introduced_with_jeanne(net) -> dict:
    """Paco (by mail) and Jeanne (no e-mail, met at the permanence) introduced."""
    paco = net.member(PACO, "Paco Ruiz")
    jeanne = net.member(None, "Jeanne Roux", contact="permanence")
    net.item(paco, "offer", "couture et retouches")
    net.item(jeanne, "demand", "couture")
    net.answer(A1, "question:approve", "OUI")
    net.answer(PACO, "question:consent", "OUI")
    assert net.answer(A1, "question:consent", f"POUR {jeanne['ref']} : OUI") == "MR-1 introduced"
    return jeanne


def test_the_relayed_bilan_question_asks_for_the_bilan_not_for_yes_or_no(net):
    jeanne = introduced_with_jeanne(net)
    net.later(21)
    relayed = net.mails("question:bilan", to=A1)[-1]
    text, html = flat(relayed.text), html_of(relayed)
    for words in (text, html):
        assert f"POUR {jeanne['ref']} : OUI" not in words and f"POUR {jeanne['ref']} : NON" not in words
        assert "Pas besoin de répondre OUI ou NON" in words
        for field in ("Échange réalisé : oui / non / en cours", "Intérêt :", "Freins :", "Éléments facilitants :"):
            assert field in words, field
    assert f"répondez à ce message avec son bilan, sous une ligne « POUR {jeanne['ref']} : »" in text


def test_a_bilan_passed_on_as_the_relayed_question_says_is_recorded_field_by_field(net):
    jeanne = introduced_with_jeanne(net)
    net.later(21)
    outcome = net.answer(A1, "question:bilan", f"POUR {jeanne['ref']} :\nÉchange réalisé : oui\n"
                         "Intérêt : elle fait ses ourlets seule\nFreins : le bus du lundi\n"
                         "Éléments facilitants : la permanence")
    assert outcome == "MR-1 bilan demand: yes"
    bilan = net.intro()["bilans"]["demand"]
    assert (bilan["happened"], bilan["interest"], bilan["obstacles"], bilan["facilitators"]) == (
        "yes", "elle fait ses ourlets seule", "le bus du lundi", "la permanence")
    assert not bilan["text"].startswith("POUR")


def test_a_bilan_passed_on_in_free_words_is_kept_without_the_animators_line(net):
    jeanne = introduced_with_jeanne(net)
    net.later(21)
    net.answer(A1, "question:bilan", f"POUR {jeanne['ref']} : Elle a appris les ourlets, elle est contente.")
    assert net.intro()["bilans"]["demand"]["text"] == "Elle a appris les ourlets, elle est contente."


# --- 3. the permanence where two members meet: far enough ahead, said plainly ---------------

from datetime import datetime, timezone  # noqa: E402


def introduced_at(net, when: datetime, *, lina_contact: str = "permanence") -> None:
    """Paco (e-mail) and Lina (meeting at the permanence) both say yes at ``when``."""
    paco = net.member(PACO, "Paco Ruiz")
    lina = net.member(LINA, "Lina Petit", contact=lina_contact)
    net.item(paco, "offer", "Cours d'espagnol")
    net.item(lina, "demand", "Apprendre l'espagnol")
    net.answer(A1, "question:approve", "OUI")
    net.answer(PACO, "question:consent", "oui")
    net.now = when
    assert net.answer(LINA, "question:consent", "oui") == "MR-1 introduced"


def test_an_introduction_made_in_the_night_is_not_for_the_same_morning(net):
    # Monday 30 November 2026, 1 h 27 in Paris; the permanence is on Mondays at 9 h.
    introduced_at(net, datetime(2026, 11, 30, 0, 27, tzinfo=timezone.utc))
    to_paco = flat(net.mails("introduction", to=PACO)[-1].text)
    assert "Rendez-vous à la permanence du lundi 7 décembre 2026 à 9 h" in to_paco
    assert "30 novembre" not in to_paco and "La prochaine" not in to_paco
    to_lina = flat(net.mails("introduction", to=LINA)[-1].text)
    assert "vous rencontrera à la permanence du lundi 7 décembre 2026 à 9 h" in to_lina, "both read the date"
    html = html_of(net.mails("introduction", to=PACO)[-1])
    assert "rendez-vous à la permanence du lundi 7 décembre 2026 à 9 h" in html


@pytest.mark.parametrize("local_hour,day", [(16, "lundi 30 novembre"), (17, "lundi 7 décembre")])
def test_on_the_eve_the_permanence_counts_until_the_animators_list_goes_out(net, local_hour, day):
    # Sunday 29 November 2026 in Paris (UTC+1): the eve list goes out from 17 h.
    introduced_at(net, datetime(2026, 11, 29, local_hour - 1, 30, tzinfo=timezone.utc))
    assert f"permanence du {day} 2026 à 9 h" in flat(net.mails("introduction", to=PACO)[-1].text)


def test_the_eve_list_names_the_pair_on_the_date_their_mail_gave(net):
    from workflows.shell.jobs import reminders_job
    from workflows.shell.publish import publish_calendar

    introduced_at(net, datetime(2026, 11, 30, 0, 27, tzinfo=timezone.utc))
    publish_calendar(net.settings, net.store, net.now)
    reminders_job(net.settings, net.store, datetime(2026, 12, 6, 16, 30, tzinfo=timezone.utc))
    (listed,) = net.mails("event_attendees")
    assert "MR-1 : Paco (M-1)" in flat(listed.text) and "lundi 7 décembre" in listed.subject


# --- 4. one rule for names, accents kept -----------------------------------------------------


def test_names_typed_in_small_letters_or_capitals_are_written_alike_everywhere(net):
    aicha = net.member(LINA, "aïcha diallo", first_name=None)
    gerard = net.member(PACO, "GÉRARD DUVAL", first_name=None)
    net.item(gerard, "offer", "Couture")
    net.item(aicha, "demand", "Couture")
    net.answer(A1, "question:approve", "OUI")
    for address, written in ((LINA, "Aïcha Diallo"), (PACO, "Gérard Duval")):
        consent = net.mails("question:consent", to=address)[-1]
        assert consent.text.startswith(f"Bonjour {written},") and f"Bonjour {written}," in html_of(consent)
        assert consent.message["To"].addresses[0].display_name == written
    net.answer(PACO, "question:consent", "OUI")
    net.answer(LINA, "question:consent", "OUI")
    assert "Aïcha Diallo" in net.mails("introduction", to=PACO)[-1].text
    assert "Gérard Duval" in net.mails("introduction", to=LINA)[-1].text
    assert net.store.members.find_one("address", LINA)["name"] == "aïcha diallo", "stored as typed"


def test_a_first_name_given_as_such_is_the_greeting_in_every_mail(net):
    lina = net.member(LINA, "PETIT Lina", first_name="lina")
    paco = net.member(PACO, "Paco Ruiz")
    net.item(paco, "offer", "Couture")
    net.item(lina, "demand", "Couture")
    net.answer(A1, "question:approve", "OUI")
    assert net.mails("question:consent", to=LINA)[-1].text.startswith("Bonjour Lina,")


# --- 5. elisions before a quoted title or a name ----------------------------------------------

from workflows.mail.labels import elided  # noqa: E402


@pytest.mark.parametrize("word, following, written", [
    ("de", "Apprendre l'espagnol", "d'"),
    ("de", "« Échanges sur les échanges »", "d'"),
    ("de", "Cours d'espagnol", "de "),
    ("de", "histoire de l'art", "d'"),  # a mute h
    ("de", "hockey sur glace", "de "),  # an aspirated h
    ("de", "Haricots en conserve", "de "),
    ("de", "Yves", "d'"),
    ("de", "yoga doux", "de "),  # y before a vowel is a consonant
    ("de", "onze ans", "de "),
    ("de", "3D et impression", "de "),
    ("De", "Informatique", "D'"),
    ("le", "atelier", "l'"),
    ("la", "Informatique", "l'"),
    ("que", "Aïcha", "qu'"),
    ("de", "", "de "),
    ("de", None, "de "),
    ("avec", "Aïcha", "avec "),
])
def test_elision(word, following, written):
    assert elided(word, following) == written
    assert elided(word, following, "en") == f"{word} "


def test_the_bilan_and_its_acknowledgment_elide_before_a_title_with_a_vowel(net):
    paco = net.member(PACO, "Paco Ruiz")
    lina = net.member(LINA, "Lina Petit")
    net.item(paco, "offer", "Apprendre à coudre")
    net.item(lina, "demand", "Coudre")
    net.answer(A1, "question:approve", "OUI")
    net.answer(PACO, "question:consent", "OUI")
    net.answer(LINA, "question:consent", "OUI")
    net.later(21)
    bilan = net.mails("question:bilan", to=LINA)[-1]
    for words in (flat(bilan.text), html_of(bilan)):
        assert "autour d'« Apprendre à coudre »" in words and "autour de « Apprendre" not in words
    assert "autour de « Coudre »" in flat(net.mails("question:bilan", to=PACO)[-1].text)
    net.answer(LINA, "question:bilan", "Échange réalisé : oui")
    assert "l'échange autour d'« Apprendre à coudre »" in flat(net.mails("introduction_ack", to=LINA)[-1].text)


def test_the_dates_of_an_event_with_a_vowel_are_its_dates(tmp_path):
    from support import make_settings
    from workflows.mail.render import Renderer
    from workflows.shell.templating import example

    settings = make_settings(tmp_path)
    now = datetime(2026, 11, 23, 9, 0, tzinfo=timezone.utc)
    context = example("invitation", settings, now, "fr")
    context.update(change="extended", event={**context["event"], "title": "Échanges sur les échanges"})
    rendered = Renderer("fr").render("invitation", context)
    assert "Les dates d'« Échanges sur les échanges » sont maintenant publiées" in flat(rendered.text)
    assert "Les dates d&#39;«&nbsp;Échanges sur les échanges&nbsp;»" in rendered.html


# --- 6. the way to leave: for members only ---------------------------------------------------

NEWCOMER = "nouvelle@example.net"


def leave_offered(mail) -> bool:
    return ("List-Unsubscribe" in mail.message or "Pour quitter le réseau" in mail.text
            or "Pour quitter le réseau" in html_of(mail))


def test_a_newcomer_s_join_question_offers_no_way_to_leave(net):
    assert "confirmation asked" in net.send(NEWCOMER, "ADHÉSION", "Nom : Awa Nouvelle")
    (question,) = net.mails("question:join", to=NEWCOMER)
    assert not leave_offered(question), "not a member yet: nothing to leave"
    assert "Pour parler à une personne" in question.text, "how to reach a human stays"
    assert net.answer(NEWCOMER, "question:join", "OUI").startswith("join confirmed")
    welcome = net.mails("join_done", to=NEWCOMER)[-1]
    assert welcome.message["List-Unsubscribe"] == f"<mailto:{net.settings.network.address}?subject=RETRAIT>"
    assert "Pour quitter le réseau : écrivez « RETRAIT »" in flat(welcome.text)
    assert "Pour quitter le réseau : écrivez « RETRAIT »" in html_of(welcome)


def test_a_stranger_is_answered_without_a_way_to_leave_a_member_with_one(net):
    net.member(LINA, "Lina Petit")
    net.send(NEWCOMER, "AIDE", "")
    net.send(LINA, "AIDE", "")
    assert not leave_offered(net.mails("help", to=NEWCOMER)[-1])
    assert leave_offered(net.mails("help", to=LINA)[-1])


def test_a_join_declined_is_answered_without_a_way_to_leave(net):
    net.send(NEWCOMER, "ADHÉSION", "Nom : Awa Nouvelle")
    assert net.answer(NEWCOMER, "question:join", "NON").startswith("join declined")
    assert not leave_offered(net.mails("join_done", to=NEWCOMER)[-1])


def test_a_question_relayed_for_a_member_without_e_mail_still_tells_them_how_to_leave(net):
    paco = net.member(PACO, "Paco Ruiz")
    jeanne = net.member(None, "Jeanne Roux", contact="permanence")
    net.item(paco, "offer", "couture et retouches")
    net.item(jeanne, "demand", "couture")
    net.answer(A1, "question:approve", "OUI")
    relayed = net.mails("question:consent", to=A1)[-1]
    assert "List-Unsubscribe" not in relayed.message, "to the animators"
    assert "Pour quitter le réseau" in relayed.text, "the question is the member's own"


# --- 7. « Répondre » on a message handed to the animators reaches the person -----------------


def test_a_forwarded_message_is_answered_to_the_person_not_the_robot(net):
    assert net.send(NEWCOMER, "Une question", "Bonjour, la permanence est-elle ouverte pendant les vacances ?") \
        .startswith("forwarded")
    forwarded = net.mails("forward", to=A1)[-1]
    assert forwarded.message["Reply-To"].addresses[0].addr_spec == NEWCOMER
    assert forwarded.message["From"].addresses[0].addr_spec == net.settings.network.address
    assert f"utilisez « Répondre » : votre réponse ira à {NEWCOMER}, pas au robot" in flat(forwarded.text)
    assert f"votre réponse ira à {NEWCOMER}, pas au robot" in html_of(forwarded)


def test_a_web_form_s_message_is_answered_to_the_person_behind_the_form(net):
    net.send("no-reply@formulaire.example.org", "Contact", "Je voudrais des renseignements sur le réseau.",
             headers={"Reply-To": "Awa Nouvelle <awa@example.net>"})
    forwarded = net.mails("forward", to=A1)[-1]
    assert forwarded.message["Reply-To"].addresses[0].addr_spec == "awa@example.net"


@pytest.mark.parametrize("fields, expected", [
    ({"sender": "lina@example.org", "intent": "unknown"}, "lina@example.org"),
    ({"sender": None, "intent": "unknown"}, None),  # no readable address
    ({"sender": "mailer-daemon@mx.example.org", "intent": "bounce"}, None),  # a mail server: nobody reads it
    ({"sender": "rers.test@example.org", "intent": "unknown"}, None),  # the robot itself
    ({"sender": "lina@example.org", "intent": "auto_reply", "own_mail": True}, None),  # the robot's mail back
])
def test_who_gets_the_reply_of_a_forward(net, fields, expected):
    from workflows.mail.model import Parsed
    from workflows.steps.speaking import reply_to_person

    assert reply_to_person(net.ctx(), Parsed(message_id="<x@y>", subject="", text="", **fields)) == expected


# --- 8. the words written with an answer reach a human ---------------------------------------

from workflows.mail.answers import has_remarks  # noqa: E402


@pytest.mark.parametrize("text, remarks", [
    ("POUR M-14 : NON, elle n'a plus le temps", True),
    ("NON.\nElle déménage à Lyon.", True),
    ("Bonjour,\nOui, mais seulement le mardi.\nCordialement", True),
    ("POUR M-14 : NON", False),
    ("Non merci", False),
    ("Non, désolée", False),
    ("Oui avec plaisir !", False),
    ("Oui je confirme mon adhésion", False),
    ("OUI\nContact : téléphone", False),  # a field the robot reads
    ("je ne suis pas intéressée", False),
])
def test_what_a_reply_says_besides_its_answer(text, remarks):
    assert has_remarks(text) is remarks


def test_a_decline_s_reason_under_a_proxy_answer_reaches_the_animators(net):
    paco = net.member(PACO, "Paco Ruiz")
    jeanne = net.member(None, "Jeanne Roux", contact="permanence")
    net.item(paco, "offer", "couture et retouches")
    net.item(jeanne, "demand", "couture")
    net.answer(A1, "question:approve", "OUI")
    ref = jeanne["ref"]
    assert net.answer(A1, "question:consent", f"POUR {ref} : NON, elle n'a plus le temps en ce moment") \
        == "MR-1 declined"
    (told,) = net.mails("answer_remarks")
    assert sorted(told.recipients) == sorted(ANIMATORS)
    text = flat(told.text)
    assert f"Un animateur a répondu NON pour {ref}" in text and "(MR-1)" in text
    assert f"« POUR {ref} : NON, elle n'a plus le temps en ce moment »" in text
    cancelled = net.mails("introduction_cancelled", to=PACO)[-1]
    assert "plus le temps" not in cancelled.text, "the other member is told only that it will not go ahead"


def test_a_member_s_yes_with_a_condition_reaches_the_animators(net):
    paco = net.member(PACO, "Paco Ruiz")
    lina = net.member(LINA, "Lina Petit")
    net.item(paco, "offer", "Couture")
    net.item(lina, "demand", "Couture")
    net.answer(A1, "question:approve", "OUI")
    net.answer(LINA, "question:consent", "Oui, mais seulement le mardi après-midi.")
    (told,) = net.mails("answer_remarks")
    assert "Lina" not in told.subject
    assert "M-2 a répondu OUI" in flat(told.text) and "seulement le mardi après-midi" in flat(told.text)
    assert told.message["Reply-To"].addresses[0].addr_spec == LINA


def test_a_plain_answer_bothers_nobody(net):
    paco = net.member(PACO, "Paco Ruiz")
    lina = net.member(LINA, "Lina Petit")
    net.item(paco, "offer", "Couture")
    net.item(lina, "demand", "Couture")
    net.answer(A1, "question:approve", "OUI")
    net.answer(LINA, "question:consent", "Bonjour,\nNon merci.\nBonne journée")
    assert not net.mails("answer_remarks")


# --- 9. the consent request shows the other's form, availability and place, masked ----------


def test_the_consent_request_shows_how_when_and_where_the_other_offers(net):
    paco = net.member(PACO, "Paco Ruiz")
    lina = net.member(LINA, "Lina Petit")
    offer = net.item(paco, "offer", "Couture", availability="le mardi après-midi, ou appelez le 06 12 34 56 78",
                     opened=False)
    with net.store.transaction():
        # One to one: a collective offer gathers a group, never a pair (issue 17).
        net.store.items.update(offer["id"], modality="one_to_one", place="Médiathèque, paco.ruiz@example.net")
    net.item(lina, "demand", "Couture")
    assert net.answer(A1, "question:approve", "OUI").startswith("MR-1 approved")
    consent = net.mails("question:consent", to=LINA)[-1]
    text, html_words = consent.text.replace("\r\n", "\n"), html_of(consent)
    assert "  Forme : de gré à gré (à deux)\n" in text
    assert "  Disponibilités : le mardi après-midi, ou appelez le [coordonnées masquées]\n" in text
    assert "  Lieu : Médiathèque, [coordonnées masquées]\n" in text
    for shown in ("Forme : de gré à gré (à deux)", "Disponibilités : le mardi après-midi",
                  "Lieu : Médiathèque, [coordonnées masquées]"):
        assert shown in html_words
    assert "06 12" not in consent.everything() and PACO not in consent.everything()


def test_a_consent_request_without_those_details_says_nothing_of_them(net):
    paco = net.member(PACO, "Paco Ruiz")
    lina = net.member(LINA, "Lina Petit")
    net.item(paco, "offer", "Couture")
    net.item(lina, "demand", "Couture")
    net.answer(A1, "question:approve", "OUI")
    text = net.mails("question:consent", to=LINA)[-1].text
    assert "Forme :" not in text and "Disponibilités :" not in text and "Lieu :" not in text


# --- 10. the catalogue no longer asks for a demand already served, MES DONNÉES writes phones --


def test_the_catalogue_leaves_out_a_demand_already_introduced(net):
    paco = net.member(PACO, "Paco Ruiz")
    lina = net.member(LINA, "Lina Petit")
    zoe = net.member("zoe@example.org", "Zoé Blanc")
    net.item(paco, "offer", "Couture")
    net.item(lina, "demand", "Couture")
    net.item(zoe, "demand", "Tricot")
    net.answer(A1, "question:approve", "OUI")
    net.answer(PACO, "question:consent", "OUI")
    net.answer(LINA, "question:consent", "OUI")
    assert net.intro()["status"] == "introduced"
    assert net.send(LINA, "CATALOGUE", "") == "catalogue sent"
    text = net.mails("catalogue", to=LINA)[-1].text
    assert "O-1 : Couture" in text, "an offer may serve many: it stays"
    assert "D-2 : Tricot" in text
    assert "D-1" not in text


def test_my_data_writes_the_phone_as_people_write_it(net):
    net.member(LINA, "Lina Petit", phone="+33671224890")
    assert net.send(LINA, "MES DONNÉES", "").startswith("my_data: M-")
    text = net.mails("my_data", to=LINA)[-1].text
    assert "Téléphone : 06 71 22 48 90" in text and "+3367" not in text


def test_the_introduction_greets_each_member_by_the_first_name_they_gave(net):
    paco = net.member(PACO, "Paco Ruiz")
    lina = net.member(LINA, "Lina Petit")
    net.item(paco, "offer", "Couture")
    net.item(lina, "demand", "Couture")
    net.answer(A1, "question:approve", "OUI")
    net.answer(PACO, "question:consent", "OUI")
    net.answer(LINA, "question:consent", "OUI")
    assert net.mails("introduction", to=LINA)[-1].text.startswith("Bonjour Lina,")
    assert net.mails("introduction", to=PACO)[-1].text.startswith("Bonjour Paco,")


def test_the_catalogue_says_how_to_ask_for_a_listed_knowledge_by_its_number(net):
    net.member(LINA, "Lina Petit")
    net.send(LINA, "CATALOGUE", "")
    assert "« Je m'intéresse à O-12 »" in flat(net.mails("catalogue", to=LINA)[-1].text)


@pytest.mark.parametrize("said, remarks", [("On est d'accord, oui !", False), ("Oui, ça me va très bien", False),
                                           ("Oui, on est d'accord mais pas le lundi", True)])
def test_agreeing_words_are_not_remarks(said, remarks):
    from workflows.mail.answers import has_remarks

    assert has_remarks(said) is remarks
