-- Guests that cannot be restored on the --targetPolicy target, and what blocks each.
SELECT c.guest_id, c.source_uri, c.target, b.kind, coalesce(b.feature, b.kind) AS what, b.detail
FROM read_parquet('OUT/migration_check/audit_date=DATE/*.parquet') c
JOIN read_parquet('OUT/migration_blockers/audit_date=DATE/*.parquet') b USING (guest_id, source_uri)
WHERE NOT c.compatible
ORDER BY c.guest_id, c.source_uri, b.kind, what;
