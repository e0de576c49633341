"""Sub-commands of `rers`, one module per area (calendar, members, introductions…).

Each module has ``register(subparsers, common)``: it adds its parsers (with ``common`` as
a parent, for ``--config`` and ``--log-level``) and sets ``func`` to a function taking
the parsed arguments and returning the exit status. Shared plumbing (loading the
configuration, opening the store, the clock) is in :mod:`workflows.commands.common`.
"""
