"""Issue 14, "Authentication that means something" (RFC 8601, RFC 7489): only the topmost
Authentication-Results field of the configured authserv-id counts; DMARC only for the
From domain, DKIM only aligned, SPF never; the server's dmarc=fail is a forgery."""
from __future__ import annotations

from email import message_from_bytes

import pytest
from hypothesis import given, settings, strategies as st

from workflows.mail.authentication import Verdict, judge
from workflows.mail.model import ParseOptions
from workflows.mail.parse import parse_message

ID = "mx.reseau.test"
FROM = "anim1@reseau.test"


@pytest.mark.parametrize("field, authenticated, forged", [
    (f"{ID}; dmarc=pass header.from=reseau.test", True, False),
    (f"{ID}; dmarc=pass (p=reject) header.from=RESEAU.TEST", True, False),
    (f"{ID}; dmarc=pass header.from=evil.test", False, False),  # DMARC vouched for another domain
    (f"{ID}; dmarc=pass", False, False),  # for which domain? not said: not counted
    (f"{ID}; dkim=pass header.d=reseau.test", True, False),
    (f"{ID}; dkim=pass header.d=mail.reseau.test", True, False),  # relaxed alignment
    (f"{ID}; dkim=pass header.i=@reseau.test", True, False),
    (f"{ID}; dkim=pass header.d=evil.test header.i=@reseau.test", False, False),  # d decides
    (f"{ID}; dkim=pass header.d=evil.test", False, False),
    (f"{ID}; dkim=pass header.d=test", False, False),  # a top-level domain vouches for nobody
    (f"{ID}; dkim=pass header.d=reseau.test.evil.test", False, False),
    (f"{ID}; spf=pass smtp.mailfrom=reseau.test", False, False),  # SPF alone never
    (f"{ID}; dmarc=none header.from=reseau.test", False, False),
    (f"{ID}; dmarc=temperror header.from=reseau.test", False, False),
    (f"{ID}; dmarc=permerror header.from=reseau.test", False, False),
    (f"{ID}; dkim=fail header.d=reseau.test", False, False),
    (f"{ID}; dkim=neutral header.d=reseau.test", False, False),
    (f"{ID}; none", False, False),
    (f"{ID}; dmarc=fail header.from=reseau.test", False, True),
    (f"{ID}; dkim=pass header.d=reseau.test; dmarc=fail header.from=reseau.test", False, True),  # fail wins
    # Forms authres refuses, kept readable (see _parse_results).
    (f"{ID}; spf=pass smtp.mailfrom=<a@reseau.test>; dkim=pass header.d=reseau.test;", True, False),
    (f"{ID}; spf=pass smtp.helo=[192.0.2.1]; dmarc=pass header.from=reseau.test", True, False),
    (f"{ID.upper()}; dmarc=pass header.from=reseau.test", True, False),  # authserv-id: no case
])
def test_one_field_of_the_server(field, authenticated, forged):
    found = judge(ID, FROM, [field])
    assert (found.authenticated, found.forged, found.stripped_forgeries) == (authenticated, forged, 0), found.reason
    assert FROM not in found.reason


def test_no_field_of_the_server_is_no_authentication():
    assert judge(ID, FROM, []) == Verdict(False, False, 0, f"no Authentication-Results of {ID}")
    assert not judge(ID, FROM, ["evil.test; dmarc=pass header.from=reseau.test"]).authenticated


def test_without_authserv_id_nothing_is_checked_and_it_says_so():
    found = judge(None, FROM, [f"{ID}; dmarc=fail header.from=reseau.test"])
    assert (found.authenticated, found.forged, found.checked) == (True, False, False)


def test_without_a_single_from_nothing_is_vouched_for_but_a_fail_is_still_a_forgery():
    assert not judge(ID, None, [f"{ID}; dmarc=pass header.from=reseau.test"]).authenticated
    assert judge(ID, None, [f"{ID}; dmarc=fail header.from=reseau.test"]).forged


def test_a_lower_field_with_the_servers_id_is_a_forgery_never_believed():
    top = f"{ID}; dmarc=none header.from=reseau.test"
    forged_below = f"{ID}; dkim=pass header.d=reseau.test; dmarc=pass header.from=reseau.test"
    found = judge(ID, FROM, [top, "gmail.example; dkim=pass header.d=reseau.test", forged_below])
    assert (found.authenticated, found.stripped_forgeries) == (False, 1)
    found = judge(ID, FROM, [f"{ID}; dmarc=pass header.from=reseau.test", f"{ID}; dmarc=fail header.from=reseau.test"])
    assert (found.authenticated, found.forged, found.stripped_forgeries) == (True, False, 1)


def test_an_unreadable_top_field_of_the_server_does_not_let_a_lower_one_through():
    found = judge(ID, FROM, [f"{ID}; dkim=pass header.d=reseau.test(((", f"{ID}; dmarc=pass header.from=reseau.test"])
    assert (found.authenticated, found.stripped_forgeries) == (False, 1)


def test_idn_domains_compare_in_one_form():
    assert judge(ID, "rose@réseau.example", [f"{ID}; dmarc=pass header.from=xn--rseau-bsa.example"]).authenticated
    assert judge(ID, "rose@réseau.example", [f"{ID}; dkim=pass header.d=xn--rseau-bsa.example"]).authenticated


def test_the_parser_keeps_the_fields_topmost_first():
    raw = (f"Authentication-Results: {ID}; dmarc=none\r\n"
           f"Received: from x by {ID}\r\n"
           f"Authentication-Results: {ID}; dmarc=pass header.from=reseau.test\r\n"
           f"Authentication-Results: other.example; dkim=pass header.d=reseau.test\r\n"
           f"From: {FROM}\r\nSubject: Aide\r\n\r\nAide\r\n").encode()
    parsed = parse_message(raw, ParseOptions())
    assert parsed.authentication_results == [value.strip() for value in message_from_bytes(raw).get_all("Authentication-Results")]
    assert parsed.authentication_results[0].endswith("dmarc=none")
    found = judge(ID, parsed.sender, parsed.authentication_results)
    assert (found.authenticated, found.stripped_forgeries) == (False, 1)


# --- properties: whatever a forger adds below, the top field of the server decides --------

_results = st.sampled_from([
    "dmarc=pass header.from=reseau.test", "dmarc=fail header.from=reseau.test", "dmarc=none header.from=reseau.test",
    "dkim=pass header.d=reseau.test", "dkim=pass header.d=evil.test", "spf=pass smtp.mailfrom=reseau.test",
    "dmarc=pass header.from=evil.test", "dkim=temperror header.d=reseau.test", "none",
])
_others = st.lists(st.builds(lambda who, what: f"{who}; {what}", st.sampled_from(["evil.test", "mx.google.example",
                                                                                    "mx.reseau.test.evil.test"]), _results),
                   max_size=3)


@settings(max_examples=300)
@given(top=_results, above=_others, forgeries=st.lists(_results, max_size=4), below=_others,
       shuffle=st.randoms(use_true_random=False))
def test_only_the_topmost_field_of_the_server_counts(top, above, forgeries, below, shuffle):
    lower = [f"{ID}; {what}" for what in forgeries] + below
    shuffle.shuffle(lower)
    fields = [*above, f"{ID}; {top}", *lower]
    found = judge(ID, FROM, fields)
    alone = judge(ID, FROM, [f"{ID}; {top}"])
    assert (found.authenticated, found.forged) == (alone.authenticated, alone.forged)
    assert found.stripped_forgeries == len(forgeries)
    assert found.authenticated is (top in ("dmarc=pass header.from=reseau.test", "dkim=pass header.d=reseau.test"))
    assert found.forged is (top == "dmarc=fail header.from=reseau.test")
