-- Invalid and unreadable archives, counted by error code, with an example of each.
SELECT f.code, count(DISTINCT s.source_uri) AS archives, min(s.source_uri) AS example
FROM read_parquet('OUT/streams/audit_date=DATE/*.parquet') s
JOIN read_parquet('OUT/findings/audit_date=DATE/*.parquet') f USING (source_uri)
WHERE s.status <> 'valid' AND f.severity = 'error'
GROUP BY f.code
ORDER BY archives DESC, f.code;
