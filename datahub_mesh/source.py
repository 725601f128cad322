"""The DataHub source `datahub-mesh`: runs the stages for each product and sends what passed.

spec (load, validate) -> quality (Soda) -> policy (OPA) -> emit (MCPs) -> DataHub
"""

import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

from datahub.emitter.mcp import MetadataChangeProposalWrapper
from datahub.ingestion.api.common import PipelineContext
from datahub.ingestion.api.decorators import SupportStatus, capability, config_class, platform_name, support_status
from datahub.ingestion.api.source import MetadataWorkUnitProcessor, SourceCapability
from datahub.ingestion.api.workunit import MetadataWorkUnit
from datahub.ingestion.source.state.entity_removal_state import GenericCheckpointState
from datahub.ingestion.source.state.stale_entity_removal_handler import (
    StaleEntityRemovalHandler,
    StaleEntityRemovalSourceReport,
    auto_stale_entity_removal,
)
from datahub.ingestion.source.state.stateful_ingestion_base import StatefulIngestionSourceBase
from datahub.ingestion.workunit_processors import AutoStaleEntityRemovalProcessor
from datahub.metadata.schema_classes import GlossaryTermKeyClass, TagKeyClass
from datahub.utilities.lossy_collections import LossyDict, LossyList
from datahub.utilities.urns.urn import guess_entity_type

from datahub_mesh.checks import contract_checks
from datahub_mesh.config import DataHubMeshSourceConfig
from datahub_mesh.emit import catalog, shared, urns
from datahub_mesh.emit.merge import as_additions, merges_by_default
from datahub_mesh.emit.product import ProductRun, contract_change, definition_mcps, observation_mcps, remember_published
from datahub_mesh.evolution import Snapshot, classify
from datahub_mesh.incremental import fingerprint, plan_run, sink_target, watch_sink_failures
from datahub_mesh.policy.anchor import DecisionLogAnchorHandler
from datahub_mesh.policy.gate import NOT_EVALUATED, PolicyGate, Verdict
from datahub_mesh.policy.input import governance_data, policy_input
from datahub_mesh.preflight import check_recipe
from datahub_mesh.published import PublishedProduct, packed_snapshot, snapshot_from_datahub
from datahub_mesh.run_lock import hold_for_run
from datahub_mesh.run_summary import RunSummary
from datahub_mesh.selection import Selection
from datahub_mesh.spec import models as m
from datahub_mesh.spec.loader import LoadResult, find_product_files, load_mesh, report_load_notes
from datahub_mesh.state import PublishedStateHandler, load_legacy_file, prune, use_atomic_file_checkpoints


@dataclass
class DataHubMeshSourceReport(StaleEntityRemovalSourceReport):
    spec_files_found: int = 0
    spec_files_failed: int = 0
    spec_problems: int = 0
    domains_emitted: int = 0
    products_loaded: int = 0
    products_not_selected: int = 0
    products_published: int = 0
    products_denied: int = 0
    products_with_policy_warnings: int = 0
    products_kept_unchanged: int = 0
    products_definition_unchanged: int = 0  # published, definition not sent again (incremental run)
    full_run: bool = True
    send_reason: str = ""
    datasets_emitted: int = 0
    assertions_emitted: int = 0
    assertion_results_emitted: int = 0
    checks_passed: int = 0
    checks_failed: int = 0
    checks_errored: int = 0
    checks_not_run: int = 0
    policy_decisions: int = 0
    policy_errors: int = 0
    # A sample in the report (the run summary lists every product): they grow with the mesh.
    denied_products: LossyDict[str, list[str]] = field(default_factory=lambda: LossyDict(max_elements=50))
    failed_spec_files: LossyList[str] = field(default_factory=lambda: LossyList(max_elements=50))
    # shown by as_string; a leading underscore keeps them out of the report's counters
    _run_summary: RunSummary | None = field(default=None, repr=False)
    _run_summary_path: str | None = field(default=None, repr=False)

    def count_results(self, run: ProductRun) -> None:
        for check in run.checks:
            outcome = getattr(run.results.get(check.id), "outcome", "not_run")
            name = {"pass": "checks_passed", "fail": "checks_failed", "error": "checks_errored"}.get(outcome, "checks_not_run")
            setattr(self, name, getattr(self, name) + 1)

    def as_string(self, sample_caps: dict[str, int] | None = None) -> str:
        """The run summary (every product's outcome), not a dump of counters: it is the last screen a user reads."""
        summary = getattr(self, "_run_summary", None)
        if summary is None:
            return super().as_string(sample_caps)
        return summary.text(getattr(self, "_run_summary_path", None), report=self)


@platform_name("Data Mesh", id="datahub-mesh")
@config_class(DataHubMeshSourceConfig)
@support_status(SupportStatus.ALPHA)
@capability(SourceCapability.DOMAINS, "Domains from domains.yaml; every product and dataset is assigned to one.")
@capability(SourceCapability.SCHEMA_METADATA, "Each output port's declared schema.")
@capability(SourceCapability.OWNERSHIP, "Product owners as groups or users.")
@capability(SourceCapability.LINEAGE_COARSE, "Declared inputs become upstream lineage.")
@capability(SourceCapability.DATA_PROFILING, "Row and null counts from the quality scan.")
@capability(SourceCapability.DELETION_DETECTION, "A removed spec soft-deletes its product; denied products are kept.")
class DataHubMeshSource(StatefulIngestionSourceBase):
    """Publishes a data mesh kept as YAML: validated, quality-checked and governed."""

    def __init__(self, config: DataHubMeshSourceConfig, ctx: PipelineContext):
        check_recipe(config)
        super().__init__(config, ctx)  # type: ignore[arg-type]  # DataHub's signature is invariant in the config's type
        self.config = config
        state_files = [config.published_state_path, config.policy.decision_log]
        self.run_lock = hold_for_run(ctx, [Path(f) for f in state_files if f], config.policy.run_lock_wait_seconds)
        self.report: DataHubMeshSourceReport = DataHubMeshSourceReport()
        use_atomic_file_checkpoints(self.state_provider, ctx, self.report)  # heals a torn checkpoint before any read
        self.log_anchor = DecisionLogAnchorHandler(self, ctx.pipeline_name, ctx.run_id)
        self.stale_entity_removal_handler = StaleEntityRemovalHandler(
            state_provider=self.state_provider, report=self.report, config=self.config,
            state_type_class=GenericCheckpointState, pipeline_name=ctx.pipeline_name, run_id=ctx.run_id,
            platform="datahub-mesh",
        )
        self.now_ms = int(time.time() * 1000)
        self.shared_already_sent: set = set()  # shared entities left out of this run as unchanged
        self.merge_edits = _merges_edits(config, ctx)
        self.selection = Selection(config.domain_pattern, config.product_pattern)
        self.published_state = PublishedStateHandler(self.state_provider, ctx.pipeline_name, ctx.run_id, self.report)
        self.published = self.published_state.load()
        load_legacy_file(self.published, config.published_state_path, self.report)
        self.sink_target = sink_target(ctx)
        self.send_plan = plan_run(config, self.published, self.sink_target, self.now_ms, self.published_state.enabled)
        self.report.full_run = self.send_plan.full
        if self.published_state.enabled:
            watch_sink_failures(ctx, self.published_state)
        self.run_summary = RunSummary(run_id=ctx.run_id, mesh=config.path, started_at=_utc_now())
        self.run_summary_path = Path(config.run_summary_path or _beside_legacy_state(config, "last-run.json"))
        self.report._run_summary, self.report._run_summary_path = self.run_summary, str(self.run_summary_path)

    @classmethod
    def create(cls, config_dict: dict, ctx: PipelineContext) -> "DataHubMeshSource":
        return cls(DataHubMeshSourceConfig.model_validate(config_dict), ctx)

    def get_excluded_workunit_processors(self):
        # Stale removal is wired below with this source's own handler, which the
        # policy gate also uses to keep denied products in the state.
        return [AutoStaleEntityRemovalProcessor]

    def get_workunit_processors(self) -> list[MetadataWorkUnitProcessor | None]:
        return [
            *super().get_workunit_processors(),
            _shared_entities_are_not_owned,
            self._no_keys_for_shared_entities_already_sent,
            partial(auto_stale_entity_removal, self.stale_entity_removal_handler),
        ]

    def get_report(self) -> DataHubMeshSourceReport:
        return self.report

    # --- orchestration ------------------------------------------------------------------

    def get_workunits_internal(self) -> Iterable[MetadataWorkUnit]:
        loaded = self._load()
        mesh = loaded.mesh
        domains = self.selection.domains(mesh)
        selected = self.selection.products(mesh)
        self.report.products_not_selected = len(mesh.products) - len(selected)
        self._report_send_plan()
        yield from self._shared_workunits([mcp for d in domains for mcp in catalog.domain_mcps(d)]
                                          + shared.mesh_mcps(mesh, self.config.emit_owner_entities,
                                                             self.config.policy.engine))
        self.report.domains_emitted = len(domains)
        gate = PolicyGate(self._policy_config(), governance_data(mesh.governance)) if self.config.policy.mode != "off" else None
        quality = _quality_runner(self.config, mesh) if self.config.quality.enabled else None
        try:
            if quality:  # the scans of the next products run ahead (quality.max_workers), in this order
                quality.schedule((mesh.products[name] for name in selected),
                                 lambda p: (contract_checks(p), self._previous_row_counts(p.name)))
            for name in selected:
                yield from self._isolated(name, self._product_workunits(mesh, mesh.products[name], quality, gate))
        finally:
            if quality:
                quality.close()
            if gate:
                gate.close()
        kept = self._keep_unloadable_products(loaded)
        prune(self.published, keep=set(selected) | kept, counted=set(selected))
        self._remember_full_run()
        if not (self.ctx.dry_run_mode or self.ctx.preview_mode):
            self.run_summary.finish(self.run_summary_path, self.report)
        yield from self._workunits(self.log_anchor.finish(self.config.policy.decision_log, self.config.env, self.report))

    def _product_workunits(self, mesh: m.Mesh, product: m.DataProduct, quality, gate) -> Iterable[MetadataWorkUnit]:
        run = ProductRun(product=product, checks=contract_checks(product), env=self.config.env)
        run.previous_row_counts = dict(self._previous_row_counts(product.name))
        remember_published(run, self.published.products.get(product.name))
        self._run_quality(run, quality)
        run.evolution = classify(self._last_published(product), product)
        verdict = self._run_policy(run, gate)
        self.report.count_results(run)
        if verdict.publish:
            yield from self._publish(mesh, run)
        else:
            yield from self._keep_previous(run)
        self.run_summary.product_decided(run, verdict, self.published.products.get(product.name))

    def _isolated(self, name: str, workunits: Iterable[MetadataWorkUnit]) -> Iterable[MetadataWorkUnit]:
        """An unexpected error in one product must not stop the others, nor remove what it published."""
        try:
            yield from workunits
        except Exception as e:
            self.report.failure(title="Data product could not be processed", message=str(e), context=name, exc=e)
            previous = self.published.products.get(name)
            self.run_summary.product_failed(name, str(e), previous)
            if previous is not None:
                self._keep_in_state(previous.urns)

    # --- stages ---------------------------------------------------------------------------

    def _load(self) -> LoadResult:
        root = Path(self.config.path)
        loaded = load_mesh(root, self.config.max_file_bytes, default_domain=self.config.default_domain)
        self.report.spec_files_found = len(find_product_files(root))
        self.report.spec_files_failed = len(loaded.failed_files)
        self.report.spec_problems = len(loaded.problems)
        self.report.products_loaded = len(loaded.mesh.products)
        for file in loaded.failed_files:
            self.report.failed_spec_files.append(str(file))
        for problem in loaded.problems:
            self.report.failure(title="Invalid mesh spec", message=problem.message,
                                context=f"{problem.file}:{problem.line or '?'} {problem.field}".strip(), log=False)
        report_load_notes(self.report, loaded)
        self.run_summary.loaded(loaded, root)
        return loaded

    def _run_quality(self, run: ProductRun, quality) -> None:
        if quality is None:
            return
        result = quality.run(run.product, run.checks, self._previous_row_counts(run.product.name))
        run.checks = run.checks + result.extra_checks
        run.results = {r.check_id: r for r in result.results}
        run.profiles = dict(result.profile)
        if result.error:
            self.run_summary.quality_errors[run.product.name] = result.error
            self.report.warning(title="Quality checks could not run", message=result.error, context=run.product.name, log=False)
        counts = {port: p.row_count for port, p in result.profile.items() if p.row_count is not None}
        if counts:
            self.published.row_counts[run.product.name] = counts

    def _previous_row_counts(self, name: str) -> dict[str, int]:
        return self.published.row_counts.get(name, {})

    def _last_published(self, product: m.DataProduct) -> Snapshot | None:
        """The checkpoint keeps the whole contract, constraints included; DataHub's schema is the fallback."""
        snapshot = self.published.snapshot(product.name)
        if snapshot is None and self.ctx.graph is not None:
            snapshot = snapshot_from_datahub(self.ctx.graph, urns.product_urn(product.name))
        return snapshot

    def _policy_config(self):
        """A dry run or preview decides as usual, but leaves no decision an audit would count."""
        if self.ctx.dry_run_mode or self.ctx.preview_mode:
            self.report.info(title="Dry run: decisions not logged", message="Policy decisions of a dry run or "
                             "preview are reported here but not written to the decision log.", log=False)
            return self.config.policy.model_copy(update={"decision_log": None})
        return self.config.policy

    def _run_policy(self, run: ProductRun, gate: PolicyGate | None) -> Verdict:
        if gate is None:
            return NOT_EVALUATED
        assert run.evolution is not None, "the product is classified before the policy decides"
        verdict = gate.decide(policy_input(run.product, run.checks, run.results, run.evolution))
        self.report.policy_decisions += 1
        run.policy_outcomes, run.policy_messages = verdict.outcomes, verdict.messages_by_policy()
        run.decision_id, run.policy_engine = verdict.decision_id, verdict.engine
        self._report_verdict(run.product.name, verdict)
        return verdict

    def _report_verdict(self, name: str, verdict: Verdict) -> None:
        if verdict.error:
            self.report.policy_errors += 1
            self.report.failure(title="Policy evaluation failed: product not published", message=verdict.error, context=name)
        reasons = [f"[{d['policy']}] {d['message']}" for d in verdict.deny]
        if verdict.deny and not verdict.publish:
            self.report.products_denied += 1
            self.report.denied_products[name] = reasons
            self.report.failure(title="Data product denied by policy", message="; ".join(reasons), context=name, log=False)
        elif verdict.deny:
            self.report.warning(title="Policy denial not enforced (policy.mode: warn)", message="; ".join(reasons), context=name)
        if verdict.warn:
            self.report.products_with_policy_warnings += 1
            self.report.warning(title="Policy warnings", context=name, log=False,
                                message="; ".join(f"[{w['policy']}] {w['message']}" for w in verdict.warn))

    # --- emission --------------------------------------------------------------------------

    def _publish(self, mesh: m.Mesh, run: ProductRun) -> Iterable[MetadataWorkUnit]:
        product = run.product
        definitions = definition_mcps(run, _upstream_urns(mesh, product, self.config.env))
        observations = observation_mcps(run, self.ctx.run_id, self.now_ms)
        previous = self.published.products.get(product.name)
        if self.send_plan.sends(previous, run.definition_hash, run.published_decision_id):
            yield from self._workunits(definitions + observations)
        else:  # DataHub holds this definition already: only this run's results go, the entities stay ours
            self.report.products_definition_unchanged += 1
            self._keep_in_state(sorted({x.entityUrn for x in definitions if x.entityUrn is not None}))
            yield from self._results_only(self._workunits(observations))
        self.report.products_published += 1
        self.report.datasets_emitted += len(product.outputs)
        self.report.assertions_emitted += sum(1 for x in definitions if x.aspectName == "assertionInfo")
        self.report.assertion_results_emitted += sum(1 for x in observations if x.aspectName == "assertionRunEvent")
        self.published.products[product.name] = PublishedProduct(
            version=product.version, snapshot=packed_snapshot(Snapshot.of(product)),
            urns=sorted({x.entityUrn for x in definitions if x.entityUrn is not None}),
            source_file=self._relative(product.source.file), decision_id=run.published_decision_id or run.decision_id,
            published_at_ms=self.now_ms,
            definition_hash=run.definition_hash, contract_change=contract_change(run),
        )

    def _shared_workunits(self, mcps: list[MetadataChangeProposalWrapper]) -> Iterable[MetadataWorkUnit]:
        """Domains, tags, groups and property definitions: sent when any of them changed, or on a full run."""
        shared_hash = fingerprint([mcp.to_obj() for mcp in mcps])
        if self.send_plan.sends_shared(self.published, shared_hash):
            yield from self._workunits(mcps)
        else:
            self.shared_already_sent = {mcp.entityUrn for mcp in mcps}
        self.published.shared_hash = shared_hash

    def _no_keys_for_shared_entities_already_sent(self, stream: Iterable[MetadataWorkUnit]) -> Iterable[MetadataWorkUnit]:
        """DataHub adds a key aspect for each referenced tag or term a run did not send; those we left out as
        unchanged exist in DataHub already, with their properties, so a full run would not add the key."""
        for wu in stream:
            if wu.get_aspect_of_type(TagKeyClass) or wu.get_aspect_of_type(GlossaryTermKeyClass):
                if wu.get_urn() in self.shared_already_sent:
                    continue
            yield wu

    @staticmethod
    def _results_only(workunits: Iterable[MetadataWorkUnit]) -> Iterable[MetadataWorkUnit]:
        """Timeseries results of entities whose definition DataHub holds: not marked primary, so DataHub's
        processors add no status aspect to them again (their place in the stale-removal state is kept above)."""
        for wu in workunits:
            wu.is_primary_source = False
            yield wu

    def _report_send_plan(self) -> None:
        self.report.send_reason = self.send_plan.reason
        kind = "Full run, every definition sent" if self.send_plan.full else "Incremental run"
        self.run_summary.sent = f"{kind}: {self.send_plan.reason}"

    def _remember_full_run(self) -> None:
        if self.send_plan.full:
            self.published.last_full_run_ms, self.published.send_everything_because = self.now_ms, None
        self.published.sent_to = self.sink_target

    def _keep_previous(self, run: ProductRun) -> Iterable[MetadataWorkUnit]:
        """A product that may not be published keeps what DataHub holds and still shows this run's results."""
        previous = self.published.products.get(run.product.name)
        if previous is None:
            return
        self.report.products_kept_unchanged += 1
        self._keep_in_state(previous.urns)
        observations = observation_mcps(run, self.ctx.run_id, self.now_ms, published_urns=set(previous.urns))
        self.report.assertion_results_emitted += sum(1 for x in observations if x.aspectName == "assertionRunEvent")
        yield from self._workunits(observations)

    def _keep_unloadable_products(self, loaded: LoadResult) -> set:
        kept = set()
        for file in loaded.failed_files:
            for name in self.published.products_from_file(self._relative(file)):
                if name not in loaded.mesh.products:
                    self.report.products_kept_unchanged += 1
                    self._keep_in_state(self.published.products[name].urns)
                    self.run_summary.kept_unloadable_product(name, self.published.products[name])
                    kept.add(name)
        return kept

    def _keep_in_state(self, urns: list[str]) -> None:
        for urn in urns:
            self.stale_entity_removal_handler.add_entity_to_state(guess_entity_type(urn), urn)

    def _workunits(self, mcps: Iterable[MetadataChangeProposalWrapper]) -> Iterable[MetadataWorkUnit]:
        """Shared entities are marked as not ours from the start, so no processor adds a status to them."""
        proposals = as_additions(mcps, self.published.texts) if self.merge_edits else mcps
        for proposal in proposals:
            if isinstance(proposal, MetadataChangeProposalWrapper):
                wu = proposal.as_workunit()
            else:
                wu = MetadataWorkUnit(id=MetadataWorkUnit.generate_workunit_id(proposal), mcp_raw=proposal)
            wu.is_primary_source = not _is_shared(wu)
            yield wu

    def _relative(self, file: Path) -> str:
        try:
            return str(Path(file).resolve().relative_to(Path(self.config.path).resolve()))
        except ValueError:
            return str(file)


def _utc_now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def _beside_legacy_state(config: DataHubMeshSourceConfig, name: str) -> Path:
    return Path(config.published_state_path or ".datahub-mesh/published.json").parent / name


def _merges_edits(config: DataHubMeshSourceConfig, ctx: PipelineContext) -> bool:
    if config.preserve_ui_edits is not None:
        return config.preserve_ui_edits
    sink = ctx.pipeline_config.sink if ctx.pipeline_config else None
    return merges_by_default(sink.type) if sink else False


def _quality_runner(config: DataHubMeshSourceConfig, mesh: m.Mesh):
    try:
        from datahub_mesh.quality.parallel import ScanAhead, workers_for
        from datahub_mesh.quality.runner import QualityRunner
    except ImportError as e:
        raise ImportError(
            f"quality checks need Soda Core: pip install 'datahub-mesh[quality]' "
            f"(or set quality.enabled: false in the recipe): {e}"
        ) from e
    runner = QualityRunner(config.quality, mesh, Path.cwd())
    return ScanAhead(runner, workers_for(config.quality.max_workers, config.quality.data_source))


# The decision log's flow and its per-run anchors are kept too: each anchor stays for the audit.
SHARED_ENTITY_TYPES = {"tag", "glossaryTerm", "corpGroup", "corpuser", "domain", "dataFlow", "dataProcessInstance",
                       *shared.ENTITY_TYPES}


def _shared_entities_are_not_owned(stream: Iterable[MetadataWorkUnit]) -> Iterable[MetadataWorkUnit]:
    """Tags, terms, groups and domains are shared with the rest of the catalog: removing a
    product must never soft-delete them, even when DataHub materialized them for us."""
    for wu in stream:
        if _is_shared(wu):
            wu.is_primary_source = False
        yield wu


def _is_shared(wu: MetadataWorkUnit) -> bool:
    return guess_entity_type(wu.get_urn()) in SHARED_ENTITY_TYPES


def _upstream_urns(mesh: m.Mesh, product: m.DataProduct, env: str) -> dict[str, list[str]]:
    """Every output port of a product reads all of its declared inputs."""
    upstream: list[str] = []
    for ref in product.inputs:
        source = mesh.products.get(ref.product)
        if source is None:
            continue
        upstream += [urns.dataset_urn(source, p, env) for p in source.outputs if ref.port in (None, p.name)]
    return {port.name: upstream for port in product.outputs}
