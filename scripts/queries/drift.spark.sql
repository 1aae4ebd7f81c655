-- What changed since the --previousOutput run: features that appeared or disappeared per guest,
-- and guests new or gone.
CREATE OR REPLACE TEMPORARY VIEW policy_drift USING parquet OPTIONS (path 'OUT/policy_drift/audit_date=DATE');
SELECT guest_id, change, feature, previous_source_uri, source_uri FROM policy_drift
ORDER BY guest_id, change, feature;
