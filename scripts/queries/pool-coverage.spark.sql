-- Features only some guests of a pool have: what the pool's baseline takes away (or, for '|'
-- features, grants) to make the pool's guests movable among its hosts.
CREATE OR REPLACE TEMPORARY VIEW pool_baseline USING parquet OPTIONS (path 'OUT/pool_baseline/audit_date=DATE');
SELECT pool, feature, present AS baseline, guests_with_feature, guest_count FROM pool_baseline
WHERE guests_with_feature > 0 AND guests_with_feature < guest_count
ORDER BY pool, feature;
