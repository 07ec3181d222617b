"""Team effectiveness: reps compared fairly (lead mix, shrinkage), where deals are lost, capacity."""

from salesaudit.components import Component
from salesaudit.i18n import N_

COMPONENT = Component('team_effectiveness', N_('team effectiveness'), needs=('leads', 'reps'), uses=())
