"""The municipal textbook order: the federal list (ФПУ), checks of the schools' orders,
the consolidated order with a specification and a distribution list per publisher,
provision and the exchange of textbooks between schools. See docs/orders.md.

Importing it changes nothing elsewhere: its finding codes are in
:data:`sync_service.findings.ORDER_CODES` (part of the one table of codes), and its
``fpu_order`` check is listed by :func:`sync_service.forms.checks.default_checks`.
"""
