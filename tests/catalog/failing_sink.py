"""A test double for a DataHub server that refuses some writes: DataHub's file sink, failing one record of each
run through DataHub's own write callback, exactly as the REST sink reports a record the server rejected."""

from datahub.ingestion.api.common import RecordEnvelope
from datahub.ingestion.api.sink import WriteCallback
from datahub.ingestion.sink.file import FileSink


class SinkFailingOneRecord(FileSink):
    failed = 0

    def write_record_async(self, record_envelope: RecordEnvelope, write_callback: WriteCallback) -> None:
        if not self.failed and getattr(record_envelope.record, "aspectName", None) == "dataProductProperties":
            self.failed += 1
            self.report.report_failure({"error": "refused by the server", "id": record_envelope.metadata})
            write_callback.on_failure(record_envelope, RuntimeError("refused by the server"), {})
            return
        super().write_record_async(record_envelope, write_callback)
