-- Guests whose policy lacks MD_CLEAR (VERW does not flush CPU buffers for them).
SELECT guest_id, source_uri
FROM read_parquet('OUT/cpuid_features/audit_date=DATE/*.parquet')
WHERE feature = 'md_clear' AND present = false
ORDER BY guest_id, source_uri;
