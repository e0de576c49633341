"""Reference tokens ``RERS-XXXXXXXX``."""
from __future__ import annotations

from workflows.mail.tokens import TOKEN_RE, find_token, find_token_in_ids


def test_find_token():
    assert find_token("Re: [RERS-V7NCPX7Z] Confirmez") == "RERS-V7NCPX7Z"
    assert find_token("réf rers-v7ncpx7z") == "RERS-V7NCPX7Z"
    assert find_token("RERS-V7NCPX7Z1") is None          # nine characters
    assert find_token("RERS-V7NCPX70") is None           # 0 is not in the alphabet
    assert find_token("XRERS-V7NCPX7Z") is None
    assert find_token("") is None and find_token(None) is None


def test_token_re_group():
    assert TOKEN_RE.search("<RERS-ABCDEFGH.3@x>").group(1) == "ABCDEFGH"


def test_find_token_in_ids_takes_the_last_robot_id():
    ids = ["<RERS-AAAAAAAA.1@rers.example.org>", "<CAB123@mail.gmail.com>", "<RERS-BBBBBBBB.2@rers.example.org>"]
    assert find_token_in_ids(ids) == "RERS-BBBBBBBB"
    assert find_token_in_ids(["<CAB123@mail.gmail.com>"]) is None
    assert find_token_in_ids(["<foo-RERS-AAAAAAAA.1@x>"]) is None
