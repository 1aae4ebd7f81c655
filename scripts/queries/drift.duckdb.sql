-- What changed since the --previousOutput run: features that appeared or disappeared per guest,
-- and guests new or gone.
SELECT guest_id, change, feature, previous_source_uri, source_uri
FROM read_parquet('OUT/policy_drift/audit_date=DATE/*.parquet')
ORDER BY guest_id, change, feature;
