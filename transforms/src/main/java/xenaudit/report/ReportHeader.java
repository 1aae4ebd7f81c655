package xenaudit.report;

/**
 * What the report says of the run itself, at its top.
 *
 * @param auditDate the audit's date, {@code YYYY-MM-DD}
 * @param runId the audit run's id ({@code streams.audit_run_id})
 * @param output the run's {@code --output} location
 * @param generatedAt when the report was written, an ISO-8601 UTC instant
 * @param target the {@code --targetPolicy} file, or null
 * @param previousAuditDate the audit date of the drift baseline ({@code --previousOutput}), or null
 * @param poolKey the {@code --poolKey} regex, or null
 */
public record ReportHeader(String auditDate, String runId, String output, String generatedAt, String target,
    String previousAuditDate, String poolKey) {}
