"""Loads a mesh's `*.odcs.yaml` contracts and `*.odps.yaml` products into the loader's mesh.

Contracts come first: an ODPS product is built over the contracts its output ports name, and a
contract that no product claims is a product of its own. A broken file fails only itself.
"""

from pathlib import Path
from typing import Any

from datahub_mesh.spec.errors import SpecError, SpecProblem
from datahub_mesh.spec.odcs import Contract, load_contract
from datahub_mesh.spec.odps import ProductSpec, read_product, to_product
from datahub_mesh.spec.standards import ODCS_SUFFIX, ODPS_SUFFIX, line_of
from datahub_mesh.spec.yaml_reader import read_yaml


def is_standard_file(file: Path) -> bool:
    return file.name.endswith((ODCS_SUFFIX, ODPS_SUFFIX))


def load_standard_files(loader: Any, files: list[Path]) -> None:
    """`loader` is the mesh loader (spec.loader._Loader): its result, failure and product bookkeeping."""
    contracts: dict[str, Contract] = {}
    products: list[ProductSpec] = []
    for file in files:
        data = None
        try:
            data, lines = read_yaml(file, loader.max_file_bytes)
            if file.name.endswith(ODCS_SUFFIX):
                contract = load_contract(file, data, lines)
                _add_contract(loader, contracts, contract)
            else:
                products.append(read_product(file, data, lines))
        except SpecError as e:
            loader._failed(file, e.problems)
            if isinstance(data, dict) and isinstance(data.get("name") or data.get("id"), str):
                loader.failed_names.add(data.get("name") or data.get("id"))
    claimed: dict[str, str] = {}
    for spec in products:
        for contract_id in spec.contract_ids("outputPorts"):
            if contract_id in claimed and contract_id in contracts:
                spec.warnings.append(SpecProblem(spec.file, line_of(spec.lines, ("outputPorts",)), "outputPorts",
                                                 f"contract '{contract_id}' is already an output of product "
                                                 f"'{claimed[contract_id]}'; it is left out of this product"))
            elif contract_id in contracts:
                claimed[contract_id] = spec.name
    publisher = {**{c.id: c.product.name for c in contracts.values()}, **claimed}
    for spec in products:
        mine = {cid: c for cid, c in contracts.items() if claimed.get(cid) == spec.name}
        product = to_product(spec, {**{cid: c for cid, c in contracts.items() if cid not in claimed}, **mine}, publisher)
        loader.result.notes.extend(spec.notes)
        loader.result.warnings.extend(spec.warnings)
        loader.add_product(product, spec.file, spec.lines)
    for contract_id, contract in contracts.items():
        loader.result.notes.extend(contract.notes)
        loader.result.warnings.extend(contract.warnings)
        if contract_id not in claimed:
            loader.add_product(contract.product, contract.file, contract.lines)


def _add_contract(loader: Any, contracts: dict[str, Contract], contract: Contract) -> None:
    first = contracts.get(contract.id)
    if first is not None:
        raise SpecError([SpecProblem(contract.file, line_of(contract.lines, ("id",)), "id",
                                     f"contract id '{contract.id}' is already used by {first.file}")])
    contracts[contract.id] = contract
