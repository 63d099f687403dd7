"""The citykg web server: a read-only SPARQL 1.1 endpoint and Linked Data pages.

:mod:`.app` builds the Starlette application, :mod:`.workers` runs queries in
killable worker processes, :mod:`.negotiation` parses ``Accept`` headers and
:mod:`.pages` reads what an HTML page shows. ``citykg serve`` starts it; see
``docs/serving.md``.
"""
