-- Guests that see TSX (RTM) but are not told TAA_NO, with the TAA verdict's reason.
CREATE OR REPLACE TEMPORARY VIEW guest_security USING parquet OPTIONS (path 'OUT/guest_security/audit_date=DATE');
CREATE OR REPLACE TEMPORARY VIEW cpuid_features USING parquet OPTIONS (path 'OUT/cpuid_features/audit_date=DATE');
SELECT g.guest_id, g.source_uri, g.taa_verdict, g.taa_reason
FROM guest_security g
JOIN cpuid_features r ON r.guest_id = g.guest_id AND r.source_uri = g.source_uri
WHERE r.feature = 'rtm' AND r.present AND NOT (g.taa_no <=> true)
ORDER BY g.guest_id, g.source_uri;
