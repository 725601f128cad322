"""The mesh as the other stages see it: one typed model, whatever file format it came from."""

import pickle
import zlib
from collections import OrderedDict
from collections.abc import Iterator, MutableMapping
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

Severity = Literal["critical", "high", "warning"]
Classification = str  # validated by policy, not by the loader: an invalid value must reach OPA


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class SourceRef(Frozen):
    file: Path
    format: Literal["data_product", "product", "odcs", "odps"]


class Owner(Frozen):
    team: str | None = None
    contact: str | None = None
    slack: str | None = None


class Column(Frozen):
    name: str
    type: str
    description: str | None = None
    required: bool = False
    unique: bool = False
    primary_key: bool = False
    pii: bool = False
    pii_category: str | None = None
    approved: bool = False
    minimum: float | None = None
    maximum: float | None = None
    allowed_values: list[str] | None = None
    pattern: str | None = None
    tags: list[str] = []
    # from the open standards: a logical type beside the physical one, fields inside an object or
    # array (`address.street`: shown in DataHub, not checked as a table column), other attributes
    logical_type: str | None = None
    nested: bool = False
    properties: dict[str, str] = {}


class OutputPort(Frozen):
    """One interface of a product; it becomes one DataHub dataset."""

    name: str
    type: str | None = None
    location: str | None = None
    format: str | None = None
    columns: list[Column] = []
    partitioned_by: list[str] = []
    freshness_hours: float | None = None
    timestamp_field: str | None = None
    description: str | None = None
    tags: list[str] = []
    properties: dict[str, str] = {}

    @property
    def primary_key(self) -> list[str]:
        return [c.name for c in self.columns if c.primary_key]


class Sla(Frozen):
    availability_pct: float | None = None
    freshness_hours: float | None = None
    completeness_pct: float | None = None
    accuracy_pct: float | None = None
    update_schedule: str | None = None
    volume_change_max_pct: float | None = None


class SqlCheck(Frozen):
    """A query returning a count; passes when the count is at most the threshold."""

    name: str
    query: str
    threshold: float = 0
    severity: Severity = "critical"
    port: str | None = None


class QualityRule(Frozen):
    name: str
    rule: str
    severity: Severity = "high"
    port: str | None = None


class MetricCheck(Frozen):
    """A Soda metric compared with a threshold: `missing_percent(email) < 5`, `row_count between 10 and 99`,
    or a query's result (`metric: sql`)."""

    name: str
    metric: str
    operator: Literal["=", "!=", "<", "<=", ">", ">=", "between", "not between"]
    value: float | list[float] | str
    column: str | None = None
    config: dict[str, object] = {}
    query: str | None = None
    severity: Severity | None = None
    description: str | None = None
    port: str | None = None


class SodaClCheck(Frozen):
    """One check written in SodaCL by the contract's author: its line and its configuration."""

    name: str
    line: str
    config: dict[str, object] = {}
    severity: Severity | None = None
    description: str | None = None
    port: str | None = None


class Member(Frozen):
    """A person of the owning team, with the DataHub ownership type their role maps to."""

    name: str
    role: str | None = None
    ownership_type: str = "TECHNICAL_OWNER"


class Alert(Frozen):
    type: str
    condition: str
    severity: Severity


class Retention(Frozen):
    days: int
    data_type: str = "analytical"


class Security(Frozen):
    encryption: bool = False
    audit_logging: bool = False


class ChangelogEntry(Frozen):
    version: str
    date: str | None = None
    changes: list[str] = []
    breaking: bool = False


class InputRef(Frozen):
    """An upstream product (and optionally one of its ports) this product reads."""

    product: str
    port: str | None = None


class DataProduct(Frozen):
    name: str
    version: str
    domain: str
    description: str | None = None
    owner: Owner = Owner()
    classification: Classification | None = None
    classification_source: Literal["spec", "domain_default", "none"] = "none"
    retention: Retention | None = None
    security: Security = Security()
    outputs: list[OutputPort] = []
    inputs: list[InputRef] = []
    sla: Sla = Sla()
    sql_checks: list[SqlCheck] = []
    quality_rules: list[QualityRule] = []
    alerts: list[Alert] = []
    access: dict[str, object] = {}
    changelog: list[ChangelogEntry] = []
    tags: list[str] = []
    source: SourceRef
    # from the open standards
    status: str | None = None
    metric_checks: list[MetricCheck] = []
    sodacl_checks: list[SodaClCheck] = []
    members: list[Member] = []
    properties: dict[str, str] = {}

    @property
    def default_port(self) -> str:
        """Where a check or SodaCL file that names no port belongs: the first port, or the product itself."""
        return self.outputs[0].name if self.outputs else self.name


class DomainTeam(Frozen):
    product_owner: str | None = None
    group: str | None = None
    contact: str | None = None


class Domain(Frozen):
    name: str
    description: str | None = None
    parent: str | None = None
    data_products: list[str] = []
    team: DomainTeam = DomainTeam()


class DomainPolicy(Frozen):
    """A domain's rules from governance.yaml, in the shape the policies read."""

    completeness_min_pct: float | None = None
    accuracy_min_pct: float | None = None
    freshness_max_hours: float | None = None
    default_access: str | None = None
    pii_fields: list[str] = []
    approval_required: list[str] = []
    audit_all_access: bool = False
    sox_compliance: bool = False


class Governance(Frozen):
    retention_limits_days: dict[str, int] = {}
    domains: dict[str, DomainPolicy] = {}
    global_policies: list[str] = []
    warning_failure_max_pct: float = Field(default=5.0)


class PackedProducts(MutableMapping[str, DataProduct]):
    """The mesh's products by name, each kept compressed and rebuilt when a stage asks for it.

    A typed product with twenty fields takes tens of kilobytes as Python objects and about two
    packed, so a 10,000-product mesh stays small while the whole of it is still at hand for the
    checks that span products. Products are frozen: a changed product is stored again, never edited.
    """

    RECENT = 64  # products kept unpacked: a stage reads the same few products several times in a row

    def __init__(self, products: Any = ()) -> None:
        self._packed: dict[str, bytes] = {}
        self._recent: OrderedDict[str, DataProduct] = OrderedDict()
        self.update(products)

    @classmethod
    def of(cls, value: Any) -> "PackedProducts":
        return value if isinstance(value, cls) else cls(value)

    def __getitem__(self, name: str) -> DataProduct:
        product = self._recent.get(name)
        if product is None:
            product = pickle.loads(zlib.decompress(self._packed[name]))
            self._remember(name, product)
        else:
            self._recent.move_to_end(name)
        return product

    def __setitem__(self, name: str, product: DataProduct) -> None:
        self._packed[name] = zlib.compress(pickle.dumps(product, protocol=pickle.HIGHEST_PROTOCOL), 1)
        self._remember(name, product)

    def __delitem__(self, name: str) -> None:
        del self._packed[name]
        self._recent.pop(name, None)

    def __iter__(self) -> Iterator[str]:
        return iter(self._packed)

    def __len__(self) -> int:
        return len(self._packed)

    def __contains__(self, name: object) -> bool:
        return name in self._packed

    def _remember(self, name: str, product: DataProduct) -> None:
        self._recent[name] = product
        self._recent.move_to_end(name)
        while len(self._recent) > self.RECENT:
            self._recent.popitem(last=False)


class Mesh(BaseModel):
    """Everything that loaded, plus what did not."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    root: Path
    domains: dict[str, Domain] = {}
    products: Annotated[PackedProducts, BeforeValidator(PackedProducts.of)] = Field(default_factory=PackedProducts)
    governance: Governance = Governance()
