"""Why a message goes to the animators, in the network's language.

:data:`REASONS` maps a key to a pair of sentences, French then English, with named
:meth:`str.format` placeholders (the same in both). A workflow names the key and gives
the values (:func:`workflows.steps.speaking.forward_to_animators`); a value that is one of the
robot's own names (an intent, a question's kind, a way to be contacted, a member's
field) is given in words of the language with :func:`workflows.mail.labels.label_of`.
"""
from __future__ import annotations

REASONS: dict[str, tuple[str, str]] = {
    "reply_limit": (
        "Le robot a déjà répondu {limit} fois aujourd'hui à cette adresse : il ne lui écrit plus rien avant "
        "demain (protection contre les boucles et les messages falsifiés). Or ce message demande quelque chose "
        "auquel la personne a droit ({request}) : répondez-lui vous-même, ou faites-le demain par la commande "
        "correspondante. Les messages suivants de cette adresse, aujourd'hui, ne vous seront pas transmis.",
        "The robot already answered this address {limit} times today: it writes nothing more to it before "
        "tomorrow (protection against loops and forged messages). But this message asks for something the person "
        "has a right to ({request}): answer them yourselves, or do it tomorrow with the matching command. Further "
        "messages from this address today will not be forwarded to you."),
    "forward_limit": (
        "Le robot vous a déjà transmis {limit} messages de {sender} aujourd'hui (c'est la limite d'une journée, "
        "contre les envois en masse). Celui-ci, joint, est le dernier : les suivants de cette adresse, aujourd'hui, "
        "ne vous seront pas transmis. Le robot les traite quand même comme d'habitude (réponse comprise, dans la "
        "limite de ses réponses du jour), puis les range dans le dossier « {folder} », où vous les trouverez ; son "
        "journal note chacun d'eux, et « rers status » dit combien ont été retenus. Demain, le compte repart à zéro.",
        "The robot already forwarded you {limit} messages from {sender} today (the limit for one day, against mass "
        "mailings). This one, attached, is the last: the next ones from this address today will not be forwarded "
        "to you. The robot still handles them as usual (its answer included, within its answers of the day), then "
        "files them in the folder “{folder}”, where you will find them; its log notes each of them, and "
        "“rers status” says how many were held. Tomorrow the count starts again from zero."),
    "forward_limit_forged": (
        "Le robot vous a déjà transmis aujourd'hui {limit} messages écrits au nom de {sender} que votre serveur dit "
        "falsifiés (DMARC en échec). Celui-ci, joint, est le dernier : les suivants, aujourd'hui, ne vous seront "
        "pas transmis ; le robot n'y donne aucune suite et les range dans le dossier « {folder} » ; son journal note "
        "chacun d'eux, et « rers status » dit combien ont été retenus. Les vrais messages de cette adresse vous "
        "parviennent comme d'habitude.",
        "The robot already forwarded you today {limit} messages written in the name of {sender} that your server "
        "calls forged (DMARC fail). This one, attached, is the last: the next ones today will not be forwarded to "
        "you; the robot acts on none of them and files them in the folder “{folder}”; its log notes each of them, "
        "and “rers status” says how many were held. The real messages of this address reach you as usual."),
    "join_limit_hour": (
        "Le robot a déjà envoyé {limit} demandes de confirmation d'adhésion dans l'heure à des adresses qui ne sont "
        "pas encore membres : c'est la limite du réseau (quelqu'un qui écrit des adhésions au nom d'inconnus ferait "
        "sinon écrire le robot à chacun d'eux). Ce message, joint, et les suivants de l'heure sont enregistrés comme "
        "adhésions en attente, sans demande envoyée ; {waiting} personne(s) attendent ainsi. La demande part si la "
        "personne écrit de nouveau plus tard, ou quand vous la faites partir avec « rers members ask M-… ». Les "
        "adhésions non confirmées s'effacent d'elles-mêmes au bout du délai habituel.",
        "The robot already sent {limit} requests to confirm joining within the hour to addresses that are not "
        "members yet: this is the network's limit (someone writing joins in strangers' names would otherwise make "
        "the robot write to each of them). This message, attached, and the next ones this hour are recorded as "
        "pending joins, no request sent; {waiting} person(s) are waiting so. The request goes when the person "
        "writes again later, or when you send it with “rers members ask M-…”. Joins not confirmed are erased by "
        "themselves after the usual delay."),
    "join_limit_day": (
        "Le robot a déjà envoyé aujourd'hui {limit} demandes de confirmation d'adhésion à des adresses qui ne sont "
        "pas encore membres : c'est la limite du réseau pour une journée (quelqu'un qui écrit des adhésions au nom "
        "d'inconnus ferait sinon écrire le robot à chacun d'eux). Ce message, joint, et les suivants de la journée "
        "sont enregistrés comme adhésions en attente, sans demande envoyée ; {waiting} personne(s) attendent ainsi. "
        "La demande part si la personne écrit de nouveau un autre jour, ou quand vous la faites partir avec "
        "« rers members ask M-… ». Les adhésions non confirmées s'effacent d'elles-mêmes au bout du délai habituel.",
        "The robot already sent {limit} requests to confirm joining today to addresses that are not members yet: "
        "this is the network's limit for one day (someone writing joins in strangers' names would otherwise make "
        "the robot write to each of them). This message, attached, and the next ones today are recorded as pending "
        "joins, no request sent; {waiting} person(s) are waiting so. The request goes when the person writes again "
        "another day, or when you send it with “rers members ask M-…”. Joins not confirmed are erased by "
        "themselves after the usual delay."),
    "too_many_items": (
        "Ce message de {member} portait trop de savoirs d'un coup : {dropped} n'ont pas été enregistrés (limite : "
        "{per_message} par message, {open_limit} ouverts par membre). Seuls les premiers l'ont été ; la personne a "
        "reçu la réponse « trop de savoirs d'un coup » si c'est un membre confirmé. S'il s'agit d'un vrai besoin, "
        "enregistrez le reste à la main ; sinon, rien à faire.",
        "This message of {member} carried too many skills at once: {dropped} were not recorded (limit: "
        "{per_message} per message, {open_limit} open per member). Only the first ones were; the person got the "
        "answer “too many skills at once” if they are a confirmed member. If it is a real need, record the rest "
        "by hand; otherwise, nothing to do."),
    "not_understood": ("Le robot n'a pas compris ce message.", "The robot did not understand this message."),
    "unused_text": ("Le robot a traité ce message (voir plus bas ce qu'il en a compris), mais la personne a écrit "
                    "plus que ce qu'il en a retenu : une question, une histoire… Lisez-le.",
                    "The robot handled this message (see below what it understood), but the person wrote more "
                    "than it used: a question, a story… Please read it."),
    "interest_not_member": (
        "Quelqu'un qui n'est pas membre du réseau s'intéresse à {ref} : le robot lui a répondu comment adhérer "
        "(puis redire son intérêt), et n'a rien enregistré. Vous pouvez l'accueillir vous-même.",
        "Someone who is not a member of the network is interested in {ref}: the robot told them how to join (then "
        "say their interest again), and recorded nothing. You may welcome them yourselves."),
    "interest_pending": (
        "Quelqu'un dont l'adhésion attend sa confirmation s'intéresse à {ref} : le robot lui a rappelé de confirmer "
        "(puis de redire son intérêt), et n'a rien enregistré.",
        "Someone whose membership awaits confirmation is interested in {ref}: the robot reminded them to confirm "
        "(then to say their interest again), and recorded nothing."),
    "own_address_only": (
        "Demande de {member} ({intent}) qui ne vient pas de son adresse enregistrée (ou que votre serveur ne "
        "garantit pas) : le robot n'y a rien fait. Vérifiez avec la personne avant de le faire pour elle.",
        "A request of {member} ({intent}) that does not come from their recorded address (or that your server does "
        "not vouch for): the robot did nothing. Check with the person before doing it for them."),
    "federation_unknown_peer": (
        "Message marqué « entre robots de réseaux voisins », mais son expéditeur n'est pas un réseau voisin de la "
        "configuration ([[federation.peers]]) : suspect, le robot n'en a rien fait. S'il s'agit d'un réseau qui "
        "veut se relier au vôtre, voyez docs/reseaux-voisins.md.",
        "Message marked « between robots of linked networks », but its sender is not a linked network of the "
        "configuration ([[federation.peers]]): suspicious, the robot did nothing with it. If a network wants to "
        "link with yours, see docs/reseaux-voisins.md."),
    "federation_unsigned": (
        "Message au nom du réseau voisin « {peer} », sans signature : suspect, le robot n'en a rien fait.",
        "Message in the name of the linked network “{peer}”, without a signature: suspicious, the robot did "
        "nothing with it."),
    "federation_bad_signature": (
        "Message au nom du réseau voisin « {peer} » dont la signature ne correspond pas à sa clé : falsifié ou "
        "abîmé, le robot n'en a rien fait. Si ce réseau a changé de clé, mettez la nouvelle dans la configuration.",
        "Message in the name of the linked network “{peer}” whose signature does not match its key: forged or "
        "damaged, the robot did nothing with it. If that network changed its key, put the new one in the "
        "configuration."),
    "federation_bad_message": (
        "Message signé du réseau voisin « {peer} », mais illisible ou adressé à un autre réseau ({problem}) : le "
        "robot n'en a rien fait.",
        "Signed message of the linked network “{peer}”, but unreadable or written to another network ({problem}): "
        "the robot did nothing with it."),
    "federation_replayed": (
        "Message signé du réseau voisin « {peer} » déjà reçu ou arrivé dans le désordre (numéro {seq}, le dernier "
        "accepté : {last}) : un rejeu possible, le robot n'en a rien fait.",
        "Signed message of the linked network “{peer}” already received or out of order (number {seq}, the last "
        "accepted: {last}): possibly a replay, the robot did nothing with it."),
    "not_automated": ("Message reconnu ({intent}) mais pas encore traité par le robot.",
                      "Message recognised ({intent}) but not handled by the robot yet."),
    "bounce": ("Un message du robot n'a pas pu être distribué.", "A message from the robot could not be delivered."),
    "bounce_marked": ("Un message du robot n'a pas pu être distribué (membre {members} marqué injoignable).",
                      "A message from the robot could not be delivered (member {members} marked unreachable)."),
    "bounce_not_ours": (
        "Un rapport de non-distribution nomme {members}, mais il ne se rapporte à aucun message que le robot leur a "
        "envoyé (ni le message joint, ni ses références) : personne n'a été marqué injoignable. Si l'adresse ne "
        "fonctionne vraiment plus, vérifiez avec la personne.",
        "A delivery report names {members}, but it is not about any mail the robot sent them (neither the attached "
        "message nor its references): nobody was marked unreachable. If the address really stopped working, check "
        "with the person."),
    "parked": ("Le robot a échoué {count} fois sur ce message ({detail}). Il est rangé dans le dossier « {folder} ».",
               "The robot failed {count} times on this message ({detail}). It is kept in the folder “{folder}”."),
    "command_not_authenticated": (
        "Commande d'animateur sans signature DKIM/DMARC valide de votre serveur : rien n'a été fait. "
        "Renvoyez-la depuis votre messagerie habituelle.",
        "Animator's command without a valid DKIM/DMARC signature of your server: nothing was done. "
        "Send it again from your usual mailbox."),
    "act_not_from_animator": (
        "Approbation ou commande{about} venue d'une adresse qui n'est pas celle d'un animateur : rien n'a été fait.",
        "Approval or command{about} from an address that is not an animator's: nothing was done."),
    "act_not_authenticated": (
        "Approbation ou commande{about} sans signature DKIM/DMARC valide de votre serveur : rien n'a été fait. "
        "Renvoyez-la depuis votre messagerie habituelle.",
        "Approval or command{about} without a valid DKIM/DMARC signature of your server: nothing was done. "
        "Send it again from your usual mailbox."),
    "relayed_join": (
        "{forwarder} a transféré le message d'une autre personne ({name}) qui veut adhérer, ou propose ou demande "
        "un savoir. Le robot n'inscrit personne sur la parole d'un tiers : il a enregistré la personne en attente "
        "({created}), avec ce que dit le message transféré seulement, et a demandé à {address}, l'adresse du "
        "message transféré, de confirmer. {forwarder} reçoit seulement un remerciement, sans rien apprendre de son "
        "dossier. Lisez ce qui a été écrit autour (un numéro, une situation) : le robot ne l'a pas recopié dans "
        "sa fiche, et la personne n'a peut-être pas d'adresse qu'elle lit (ADHÉSION POUR, à la permanence).",
        "{forwarder} forwarded the message of another person ({name}) who wants to join, or offers or asks for a "
        "skill. The robot registers nobody on a third party's word: it recorded the person as pending ({created}), "
        "with what the forwarded message says only, and asked {address}, the forwarded message's address, to "
        "confirm. {forwarder} only receives thanks, learning nothing of their file. Read what was written around "
        "it (a number, a situation): the robot did not copy it into their record, and the person may have no "
        "address they read (ADHÉSION POUR, at the drop-in)."),
    "relayed_join_held": (
        "{forwarder} a transféré le message d'une autre personne ({name}) qui veut adhérer, ou propose ou demande "
        "un savoir. Le robot n'inscrit personne sur la parole d'un tiers : il a enregistré la personne en attente "
        "({created}), avec ce que dit le message transféré seulement, mais n'a pas encore demandé à {address} de "
        "confirmer (trop de demandes de confirmation, voyez l'autre message). {forwarder} reçoit seulement un "
        "remerciement, sans rien apprendre de son dossier.",
        "{forwarder} forwarded the message of another person ({name}) who wants to join, or offers or asks for a "
        "skill. The robot registers nobody on a third party's word: it recorded the person as pending ({created}), "
        "with what the forwarded message says only, but has not yet asked {address} to confirm (too many "
        "confirmation requests, see the other message). {forwarder} only receives thanks, learning nothing of "
        "their file."),
    "relayed_no_address": (
        "{forwarder} a transféré le message d'une autre personne ({name}), sans adresse de cette personne que le "
        "robot puisse lire (un nom seulement, ou l'adresse du réseau, d'un animateur ou d'un formulaire). Le robot "
        "n'inscrit personne sur la parole d'un tiers, et jamais la personne qui transfère à la place de celle qui a "
        "écrit : rien n'a été enregistré. {forwarder} reçoit seulement un remerciement. Si la personne veut "
        "adhérer, voyez avec elle (ADHÉSION POUR, à la permanence) ; ce qui a été écrit autour (un numéro, une "
        "situation) est dans le message joint.",
        "{forwarder} forwarded the message of another person ({name}), with no address of that person the robot "
        "can read (a name only, or the network's, an animator's or a web form's address). The robot registers "
        "nobody on a third party's word, and never the forwarder in place of the writer: nothing was recorded. "
        "{forwarder} only receives thanks. If the person wants to join, see with them (ADHÉSION POUR, at the "
        "drop-in); what was written around it (a number, a situation) is in the attached message."),
    "relayed_no_item": (
        "{forwarder} a transféré le message d'une autre personne ({name}), où le robot ne lit ni offre ni demande "
        "(pas de savoir lisible) : il n'a rien enregistré ni rien demandé à la personne. {forwarder} reçoit "
        "seulement un remerciement. Lisez le message joint et voyez avec la personne.",
        "{forwarder} forwarded the message of another person ({name}), in which the robot reads no offer or "
        "request (no readable skill): it recorded nothing and asked the person nothing. {forwarder} only receives "
        "thanks. Read the attached message and see with the person."),
    "relayed_for_member": (
        "{forwarder} a transféré le message d'une autre personne, dont l'adresse est déjà celle du membre {member} : "
        "le robot n'a rien enregistré (une offre ou une demande ne se publie que depuis l'adresse du membre). "
        "Voyez avec {member} ; {forwarder} reçoit seulement un remerciement, sans rien apprendre.",
        "{forwarder} forwarded the message of another person whose address is already member {member}'s: the robot "
        "recorded nothing (an offer or a request is published only from the member's own address). Check with "
        "{member}; {forwarder} only receives thanks, learning nothing."),
    "join_no_address": ("Demande d'adhésion sans adresse lisible.", "Request to join without a readable address."),
    "item_no_address": ("Offre ou demande sans adresse lisible.", "Offer or request without a readable address."),
    "item_no_title": ("Offre ou demande sans savoir lisible (pas de titre).",
                      "Offer or request without a readable skill (no title)."),
    "withdraw_item_no_address": ("Retrait d'un savoir sans adresse lisible.",
                                 "Withdrawal of a skill without a readable address."),
    "withdraw_no_address": ("Demande de retrait sans adresse lisible.",
                            "Request to leave without a readable address."),
    "my_data_no_address": ("Demande « mes données » sans adresse lisible.",
                           "“My data” request without a readable address."),
    "consent_withdrawn_late": (
        "Ce membre retire son accord à la mise en relation {intro}, mais elle a déjà été faite : les coordonnées "
        "sont parties. Le robot lui a répondu que c'était trop tard pour l'annuler par e-mail : parlez-en avec les "
        "deux personnes.",
        "This member withdraws their consent to introduction {intro}, but it was already made: the contact details "
        "have left. The robot answered that it is too late to cancel it by mail: talk it over with both people."),
    "member_forged": (
        "Ce message est écrit au nom de {member}, mais votre serveur de messagerie dit qu'il ne vient pas de son "
        "adresse (DMARC en échec) : le robot n'a rien fait (ni savoir publié, ni choix changé) et n'a pas répondu. "
        "Vérifiez avec la personne : si le message est bien d'elle, sa messagerie n'est pas reconnue par votre "
        "serveur ; parlez-en à votre hébergeur.",
        "This message is written in the name of {member}, but your mail server says it does not come from their "
        "address (DMARC fail): the robot did nothing (no item published, no choice changed) and did not answer. "
        "Check with the person: if the message is theirs, your server does not recognise their mail provider; ask "
        "your host about it."),
    "invitations_limit": (
        "{member} a déjà changé {limit} fois aujourd'hui ses invitations du calendrier (chaque changement envoie "
        "un courriel par événement) : ce nouveau changement des invitations n'a pas été fait (le reste du message, "
        "s'il y en a, a été traité). La réponse du robot le lui dit, si sa limite de réponses du jour le permet ; "
        "elle peut le refaire demain.",
        "{member} already changed their calendar invitations {limit} times today (each change sends a mail per "
        "event): this new change of the invitations was not made (the rest of the message, if any, was handled). "
        "The robot's answer tells them, if the day's answer limit allows; they may do it again tomorrow."),
    "record_change_relay": (
        "Ce message vient d'un formulaire ou d'un site (son adresse d'envoi n'est pas celle de {member}) et "
        "demande à changer la fiche de {member} : {fields}. Le robot n'a rien changé : il demande à {member}, à "
        "sa propre adresse, de confirmer par OUI ou NON. Le reste du message, s'il y en a, a été traité.",
        "This message comes from a form or a website (its sending address is not {member}'s) and asks to change "
        "{member}'s record: {fields}. The robot changed nothing: it asks {member}, at their own address, to "
        "confirm with YES or NO. The rest of the message, if any, was handled."),
    "record_change_not_authenticated": (
        "Ce message, écrit au nom de {member}, demande à changer sa fiche : {fields}. Votre serveur de messagerie "
        "ne confirme pas qu'il vient de son adresse (ni DKIM ni DMARC valides) : le robot n'a rien changé et "
        "demande à {member}, à son adresse, de confirmer par OUI ou NON. Le reste du message, s'il y en a, a "
        "été traité.",
        "This message, written in the name of {member}, asks to change their record: {fields}. Your mail server "
        "does not confirm that it comes from their address (no valid DKIM or DMARC): the robot changed nothing "
        "and asks {member}, at their address, to confirm with YES or NO. The rest of the message, if any, was "
        "handled."),
    "address_change_not_possible": (
        "{member} demande à changer d'adresse, mais le robot ne peut pas le faire seul (pas de nouvelle adresse "
        "lisible, ou une adresse déjà connue du réseau, ou le membre n'est plus là) : vérifiez avec la personne.",
        "{member} asks to change address, but the robot cannot do it alone (no readable new address, or an "
        "address the network already knows, or the member is gone): check with the person."),
    "member_change": ("{member} demande à changer : {fields}. Le robot n'a rien changé : vérifiez avec la personne, "
                      "puis faites-le avec « rers members set {member} … ».",
                      "{member} asks to change: {fields}. The robot changed nothing: check with the person, then do "
                      "it with “rers members set {member} …”."),
    "preferred_contact_unavailable": (
        "{member} souhaite être mis(e) en relation par {contact}, mais le réseau n'a pas {theirs} : en attendant, "
        "ses mises en relation passent par la permanence. Un numéro se vérifie avec la personne.",
        "{member} wishes to be put in touch by {contact}, but the network does not have {theirs}: meanwhile, their "
        "introductions go through the drop-in session. A number is to be checked with the person."),
    "contact_unavailable": (
        "{intro} : {member} accepte la mise en relation et demande à être contacté(e) par {contact}, mais le réseau "
        "n'a pas {missing} pour cette personne. Le robot n'a donné aucune coordonnée : il a annoncé la permanence, "
        "où l'équipe d'animation les présentera l'un à l'autre. Un numéro ou une adresse écrits dans un message ne "
        "sont pas enregistrés : vérifiez-les avec la personne.",
        "{intro}: {member} accepts the introduction and asks to be contacted by {contact}, but the network has no "
        "{missing} for this person. The robot gave no contact details: it mentioned the drop-in session, where the "
        "animators will introduce them to each other. A number or an address written in a message is not "
        "recorded: check it with the person."),
    "rsvp_unknown_event": ("Réponse d'agenda à un événement que le robot ne connaît pas ({uid}).",
                           "Calendar answer about an event the robot does not know ({uid})."),
    "rsvp_unknown_event_no_uid": ("Réponse d'agenda à un événement que le robot ne connaît pas (sans UID).",
                                  "Calendar answer about an event the robot does not know (no UID)."),
    "rsvp_unreadable": ("Réponse d'agenda dont le robot ne comprend pas si la personne vient.",
                        "Calendar answer from which the robot cannot tell whether the person is coming."),
    "invitation_reply_unclear": (
        "Réponse à l'invitation « {title} » qui ne dit pas clairement si la personne vient.",
        "Answer to the invitation “{title}” that does not say clearly whether the person is coming."),
    "invitation_reply_wrong_day": ("Réponse à l'invitation « {title} » qui parle d'un jour sans cet événement.",
                                   "Answer to the invitation “{title}” about a day without this event."),
    "rsvp_not_attendee": (
        "Réponse d'agenda au nom de {attendee}, mais envoyée depuis une autre adresse (une invitation transférée, "
        "ou un message falsifié) : rien n'a été noté, seule la personne invitée peut répondre pour elle-même. Si "
        "la réponse est bien la sienne, notez-la vous-même.",
        "Calendar answer in the name of {attendee}, but sent from another address (a forwarded invitation, or a "
        "forged message): nothing was recorded, only the invited person may answer for themselves. If the answer "
        "is really theirs, record it yourselves."),
    "attendance_not_member": (
        "Réponse de {address} à l'invitation « {title} » : ce n'est l'adresse ni d'un membre ni d'un animateur, "
        "elle n'a pas été notée (seuls les membres et les animateurs sont comptés).",
        "Answer from {address} to the invitation “{title}”: this is the address of no member and no animator, "
        "it was not recorded (only members and animators are counted)."),
    "question_not_handled": ("Réponse à une question ({question}) que le robot ne sait pas encore traiter.",
                             "Answer to a question ({question}) that the robot cannot handle yet."),
    "answer_remarks": (
        "{member} a répondu {answer} à la question « {question} » ({subject}) et a écrit autre chose que "
        "la réponse : « {words} ». Le robot a fait ce que la réponse demandait ; ces mots-là, il ne les lit "
        "pas : ils sont pour vous.",
        "{member} answered {answer} to the question “{question}” ({subject}) and wrote more than the answer: "
        "“{words}”. The robot did what the answer asked; those words it does not read: they are for you."),
    "answer_remarks_proxy": (
        "Un animateur a répondu {answer} pour {member} à la question « {question} » ({subject}) et a écrit "
        "autre chose que la réponse : « {words} ». Le robot a fait ce que la réponse demandait ; ces mots-là, "
        "il ne les lit pas : ils sont pour l'équipe.",
        "An animator answered {answer} for {member} to the question “{question}” ({subject}) and wrote more "
        "than the answer: “{words}”. The robot did what the answer asked; those words it does not read: they "
        "are for the team."),
    "unclear_twice": ("Réponse toujours pas claire après une question de précision.",
                      "Answer still unclear after a question asking to make it clear."),
    # A refused answer to a question: "refused:" + the refusal of workflows.steps.questions.Match.
    "refused:no token": ("Réponse sans référence de question.", "Answer without a question reference."),
    "refused:unknown token": ("Réponse avec une référence inconnue (peut-être mal recopiée, ou falsifiée).",
                              "Answer with an unknown reference (maybe miscopied, or forged)."),
    "refused:wrong address": (
        "Réponse venue d'une autre adresse que celle à qui la question a été posée : rien n'a été fait.",
        "Answer from another address than the one the question was asked to: nothing was done."),
    "refused:already answered": ("Réponse à une question déjà tranchée : rien n'a été fait.",
                                 "Answer to a question already settled: nothing was done."),
    "refused:expired": ("Réponse à une question expirée : rien n'a été fait.",
                        "Answer to an expired question: nothing was done."),
    "refused:cancelled": ("Réponse à une question annulée : rien n'a été fait.",
                          "Answer to a cancelled question: nothing was done."),
    "refused:moved": (
        "Réponse venue de l'ancienne adresse de {member}, qui a changé d'adresse depuis : rien n'a été fait, et le "
        "robot n'a rien répondu (il n'écrit plus à l'ancienne adresse). Si c'est bien la personne, écrivez-lui à "
        "sa nouvelle adresse.",
        "Answer from the former address of {member}, who has moved to another address since: nothing was done, "
        "and the robot answered nothing (it no longer writes to the former address). If it is the person indeed, "
        "write to them at their new address."),
    "from_former_address": (
        "Message venu de l'ancienne adresse de {member}, qui a changé d'adresse depuis : rien n'a été fait, et le "
        "robot n'a rien répondu (il n'écrit plus à l'ancienne adresse). Si c'est bien la personne, écrivez-lui à "
        "sa nouvelle adresse.",
        "Message from the former address of {member}, who has moved to another address since: nothing was done, "
        "and the robot answered nothing (it no longer writes to the former address). If it is the person indeed, "
        "write to them at their new address."),
    "refused:wrong member": ("Réponse « POUR » un autre membre que celui de la question : rien n'a été fait.",
                             "Answer “FOR” another member than the question's: nothing was done."),
    "refused:not authenticated": (
        "Réponse pour un membre sans adresse, mais le message n'est pas authentifié (DKIM/DMARC) : "
        "rien n'a été fait.",
        "Answer for a member without an address, but the message is not authenticated (DKIM/DMARC): "
        "nothing was done."),
}
"""Why a message goes to the animators: ``key → (French, English)``, one sentence each
with the same named :meth:`str.format` placeholders in both languages. ``refused:<r>``
is the reason of a refused answer, ``<r>`` a refusal of :class:`workflows.steps.questions.Match`."""


def reason_text(key: str, language: str, **values: object) -> str:
    """The reason ``key`` of :data:`REASONS` in ``language`` (English for ``en``, French
    otherwise), its placeholders filled with ``values``. An unknown key is an error
    (:class:`KeyError`), as is a missing value: a reason is never shown half-made."""
    french, english = REASONS[key]
    return (english if language == "en" else french).format(**values)
