"""The demo client: a deterministic synthetic shop with planted, known effects.

"Demo Shop S.r.l." is an Italian-style retailer selling online and in three stores (EUR).
`generate()` builds all twelve contract tables from one seed and returns the planted truths;
`write()` stores the tables (csv or parquet) with `truth.json` beside them.

Every number in `truth` is a parameter of the generating process or an expectation computed
from the parameters in closed form or by deterministic numerical integration - never a
statistic of the generated rows. To keep them exact while several effects touch the same
orders, the steps are arranged so that they do not disturb each other:

- one-time buyers are decided by a Bernoulli draw per active customer (a ticket on the
  first order decides it through the repurchase model instead; the other customers'
  probability is set so the overall share stays exact); repeaters get at least two orders;
- repeat customers buy on a jittered lattice (personal interval `mu`), so the expected
  number of orders is known in closed form; rhythm breakers and ticket churn remove whole
  lattice points, the promotion holdout only moves orders, store matching only moves an
  order within its day;
- the repurchase outcome after a ticket is drawn from the logistic model first and the
  customer's later orders follow it (kept or stopped); a ticket's timing never depends on
  the outcome, so the model holds for every ticket whose 180 days lie inside the period;
- store orders per store-hour are Binomial(visitors, p_hour); loyalty-card revenue is
  base + delta with the base drawn iid for every order, so card and non-card orders differ
  by exactly delta in expectation.

Everything is vectorized numpy; loops run only over channels, reps, campaigns and stores.
Times are kept as float days since the period start and turned into timestamps at the end.

The package has one simulator module per table group - leads.py (web traffic, leads, reps),
customers.py, orders.py, stores.py, promotions.py (and the holdout), campaigns.py (campaigns,
touches, flows), service.py (tickets, surveys), spend.py - plus expectations.py (the exact
expectations), truth.py (truth.json), frames.py (arrays to contract frames), base.py (calendar
and sampling helpers) and generate.py, which runs them in a fixed order from one seed.
"""

from __future__ import annotations

from salesaudit.demo.base import CHANNELS
from salesaudit.demo.generate import Demo, generate, write

__all__ = ["CHANNELS", "Demo", "generate", "write"]
