"""The robot of a Réseau d'Échanges Réciproques de Savoirs.

Read first: ``docs/architecture.md``. In short — steps decide, the shell acts:

- ``routes.py``: THE table — each intent, command and kind of answer, its guard (who may)
  and its step (what happens); ``rers routes`` prints it.
- ``decision.py``: the step contract — a ``Plan`` (a read view of the store with the
  step's own pending writes) where a step records records, mails, questions, forwards.
- ``steps/``: the decisions, one module per area; ``lookup.py``: reading the store.
- ``model/``, ``mail/``, ``events/``: pure rules, understanding and building mail, the
  calendar as data.
- ``shell/``: the only code with I/O — ``runner`` (a cycle), ``apply`` (carries a plan
  out), ``outbox``, ``daemon``, ``jobs``, mailboxes and transports.
- ``commands/`` and ``cli.py``: the ``rers`` command (``rers decide FILE.eml``: what the
  robot would do with one message, changing nothing).
"""
