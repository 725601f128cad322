"""`datahub-mesh`: commands around the ingestion source.

    datahub-mesh validate PATH            check every spec, print every problem
    datahub-mesh check [MESH] --base REF  judge a pull request: specs, policies, evolution (exit 0/1/2)
    datahub-mesh domains                  list domains and their products
    datahub-mesh products [--domain D] [--tag T] [--name N]
                                          products with the last run's decision on each
    datahub-mesh show PRODUCT             one product: latest decision, datasets, properties
    datahub-mesh diff OLD NEW             classify a contract change (exit 1: breaking without major bump)
    datahub-mesh test-policies [REGO_DIR] run the Rego tests, like `opa test`
    datahub-mesh policy-data PATH         governance.yaml as the policies' data (an OPA bundle's data.json)
    datahub-mesh audit LOG... --quarter 2026Q3 --out DIR
                                          the quarterly audit report of the decision logs

Exit codes: 0 done, 1 the answer is "no" (problems found, breaking change, denied), 2 bad input
(a missing file or folder, a wrong argument); each command's --help says which applies.
"""

import argparse
import sys
from pathlib import Path

from datahub_mesh import __version__
from datahub_mesh.cli_manners import UsageError, exit_codes, user_mistakes

DEFAULT_DB = ".datahub-mesh/lite.db"
CATALOG_HELP = {
    "domains": "list the domains and their products, from the embedded DataHub Lite store",
    "products": "list data products with the last run's decision on each (published, denied, kept)",
    "show": "one data product: its latest decision and reasons, properties, datasets and lineage",
}


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["audit"]:
        from datahub_mesh.audit.cli import main as audit_main

        return audit_main(argv[1:])
    parser = _parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    with user_mistakes(f"datahub-mesh {argv[0] if argv else ''}".strip()) as outcome:
        outcome.code = args.func(args)
    return outcome.code


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="datahub-mesh", description=__doc__.split("\n\n")[0],
                                     epilog=__doc__.split("\n\n")[-1], formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"datahub-mesh {__version__}")
    sub = parser.add_subparsers(metavar="COMMAND")

    p = sub.add_parser("validate", help="validate the mesh's specs", epilog=exit_codes("validate"))
    p.add_argument("path", type=Path, help="mesh root: the folder holding domains.yaml and the product specs")
    p.set_defaults(func=_validate)

    for name, func in (("domains", _domains), ("products", _products), ("show", _show)):
        p = sub.add_parser(name, help=CATALOG_HELP[name], description=CATALOG_HELP[name], epilog=exit_codes(name))
        p.add_argument("--db", type=Path, default=Path(DEFAULT_DB), help=f"DataHub Lite file (default {DEFAULT_DB})")
        p.add_argument("--run-summary", type=Path, default=None,
                       help="the last run's summary JSON (default: last-run.json beside the --db file)")
        if name == "products":
            p.add_argument("--domain", help="only products of this domain (name or urn; subdomains included)")
            p.add_argument("--tag", help="only products carrying this tag (on the product, a dataset or a column)")
            p.add_argument("--name", help="only products whose name contains this text")
        if name == "show":
            p.add_argument("product", help="the data product's name, as in its spec")
        p.set_defaults(func=func)

    p = sub.add_parser("diff", help="classify the change between two versions of a product spec", epilog=exit_codes("diff"))
    p.add_argument("old", type=Path, help="the product spec as last published (a product.yaml)")
    p.add_argument("new", type=Path, help="the changed product spec")
    p.set_defaults(func=_diff)

    p = sub.add_parser("policy-data", help="print governance.yaml as the JSON data the policies read",
                       epilog=exit_codes("policy-data"))
    p.add_argument("path", type=Path, help="mesh root holding governance.yaml")
    p.set_defaults(func=_policy_data)

    from datahub_mesh.check.cli import add_parser as add_check_parser

    add_check_parser(sub)

    sub.add_parser("audit", help="quarterly audit report (see `datahub-mesh audit --help`)", add_help=False)

    p = sub.add_parser("test-policies", help="run the *_test.rego files on the embedded engine",
                       epilog=exit_codes("test-policies"))
    p.add_argument("rego_dir", nargs="?", default="rego", help="folder of .rego files and their tests (default: rego)")
    p.set_defaults(func=_test_policies)
    return parser


def _validate(args: argparse.Namespace) -> int:
    from datahub_mesh.spec.loader import load_mesh

    if not args.path.is_dir():
        raise UsageError(f"{args.path} is not a folder: give the mesh root (the folder holding domains.yaml)")
    result = load_mesh(args.path)
    for problem in result.problems:
        print(problem)
    for warning in result.warnings:
        print(f"warning: {warning}")
    print(f"{len(result.mesh.products)} products valid, {len(result.failed_files)} files failed, "
          f"{len(result.problems)} problems, {len(result.warnings)} warnings")
    return 1 if result.problems else 0


def _domains(args: argparse.Namespace) -> int:
    from datahub_mesh.discovery import read_domains

    catalog = read_domains(args.db)
    if not catalog.domains:
        print(f"no domains in {args.db}")
    for urn, props in sorted(catalog.domains.items(), key=lambda kv: kv[1].get("name", "")):
        parent = catalog.domain_name(props.get("parentDomain"))
        products = [p.name for p in catalog.find(domain=urn)]
        print(f"{props.get('name')}{f' (in {parent})' if parent else ''}: {', '.join(products) or '-'}")
    return 0


def _products(args: argparse.Namespace) -> int:
    from datahub_mesh.decisions import product_rows
    from datahub_mesh.discovery import read_products

    catalog = read_products(args.db)
    rows = product_rows(catalog, _last_run(args), name=args.name, domain=args.domain, tag=args.tag)
    if not rows:
        wanted = ", ".join(f"--{k} {v}" for k, v in (("domain", args.domain), ("tag", args.tag), ("name", args.name)) if v)
        print(f"no data products{f' match {wanted}' if wanted else ' in ' + str(args.db)}")
        return 0
    table = [["NAME", "VERSION", "DOMAIN", "LATEST DECISION", "TAGS"], *rows]
    widths = [max(len(row[i]) for row in table) for i in range(len(table[0]) - 1)]
    for row in table:
        print("  ".join([*(cell.ljust(width) for cell, width in zip(row, widths, strict=False)), row[-1]]).rstrip())
    return 0


def _last_run(args: argparse.Namespace):
    from datahub_mesh.run_summary import read_json

    return read_json(args.run_summary or args.db.parent / "last-run.json")


def _show(args: argparse.Namespace) -> int:
    from datahub_mesh.decisions import decision_lines
    from datahub_mesh.discovery import read_product

    catalog = read_product(args.db, args.product)
    last_run = _last_run(args)
    matches = [p for p in catalog.find(include_removed=True) if p.name == args.product]
    decided = last_run.decided(args.product) if last_run else None
    if not matches:
        if decided is None:
            print(f"no data product named {args.product!r} in {args.db} or in the last run's summary", file=sys.stderr)
            return 1
        print(f"{decided.name} {decided.version}  (not in DataHub)")
        print(f"  domain: {decided.domain}")
        for line in decision_lines(decided):
            print(f"  {line}")
        return 0
    p = matches[0]
    print(f"{p.name} {p.version}{'  (removed)' if p.removed else ''}")
    for line in decision_lines(decided):
        print(f"  {line}")
    print(f"  domain: {catalog.domain_name(p.domain)}")
    print(f"  owners: {', '.join(p.owners)}")
    for key, value in sorted(p.properties.items()):
        if key == "policy_status" and decided is not None and decided.status != "published":
            value = f"{value} (of the version DataHub holds, {p.version}; see the latest decision above)"
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

    for path in (args.old, args.new):
        if not path.is_file():
            raise UsageError(f"{path} is not a file: give two product specs, e.g. the published and the changed product.yaml")
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

    if not args.path.is_dir():
        raise UsageError(f"{args.path} is not a folder: give the mesh root (the folder holding governance.yaml)")
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

    if not Path(args.rego_dir).is_dir():
        raise UsageError(f"{args.rego_dir} is not a folder of .rego files")
    return rego_main([args.rego_dir])


if __name__ == "__main__":
    sys.exit(main())
