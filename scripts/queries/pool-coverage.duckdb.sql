-- Features only some guests of a pool have: what the pool's baseline takes away (or, for '|'
-- features, grants) to make the pool's guests movable among its hosts.
SELECT pool, feature, present AS baseline, guests_with_feature, guest_count
FROM read_parquet('OUT/pool_baseline/audit_date=DATE/*.parquet')
WHERE guests_with_feature > 0 AND guests_with_feature < guest_count
ORDER BY pool, feature;
