"""The quality stage: each product's contract checks, compiled to SodaCL and run with Soda Core."""

from datahub_mesh.quality.models import CheckResult, PortProfile, ProductQuality, QualityConfig, SodaclCheck
from datahub_mesh.quality.runner import QualityRunner, product_sodacl_files

__all__ = [
    "CheckResult", "PortProfile", "ProductQuality", "QualityConfig", "QualityRunner", "SodaclCheck",
    "product_sodacl_files",
]
