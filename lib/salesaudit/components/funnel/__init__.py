"""Funnel: stage-to-stage conversion, where it leaks, time to convert, visitor and store conversion."""

from salesaudit.components import Component
from salesaudit.i18n import N_

COMPONENT = Component('funnel', N_('funnel'), needs=('leads',), uses=('traffic', 'store_traffic', 'orders'))
