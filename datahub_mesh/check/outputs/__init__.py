"""Render a CheckReport for a person or a CI system: text, json, junit, github, sarif."""

from collections.abc import Callable

from datahub_mesh.check.report import CheckReport

FORMATS = ("text", "json", "junit", "github", "sarif")


def render(report: CheckReport, fmt: str) -> str:
    return _renderers()[fmt](report)


def _renderers() -> dict[str, Callable[[CheckReport], str]]:
    from datahub_mesh.check.outputs import github, junit, sarif, text

    return {"text": text.render, "json": text.render_json, "junit": junit.render, "github": github.render,
            "sarif": sarif.render}
