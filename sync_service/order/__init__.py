"""The municipal textbook order: the federal list (ФПУ), checks of the schools' orders,
the consolidated order with a specification and a distribution list per publisher,
provision and the exchange of textbooks between schools. See docs/orders.md.

Importing the package adds its finding codes to :data:`sync_service.findings.CODES` and
registers the ``fpu_order`` check in :data:`sync_service.forms.checks.CHECKS`.
"""
from sync_service.findings import CODES
from sync_service.order.findings_codes import ORDER_CODES

CODES.update(ORDER_CODES)

from sync_service.order import checks as _checks  # noqa: E402,F401  (registers «fpu_order»)
