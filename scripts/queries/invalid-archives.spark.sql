-- Invalid and unreadable archives, counted by error code, with an example of each.
CREATE OR REPLACE TEMPORARY VIEW streams USING parquet OPTIONS (path 'OUT/streams/audit_date=DATE');
CREATE OR REPLACE TEMPORARY VIEW findings USING parquet OPTIONS (path 'OUT/findings/audit_date=DATE');
SELECT f.code, count(DISTINCT s.source_uri) AS archives, min(s.source_uri) AS example
FROM streams s JOIN findings f ON f.source_uri = s.source_uri
WHERE s.status <> 'valid' AND f.severity = 'error'
GROUP BY f.code
ORDER BY archives DESC, f.code;
