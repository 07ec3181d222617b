"""Customer service: response and resolution times, satisfaction, effect of service on repurchase."""

from salesaudit.components import Component
from salesaudit.i18n import N_

COMPONENT = Component('customer_service', N_('customer service'), needs=('tickets',), uses=('surveys', 'orders'))
