"""Reporting: customer base, repeat purchases, cohorts, RFM, purchase rhythm, loyalty card, data quality."""

from salesaudit.components import Component
from salesaudit.i18n import N_

COMPONENT = Component('reporting', N_('reporting'), needs=('orders',), uses=('customers',))
