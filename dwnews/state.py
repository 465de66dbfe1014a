"""``python3 -m dwnews.state``: the article ledger from the command line (:mod:`dwnews.commands.state`)."""

from dwnews.commands.state import main

if __name__ == "__main__":
    raise SystemExit(main())
