-- Guests whose policy lacks MD_CLEAR (VERW does not flush CPU buffers for them).
CREATE OR REPLACE TEMPORARY VIEW cpuid_features USING parquet OPTIONS (path 'OUT/cpuid_features/audit_date=DATE');
SELECT guest_id, source_uri FROM cpuid_features
WHERE feature = 'md_clear' AND present = false
ORDER BY guest_id, source_uri;
