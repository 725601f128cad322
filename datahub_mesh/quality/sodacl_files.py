"""A product's own SodaCL files are producer input: screened like specs before Soda reads them.

A file is refused, as one error result of its product, when it
- resolves (through a symbolic link) outside the product's folder,
- breaks the limits a spec has (size, values expanded by aliases) or cannot be parsed at all,
- uses Soda's template syntax, through which it could read the host's environment variables,
- asks the data source to run SQL that is not one read-only query (see sql_guard).
A refused file is not read any further: nothing of it reaches Soda, DataHub or the logs.
"""

import re
from dataclasses import dataclass
from pathlib import Path

from datahub_mesh.checks import ContractCheck
from datahub_mesh.quality.models import CheckResult, ProductQuality
from datahub_mesh.quality.sql_guard import RefusedSql, cap, check_query, refusal, sql_in_sodacl
from datahub_mesh.spec.errors import SpecError
from datahub_mesh.spec.models import DataProduct
from datahub_mesh.spec.yaml_reader import DEFAULT_MAX_FILE_BYTES, read_yaml

# Soda renders SodaCL with Jinja, where ${NAME} and {% ... %} read the process's environment variables.
_TEMPLATE = re.compile(r"\$\{(?!\s*NOW\s*\})|\{%|\{#")


@dataclass(frozen=True)
class RefusedFile:
    path: Path
    message: str


def screen(product: DataProduct, files: list[Path],
           max_bytes: int = DEFAULT_MAX_FILE_BYTES) -> tuple[list[Path], list[RefusedFile]]:
    accepted, refused = [], []
    for path in files:
        problem = _problem(product, path, max_bytes)
        if problem:
            refused.append(RefusedFile(path, cap(problem)))
        else:
            accepted.append(path)
    return accepted, refused


def _problem(product: DataProduct, path: Path, max_bytes: int) -> str:
    folder = product.source.file.parent.resolve()
    resolved = path.resolve()
    if not resolved.is_relative_to(folder):
        return (f"{path.name} of product '{product.name}' leads outside the product's folder "
                f"(a symbolic link?); commit the file itself next to the spec")
    try:
        document, _ = read_yaml(path, max_bytes)
    except SpecError as e:
        return f"{path.name} of product '{product.name}' cannot be read: " + "; ".join(p.message for p in e.problems)
    except RecursionError:
        return f"{path.name} of product '{product.name}' is nested too deeply to be read"
    except Exception as e:  # anything the parser raises is this file's problem only
        return f"{path.name} of product '{product.name}' cannot be read: {type(e).__name__}"
    template = _TEMPLATE.search(path.read_text(encoding="utf-8"))
    if template:
        return (f"{path.name} of product '{product.name}' uses Soda's template syntax ({template.group(0)}...), "
                f"which would read the ingest host's environment variables; write the value itself "
                f"(only ${{NOW}} is allowed)")
    for check, sql in sql_in_sodacl(document):
        try:
            check_query(sql)
        except RefusedSql as e:
            return refusal(product.name, f"{path.name}: {check}", str(e))
    return ""


def with_refused(product: DataProduct, quality: ProductQuality, refused: list[RefusedFile]) -> ProductQuality:
    """Each refused file becomes one check of the product, in error, with the reason."""
    if not refused:
        return quality
    port = product.default_port
    checks, results = list(quality.extra_checks), list(quality.results)
    for file in refused:
        check = ContractCheck(id=f"{port}/sodacl/{file.path.name}", product=product.name, port=port, kind="sodacl",
                              params={"definition": ""}, severity="high", description=file.path.name)
        checks.append(check)
        results.append(CheckResult(check_id=check.id, outcome="error", message=file.message, severity="high"))
    return quality.model_copy(update={"extra_checks": checks, "results": results})
