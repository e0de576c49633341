"""The `rers` command line (skeleton; grows with each issue)."""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def _cmd_parse(args) -> int:
    from workflows.mail.model import ParseOptions
    from workflows.mail.parse import parse_message

    raw = Path(args.message).read_bytes()
    parsed = parse_message(raw, ParseOptions())
    json.dump(parsed.contract(), sys.stdout, ensure_ascii=False, indent=2)
    sys.stdout.write("\n")
    return 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="rers")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("parse", help="print what the robot understood of one message, as JSON")
    p.add_argument("message")
    p.set_defaults(func=_cmd_parse)
    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
