"""Display tables of the content-and-flows page, formatted in the report's language, and
the small text helpers the page and its findings share."""

from __future__ import annotations

import pandas as pd

from salesaudit import fmt
from salesaudit.components.content_flows.metrics import FlowsResult
from salesaudit.i18n import N_, _, label

# Verdicts, metric and peer-group names stay English in the data (code compares them); the
# reader sees them through label() and flagged_label().
VERDICTS = (N_("no data"), N_("no peers"), N_("under-performing"), N_("lower"), N_("higher"),
            N_("not distinguishable"))
PEER_GROUPS = (N_("flow"), N_("campaign"), N_("other"), N_("promotion"), N_("newsletter"),
               N_("content"))
METRIC_LABELS = {"open": N_("open"), "click": N_("click"), "conversion": N_("conversion")}
RATE_LABELS = {"open": N_("open rate"), "click": N_("click rate"),
               "conversion": N_("conversion rate")}


def flagged_label(flagged: str) -> str:
    """'open, click' (the `flagged` column) in the report's language."""
    return ", ".join(_(METRIC_LABELS.get(m, m)) for m in flagged.split(", ")) if flagged else ""


def days(x) -> str:
    """A number of days as `{x:g}` would write it, in the report's locale."""
    return fmt.number(x, 0 if float(x).is_integer() else 1)


def _rates(df: pd.DataFrame, prefix: str, n: str) -> list[str]:
    return [fmt.rate_ci(r[f"{prefix}_rate"], r[f"{prefix}_low"], r[f"{prefix}_high"], int(r[n]))
            for _, r in df.iterrows()]


def _ci(df: pd.DataFrame, prefix: str) -> list[str]:
    """'44.3% (42.6%–45.9%)': the rate and its interval; the n is in its own column."""
    return [fmt.rate_ci(r[f"{prefix}_rate"], r[f"{prefix}_low"], r[f"{prefix}_high"])
            for _, r in df.iterrows()]


def campaign_table(res: FlowsResult, part: str = "engagement",
                   currency: str = "EUR") -> pd.DataFrame:
    """Per campaign and flow, formatted, with each rate's verdict against its peers.

    part="engagement": open, click and click-to-open rates (n = touches sent);
    part="purchases": conversion (n = touches with a full window), revenue per touch in
    the window with its interval, last-touch attributed orders and revenue.
    """
    m = res.metrics.merge(res.under.drop(columns=["name", "peer_group"]), on="campaign_id")
    out = pd.DataFrame({_("campaign"): m["campaign_id"] + " " + m["name"],
                        _("peers"): m["peer_group"].map(label)})
    if part == "engagement":
        out[_("touches sent (n)")] = m["sent"].map(fmt.count)
        out[_("recipients")] = m["recipients"].map(fmt.count)
        out[_("open rate (95% CI)")] = _ci(m, "open")
        out[_("open vs peers")] = m["open_verdict"].map(label)
        out[_("click rate (95% CI)")] = _ci(m, "click")
        out[_("click vs peers")] = m["click_verdict"].map(label)
        out[_("click-to-open (95% CI, n = opened)")] = _rates(m, "click_to_open", "opened")
    elif "conversion_rate" in m:
        out[_("touches with a full window (n)")] = m["mature"].map(fmt.count)
        out[_("conversion (95% CI)")] = _ci(m, "conversion")
        out[_("conversion vs peers")] = m["conversion_verdict"].map(label)
        out[_("revenue per touch, {currency} (95% CI)", currency=currency)] = [
            f"{fmt.number(r.revenue_per_touch, 2)} ({fmt.number(r.rpt_low, 2)}–"
            f"{fmt.number(r.rpt_high, 2)})" for r in m.itertuples()]
        out[_("attributed orders")] = m["attributed_orders"].map(fmt.count)
        out[_("attributed revenue")] = [fmt.money(v, currency) for v in m["attributed_revenue"]]
    out[_("under-performs on")] = m["flagged"].map(flagged_label).replace("", "–")
    return out


def promotion_table(p: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame({
        _("promotion"): p["label"], _("reached"): p["reached"].map(fmt.count),
        _("bought within the window"): [fmt.rate_ci(r.rate, r.ci_low, r.ci_high, int(r.reached))
                                        for r in p.itertuples()],
        _("vs the other promotions"): p["verdict"].map(label),
        _("used it (tagged order)"): [fmt.rate_ci(r.redeem_rate, r.redeem_low, r.redeem_high)
                                      for r in p.itertuples()]})


def responder_table(r: pd.DataFrame, currency: str = "EUR") -> pd.DataFrame:
    return pd.DataFrame({
        _("promotions responded to"): r["group"].map(label),
        _("customers"): r["customers"].map(fmt.count),
        _("share of customers reached"): [fmt.rate_ci(x.share_of_base, x.sob_low, x.sob_high)
                                          if pd.notna(x.share_of_base) else "–"
                                          for x in r.itertuples()],
        _("revenue in the period"): [fmt.money(v, currency) for v in r["revenue"]],
        _("share of all revenue"): r["revenue_share"].map(fmt.pct),
        _("revenue per customer (95% CI)"): [
            f"{fmt.money(x.revenue_per_customer, currency)} ({fmt.money(x.rpc_low, currency)}–"
            f"{fmt.money(x.rpc_high, currency)})" for x in r.itertuples()]})


def uplift_table(u: pd.DataFrame, currency: str = "EUR") -> pd.DataFrame:
    def m(v):
        return fmt.money(v, currency)

    return pd.DataFrame({
        _("campaign"): u["campaign_id"] + " " + u.get("name", u["campaign_id"]).fillna(""),
        _("treated / control"): [f"{fmt.count(r.treated)} / {fmt.count(r.control)}"
                                 for r in u.itertuples()],
        _("purchase rate treated / control"): [
            f"{fmt.pct(r.treatment_rate)} / {fmt.pct(r.control_rate)}" for r in u.itertuples()],
        _("uplift (95% CI)"): [_("{uplift} pts ({low} to {high})", uplift=fmt.signed(100 * r.uplift),
                                 low=fmt.signed(100 * r.uplift_low), high=fmt.signed(100 * r.uplift_high))
                               for r in u.itertuples()],
        _("p-value"): u["p_value"].map(fmt.sig),
        _("revenue per customer treated / control"): [
            f"{fmt.money(r.treatment_revenue_per_customer, currency, 2)} / "
            f"{fmt.money(r.control_revenue_per_customer, currency, 2)}" for r in u.itertuples()],
        _("incremental orders (95% CI)"): [
            f"{fmt.number(r.incremental_orders, 0)} ({fmt.number(r.incr_orders_low, 0)}–"
            f"{fmt.number(r.incr_orders_high, 0)})" for r in u.itertuples()],
        _("incremental revenue (95% CI)"): [
            f"{m(r.incremental_revenue)} ({m(r.incr_revenue_low)}–{m(r.incr_revenue_high)})"
            for r in u.itertuples()]})


def bands_table(b: pd.DataFrame) -> pd.DataFrame:
    out = pd.DataFrame({_("touches in the month"): b["band"].map(label),
                        _("customer-months"): b["customer_months"].map(fmt.count),
                        _("share of customer-months"): [
                            fmt.rate_ci(r.share, r.share_low, r.share_high)
                            for r in b.itertuples()]})
    if "rate" in b:
        out[_("bought in the month")] = [
            fmt.rate_ci(r.rate, r.ci_low, r.ci_high, int(r.customer_months))
            for r in b.itertuples()]
        out[_("difference vs no touch")] = [
            "–" if pd.isna(r.diff_vs_none) else
            _("{diff} pts ({low} to {high}, {p})", diff=fmt.signed(100 * r.diff_vs_none),
              low=fmt.signed(100 * r.diff_low), high=fmt.signed(100 * r.diff_high),
              p=fmt.pvalue(r.p_value)) for r in b.itertuples()]
    return out
