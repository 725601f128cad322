"""Which part of the mesh one pipeline governs: `domain_pattern` and `product_pattern`.

The whole mesh is always loaded and validated, so lineage to products of other
pipelines resolves; only the selected products are checked, governed and emitted.
"""


from datahub.configuration.common import AllowDenyPattern

from datahub_mesh.spec import models as m


class Selection:
    def __init__(self, domain_pattern: AllowDenyPattern, product_pattern: AllowDenyPattern):
        self.domain_pattern = domain_pattern
        self.product_pattern = product_pattern

    def domain_selected(self, domains: dict[str, m.Domain], name: str | None) -> bool:
        """A sub-domain goes with its parent: `marketing` also selects `customer-intelligence`."""
        seen = set()
        while name and name not in seen:
            if self.domain_pattern.allowed(name):
                return True
            seen.add(name)
            name = domains[name].parent if name in domains else None
        return False

    def product_selected(self, mesh: m.Mesh, product: m.DataProduct) -> bool:
        return self.product_pattern.allowed(product.name) and self.domain_selected(mesh.domains, product.domain)

    def domains(self, mesh: m.Mesh) -> list[m.Domain]:
        return [d for d in mesh.domains.values() if self.domain_selected(mesh.domains, d.name)]

    def products(self, mesh: m.Mesh) -> list[str]:
        return [n for n in sorted(mesh.products) if self.product_selected(mesh, mesh.products[n])]
