"""``--log-level`` is read in any case (« INFO » as the logging module writes it), before
or after the sub-command."""
from __future__ import annotations

import pytest

from workflows.cli import build_parser


@pytest.mark.parametrize("words", [["--log-level", "INFO", "parse", "m.eml"], ["parse", "--log-level", "Info", "m.eml"]])
def test_the_log_level_is_read_in_any_case(words):
    assert build_parser().parse_args(words).log_level == "info"


def test_an_unknown_level_is_still_refused(capsys):
    with pytest.raises(SystemExit):
        build_parser().parse_args(["--log-level", "LOUD", "parse", "m.eml"])
    assert "loud" in capsys.readouterr().err
