"""One seaborn theme and the chart types the audit repeats.

Every function takes a tidy DataFrame and returns the matplotlib Axes; notebooks call them
and add nothing but a title where needed. Rates are always drawn with their interval.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
from babel import numbers
from matplotlib.ticker import FuncFormatter, PercentFormatter

from salesaudit import fmt
from salesaudit.i18n import N_, _

PALETTE = ["#1f5f8b", "#e07b39", "#3a9d5d", "#b8405e", "#7a5fa6", "#8c7b4f", "#4f8c8c", "#999999"]
HIGHLIGHT, MUTED = "#b8405e", "#9aa5b1"


def set_theme() -> None:
    sns.set_theme(context="notebook", style="whitegrid", palette=PALETTE)
    plt.rcParams.update(
        {
            "figure.figsize": (9, 4.2),
            "figure.dpi": 96,
            "savefig.dpi": 110,
            "axes.titleweight": "bold",
            "axes.titlesize": 12,
            "axes.spines.top": False,
            "axes.spines.right": False,
            "legend.frameon": False,
        }
    )


def _ax(ax):
    return ax if ax is not None else plt.subplots()[1]


# Column names that callers pass and that reach a chart as an axis or legend title: shown in
# the report's language (other names are shown as they are).
_COLUMN_LABELS = (N_("channel"), N_("rep_id"), N_("month"), N_("n"), N_("adjusted"), N_("group"))


def _column(name: str) -> str:
    return _(name) if name in _COLUMN_LABELS else name


def _whole(v, _pos=None) -> str:
    """A tick or label as a whole number in the report's locale (1,234 / 1.234)."""
    return fmt.number(v, 0)


def _cell(v, spec: str) -> str:
    """A heatmap cell written with `spec` (".0%", ",.0f", …) in the report's locale."""
    if pd.isna(v):
        return ""
    if spec.endswith("%") and spec.lstrip(",").startswith("."):
        return fmt.pct(v, int(spec.lstrip(",")[1:-1] or 0))
    if spec.endswith("f") and spec.lstrip(",").startswith("."):
        return fmt.number(v, int(spec.lstrip(",")[1:-1] or 0))
    return format(v, spec)


def rate_with_ci(
    df: pd.DataFrame,
    label: str,
    rate: str = "rate",
    low: str = "ci_low",
    high: str = "ci_high",
    n: str | None = "n",
    reference: float | None = None,
    highlight: list | None = None,
    title: str = "",
    ax=None,
):
    """Horizontal dots with 95% interval bars, one row per group, n written beside each."""
    ax = _ax(ax)
    d = df.reset_index(drop=True)
    y = np.arange(len(d))
    colors = [HIGHLIGHT if highlight and v in highlight else PALETTE[0] for v in d[label]]
    ax.errorbar(
        d[rate], y, xerr=[d[rate] - d[low], d[high] - d[rate]], fmt="none",
        ecolor=MUTED, elinewidth=2, capsize=3,
    )
    ax.scatter(d[rate], y, c=colors, zorder=3, s=36)
    ax.set_yticks(y, d[label].astype(str))
    ax.invert_yaxis()
    ax.xaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    if reference is not None:
        ax.axvline(reference, color=MUTED, ls="--", lw=1)
    if n:
        for yi, (hi, nn) in enumerate(zip(d[high], d[n], strict=True)):
            ax.annotate(f"n={fmt.count(nn)}", (hi, yi), xytext=(6, 0), textcoords="offset points",
                        va="center", fontsize=8, color="#555")
    ax.set_xlabel(_("rate (95% interval)"))
    ax.set_ylabel("")
    ax.set_title(title)
    ax.set_xlim(left=max(0.0, float(d[low].min()) - 0.05))
    return ax


def funnel(stages: pd.DataFrame, label: str = "stage", count: str = "count",
           rate: str | None = "rate_from_previous", leak: str | None = None, title: str = "",
           ax=None):
    """Horizontal funnel bars with counts and the conversion from the previous stage."""
    ax = _ax(ax)
    d = stages.reset_index(drop=True)
    colors = [HIGHLIGHT if leak is not None and s == leak else PALETTE[0] for s in d[label]]
    ax.barh(d[label].astype(str), d[count], color=colors)
    ax.invert_yaxis()
    top = float(d[count].max())
    for i, row in d.iterrows():
        text = fmt.count(row[count])
        if rate and i > 0 and pd.notna(row[rate]):
            text += "  (" + _("{rate} of previous", rate=fmt.pct(row[rate])) + ")"
        ax.annotate(text, (row[count], i), xytext=(4, 0), textcoords="offset points",
                    va="center", fontsize=9)
    ax.set_xlim(0, top * 1.45)
    ax.xaxis.set_major_formatter(FuncFormatter(_whole))
    ax.set_title(title)
    ax.grid(axis="y", visible=False)
    return ax


def survival_curves(curves: pd.DataFrame, group: str = "group", time: str = "time",
                    value: str = "survival", low: str = "ci_low", high: str = "ci_high",
                    cumulative: bool = True, xlabel: str | None = None, title: str = "", ax=None):
    """Kaplan–Meier step curves per group with interval bands.

    With `cumulative=True` the curve shows 1 − S(t) (share converted by day t).
    """
    ax = _ax(ax)
    for i, (g, d) in enumerate(curves.groupby(group, sort=True)):
        c = PALETTE[i % len(PALETTE)]
        v, lo, hi = d[value], d[low], d[high]
        if cumulative:
            v, lo, hi = 1 - v, 1 - hi, 1 - lo
        ax.step(d[time], v, where="post", color=c, label=str(g))
        ax.fill_between(d[time], lo, hi, step="post", color=c, alpha=0.15, lw=0)
    ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    ax.set_xlabel(_("days") if xlabel is None else xlabel)
    ax.set_ylabel(_("share converted") if cumulative else _("share not yet converted"))
    ax.legend(title=_column(group))
    ax.set_title(title)
    return ax


def monthly_rates(df: pd.DataFrame, month: str = "month", rate: str = "rate",
                  low: str = "ci_low", high: str = "ci_high", hue: str | None = None,
                  immature: str | None = None, title: str = "", ax=None):
    """A rate per month with its interval band; immature months drawn hollow."""
    ax = _ax(ax)
    groups = df.groupby(hue, sort=True) if hue else [("all", df)]
    for i, (g, d) in enumerate(groups):
        c = PALETTE[i % len(PALETTE)]
        ax.plot(d[month], d[rate], marker="o", color=c, label=str(g) if hue else None)
        ax.fill_between(d[month], d[low], d[high], color=c, alpha=0.15, lw=0)
        if immature:
            m = d[immature].astype(bool)
            ax.scatter(d.loc[m, month], d.loc[m, rate], facecolor="white", edgecolor=c, zorder=3)
    ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    if hue:
        ax.legend(title=_column(hue))
    ax.set_title(title)
    ax.set_xlabel("")
    return ax


def heatmap(table: pd.DataFrame, fmt: str = ".0%", mask=None, title: str = "", ax=None,
            cmap: str = "Blues"):
    """A heatmap where masked cells are greyed (too small to read), not hidden."""
    ax = _ax(ax)
    ax.set_facecolor("#e6e6e6")
    annot = np.array([[_cell(v, fmt) for v in row] for row in table.to_numpy()], dtype=object)
    sns.heatmap(table, annot=annot, fmt="", mask=mask, cmap=cmap, cbar=False, ax=ax,
                annot_kws={"fontsize": 8})
    ax.set_title(title)
    return ax


def rate_facets(df: pd.DataFrame, facet: str, label: str, n: str = "n",
                highlight_facet=None, title: str = "", col_wrap: int = 3):
    """Small multiples of `rate_with_ci`, one panel per value of `facet` (in data order)."""
    values = list(dict.fromkeys(df[facet]))
    cols = min(col_wrap, len(values))
    rows = -(-len(values) // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(4.2 * cols, 0.45 * df[label].nunique() * rows + 1.6),
                             squeeze=False, sharey=True)
    for ax, v in zip(axes.flat, values, strict=False):
        d = df[df[facet] == v]
        rate_with_ci(d, label, n=n, ax=ax, title=str(v),
                     highlight=list(d[label]) if v == highlight_facet else None)
    for ax in list(axes.flat)[len(values):]:
        ax.set_visible(False)
    fig.suptitle(title, y=1.02)
    fig.tight_layout()
    return fig


def funnel_plot(df: pd.DataFrame, band: pd.DataFrame, reference: float, label: str,
                n: str = "n", rate: str = "rate", highlight: list | None = None,
                title: str = "", ax=None):
    """Funnel plot: each group's rate against its n, with control limits around the reference
    rate (`band` from `compare.funnel_band`: columns n, low, high, level), dashed for the
    wider level. Highlighted groups (e.g. flagged after Benjamini–Hochberg) in red."""
    ax = _ax(ax)
    for i, (lv, b) in enumerate(band.groupby("level", sort=True)):
        style = {"color": MUTED, "lw": 1, "ls": "-" if i == 0 else "--"}
        ax.plot(b["n"], b["low"], label=_("{level} limits", level=fmt.pct(lv)), **style)
        ax.plot(b["n"], b["high"], **style)
    ax.axhline(reference, color=PALETTE[0], lw=1,
               label=_("reference {rate}", rate=fmt.pct(reference)))
    d = df.reset_index(drop=True)
    colors = [HIGHLIGHT if highlight and v in highlight else PALETTE[0] for v in d[label]]
    ax.scatter(d[n], d[rate], c=colors, zorder=3, s=40)
    for _i, r in d.iterrows():
        ax.annotate(str(r[label]), (r[n], r[rate]), xytext=(5, 3), textcoords="offset points",
                    fontsize=8)
    ax.set_xscale("log")
    ax.xaxis.set_major_formatter(FuncFormatter(_whole))
    ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    lo = min(float(d[rate].min()), reference) - 0.1
    hi = max(float(d[rate].max()), reference) + 0.1
    ax.set_ylim(max(lo, 0.0), min(hi, 1.0))
    ax.set_xlabel(_("{n} (log scale)", n=_column(n)))
    ax.set_ylabel(_column(rate))
    ax.legend(loc="lower right", fontsize=8)
    ax.set_title(title)
    return ax


def value_with_ci(df: pd.DataFrame, label: str, value: str = "value", low: str = "ci_low",
                  high: str = "ci_high", n: str | None = "n", reference: float | None = None,
                  highlight: list | None = None, xlabel: str = "", title: str = "", ax=None):
    """Like `rate_with_ci` for numbers that are not shares (money, ratios, counts): dots with
    95% interval bars, one row per group, an optional reference line (e.g. 1 for LTV:CAC)."""
    ax = _ax(ax)
    d = df.reset_index(drop=True)
    y = np.arange(len(d))
    colors = [HIGHLIGHT if highlight and v in highlight else PALETTE[0] for v in d[label]]
    lo = (d[value] - d[low]).clip(lower=0).fillna(0)
    hi = (d[high] - d[value]).clip(lower=0).fillna(0)
    ax.errorbar(d[value], y, xerr=[lo, hi], fmt="none", ecolor=MUTED, elinewidth=2, capsize=3)
    ax.scatter(d[value], y, c=colors, zorder=3, s=36)
    ax.set_yticks(y, d[label].astype(str))
    ax.invert_yaxis()
    if reference is not None:
        ax.axvline(reference, color=MUTED, ls="--", lw=1)
    if n:
        right = d[high].fillna(d[value])
        for yi, (hv, nn) in enumerate(zip(right, d[n], strict=True)):
            ax.annotate(f"n={fmt.count(nn)}", (hv, yi), xytext=(6, 0), textcoords="offset points",
                        va="center", fontsize=8, color="#555")
    ax.xaxis.set_major_formatter(FuncFormatter(
        lambda v, _pos: numbers.format_decimal(v, "#,##0.###", locale=fmt.current_locale())))
    ax.set_xlabel(xlabel)
    ax.set_ylabel("")
    ax.set_title(title)
    return ax


def lines(df: pd.DataFrame, x: str, y: str, hue: str, hlines: dict | None = None,
          ylabel: str = "", title: str = "", ax=None):
    """One line per group (e.g. cumulative value by month per channel); `hlines` draws a
    dashed horizontal line per group in the group's colour (e.g. its acquisition cost)."""
    ax = _ax(ax)
    for i, (g, d) in enumerate(df.groupby(hue, sort=True)):
        c = PALETTE[i % len(PALETTE)]
        ax.plot(d[x], d[y], color=c, label=str(g))
        if hlines and g in hlines and pd.notna(hlines[g]):
            ax.axhline(hlines[g], color=c, ls="--", lw=1)
    ax.yaxis.set_major_formatter(FuncFormatter(_whole))
    ax.set_xlabel(_column(x))
    ax.set_ylabel(ylabel)
    ax.legend(title=_column(hue))
    ax.set_title(title)
    return ax


def download_link(df: pd.DataFrame, filename: str, label: str = ""):
    """A link that downloads `df` as CSV from inside a static page (a data: URI, no server).

    Put identifiers only in `df`, never names or e-mail addresses: the page is shared.
    """
    import base64
    import html

    from IPython.display import HTML

    payload = base64.b64encode(df.to_csv(index=False).encode("utf-8")).decode("ascii")
    text = html.escape(label or _("Download {file} ({n} rows)", file=filename, n=fmt.count(len(df))))
    return HTML(f'<a download="{html.escape(filename, quote=True)}" '
                f'href="data:text/csv;base64,{payload}">{text}</a>')


def heatmap_greyed(table: pd.DataFrame, small: pd.DataFrame, fmt: str = ".0%", title: str = "",
                   ax=None, cmap: str = "Blues"):
    """`heatmap` whose `small` cells (True: too few observations to read) are greyed with
    their value written in grey — shown, not hidden. NaN cells (nothing observed) stay empty."""
    import warnings

    small = small.reindex_like(table).fillna(False).astype(bool)
    with warnings.catch_warnings():  # every cell masked: seaborn warns about an all-NaN slice
        warnings.simplefilter("ignore", RuntimeWarning)
        ax = heatmap(table, fmt=fmt, mask=small.to_numpy() | table.isna().to_numpy(),
                     title=title, ax=ax, cmap=cmap)
    ax.grid(False)
    rows, cols = np.nonzero(small.to_numpy() & table.notna().to_numpy())
    for i, j in zip(rows, cols, strict=True):
        ax.text(j + 0.5, i + 0.5, _cell(table.iat[i, j], fmt), ha="center", va="center",
                fontsize=8, color="#8a8a8a")
    return ax
