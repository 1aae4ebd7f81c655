-- Guests that see TSX (RTM) but are not told TAA_NO, with the TAA verdict's reason.
SELECT g.guest_id, g.source_uri, g.taa_verdict, g.taa_reason
FROM read_parquet('OUT/guest_security/audit_date=DATE/*.parquet') g
JOIN read_parquet('OUT/cpuid_features/audit_date=DATE/*.parquet') r USING (guest_id, source_uri)
WHERE r.feature = 'rtm' AND r.present AND g.taa_no IS DISTINCT FROM true
ORDER BY g.guest_id, g.source_uri;
