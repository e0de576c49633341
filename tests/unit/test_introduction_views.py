"""The introduction's templates (fr and en, with their example data) and the views they are
given: what one member may see of another."""
from __future__ import annotations

from pathlib import Path

import pytest

from workflows.model.privacy import (
    MASK, both_consented, choose_contact, disclose, effective_contact, first_name, public_item, public_member,
    readable_phone, redact)
from intro_support import START
from support import make_settings
from workflows.mail.render import BUILTIN_TEMPLATES
from workflows.shell.templating import example, renderer_for

NAMES = sorted(p.stem for p in (BUILTIN_TEMPLATES / "examples").glob("introduction*.json"))


@pytest.fixture(scope="module")
def settings(tmp_path_factory):
    return make_settings(tmp_path_factory.mktemp("intro") / "robot")


def render(settings, language: str, name: str, **changes):
    """``name`` rendered in ``language`` with its example data, ``changes`` over it."""
    return renderer_for(settings, language).render(name, {**example(name, settings, START, language), **changes})


def test_every_introduction_template_has_its_example_in_both_languages():
    assert len(NAMES) == 11
    for language in ("fr", "en"):
        have = {p.name.split(".")[0] for p in (Path(BUILTIN_TEMPLATES) / language).glob("introduction*.j2")}
        assert have == set(NAMES), language


@pytest.mark.parametrize("language", ["fr", "en"])
@pytest.mark.parametrize("name", NAMES)
def test_renders_with_its_example(settings, name, language):
    rendered = render(settings, language, name)
    assert rendered.subject and "\n" not in rendered.subject
    assert rendered.text.strip() and "{{" not in rendered.text
    assert rendered.html is None or "</html>" in rendered.html


@pytest.mark.parametrize("language", ["fr", "en"])
@pytest.mark.parametrize("contact", ["email", "phone", "permanence"])
def test_the_introduction_says_each_contact(settings, language, contact):
    other = {"name": "Paco Ruiz", "first_name": "Paco", "contact": contact,
             "address": "paco@example.net" if contact == "email" else None,
             "phone": "06 11 22 33 44" if contact == "phone" else None, "permanence": None}
    text = render(settings, language, "introduction", other=other,
                  for_member={"ref": "M-5", "name": "Lina Petit"}).text
    assert {"email": "paco@example.net", "phone": "06 11 22 33 44", "permanence": "9"}[contact] in text
    assert "M-5" in text


@pytest.mark.parametrize("language", ["fr", "en"])
def test_clarify_and_command_refusals_render(settings, language):
    member = example("introduction_consent", settings, START, language)
    render(settings, language, "introduction_clarify", **{**member, "kind": "consent"})
    for problem in ("missing", "not an offer/demand", "closed", "same member", "in progress"):
        text = render(settings, language, "introduction_command", offer="O-1", demand="D-2", problem=problem,
                      intro=None).text
        assert "O-1" in text or "D-2" in text or "(O-" in text


def test_redact_masks_addresses_and_phone_numbers():
    assert redact("écrire à marie.dupont@example.org ou 06 12 34 56 78") == f"écrire à {MASK} ou {MASK}"
    assert redact("+33 6.12.34.56.78, marie (at) example.org") == f"{MASK}, {MASK}"
    assert redact("Word 2016 et Excel") == "Word 2016 et Excel"
    assert redact(None) is None


@pytest.mark.parametrize("written", [
    "hugo [at] gmail [dot] com", "hugo at gmail.com", "hugo arobase gmail point com", "hugo＠gmail.com",
    "@hugo_guitare", "０６１２３４５６７８", "zéro six douze trente-quatre cinquante-six soixante-dix-huit",
])
def test_redact_masks_contact_details_written_to_dodge_robots(written):
    assert redact(f"Guitare, {written} le soir") == f"Guitare, {MASK} le soir"


@pytest.mark.parametrize("title", ["Cours de guitare, deux ou trois fois", "Cours at home", "Point de croix",
                                   "Photo @ la maison", "Anglais : rencontre à deux, un soir"])
def test_redact_leaves_ordinary_titles_alone(title):
    assert redact(title) == title


# Issue 14: a first name only when the robot can tell it (privacy.read_first_name): two
# words in one style, or a single word, may hold the surname ("N'Diaye Awa" did).
@pytest.mark.parametrize("name,first", [("Jean-Luc PERRIN", "Jean-Luc"), ("Jean-Luc Perrin", None),
                                        ("N'Diaye Awa", None), ("N'DIAYE Awa", "Awa"),
                                        ("élodie", None), ("marie.dupont@example.org", None),
                                        ("0612345678", None), ("", None), (None, None)])
def test_first_name_is_a_name_or_nothing(name, first):
    assert first_name(name) == first
    assert public_member({"name": name}).first_name == first


def test_public_item_keeps_title_and_availability_masked():
    item = public_item({"ref": "D-1", "kind": "demand", "title": "Espagnol (06 12 34 56 78)",
                        "availability": "lundi, lina@example.org", "modality": "group", "member": "M-2"})
    assert item.title == f"Espagnol ({MASK})" and item.availability == f"lundi, {MASK}"
    assert not hasattr(item, "member")


def test_a_contact_asked_for_that_cannot_be_given_becomes_the_permanence():
    # Never a more revealing detail than the one asked for: the animators present them.
    assert effective_contact({"address": "a@b.org", "phone": None, "contact": "phone"}) == "permanence"
    assert effective_contact({"address": "a@b.org", "phone": None, "contact": "email"}, "phone") == "permanence"
    assert effective_contact({"address": None, "phone": "+33611223344", "contact": "email"}) == "permanence"
    assert effective_contact({"address": None, "phone": None, "contact": "email"}) == "permanence"
    assert effective_contact({"address": "a@b.org", "contact": "email"}, "permanence") == "permanence"
    assert effective_contact({"address": "a@b.org", "phone": "+33611223344", "contact": "email"}, "phone") == "phone"
    choice = choose_contact({"address": "a@b.org", "phone": None, "contact": "email"}, "phone")
    assert (choice.contact, choice.wanted, choice.honoured) == ("permanence", "phone", False)
    assert choose_contact({"address": "a@b.org", "contact": "email"}).honoured


def test_with_no_choice_at_all_the_contact_is_what_the_member_has():
    assert effective_contact({"address": "a@b.org", "phone": None, "contact": None}) == "email"
    assert effective_contact({"address": None, "phone": "+33611223344", "contact": None}) == "phone"
    assert effective_contact({"address": None, "phone": None}) == "permanence"


def test_disclosure_only_after_both_consents():
    intro = {"ref": "MR-1", "consents": {"offer": "yes", "demand": "yes"}, "contacts": {"offer": "phone"}}
    member = {"name": "Paco Ruiz", "address": "paco@example.net", "phone": "+33611223344", "contact": "email"}
    shown = disclose(intro, "offer", member, None)
    assert (shown.contact, shown.phone, shown.address) == ("phone", "06 11 22 33 44", None)
    assert both_consented(intro) and not both_consented({"consents": {"offer": "yes"}})
    assert readable_phone("+4915112345678") == "+49 1511 2345678"
