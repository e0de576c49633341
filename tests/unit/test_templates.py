"""Every template, in every language, with its example data (``templates/examples``):
it renders under StrictUndefined with nothing left of the template syntax, its HTML part
is well-formed and says its language, its text lines fit in 78 characters, its dates are
written in words, and every mail tells people how to reach a person (and members how to
leave)."""
from __future__ import annotations

import re
from datetime import datetime, timezone
from html.parser import HTMLParser

import pytest

from support import make_settings
from workflows.mail.render import BUILTIN_TEMPLATES, MAX_LINE, Renderer, wrap_text
from workflows.shell.templating import LANGUAGES, example, templates

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=timezone.utc)
ANIMATOR_MAILS = {"forward_animators", "send_failure", "proxy_question", "register_done", "withdraw_item_asked",
                  "withdrawal_notice", "introduction_command", "introduction_decided", "introduction_not_happened",
                  "introduction_expired", "group_expired",
                  "introduction_proposal", "event_attendees", "event_command_done", "report", "mailbox_down",
                  "erasure_cleanup", "group_proposal", "group_decided", "group_command", "testimony_proposal",
                  "testimony_decided", "collection_synthesis", "crossing_proposal", "crossing_closed",
                  "crossing_not_happened", "federation_notice"}
"""Mails only the animators receive: signed by the robot, no footer for members."""
ROBOT_MAILS = {"federation"}
"""Mails only a linked network's robot receives (never a person): signed by the robot."""
QUESTIONS = {"join_confirm", "withdraw_confirm", "withdraw_item_confirm", "clarify", "introduction_consent", "confirm_change",
             "introduction_clarify", "introduction_proposal", "proxy_question", "group_proposal", "group_lead",
             "group_join", "group_clarify", "testimony_proposal", "testimony_withdraw_confirm",
             "crossing_proposal", "crossing_consent"}
ANSWERS = {"fr": ("OUI", "NON"), "en": ("YES", "NO")}
LEAVE = {"fr": "« RETRAIT »", "en": '"UNSUBSCRIBE"'}
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


@pytest.fixture(scope="module")
def settings(tmp_path_factory):
    return make_settings(tmp_path_factory.mktemp("templates"),
                         extra='[calendar.permanence]\nplace = "Agence de Souday, salle du Havre"')


def names(kind: str) -> list[str]:
    return sorted(p.stem for p in (BUILTIN_TEMPLATES / "examples").glob("*.json")
                  if (BUILTIN_TEMPLATES / "fr" / f"{p.stem}.{kind}.j2").exists())


MAILS = names("subject")
PAGES = [n for n in names("html") if n not in MAILS]


class Balance(HTMLParser):
    """Fails on a closing tag that closes nothing open, or a tag left open."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.open: list[str] = []
        self.problems: list[str] = []
        self.lang: str | None = None

    def handle_starttag(self, tag, attrs):
        if tag == "html":
            self.lang = dict(attrs).get("lang")
        if tag not in VOID:
            self.open.append(tag)

    def handle_startendtag(self, tag, attrs):
        if tag not in VOID:
            self.problems.append(f"<{tag}/> is not a void element")

    def handle_endtag(self, tag):
        if not self.open or self.open[-1] != tag:
            self.problems.append(f"</{tag}> closes {self.open[-1] if self.open else 'nothing'}")
        else:
            self.open.pop()


def well_formed(html: str, language: str) -> None:
    assert html.lstrip().startswith("<!DOCTYPE html>")
    checker = Balance()
    checker.feed(html)
    checker.close()
    assert not checker.problems, checker.problems
    assert not checker.open, f"left open: {checker.open}"
    assert checker.lang == language
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", html), "no remote resource"


def long_lines(text: str) -> list[str]:
    """Lines over MAX_LINE that could have been cut (a lone address or URL cannot)."""
    return [line for line in text.splitlines() if len(line) > MAX_LINE and len(line.split()) > 1]


def test_every_mail_and_page_has_example_data_and_both_languages():
    for language in LANGUAGES:
        files = {p.relative_to(BUILTIN_TEMPLATES / language).as_posix()
                 for p in (BUILTIN_TEMPLATES / language).rglob("*.j2")}
        other = {p.relative_to(BUILTIN_TEMPLATES / "fr").as_posix() for p in (BUILTIN_TEMPLATES / "fr").rglob("*.j2")}
        assert files == other, f"{language} and fr differ: {sorted(files ^ other)}"
    for name in {p.name.split(".")[0] for p in (BUILTIN_TEMPLATES / "fr").glob("*.subject.j2")}:
        assert (BUILTIN_TEMPLATES / "examples" / f"{name}.json").exists(), name
        for part in ("txt", "html"):
            assert (BUILTIN_TEMPLATES / "fr" / f"{name}.{part}.j2").exists(), f"{name}.{part}.j2"


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("name", MAILS)
def test_every_mail_renders_with_its_example(settings, name, language):
    rendered = Renderer(language).render(name, example(name, settings, NOW, language))
    assert rendered.subject and "\n" not in rendered.subject and "\r" not in rendered.subject
    for words in (rendered.subject, rendered.text, rendered.html):
        assert words and "{{" not in words and "{%" not in words and "}}" not in words
    well_formed(rendered.html, language)
    assert not long_lines(rendered.text), long_lines(rendered.text)
    assert "\n\n\n" not in rendered.text and not re.search(r"\w\(|\S  +\S", rendered.text), "tidy spacing"
    for words in (rendered.subject, rendered.text, rendered.html):
        assert not re.search(r"\b\d{4}-\d{2}-\d{2}\b|\b\d{2}:\d{2}:\d{2}\b", words), "dates are written in words"


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("name", PAGES)
def test_every_page_renders_with_its_example(settings, name, language):
    html = Renderer(language).page(name, example(name, settings, NOW, language))
    assert "{{" not in html and "{%" not in html
    well_formed(html, language)


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("name", sorted(set(MAILS) - ANIMATOR_MAILS - ROBOT_MAILS))
def test_every_mail_to_a_person_says_how_to_reach_a_human(settings, name, language):
    rendered = Renderer(language).render(name, example(name, settings, NOW, language))
    for words in (rendered.text, rendered.html):
        flat = " ".join(words.split())
        assert "anim.one@example.org" in flat and "salle du Havre" in flat, "the permanence and the animators"
        assert "9 h" in flat if language == "fr" else "9:00 AM" in flat
    if name not in ("not_member", "withdraw_done"):  # not members, or members no more
        assert LEAVE[language] in rendered.text, "how to leave the network"


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("name", sorted(QUESTIONS))
def test_every_question_says_what_to_answer(settings, name, language):
    text = Renderer(language).render(name, example(name, settings, NOW, language)).text
    yes, no = ANSWERS[language]
    lines = text.splitlines()
    # the instruction: one line, or one sentence cut over two, naming both answers
    assert any(yes in a + " " + b and no in a + " " + b for a, b in zip(lines, lines[1:] + [""])), text


def test_a_mail_for_the_animators_is_signed_by_the_robot(settings):
    # proxy_question ends with the member's question, footer included, as the member would read it
    for name in sorted(ANIMATOR_MAILS & set(MAILS) - {"proxy_question"}):
        rendered = Renderer("fr").render(name, example(name, settings, NOW, "fr"))
        assert rendered.text.endswith("-- \nLe robot du RERS de Test\n"), name
        assert "Le robot du RERS de Test</p>" in rendered.html and "RETRAIT" not in rendered.html, name


def test_the_french_way_of_dates_hours_and_lists(settings):
    context = example("withdraw_confirm", settings, NOW, "fr")
    text = Renderer("fr").render("withdraw_confirm", context).text
    assert "(O-12 et D-7)" in text
    assert "(O-12 and D-7)" in Renderer("en").render("withdraw_confirm", context).text
    consent = Renderer("fr").render("introduction_consent", example("introduction_consent", settings, NOW, "fr"))
    assert "avant le\nlundi 14 décembre 2026." in consent.text
    footer = Renderer("fr").render("help", example("help", settings, NOW, "fr")).text
    assert "le lundi de 9 h à\n12 h" in footer or "le lundi de 9 h à 12 h" in footer


def test_templates_lists_each_mail_in_both_languages(settings):
    found = {info.name: info for info in templates(settings)}
    assert found["join_confirm"].kind == "mail" and found["join_confirm"].languages == LANGUAGES
    assert found["catalogue_page"].kind == "page" and found["_footer"].kind == "piece"
    assert found["textes/charte-v1"].kind == "text" and not found["join_confirm"].overridden


# --- wrapping -----------------------------------------------------------------------------


def test_short_lines_are_left_alone():
    text = "Bonjour,\n\n  - O-12 (offre) : Rédiger un CV\n" + "x" * 78
    assert wrap_text(text) == text


def test_a_long_line_is_cut_at_a_space_keeping_its_indent():
    line = "  - O-12 (offre) : " + " ".join(["Apprendre à cuisiner des plats du monde"] * 3)
    wrapped = wrap_text(line).split("\n")
    assert len(wrapped) > 1 and all(len(l) <= 72 for l in wrapped)
    assert wrapped[0].startswith("  - O-12") and all(l.startswith("    ") for l in wrapped[1:])
    assert " ".join(l.strip() for l in wrapped) == " ".join(line.split())


def test_french_punctuation_and_hours_stay_with_their_words():
    line = ("Pour parler à une personne : venez à la permanence, le lundi de 9 h à 12 h 30, ou écrivez "
            "« AIDE » à l'adresse du réseau ; répondez « OUI » ou « NON » : c'est tout !")
    for cut in range(40, 73):
        wrapped = wrap_text(line.replace("venez", "v" * (cut - 40) + "venez")).split("\n")
        for l in wrapped:
            assert not re.match(r"(h\b|[:;!?»]|30\b)", l) and not re.search(r"(«|\d)$", l), wrapped


def test_an_email_address_and_a_phone_number_stay_one_phrase():
    for thing in ("adresse e-mail", "numéro de téléphone"):
        for cut in range(0, 30):
            line = f"- nous transmettrons au RERS de {'R' * cut}, pour elle, votre {thing} : marie.dupont@example.com"
            wrapped = wrap_text(line).split("\n")
            assert any(thing in l for l in wrapped), wrapped


def test_a_pair_that_met_stays_on_one_line_in_the_proposal_s_why():
    # A tester's proposal: « "temps" = / "temps" », the pair cut in the middle.
    for cut in range(0, 40):
        line = (f"Pourquoi : « gérer » ≈ « gestion » (même famille) ; « {'t' * cut}emps » = « {'t' * cut}emps » "
                "(même mot) ; « broderie » ≈ « broderie machine » (même mot, dans une expression plus longue)")
        wrapped = wrap_text(line).split("\n")
        assert len(wrapped) > 1
        for l in wrapped:
            assert not re.search(r"[=≈]$", l) and not re.match(r"[=≈]", l.strip()), wrapped


def test_the_crossing_consent_question_keeps_adresse_e_mail_on_one_line(settings):
    context = example("crossing_consent", settings, NOW, "fr")
    for contact, thing in (("email", "adresse e-mail"), ("phone", "numéro de téléphone")):
        context["shared"] = {**context["shared"], "contact": contact}
        text = Renderer("fr").render("crossing_consent", context).text
        assert any(thing in line for line in text.split("\n")), text


def test_an_address_longer_than_a_line_is_never_cut():
    address = "tres.longue.adresse." + "x" * 70 + "@example.org"
    wrapped = wrap_text(f"Écrivez à {address} pour parler à une personne de l'équipe d'animation du réseau.")
    assert address in wrapped.split("\n")


def test_a_sentence_made_too_long_by_a_title_is_refilled_with_its_next_line():
    title = "Apprendre à réparer un vélo de course et à régler les freins à disque"
    text = (f"Votre demande « {title} » reste ouverte : nous vous\n"
            "écrirons si une autre personne peut partager ce savoir.\n\nÀ bientôt,")
    wrapped = wrap_text(text).split("\n")
    assert all(len(l) <= 72 for l in wrapped) and wrapped[-2:] == ["", "À bientôt,"]
    body = wrapped[:-2]
    assert " ".join(body) == " ".join(text.split("\n\n")[0].split())
    assert all(len(l) > 30 for l in body[:-1]), "no ragged short line inside the paragraph"


def test_a_label_line_or_a_list_item_after_a_long_line_is_not_joined_to_it():
    long = "Adhésion demandée le lundi 23 novembre 2026, confirmée le lundi 23 novembre 2026"
    for following in ("Téléphone : 06 11 22 33 44", "- O-12 (offre, ouverte) : Couture", "  Description : x"):
        assert wrap_text(f"{long}\n{following}").split("\n")[-1] == following


def test_the_line_after_a_long_label_line_stays_its_own():
    dates = "  Prochaines dates : " + ", ".join(["lundi 14 décembre 2026"] * 4)
    closed = "  Pas de séance (jours fériés, fermetures, annulations) : lundi 29 mars 2027"
    wrapped = wrap_text(f"{dates}\n{closed}").split("\n")
    assert wrapped[-1] == closed and all("Pas de séance" not in line for line in wrapped[:-1])


def test_a_sentence_going_on_after_a_colon_is_refilled_too():
    text = ("Le lundi 7 décembre 2026 est un lundi, et pas un mardi comme votre commande le dit :\n"
            "le robot ne sait pas quelle date vous vouliez dire.")
    wrapped = wrap_text(text).split("\n")
    assert len(wrapped) == 2 and all(len(l) <= 72 for l in wrapped)
    assert " ".join(wrapped) == " ".join(text.split())


@pytest.mark.parametrize("language", LANGUAGES)
def test_my_data_says_what_is_true_of_a_group_the_member_offers_at_each_status(settings, language):
    # A tester's offerer read « G-1 : vous l'animez » while the group was only proposed to
    # the animators and she had not been asked.
    context = example("my_data", settings, NOW, language)
    statuses = ("proposed", "lead", "open", "bilan", "completed", "refused", "declined", "expired", "cancelled")
    context["data"] = {**context["data"], "groups": [
        {"ref": f"G-{n}", "status": status, "offer": "O-1", "role": "offer", "state": "leader"}
        for n, status in enumerate(statuses, 1)]}
    text = " ".join(Renderer(language).render("my_data", context).text.split())
    said_ = {status: re.search(rf"G-{n} \([^)]*\) ?: (.*?)(?= - G-\d|$)", text).group(1)
             for n, status in enumerate(statuses, 1)}
    leads = {"fr": "vous l'animez", "en": "you lead it"}[language]
    assert said_["open"].startswith(leads), said_
    assert not any(leads in said_[status] for status in statuses if status != "open" and status != "lead"), said_
    assert len(set(said_.values())) == len(statuses), said_
