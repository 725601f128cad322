"""Find the mesh's spec files, validate them all, and report every problem at once.

A broken file fails only the product it describes; the rest of the mesh still loads.
"""

import difflib
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from datahub_mesh.spec import boundaries
from datahub_mesh.spec import models as m
from datahub_mesh.spec.errors import SpecError, SpecProblem
from datahub_mesh.spec.formats import DataProductFile, DomainsFile, ProductFile, Strict
from datahub_mesh.spec.governance import GovernanceFile
from datahub_mesh.spec.standard_files import is_standard_file, load_standard_files
from datahub_mesh.spec.standards import ODCS_SUFFIX, ODPS_SUFFIX
from datahub_mesh.spec.yaml_reader import DEFAULT_MAX_FILE_BYTES, LineMap, read_yaml

DOMAINS_FILE = "domains.yaml"
GOVERNANCE_FILE = "governance.yaml"
PRODUCT_FILES = ("data_product.yaml", "product.yaml")
STANDARD_PATTERNS = (f"*{ODCS_SUFFIX}", f"*{ODPS_SUFFIX}")


@dataclass
class LoadResult:
    mesh: m.Mesh
    problems: list[SpecProblem] = field(default_factory=list)
    failed_files: list[Path] = field(default_factory=list)
    # not fatal: e.g. an input whose own spec failed, so its lineage edge is left out this run
    warnings: list[SpecProblem] = field(default_factory=list)
    # information: fields of the open standards that have no home in the mesh model, once per file
    notes: list[SpecProblem] = field(default_factory=list)


def load_mesh(root: Path, max_file_bytes: int = DEFAULT_MAX_FILE_BYTES, default_domain: str | None = None) -> LoadResult:
    root = Path(root)
    if not root.is_dir():
        raise FileNotFoundError(f"mesh root {root} is not a directory")
    result = LoadResult(mesh=m.Mesh(root=root))
    loader = _Loader(result, max_file_bytes, default_domain)
    loader.root = root
    loader.load_domains(root / DOMAINS_FILE)
    loader.load_governance(root / GOVERNANCE_FILE)
    for file in find_product_files(root):
        if not is_standard_file(file):
            loader.load_product(file)
    load_standard_files(loader, [f for f in find_product_files(root) if is_standard_file(f)])
    loader.check_default_domain()
    loader.check_references()
    return result


def report_load_notes(report: Any, loaded: LoadResult) -> None:
    """Warnings (a product moved to the default domain, an unset variable) and information (unmapped fields)."""
    for problem in loaded.warnings:
        report.warning(title="Mesh spec warning", message=problem.message,
                       context=f"{problem.file}:{problem.line or '?'} {problem.field}".strip(), log=False)
    for note in loaded.notes:
        report.info(title="Field not mapped", message=note.message,
                    context=f"{note.file}:{note.line or '?'} {note.field}".strip(), log=False)


def find_product_files(root: Path) -> list[Path]:
    files = [p for name in PRODUCT_FILES + STANDARD_PATTERNS for p in root.rglob(name) if p.is_file()]
    return sorted(set(files))


def load_product_file(file: Path, max_file_bytes: int = DEFAULT_MAX_FILE_BYTES) -> m.DataProduct:
    """Load one product spec on its own (no cross-file checks); raises SpecError."""
    data, lines = read_yaml(file, max_file_bytes)
    return to_product(file, validate(file, data, lines, _product_format(file, data)), lines)


def _product_format(file: Path, data: Any) -> type[BaseModel]:
    if isinstance(data, dict) and "product" in data and ("interfaces" in data or file.name == "product.yaml"):
        return ProductFile
    return DataProductFile


def validate(file: Path, data: Any, lines: LineMap, model: type[BaseModel]) -> Any:
    problems = _duplicate_name_problems(file, data, lines, model)
    try:
        spec = model.model_validate(data)
    except ValidationError as e:
        problems = [_problem_from_error(file, lines, model, err) for err in e.errors()] + problems
        raise SpecError(problems) from None
    if problems:
        raise SpecError(problems)
    return spec


def to_product(file: Path, spec: Any, lines: LineMap) -> m.DataProduct:
    try:
        return spec.to_model(file)
    except (ValueError, TypeError) as e:  # a value validation let through; still this file's fault
        raise SpecError([SpecProblem(file, None, "", f"cannot read the spec: {e}")]) from None


_NAMED_LISTS: dict[type[BaseModel], list[tuple[str, ...]]] = {
    DataProductFile: [("schema", "fields")],
    ProductFile: [("interfaces",), ("contracts", "schema", "fields"), ("interfaces", "*", "fields")],
}


def _duplicate_name_problems(file: Path, data: Any, lines: LineMap, model: type[BaseModel]) -> list[SpecProblem]:
    """Two fields or interfaces with one name: the second would silently shadow the first."""
    problems = []
    for path in _NAMED_LISTS.get(model, []):
        for list_path, items in _lists_at(data, path, ()):
            seen = set()
            for i, item in enumerate(items):
                name = item.get("name") if isinstance(item, dict) else None
                if isinstance(name, str) and name in seen:
                    where = list_path + (i, "name")
                    kind = "interface" if list_path[-1] == "interfaces" else "field"
                    problems.append(SpecProblem(file, _line(lines, where), ".".join(map(str, where)),
                                                f"{kind} names must be unique; repeated: ['{name}']"))
                seen.add(name)
    return problems


def _lists_at(data: Any, path: tuple, prefix: tuple):
    if not path:
        if isinstance(data, list):
            yield prefix, data
        return
    head, rest = path[0], path[1:]
    if head == "*" and isinstance(data, list):
        for i, item in enumerate(data):
            yield from _lists_at(item, rest, prefix + (i,))
    elif isinstance(data, dict) and head in data:
        yield from _lists_at(data[head], rest, prefix + (head,))


class _Loader:
    def __init__(self, result: LoadResult, max_file_bytes: int, default_domain: str | None = None):
        self.result = result
        self.max_file_bytes = max_file_bytes
        self.default_domain = default_domain
        self.product_lines: dict[str, tuple[Path, LineMap]] = {}
        self.root: Path | None = None
        self.failed_names: set = set()

    def _read(self, file: Path, model: type[BaseModel]) -> Any | None:
        try:
            data, lines = self._read_yaml(file)
            return validate(file, data, lines, model), lines
        except SpecError as e:
            self._failed(file, e.problems)
            return None

    def _read_yaml(self, file: Path) -> tuple[Any, LineMap]:
        """Any file that leaves the mesh or that the parser chokes on is a problem of that file only."""
        outside = boundaries.outside_root(file, self.root) if self.root is not None else None
        if outside:
            raise SpecError([outside])
        try:
            return read_yaml(file, self.max_file_bytes)
        except SpecError:
            raise
        except RecursionError:
            raise SpecError([SpecProblem(file, None, "", "the document is nested too deeply to be read")]) from None
        except Exception as e:
            raise SpecError([SpecProblem(file, None, "", f"the file cannot be read ({type(e).__name__})")]) from None

    def _failed(self, file: Path, problems: list[SpecProblem]) -> None:
        self.result.problems.extend(problems)
        if file not in self.result.failed_files:
            self.result.failed_files.append(file)

    def load_domains(self, file: Path) -> None:
        if not file.exists():
            self.result.problems.append(SpecProblem(file, None, "", "domains.yaml is missing; declare the mesh's domains there"))
            return
        loaded = self._read(file, DomainsFile)
        if loaded is None:
            return
        spec, lines = loaded
        domains = self.result.mesh.domains
        for i, domain in enumerate(spec.organization.domains):
            if domain.name in domains:
                self._fail(file, lines, ("organization", "domains", i, "name"), f"domain '{domain.name}' is declared twice")
                continue
            domains[domain.name] = domain.to_model()
        for i, domain in enumerate(spec.organization.domains):
            problem = _parent_problem(domain.name, domains)
            if problem:
                self._fail(file, lines, ("organization", "domains", i, "parent"), problem)

    def load_governance(self, file: Path) -> None:
        if not file.exists():
            return
        loaded = self._read(file, GovernanceFile)
        if loaded is not None:
            self.result.mesh.governance = loaded[0].to_model()

    def load_product(self, file: Path) -> None:
        try:
            data, lines = self._read_yaml(file)
        except SpecError as e:
            self._failed(file, e.problems)
            return
        try:
            product = to_product(file, validate(file, data, lines, _product_format(file, data)), lines)
        except SpecError as e:
            self._failed(file, e.problems)
            self.failed_names.add(_declared_name(data))
            return
        self.add_product(product, file, lines)

    def add_product(self, product: m.DataProduct, file: Path, lines: LineMap) -> None:
        key = "product.name" if product.source.format == "product" else "name"
        if product.name in self.result.mesh.products:
            first = self.result.mesh.products[product.name].source.file
            self._fail(file, lines, tuple(key.split(".")), f"product '{product.name}' is already defined in {first}")
            return
        self.result.mesh.products[product.name] = product
        self.product_lines[product.name] = (file, _reference_lines(lines))

    def check_references(self) -> None:
        """Checks that need the whole mesh: domains and upstream products must exist.

        All products are checked against the same mesh before any is dropped, so the
        outcome does not depend on the order of names.
        """
        mesh = self.result.mesh
        for name, product in list(mesh.products.items()):
            mesh.products[name] = self._with_default_domain(product)
        failing = {name: self._reference_problems(p) for name, p in mesh.products.items()}
        for name, problems in boundaries.duplicate_locations(mesh.products, self.product_lines).items():
            failing[name] = failing[name] + problems
        for name, problems in sorted(failing.items()):
            if problems:
                self._failed(mesh.products.pop(name).source.file, problems)
                self.failed_names.add(name)
        for name, product in list(mesh.products.items()):
            product = self._without_failed_inputs(product)
            mesh.products[name] = _with_domain_default_classification(product, mesh.governance)

    def _reference_problems(self, product: m.DataProduct) -> list[SpecProblem]:
        file, lines = self.product_lines[product.name]
        prefix = ("product",) if product.source.format == "product" else ()
        problems = []
        domains = self.result.mesh.domains
        if not product.domain:
            problems.append(SpecProblem(
                file, _line(lines, ()), "domain",
                "the product names no domain; add `domain:` or set the recipe's `default_domain`"))
        elif domains and product.domain not in domains:
            key = "subdomain" if prefix + ("subdomain",) in lines else "domain"
            problems.append(
                SpecProblem(
                    file, _line(lines, prefix + (key,)), ".".join(prefix + (key,)),
                    f"domain '{product.domain}' is not declared in domains.yaml; expected one of {sorted(domains)}",
                )
            )
        for i, ref in enumerate(product.inputs):
            problem = self._input_problem(product, ref)
            if problem:
                problems.append(SpecProblem(file, _line(lines, ("inputs", i)), f"inputs.{i}", problem))
        return problems

    def _with_default_domain(self, product: m.DataProduct) -> m.DataProduct:
        """A product without a declared domain goes to the recipe's default domain, with a warning."""
        domains = self.result.mesh.domains
        if not self.default_domain or (product.domain and (not domains or product.domain in domains)):
            return product
        if domains and self.default_domain not in domains:
            return product  # reported once by check_default_domain
        file, lines = self.product_lines[product.name]
        found = f"domain '{product.domain}' is not declared in domains.yaml" if product.domain else "the product names no domain"
        self.result.warnings.append(SpecProblem(file, _line(lines, ("domain",)), "domain",
                                                f"{found}; it goes to the default domain '{self.default_domain}'"))
        return product.model_copy(update={"domain": self.default_domain})

    def check_default_domain(self) -> None:
        domains = self.result.mesh.domains
        if self.default_domain and domains and self.default_domain not in domains:
            self.result.problems.append(SpecProblem(
                self.result.mesh.root / DOMAINS_FILE, None, "default_domain",
                f"the recipe's default_domain '{self.default_domain}' is not declared in domains.yaml; "
                f"expected one of {sorted(domains)}"))

    def _input_problem(self, product: m.DataProduct, ref: m.InputRef) -> str | None:
        products = self.result.mesh.products
        if ref.product == product.name:
            return "a product cannot read its own output"
        if ref.product in self.failed_names:
            return None
        upstream = products.get(ref.product)
        if upstream is None:
            hint = _did_you_mean(ref.product, products)
            return f"upstream product '{ref.product}' does not exist in the mesh{hint}"
        ports = [p.name for p in upstream.outputs]
        if ref.port and ref.port not in ports:
            return f"product '{ref.product}' has no output port '{ref.port}'; expected one of {ports}"
        return None

    def _without_failed_inputs(self, product: m.DataProduct) -> m.DataProduct:
        failed = [ref for ref in product.inputs if ref.product in self.failed_names]
        if not failed:
            return product
        file, lines = self.product_lines[product.name]
        for ref in failed:
            i = product.inputs.index(ref)
            self.result.warnings.append(SpecProblem(
                file, _line(lines, ("inputs", i)), f"inputs.{i}",
                f"upstream product '{ref.product}' failed to load; its lineage edge is left out of this run",
            ))
        return product.model_copy(update={"inputs": [r for r in product.inputs if r not in failed]})

    def _fail(self, file: Path, lines: LineMap, path: tuple, message: str) -> None:
        self._failed(file, [SpecProblem(file, _line(lines, path), ".".join(str(p) for p in path), message)])


_REFERENCE_KEYS = {"name", "domain", "subdomain", "inputs"}


def _reference_lines(lines: LineMap) -> LineMap:
    """Only the lines the whole-mesh checks point at: a large mesh need not keep every value's line."""
    def wanted(path: tuple) -> bool:
        rest = path[1:] if path[:1] == ("product",) else path
        referenced = not rest or (rest[0] in _REFERENCE_KEYS and len(rest) <= 2)
        return referenced or (rest[-1] == "location" and len(rest) <= 3)
    return {path: line for path, line in lines.items() if wanted(path)}


def _declared_name(data: Any) -> str | None:
    """The product name a broken file claims, so its consumers are not blamed for it."""
    if not isinstance(data, dict):
        return None
    name = data.get("product", {}).get("name") if isinstance(data.get("product"), dict) else data.get("name")
    return name if isinstance(name, str) else None


def _parent_problem(name: str, domains: dict[str, m.Domain]) -> str | None:
    parent = domains[name].parent if name in domains else None
    if parent is None:
        return None
    if parent not in domains:
        return f"parent domain '{parent}' is not declared; expected one of {sorted(domains)}"
    chain = [name]
    while parent is not None and parent not in chain:
        chain.append(parent)
        parent = domains[parent].parent if parent in domains else None
    if parent is not None:
        return f"domain parents form a cycle: {' -> '.join(chain + [parent])}"
    return None


def _with_domain_default_classification(product: m.DataProduct, governance: m.Governance) -> m.DataProduct:
    if product.classification:
        return product
    default = governance.domains.get(product.domain, m.DomainPolicy()).default_access
    if not default:
        return product
    return product.model_copy(update={"classification": default, "classification_source": "domain_default"})


# --- turning pydantic errors into problems a person can act on ------------------------------


def _line(lines: LineMap, path: tuple) -> int | None:
    while path:
        if path in lines:
            return lines[path]
        path = path[:-1]
    return lines.get(())


def _problem_from_error(file: Path, lines: LineMap, model: type[BaseModel], err: ErrorDetails) -> SpecProblem:
    loc = _strip_union_tags(err["loc"])
    field = ".".join(str(p) for p in loc)
    if err["type"] == "extra_forbidden":
        allowed = _allowed_keys(model, loc[:-1])
        hint = _did_you_mean(str(loc[-1]), allowed) if allowed else ""
        expected = f"; allowed keys: {', '.join(sorted(allowed))}" if allowed else ""
        return SpecProblem(file, _line(lines, loc), field, f"unknown key '{loc[-1]}'{hint}{expected}")
    found = err.get("input")
    found_text = "" if err["type"] == "missing" else f" (found {_short(found)})"
    message = err["msg"].removeprefix("Value error, ")
    if err["type"] == "missing":
        message = "required field is missing"
    return SpecProblem(file, _line(lines, loc), field, f"{message}{found_text}")


_PRIMITIVE_TAGS = {"str", "int", "float", "bool", "date", "datetime", "none"}


def _spec_model_names() -> set:
    names, todo = set(), [Strict]
    while todo:
        cls = todo.pop()
        names.add(cls.__name__)
        todo.extend(cls.__subclasses__())
    return names


def _strip_union_tags(loc: tuple) -> tuple:
    """pydantic adds the member type's name to the location of union errors: drop it."""
    models = _spec_model_names()
    out = []
    for i, part in enumerate(loc):
        if isinstance(part, str) and (part in models or "[" in part):
            continue
        if isinstance(part, str) and part in _PRIMITIVE_TAGS and i == len(loc) - 1 and i > 0:
            continue
        out.append(part)
    return tuple(out)


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _did_you_mean(word: str, options: Any) -> str:
    close = difflib.get_close_matches(word, list(options), n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""


def _allowed_keys(model: type[BaseModel], path: tuple) -> list[str]:
    current: Any = model
    for part in path:
        if isinstance(part, int):
            continue
        sub = _submodel(current, part)
        if sub is None:
            return []
        current = sub
    if not (isinstance(current, type) and issubclass(current, BaseModel)):
        return []
    return [f.alias or name for name, f in current.model_fields.items()]


def _submodel(model: Any, key: str) -> type[BaseModel] | None:
    if not (isinstance(model, type) and issubclass(model, BaseModel)):
        return None
    for name, info in model.model_fields.items():
        if key in (name, info.alias):
            return _first_model(info.annotation)
    return None


def _first_model(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in typing.get_args(annotation):
        found = _first_model(arg)
        if found:
            return found
    return None
