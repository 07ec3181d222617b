"""Content and marketing flows: campaigns and flows, promotions, guided sales, uplift, touch frequency."""

from salesaudit.components import Component
from salesaudit.i18n import N_

COMPONENT = Component('content_flows', N_('content flows'), needs=('campaigns', 'touches'), uses=('promotions', 'orders'))
