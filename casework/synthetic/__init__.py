"""Synthetic Migrant Office data: no real person in any of it.

- ``names``, ``documents``, ``phones``: the vocabularies (names and respellings, RUN and
  passport numbers, mobile numbers and how desks type them).
- ``population``: people (the demo's persons, the benchmark's households).
- ``records``: noisy records of those people, as desks type them (the matcher's benchmark,
  the demo's duplicates).
- ``demo``: building the demo database (``casework demo``, ``casework --demo``, bench/).
- ``sqlite_bulk``: the demo's SQLite loader, standard library only, also run as
  ``python -m casework.synthetic.sqlite_bulk``. Nothing here is imported by this file, so
  that process starts in milliseconds.
- ``forms``: intake form data for the tests.

Core code: no Textual. Services never import this package.
"""
