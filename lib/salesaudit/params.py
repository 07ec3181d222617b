"""A client's audit parameters: `params/<client>.yaml`, validated.

Every key is declared here; unknown keys and bad values are refused with the key path and
what is allowed, before any data is read. Client differences live in these files, never in
code.
"""

from __future__ import annotations

import datetime as dt
import types
import typing
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from salesaudit import fmt, paths
from salesaudit.errors import ParamsError
from salesaudit.ingest import contract

TableName = Literal[
    "customers", "orders", "leads", "traffic", "store_traffic", "spend",
    "campaigns", "touches", "promotions", "reps", "tickets", "surveys",
]  # fmt: skip
assert set(typing.get_args(TableName)) == set(contract.TABLES), "params and contract disagree"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class CsvOptions(_Strict):
    sep: str = Field(",", description="field separator, e.g. ';', '\\t', or 'whitespace'")
    decimal: Literal[".", ","] = Field(".", description="decimal mark")
    thousands: Literal[".", ",", " ", "'"] | None = Field(None, description="thousands mark")
    encoding: str = Field("utf-8", description="utf-8, utf-8-sig, latin-1, cp1252, …")
    header: bool = Field(True, description="false: the file has no header row; give `names`")
    names: list[str] | None = Field(None, description="column names of a file without header")

    @model_validator(mode="after")
    def _consistent(self) -> CsvOptions:
        if self.thousands is not None and self.thousands == self.decimal:
            raise ValueError("thousands and decimal marks must differ")
        if not self.header and not self.names:
            raise ValueError("a file without header (header: false) needs `names`")
        if self.header and self.names:
            raise ValueError("`names` is only for files without header (header: false)")
        return self

    @property
    def separator(self) -> str:
        return r"\s+" if self.sep == "whitespace" else self.sep


class Condition(_Strict):
    """Rows where a client column holds one of some values (compared as trimmed text)."""

    column: str
    equals: str | None = None
    one_of: list[str] | None = None

    @model_validator(mode="after")
    def _one_test(self) -> Condition:
        if (self.equals is None) == (self.one_of is None):
            raise ValueError("give exactly one of `equals` or `one_of`")
        return self

    @property
    def values(self) -> list[str]:
        return [self.equals] if self.equals is not None else list(self.one_of or [])


class Derivation(_Strict):
    """A contract column built from the client's columns, when no column holds it as is."""

    value: str | None = Field(None, description="client column whose values are used")
    constant: str | None = Field(None, description="the same value on every row")
    when: Condition | None = Field(None, description="keep the value only on these rows")
    default: str | None = Field(None, description="used where the value is empty")
    row_number: bool = Field(False, description="number the rows 1..n (an id for files without)")

    @model_validator(mode="after")
    def _one_source(self) -> Derivation:
        sources = [self.value is not None, self.constant is not None, self.row_number]
        if sum(sources) != 1:
            raise ValueError("give exactly one of `value`, `constant` or `row_number: true`")
        if (self.row_number or self.constant is not None) and (self.when or self.default):
            raise ValueError("`row_number` and `constant` take no `when` or `default`")
        return self


class Join(_Strict):
    """Another file of the client, joined to the table's file on a key column."""

    file: str
    key: str = Field(description="client column present in both files (YAML reads `on` as true)")
    how: Literal["left", "inner"] = "left"
    sheet: str | None = None
    csv: CsvOptions = CsvOptions()


class EventLog(_Strict):
    """The file is an event log: one row per event, several per case (e.g. ticket).

    It becomes one row per case with the columns `first_event`, `second_event`,
    `last_event` (times) and `events` (count), to map like any other column."""

    key: str = Field(description="client column identifying the case")
    time: str = Field(description="client column with the time of the event")


class Lines(_Strict):
    """The file has one row per line item (e.g. receipt lines): rows sharing `key` become one
    row (e.g. one order), summing the `sum` columns and taking the first row's `first` columns."""

    key: str = Field(description="client column identifying the group (e.g. basket id)")
    sum: list[str] = Field(default_factory=list, description="numeric columns to add up")
    first: list[str] = Field(default_factory=list, description="columns taken from the first row")


class TableSource(_Strict):
    file: str | None = Field(None, description="file name inside data_dir")
    sheet: str | None = Field(None, description="Excel sheet name")
    columns: dict[str, str] = Field(
        default_factory=dict, description="canonical column -> the client's column name"
    )
    keep: list[str] = Field(
        default_factory=list, description="extra client columns to keep (segments, stages)"
    )
    csv: CsvOptions = CsvOptions()
    date_format: str | None = Field(None, description="strftime format, e.g. '%d/%m/%Y'")
    join: list[Join] = Field(default_factory=list, description="files joined to this one")
    events: EventLog | None = Field(None, description="the file is an event log")
    lines: Lines | None = Field(None, description="the file has one row per line item")
    derive: dict[str, Derivation] = Field(
        default_factory=dict, description="canonical column -> how to build it"
    )
    drop_out_of_order: bool = Field(
        False, description="drop rows with stage timestamps out of order (listed in data "
        "quality) instead of stopping"
    )

    @model_validator(mode="after")
    def _derive_or_map(self) -> TableSource:
        both = sorted(set(self.derive) & set(self.columns))
        if both:
            raise ValueError(f"columns {both} are both mapped and derived: keep one")
        if self.events and self.lines:
            raise ValueError("a file is either an event log or line items, not both")
        return self

    @property
    def reshapes(self) -> bool:
        """Whether the file is joined, reduced or derived (all its columns are then read)."""
        return bool(self.join or self.events or self.lines or self.derive)


class Period(_Strict):
    start: dt.date
    end: dt.date

    @model_validator(mode="after")
    def _ordered(self) -> Period:
        if self.end < self.start:
            raise ValueError(f"end {self.end} is before start {self.start}")
        return self

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def __str__(self) -> str:
        """In the report's date format (the locale set by the notebook), like the header."""
        return fmt.period(self.start, self.end)


class FunnelStage(_Strict):
    name: str = Field(description="label shown in the report")
    column: str = Field(description="timestamp column of `leads` marking the stage")


class FunnelParams(_Strict):
    stages: list[FunnelStage] = Field(
        default_factory=lambda: [
            FunnelStage(name="Lead", column="created_at"),
            FunnelStage(name="MQL", column="mql_at"),
            FunnelStage(name="SQL", column="sql_at"),
            FunnelStage(name="Customer", column="won_at"),
        ],
        min_length=2,
    )
    maturity_days: Annotated[int, Field(ge=1, le=730)] = 60

    @field_validator("stages")
    @classmethod
    def _first_is_created(cls, stages: list[FunnelStage]) -> list[FunnelStage]:
        if stages[0].column != "created_at":
            raise ValueError("the first stage must be the lead itself (column created_at)")
        cols = [s.column for s in stages]
        if len(set(cols)) != len(cols):
            raise ValueError(f"stage columns repeat: {cols}")
        return stages


class BusinessHours(_Strict):
    """Opening hours of customer service, for business-hours response times."""

    open_hour: Annotated[int, Field(ge=0, le=23)] = 9
    close_hour: Annotated[int, Field(ge=1, le=24)] = 18
    weekdays: list[Annotated[int, Field(ge=0, le=6)]] = Field(
        default_factory=lambda: [0, 1, 2, 3, 4], description="0 = Monday … 6 = Sunday"
    )

    @model_validator(mode="after")
    def _open_before_close(self) -> BusinessHours:
        if self.close_hour <= self.open_hour:
            raise ValueError(f"close_hour {self.close_hour} must be after open_hour {self.open_hour}")
        if not self.weekdays:
            raise ValueError("weekdays cannot be empty")
        return self


class Targets(_Strict):
    stage_conversion: dict[str, Annotated[float, Field(gt=0, le=1)]] = Field(
        default_factory=dict,
        description="stage name -> target share of the previous stage reaching it",
    )


class AuditParams(_Strict):
    client: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$")]
    name: str
    data_dir: str | None = Field(None, description="client data folder; default data/<client>")
    period: Period
    currency: Annotated[str, Field(pattern=r"^[A-Z]{3}$")] = "EUR"
    language: Literal["en", "it"] = "en"
    locale: str | None = Field(None, description="number format, e.g. it_IT; default from language")
    tables: dict[TableName, TableSource] = Field(default_factory=dict)
    funnel: FunnelParams = FunnelParams()
    attribution_window_days: Annotated[int, Field(ge=1, le=90)] = 7
    business_hours: BusinessHours | None = None
    targets: Targets = Targets()

    @field_validator("locale")
    @classmethod
    def _known_locale(cls, value: str | None) -> str | None:
        if value is not None:
            from salesaudit.fmt import parse_locale

            parse_locale(value)
        return value

    @property
    def number_locale(self) -> str:
        from salesaudit.fmt import DEFAULT_LOCALES

        return self.locale or DEFAULT_LOCALES[self.language]

    @model_validator(mode="after")
    def _mappings_name_contract_columns(self) -> AuditParams:
        for name, src in self.tables.items():
            allowed = contract.table(name).names
            for key, given in (("columns", src.columns), ("derive", src.derive)):
                unknown = sorted(set(given) - set(allowed) - set(src.keep))
                if unknown:
                    raise ValueError(
                        f"tables.{name}.{key}: unknown canonical column(s) {unknown}; "
                        f"allowed: {', '.join(allowed)}"
                    )
        stage_names = [s.name for s in self.funnel.stages]
        unknown = sorted(set(self.targets.stage_conversion) - set(stage_names[1:]))
        if unknown:
            raise ValueError(
                f"targets.stage_conversion: unknown stage(s) {unknown}; "
                f"allowed: {', '.join(stage_names[1:])}"
            )
        return self

    @property
    def data_path(self) -> Path:
        return paths.resolve(self.data_dir or f"data/{self.client}")

    def source(self, table: str) -> TableSource:
        return self.tables.get(table, TableSource())  # type: ignore[arg-type]


def _unwrap(tp: Any) -> Any:
    """Strip Annotated[...] and Optional[...] down to the type that holds keys."""
    while True:
        origin = typing.get_origin(tp)
        if origin is Annotated:
            tp = typing.get_args(tp)[0]
        elif origin in (typing.Union, types.UnionType):
            tp = next(a for a in typing.get_args(tp) if a is not type(None))
        else:
            return tp


def _allowed_keys(loc: tuple[Any, ...]) -> list[str] | None:
    """The keys allowed at the parent of `loc`, found by walking the model's annotations."""
    tp: Any = AuditParams
    for part in loc[:-1]:
        tp = _unwrap(tp)
        if isinstance(tp, type) and issubclass(tp, BaseModel):
            if str(part) not in tp.model_fields:
                return None
            tp = tp.model_fields[str(part)].annotation
        elif typing.get_origin(tp) is dict:
            tp = typing.get_args(tp)[1]
        else:
            return None
    tp = _unwrap(tp)
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        return list(tp.model_fields)
    return None


def _explain(err: ValidationError, source: str) -> str:
    lines = [f"{source}: {err.error_count()} problem(s) in the params file"]
    for e in err.errors():
        loc = ".".join(str(p) for p in e["loc"] if p != "[key]") or "(top level)"
        if e["type"] == "extra_forbidden":
            allowed = _allowed_keys(e["loc"])
            hint = f"; allowed here: {', '.join(allowed)}" if allowed else ""
            lines.append(f"  {loc}: unknown key{hint}")
        elif e["type"] == "literal_error" and e["loc"] and e["loc"][0] == "tables":
            lines.append(f"  {loc}: unknown table; allowed: {', '.join(contract.TABLES)}")
        else:
            msg = e["msg"].removeprefix("Value error, ")
            got = e.get("input")
            shown = "" if isinstance(got, dict | list) or got is None else f" (got {got!r})"
            lines.append(f"  {loc}: {msg}{shown}")
    lines.append("  fix: correct these keys; params/demo.yaml documents every key.")
    return "\n".join(lines)


def parse_params(raw: Any, source: str = "params") -> AuditParams:
    """Validate an already-parsed mapping (e.g. from YAML or a test)."""
    if not isinstance(raw, dict):
        raise ParamsError(f"{source}: expected a mapping of keys at the top level")
    try:
        return AuditParams.model_validate(raw)
    except ValidationError as err:
        raise ParamsError(_explain(err, source)) from None


def load_params(path: str | Path) -> AuditParams:
    """Read and validate `params/<client>.yaml` (paths relative to the project root)."""
    p = paths.resolve(path)
    if not p.is_file():
        raise ParamsError(
            f"params file not found: {p}\n  fix: pass an existing file, e.g. params/demo.yaml"
        )
    try:
        raw = yaml.safe_load(p.read_text(encoding="utf-8"))
    except yaml.YAMLError as err:
        raise ParamsError(f"{p}: not valid YAML:\n  {err}") from None
    return parse_params(raw, str(p))
