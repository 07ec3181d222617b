"""Lead quality and channel economics: conversion, CPL, CAC, LTV, payback per source."""

from salesaudit.components import Component
from salesaudit.i18n import N_

COMPONENT = Component('lead_quality', N_('lead quality'), needs=('leads',), uses=('spend', 'orders', 'customers'))
