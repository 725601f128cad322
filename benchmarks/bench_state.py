"""How big the checkpoint gets: the published-contracts state at N products against DataHub's 16 MB limit.

On a synthetic mesh (benchmarks/synthetic.py: N products x M fields), builds the state a full run
leaves behind, from our own code: each product's published contract (Snapshot.of), the URNs of
everything it emitted (definition_mcps: product, datasets, assertions, contract) and its row counts;
serialises it as DataHub serialises checkpoints (`base85-bz2-json`, CheckpointStateBase.to_bytes)
and compares it with DataHub's own stale-removal checkpoint holding the same URNs (the baseline,
measured in the same run) and with `stateful_ingestion.max_checkpoint_state_size` (16 MB).

    python benchmarks/bench_state.py                               # 1,000 and 10,000 products x 20 fields
    python benchmarks/bench_state.py --products 1000 10000 --fields 20
"""

import argparse
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

import synthetic  # noqa: E402
from datahub.ingestion.source.state.entity_removal_state import GenericCheckpointState  # noqa: E402
from datahub.ingestion.source.state.stateful_ingestion_base import StatefulIngestionConfig  # noqa: E402
from datahub.utilities.urns.urn import guess_entity_type  # noqa: E402

from datahub_mesh.checks import contract_checks  # noqa: E402
from datahub_mesh.emit.product import ProductRun, definition_mcps  # noqa: E402
from datahub_mesh.evolution import Snapshot  # noqa: E402
from datahub_mesh.published import PublishedProduct, PublishedState  # noqa: E402
from datahub_mesh.spec.loader import load_mesh  # noqa: E402
from datahub_mesh.state import MeshCheckpointState  # noqa: E402

LIMIT = StatefulIngestionConfig().max_checkpoint_state_size  # DataHub's default: 16 MB


def states(mesh_root: Path) -> dict[str, object]:
    mesh = load_mesh(mesh_root).mesh
    published = PublishedState()
    removal = GenericCheckpointState()
    for name, product in mesh.products.items():
        run = ProductRun(product=product, checks=contract_checks(product), env="PROD")
        emitted = sorted({x.entityUrn for x in definition_mcps(run, {})})
        published.products[name] = PublishedProduct(
            version=product.version, snapshot=Snapshot.of(product), urns=emitted,
            source_file=f"{product.domain}/{name}/data_product.yaml", decision_id="0" * 36, published_at_ms=0)
        published.row_counts[name] = {port.name: 1_000_000 + i for i, port in enumerate(product.outputs)}
        for urn in emitted:
            removal.add_checkpoint_urn(guess_entity_type(urn), urn)
    return {"mesh": MeshCheckpointState(published=published), "removal": removal, "urns": removal.urn_count()}


def measure(products: int, fields: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        root = synthetic.write_mesh(Path(tmp) / "mesh", products, fields)
        built = states(root)
    out: dict[str, float] = {"products": products, "urns": built["urns"]}
    for job in ("mesh", "removal"):
        state = built[job]
        started = time.perf_counter()
        encoded = state.to_bytes(max_allowed_state_size=2**40)
        out[f"{job}_seconds"] = time.perf_counter() - started
        out[f"{job}_bytes"] = len(encoded)
        out[f"{job}_json_bytes"] = len(state._to_bytes_utf8(state))
    return out


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--products", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--fields", type=int, default=20)
    args = parser.parse_args(argv)
    print("command: python benchmarks/bench_state.py --products "
          f"{' '.join(map(str, args.products))} --fields {args.fields}")
    print(f"limit: stateful_ingestion.max_checkpoint_state_size = {LIMIT:,} bytes; serde base85-bz2-json")
    print(f"{'products':>8} {'URNs':>8} {'job':<22} {'JSON MB':>8} {'stored MB':>9} {'of limit':>8} "
          f"{'vs removal':>10} {'encode s':>8}")
    for n in args.products:
        r = measure(n, args.fields)
        for job, label in (("removal", "stale removal (base)"), ("mesh", "published contracts")):
            print(f"{n:8,d} {int(r['urns']):8,d} {label:<22} {r[f'{job}_json_bytes'] / 2**20:8.2f} "
                  f"{r[f'{job}_bytes'] / 2**20:9.2f} {r[f'{job}_bytes'] / LIMIT:8.1%} "
                  f"{r[f'{job}_bytes'] / r['removal_bytes']:10.2f} {r[f'{job}_seconds']:8.2f}")
        total = r["mesh_bytes"] + r["removal_bytes"]
        print(f"{'':8} {'':8} {'both jobs':<22} {'':8} {total / 2**20:9.2f} {total / LIMIT:8.1%}")


if __name__ == "__main__":
    main(sys.argv[1:])
