-- Guests that cannot be restored on the --targetPolicy target, and what blocks each.
CREATE OR REPLACE TEMPORARY VIEW migration_check USING parquet OPTIONS (path 'OUT/migration_check/audit_date=DATE');
CREATE OR REPLACE TEMPORARY VIEW migration_blockers USING parquet OPTIONS (path 'OUT/migration_blockers/audit_date=DATE');
SELECT c.guest_id, c.source_uri, c.target, b.kind, coalesce(b.feature, b.kind) AS what, b.detail
FROM migration_check c
JOIN migration_blockers b ON b.guest_id = c.guest_id AND b.source_uri = c.source_uri
WHERE NOT c.compatible
ORDER BY c.guest_id, c.source_uri, b.kind, what;
