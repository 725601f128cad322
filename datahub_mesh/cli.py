"""`datahub-mesh`: commands around the ingestion source.

    datahub-mesh validate PATH            check every spec, print every problem
    datahub-mesh check [MESH] --base REF  judge a pull request: specs, policies, evolution (exit 0/1/2)
    datahub-mesh domains                  list domains and their products
    datahub-mesh products [--domain D] [--tag T] [--name N]
    datahub-mesh show PRODUCT             one product, its datasets and policy status
    datahub-mesh diff OLD NEW             classify a contract change (exit 1: breaking without major bump)
    datahub-mesh test-policies [REGO_DIR] run the Rego tests, like `opa test`
    datahub-mesh policy-data PATH         governance.yaml as the policies' data (an OPA bundle's data.json)
    datahub-mesh audit LOG... --quarter 2026Q3 --out DIR
                                          the quarterly audit report of the decision logs
"""

import argparse
import sys
from pathlib import Path
from typing import List, Optional

DEFAULT_DB = ".datahub-mesh/lite.db"


def main(argv: Optional[List[str]] = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["audit"]:
        from datahub_mesh.audit.cli import main as audit_main

        return audit_main(argv[1:])
    parser = _parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    return args.func(args)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="datahub-mesh", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers()

    p = sub.add_parser("validate", help="validate the mesh's specs")
    p.add_argument("path", type=Path)
    p.set_defaults(func=_validate)

    for name, func in (("domains", _domains), ("products", _products), ("show", _show)):
        p = sub.add_parser(name, help=f"{name} in the embedded DataHub Lite store")
        p.add_argument("--db", type=Path, default=Path(DEFAULT_DB), help=f"DataHub Lite file (default {DEFAULT_DB})")
        if name == "products":
            p.add_argument("--domain")
            p.add_argument("--tag")
            p.add_argument("--name")
        if name == "show":
            p.add_argument("product")
        p.set_defaults(func=func)

    p = sub.add_parser("diff", help="classify the change between two versions of a product spec")
    p.add_argument("old", type=Path)
    p.add_argument("new", type=Path)
    p.set_defaults(func=_diff)

    p = sub.add_parser("policy-data", help="print governance.yaml as the JSON data the policies read")
    p.add_argument("path", type=Path, help="mesh root holding governance.yaml")
    p.set_defaults(func=_policy_data)

    from datahub_mesh.check.cli import add_parser as add_check_parser

    add_check_parser(sub)

    sub.add_parser("audit", help="quarterly audit report (see `datahub-mesh audit --help`)", add_help=False)

    p = sub.add_parser("test-policies", help="run the *_test.rego files on the embedded engine")
    p.add_argument("rego_dir", nargs="?", default="rego")
    p.set_defaults(func=_test_policies)
    return parser


def _validate(args: argparse.Namespace) -> int:
    from datahub_mesh.spec.loader import load_mesh

    result = load_mesh(args.path)
    for problem in result.problems:
        print(problem)
    print(f"{len(result.mesh.products)} products valid, {len(result.failed_files)} files failed, "
          f"{len(result.problems)} problems")
    return 1 if result.problems else 0


def _catalog(args: argparse.Namespace):
    from datahub_mesh.discovery import open_catalog

    return open_catalog(args.db)


def _domains(args: argparse.Namespace) -> int:
    catalog = _catalog(args)
    for urn, props in sorted(catalog.domains.items(), key=lambda kv: kv[1].get("name", "")):
        parent = catalog.domain_name(props.get("parentDomain"))
        products = [p.name for p in catalog.find(domain=urn)]
        print(f"{props.get('name')}{f' (in {parent})' if parent else ''}: {', '.join(products) or '-'}")
    return 0


def _products(args: argparse.Namespace) -> int:
    catalog = _catalog(args)
    found = catalog.find(name=args.name, domain=args.domain, tag=args.tag)
    for p in found:
        status = p.properties.get("policy_status", "")
        print(f"{p.name}\t{p.version}\t{catalog.domain_name(p.domain)}\t{status}\t{', '.join(p.tags)}")
    return 0 if found else 1


def _show(args: argparse.Namespace) -> int:
    catalog = _catalog(args)
    matches = [p for p in catalog.find(include_removed=True) if p.name == args.product]
    if not matches:
        print(f"no data product named {args.product!r}", file=sys.stderr)
        return 1
    p = matches[0]
    print(f"{p.name} {p.version}{'  (removed)' if p.removed else ''}")
    print(f"  domain: {catalog.domain_name(p.domain)}")
    print(f"  owners: {', '.join(p.owners)}")
    for key, value in sorted(p.properties.items()):
        print(f"  {key}: {value}")
    for dataset in p.datasets:
        aspects = catalog.datasets.get(dataset, {})
        fields = [f["fieldPath"] for f in aspects.get("schemaMetadata", {}).get("fields", [])]
        upstreams = [u["dataset"] for u in aspects.get("upstreamLineage", {}).get("upstreams", [])]
        print(f"  dataset {dataset}")
        print(f"    fields: {', '.join(fields)}")
        if upstreams:
            print(f"    upstream: {', '.join(upstreams)}")
    return 0


def _diff(args: argparse.Namespace) -> int:
    from datahub_mesh.evolution import Snapshot, classify
    from datahub_mesh.spec.errors import SpecError
    from datahub_mesh.spec.loader import load_product_file

    try:
        old, new = load_product_file(args.old), load_product_file(args.new)
    except SpecError as e:
        print(e, file=sys.stderr)
        return 2
    evolution = classify(Snapshot.of(old), new)
    print(f"{new.name}: {evolution.kind} change, {old.version} -> {new.version}")
    for change in evolution.changes:
        print(f"  {change.level:10} {change.port}: {change.description}")
    if evolution.needs_major_bump:
        print(f"breaking change needs a major version: use {int(old.version.split('.')[0]) + 1}.0.0 or later")
        return 1
    return 0


def _policy_data(args: argparse.Namespace) -> int:
    import json

    from datahub_mesh.policy.input import governance_data
    from datahub_mesh.spec.loader import load_mesh

    result = load_mesh(args.path)
    governance_problems = [p for p in result.problems if p.file.name == "governance.yaml"]
    for problem in governance_problems:
        print(problem, file=sys.stderr)
    if governance_problems:
        return 1
    # OPA serves a bundle's governance/data.json at data.governance
    print(json.dumps(governance_data(result.mesh.governance)["governance"], indent=2, sort_keys=True))
    return 0


def _test_policies(args: argparse.Namespace) -> int:
    from datahub_mesh.policy.rego_tests import main as rego_main

    return rego_main([args.rego_dir])


if __name__ == "__main__":
    sys.exit(main())
