"""The robot's own names in words: what people read for an intent, a mail's purpose, a
status, a contact way, in French or English (:func:`label_of`), and names written all in
capitals made readable (:func:`readable_name`). Pure data and functions.
"""
from __future__ import annotations

import re

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


MODALITY_LABELS = {
    "fr": {
        "one_to_one": "de gré à gré (à deux)",
        "group": "en groupe (atelier)",
        "practice_exchange": "échange de pratiques",
        "talking_group": "groupe de parole",
    },
    "en": {
        "one_to_one": "one to one",
        "group": "in a group (workshop)",
        "practice_exchange": "practice exchange",
        "talking_group": "talking group",
    },
}


_QUESTIONS = {
    "join": ("confirmer l'adhésion", "confirm joining"),
    "withdraw": ("confirmer le départ", "confirm leaving"),
    "withdraw_item": ("confirmer le retrait", "confirm a withdrawal"),
    "approve": ("approuver une mise en relation", "approve an introduction"),
    "consent": ("accord pour une mise en relation", "consent to an introduction"),
    "crossing_approve": ("approuver une mise en relation avec un réseau voisin",
                         "approve an introduction with a linked network"),
    "crossing_consent": ("accord pour une mise en relation avec un réseau voisin",
                         "consent to an introduction with a linked network"),
    "bilan": ("bilan d'un échange", "how an exchange went"),
    "group_approve": ("approuver un groupe", "approve a group"),
    "group_lead": ("animer un groupe", "lead a group"),
    "group_join": ("rejoindre un groupe", "join a group"),
    "group_bilan": ("bilan d'un groupe", "how a group went"),
    "testimony_approve": ("approuver un témoignage", "approve a testimony"),
    "testimony_withdraw": ("confirmer le retrait d'un témoignage", "confirm withdrawing a testimony"),
    "collection": ("recueil des échanges sur les échanges", "collection before the exchange review"),
    "confirm_change": ("confirmer un changement de ses informations", "confirm a change of their details"),
    "still_current": ("savoir toujours d'actualité ?", "item still current?"),
    "address_change": ("confirmer une nouvelle adresse", "confirm a new address"),
}


LABELS: dict[str, dict[str, tuple[str, str]]] = {
    "intent": {
        "join": ("adhésion", "joining"),
        "offer": ("offre", "offer"),
        "demand": ("demande", "request"),
        "withdraw_item": ("retrait d'une offre ou d'une demande", "withdrawing an offer or request"),
        "withdraw": ("départ du réseau (RETRAIT)", "leaving the network (UNSUBSCRIBE)"),
        "reply": ("réponse à une question du robot", "answer to a question of the robot"),
        "help": ("demande d'aide", "asking for help"),
        "catalogue": ("demande du catalogue", "asking for the catalogue"),
        "my_data": ("demande de ses données (MES DONNÉES)", "asking for their data"),
        "event_command": ("commande d'animateur", "animator's command"),
        "rsvp": ("réponse d'agenda", "calendar answer"),
        "auto_reply": ("réponse automatique", "automatic reply"),
        "bounce": ("message non distribué", "undelivered message"),
        "preferences": ("préférences", "preferences"),
        "interest": ("intérêt pour un savoir du catalogue", "interest in a listed item"),
        "pause": ("mise en pause", "pause"),
        "resume": ("retour après une pause", "return after a pause"),
        "testimony": ("témoignage", "testimony"),
        "address_change": ("changement d'adresse", "change of address"),
        "federation": ("message d'un réseau voisin", "message from a linked network"),
        "unknown": ("rien (message non reconnu)", "nothing (message not recognised)"),
        # What a message of no keyword was taken for (workflows.routes.UNCLAIMED's keys).
        "preferences alone": ("préférences", "preferences"),
        "no thanks to « et vous ? »": ("« non merci » à « et vous, qu'aimeriez-vous transmettre ? »",
                                        "\"no thanks\" to \"and you, what would you like to pass on?\""),
        "standing consent": ("accord permanent (« Accord permanent : oui/non », ou STOP en réponse à son avis)",
                             "standing consent (\"Accord permanent : oui/non\", or STOP in reply to its notice)"),
        "answer to an invitation": ("réponse à une invitation du calendrier", "answer to a calendar invitation"),
    },
    "purpose": {
        "join_ack": ("réponse à une adhésion", "answer to a joining"),
        "join_done": ("adhésion confirmée", "joining confirmed"),
        "items_ack": ("accusé de réception d'offre ou de demande", "offer or request received"),
        "item_unclear": ("offre ou demande sans titre", "offer or request without a title"),
        "items_too_many": ("trop de savoirs d'un coup", "too many skills at once"),
        "too_many_items": ("trop de savoirs d'un coup (transmis)", "too many skills at once (forwarded)"),
        "forward_limit": ("messages du jour d'un expéditeur épuisés (transmis)",
                          "day's forwards of one sender used up (forwarded)"),
        "join_limit": ("demandes de confirmation d'adhésion retenues (transmis)",
                       "requests to confirm joining held back (forwarded)"),
        "help": ("aide", "help"),
        "unknown_ack": ("accusé de réception", "acknowledgment"),
        "relayed_ack": ("remerciement pour un transfert", "thanks for a forward"),
        "federation": ("message au robot d'un réseau voisin", "message to a linked network's robot"),
        "federation_refused": ("message de réseau voisin refusé (transmis)",
                               "linked network's message refused (forwarded)"),
        "not_member": ("réponse à une personne non membre", "answer to a non-member"),
        "catalogue": ("catalogue", "catalogue"),
        "my_data": ("ses données (MES DONNÉES)", "their data"),
        "withdraw_done": ("départ du réseau", "leaving the network"),
        "withdraw_item_done": ("retrait d'une offre ou d'une demande", "offer or request withdrawn"),
        "withdraw_item_refused": ("retrait refusé", "withdrawal refused"),
        "withdraw_item_asked": ("retrait demandé", "withdrawal asked"),
        "register_done": ("inscription par un animateur", "registration by an animator"),
        "introduction": ("mise en relation", "introduction"),
        "introduction_ack": ("accord enregistré (mise en relation)", "consent recorded (introduction)"),
        "introduction_cancelled": ("mise en relation annulée", "introduction cancelled"),
        "introduction_command": ("commande MISE EN RELATION", "INTRODUCE command"),
        "introduction_decided": ("décision sur une mise en relation", "decision on an introduction"),
        "introduction_not_happened": ("échange non réalisé", "exchange that did not happen"),
        "introduction_expired": ("proposition expirée sans réponse", "proposal expired without an answer"),
        "group_expired": ("groupe expiré sans réponse", "group expired without an answer"),
        "crossing_introduction": ("mise en relation avec un réseau voisin", "introduction with a linked network"),
        "crossing_closed": ("mise en relation avec un réseau voisin terminée", "introduction with a linked network ended"),
        "crossing_not_happened": ("échange non réalisé avec un réseau voisin",
                                  "exchange with a linked network that did not happen"),
        "federation_notice": ("nouvelle d'un réseau voisin", "news of a linked network"),
        "invitation": ("invitation du calendrier", "calendar invitation"),
        "group_invitation": ("invitation à une séance de groupe", "invitation to a group session"),
        "group_session_withdrawn": ("séance de groupe retirée de l'agenda (groupe quitté)",
                                    "group session removed from the calendar (group left)"),
        "group_notice": ("nouvelles d'un groupe", "news of a group"),
        "group_decided": ("décision sur un groupe", "decision on a group"),
        "group_command": ("commande GROUPE", "GROUP command"),
        "testimony_received": ("témoignage reçu", "testimony received"),
        "collection_thanks": ("réponse au recueil reçue", "collection answer received"),
        "collection_synthesis": ("synthèse du recueil", "synthesis of the collection"),
        "testimony_decided": ("décision sur un témoignage", "decision on a testimony"),
        "testimony_outcome": ("témoignage publié ou non", "testimony published or not"),
        "testimony_withdraw_done": ("retrait d'un témoignage", "testimony withdrawn"),
        "cancellation": ("annulation du calendrier", "calendar cancellation"),
        "invitation_withdrawn": ("retrait de l'agenda (invitations arrêtées)", "removal from the calendar (invitations off)"),
        "invitation_moved": ("retrait de l'agenda de l'ancienne adresse (nouvelle adresse)",
                             "removal from the old address's calendar (new address)"),
        "event_reminder": ("rappel de la veille", "reminder the day before"),
        "event_attendees": ("liste de la veille", "list the day before"),
        "event_command_done": ("commande du calendrier", "calendar command"),
        "attendance_noted": ("présence notée", "attendance noted"),
        "attendance_no_event": ("réponse pour un jour sans événement", "answer for a day without event"),
        "attendance_unclear": ("réponse d'agenda pas claire (transmise)", "unclear calendar answer (forwarded)"),
        "attendance_not_member": ("réponse d'agenda d'une personne non membre (transmise)",
                                  "calendar answer from a non-member (forwarded)"),
        "rsvp_not_member": ("réponse d'agenda d'une personne non membre (transmise)",
                            "calendar answer from a non-member (forwarded)"),
        "rsvp_not_attendee": ("réponse d'agenda envoyée par une autre personne (transmise)",
                              "calendar answer sent by someone else (forwarded)"),
        "rsvp_unknown": ("réponse d'agenda pour un événement inconnu (transmise)",
                         "calendar answer for an unknown event (forwarded)"),
        "rsvp_unreadable": ("réponse d'agenda illisible (transmise)", "unreadable calendar answer (forwarded)"),
        "unclear": ("réponse pas claire (transmise)", "unclear answer (forwarded)"),
        "refused_reply": ("réponse refusée (transmise)", "refused answer (forwarded)"),
        "refused_command": ("commande refusée (transmise)", "refused command (forwarded)"),
        "bounce": ("message non distribué (transmis)", "undelivered message (forwarded)"),
        "bounce_not_ours": ("rapport de non-distribution sans message du robot (transmis)",
                            "delivery report about no mail of the robot (forwarded)"),
        "parked": ("message mis de côté (transmis)", "message set aside (forwarded)"),
        "member_change": ("demande de changement (transmise)", "change asked (forwarded)"),
        "record_change": ("changement de fiche venu d'ailleurs (transmis)",
                          "change of a record from elsewhere (forwarded)"),
        "member_forged": ("message falsifié au nom d'un membre (transmis)", "message forged in a member's name (forwarded)"),
        "invitations_limit": ("changements d'invitations du jour épuisés (transmis)",
                              "day's invitations changes used up (forwarded)"),
        "contact_unavailable": ("coordonnée manquante (transmise)", "missing contact detail (forwarded)"),
        "send_failure": ("échec d'envoi", "sending failure"),
        "mailbox_down": ("boîte du réseau injoignable", "network's mailbox unreachable"),
        "reply_limit": ("limite de réponses du jour atteinte (transmis)", "day's answer limit reached (forwarded)"),
        "answer_remarks": ("mots écrits avec une réponse (transmis)", "words written with an answer (forwarded)"),
        "preferences_done": ("préférences notées", "preferences noted"),
        "pause_done": ("pause ou retour noté", "pause or return noted"),
        "interest_done": ("intérêt pour un savoir noté", "interest in an item noted"),
        "interest_not_member": ("intérêt d'une personne non membre (transmis)",
                                "interest from a non-member (forwarded)"),
        "news": ("nouvelles du mois", "monthly news"),
        "address_change_done": ("changement d'adresse", "change of address"),
        "address_change": ("changement d'adresse à vérifier", "change of address to check"),
        "reciprocity": ("« et vous, qu'aimeriez-vous transmettre ? »", "\"and you, what would you like to pass on?\""),
        "reciprocity_done": ("« non merci » à « et vous ? » noté", "\"no thanks\" to \"and you?\" noted"),
        "standing_used": ("mise en relation par accord permanent", "introduction by standing consent"),
        "standing_done": ("accord permanent noté", "standing consent noted"),
        "still_current_done": ("réponse « toujours d'actualité ? » notée", "answer \"still current?\" noted"),
        "refused_request": ("demande venue d'une autre adresse (transmise)",
                            "request from another address (forwarded)"),
        "former_address": ("message venu d'une ancienne adresse (transmis)",
                           "message from a former address (forwarded)"),
        "question_closed": ("réponse à une question close", "answer to a closed question"),
        "report": ("rapport", "report"),
        "withdrawal_notice": ("avis de départ", "leaving notice"),
        "erasure_cleanup": ("nettoyage après un effacement", "cleaning after an erasure"),
        **{f"question:{kind}": (f"question : {fr}", f"question: {en}") for kind, (fr, en) in _QUESTIONS.items()},
    },
    "question": _QUESTIONS,
    "status": {
        "proposed": ("proposée", "proposed"),
        "consent": ("en attente des accords", "waiting for consents"),
        "introduced": ("faite", "made"),
        "bilan": ("bilan demandé", "review asked"),
        "completed": ("terminée", "completed"),
        "refused": ("non retenue", "not retained"),
        "declined": ("n'a pas eu lieu", "did not go ahead"),
        "expired": ("expirée, sans réponse", "expired, no answer"),
        "cancelled": ("annulée", "cancelled"),
    },
    "member_status": {
        "pending": ("adhésion pas encore confirmée", "joining not confirmed yet"),
        "confirmed": ("membre", "member"),
    },
    "contact_way": {
        "email": ("par e-mail", "by e-mail"),
        "phone": ("par téléphone", "by phone"),
        "permanence": ("à la permanence", "at the drop-in session"),
    },
    "item_kind": {
        "offer": ("offre", "offer"),
        "demand": ("demande", "request"),
    },
    "item_status": {
        "held": ("en attente de votre confirmation", "waiting for your confirmation"),
        "open": ("ouverte", "open"),
        "paused": ("en pause (cachée)", "paused (hidden)"),
        "closed": ("retirée", "withdrawn"),
    },
    "consent_purpose": {
        "membership": ("adhésion", "joining"),
        "introduction": ("mise en relation", "introduction"),
        "group": ("groupe", "group"),
        "standing": ("accord permanent pour l'offre", "standing consent for the offer"),
    },
    "consent_how": {
        "mail": ("par e-mail", "by e-mail"),
        "oral": ("de vive voix", "in person"),
        "written": ("par écrit", "in writing"),
        "standing": ("donné d'avance", "given in advance"),
    },
    "field": {
        "name": ("nom", "name"),
        "first_name": ("prénom", "first name"),
        "phone": ("téléphone", "phone"),
        "contact": ("mise en relation", "how to be put in touch"),
        "invitations": ("invitations du calendrier", "calendar invitations"),
        "invitation_kinds": ("sortes d'invitations", "kinds of invitations"),
        "digest": ("nouvelles du mois", "monthly news"),
        "unreadable_address": ("(adresse illisible)", "(unreadable address)"),
        "erased": ("(effacé)", "(erased)"),
    },
    "contact": {
        "email": ("e-mail", "e-mail"),
        "phone": ("téléphone", "phone"),
        "permanence": ("permanence", "drop-in session"),
    },
    "contact_missing": {
        "email": ("d'adresse e-mail", "e-mail address"),
        "phone": ("de numéro de téléphone", "phone number"),
    },
    "contact_theirs": {
        "email": ("son adresse", "their address"),
        "phone": ("son numéro", "their number"),
    },
}
"""The robot's own names in words, French then English: ``intent`` (what a message was
understood as), ``purpose`` (what a mail was for; ``question:<kind>`` is built from
``question``), ``status`` (of an introduction), ``question`` (a question's kind),
``field`` (a member's field), ``contact`` (a way to be put in touch: "e-mail"),
``contact_way`` (the same, said as a way: "par e-mail"), ``member_status``,
``item_kind``, ``item_status``, ``consent_purpose``, ``consent_how`` (MES DONNÉES), and
for the animators' reasons (:mod:`workflows.mail.reasons`) ``contact_missing`` ("le
réseau n'a pas d'adresse e-mail") and ``contact_theirs`` ("n'a pas son adresse")."""


def label_of(value: str | None, kind: str, language: str = "fr") -> str:
    """``value`` (an intent, a mail's purpose, an introduction's status: ``kind``) in words
    of ``language``; a value the table does not know is shown as it is."""
    if value is None:
        return ""
    words = LABELS.get(kind, {}).get(value)
    return value if words is None else words[1 if language == "en" else 0]


_LETTERS_RE = re.compile(r"[^\W\d_]+")


_PARTICLES = frozenset({"de", "du", "des", "da", "dos", "das", "del"})
"""Words kept in small letters inside a name made readable (« Pierre du Pont », « Ana da
Silva »); « la », « le » are not among them: « de La Fontaine », « Le Goff »."""


_NAME_WORD_RE = re.compile(r"[^\W\d_]+(?:['\u2019-][^\W\d_]+)*['\u2019]?")
_AROUND_WORD = "()[]«»\"“”,.;:!?"


def _one_case(word: str) -> bool:
    """True when ``word`` is a word of a name (letters, hyphens, apostrophes; brackets
    or a comma around it) whose letters are all capitals or all small letters: written
    without a case of its own (« PETIT », « aïcha »), unlike « McDonald », « LeBlanc »,
    or anything that is not a name (« M-12 », « <b>x</b> »), which stay as typed."""
    core = word.strip(_AROUND_WORD)
    return bool(_NAME_WORD_RE.fullmatch(core)) and (core == core.upper() or core == core.lower())


def readable_name(name: str | None) -> str | None:
    """A name as the robot writes it to people, one rule everywhere: each word written
    all in capitals or all in small letters gets a capital initial, its accents kept
    (``LINA PETIT``, ``lina petit``, ``Lina PETIT`` → ``Lina Petit``; ``aïcha diallo`` →
    ``Aïcha Diallo``; ``ÉLODIE LEFÈVRE`` → ``Élodie Lefèvre``), each part of a compound
    too (``JEAN-LUC`` → ``Jean-Luc``, ``N'DIAYE`` → ``N'Diaye``); the particles de, du,
    des, d', da, dos, das, del stay small after the first word (``JEAN-LUC DE LA
    FONTAINE`` → ``Jean-Luc de La Fontaine``, ``ANNE D'ALMEIDA`` → ``Anne d'Almeida``).
    A word with a case of its own is written as typed (``McDonald``, ``LeBlanc``), and
    so is anything that is not a word of a name (``M-12``, markup). What is stored does
    not change; accents missing from what was typed (``GERARD``) cannot
    be guessed and are not added."""
    if not name or not _LETTERS_RE.search(name):
        return name
    first = _LETTERS_RE.search(name).start()
    tokens = [(m.start(), m.end()) for m in re.finditer(r"\S+", name)]

    def word(match: re.Match) -> str:
        run, start, end = match.group(), match.start(), match.end()
        token = next(name[a:b] for a, b in tokens if a <= start < b)
        if not _one_case(token):
            return run
        if start != first:
            after = name[end:end + 1]
            if run.lower() in _PARTICLES and after in ("", " ") and name[start - 1:start] == " ":
                return run.lower()
            if run.lower() == "d" and after in ("'", "\u2019") and name[start - 1:start] in ("", " "):
                return "d"
        return run.capitalize()

    return _LETTERS_RE.sub(word, name)


# --- French elision ----------------------------------------------------------------------

_ELIDED = {"de": "d'", "le": "l'", "la": "l'", "que": "qu'", "ne": "n'", "je": "j'", "me": "m'", "te": "t'",
           "se": "s'", "jusque": "jusqu'", "lorsque": "lorsqu'", "puisque": "puisqu'", "presque": "presqu'"}
"""The words French writes without their last vowel before a vowel sound."""

_ASPIRATED_H = (
    "hache", "hach", "haie", "haillon", "haine", "hair", "hal", "hamac", "hamburger", "hameau", "hamster", "hanche",
    "handball", "handicap", "hangar", "hanneton", "hant", "happ", "harangu", "harass", "harcel", "hardi", "hareng",
    "hargn", "haricot", "harnais", "harpe", "harpon", "hasard", "hate", "hauss", "haut", "havre", "henn", "herisson", "hernie",
    "heron", "heros", "herse", "hetre", "heurt", "hibou", "hideu", "hierarch", "hip-hop", "hiphop", "hiss", "hochet",
    "hockey", "hold-up", "hollandais", "hollande", "homard", "hongr", "honte", "hoquet", "horde", "hors", "hot-dog",
    "hotte", "houblon", "houill", "houle", "houppe", "housse", "houx", "hublot", "huee", "huer", "huit", "hurl",
    "hutte", "hyene",
)
"""Beginnings of words whose h is aspirated (« le haricot », « de hockey »): no elision.
Words that begin like them but whose h is mute are in :data:`_MUTE_H`."""
_MUTE_H = ("haleine", "hallucin", "haltere", "hamecon", "harmoni", "heroine", "heroique", "heroisme")
_NOT_ELIDED = frozenset({"oui", "onze", "onzieme", "onziemes", "ouistiti", "ouistitis", "uhlan", "yod"})
"""Words beginning with a vowel that French does not elide before (« le onze », « de oui »)."""


def _starts_with_vowel_sound(text: str | None) -> bool:
    """True when ``text`` (a title, a name; quotes and spaces before it skipped) begins
    with a vowel sound: a vowel (accented or not), a mute h (« l'histoire », not « le
    haricot »), a y before a consonant (« d'Yves », not « de yoga »)."""
    import unicodedata

    words = re.findall(r"[^\W_][\w'’-]*", text or "")
    if not words or not words[0][0].isalpha():
        return False
    word = "".join(c for c in unicodedata.normalize("NFD", words[0].lower()) if not unicodedata.combining(c))
    word = word.replace("’", "'")
    if re.split(r"[-']", word)[0] in _NOT_ELIDED:
        return False
    first = word[0]
    if first in "aeiou":
        return True
    if first == "y":
        return len(word) > 1 and word[1] not in "aeiou"
    if first == "h":
        return word.startswith(_MUTE_H) or not word.startswith(_ASPIRATED_H)
    return False


def elided(word: str, following: str | None, language: str = "fr") -> str:
    """``word`` as written before ``following`` (a title, a name): elided in French before
    a vowel sound (``de`` + « Apprendre l'espagnol » → ``d'``, ``le`` + « Échanges » →
    ``l'``, ``que`` + « Aïcha » → ``qu'``), else followed by a space (``de `` + « Cours »).
    Made to be written right before the quoted title: ``autour d'« Apprendre… »``,
    ``autour de « Cours… »``. The case of ``word`` is kept (``De`` → ``D'``). Any other
    word, or another language: ``word`` and a space."""
    short = _ELIDED.get(word.lower()) if language.startswith("fr") else None
    if short is None or not _starts_with_vowel_sound(following):
        return f"{word} "
    return short[0].upper() + short[1:] if word[:1].isupper() else short


def readable_phone(phone: str | None) -> str | None:
    """A stored (E.164) phone number as people write it: ``06 12 34 56 78`` for a French
    number, the international form otherwise, as stored when it cannot be read."""
    if not phone:
        return phone
    import phonenumbers  # loaded on first use: few mails show a phone number

    try:
        number = phonenumbers.parse(phone, "FR")
    except phonenumbers.NumberParseException:
        return phone
    style = (phonenumbers.PhoneNumberFormat.NATIONAL if number.country_code == 33
             else phonenumbers.PhoneNumberFormat.INTERNATIONAL)
    return phonenumbers.format_number(number, style)
