"""The quality stage: each product's contract checks, compiled to SodaCL and run with Soda Core.

Soda is an optional dependency (`pip install datahub-mesh[quality]`); importing this
package does not import it: `datahub_mesh.quality.runner` does.
"""
