-- Queries both engines run (see sqlc.yaml): a shop's report settings.

-- name: GetSettings :one
SELECT open_minutes_per_day, default_target_minutes FROM report_settings
WHERE merchant_id = sqlc.arg(merchant_id) AND shop_id = sqlc.arg(shop_id);

-- name: UpsertSettings :exec
INSERT INTO report_settings (merchant_id, shop_id, open_minutes_per_day, default_target_minutes, updated_at)
VALUES (sqlc.arg(merchant_id), sqlc.arg(shop_id), sqlc.arg(open_minutes_per_day), sqlc.arg(default_target_minutes),
        sqlc.arg(now))
ON CONFLICT (merchant_id, shop_id) DO UPDATE SET open_minutes_per_day = excluded.open_minutes_per_day,
    default_target_minutes = excluded.default_target_minutes, updated_at = excluded.updated_at;

-- name: ListStationTargets :many
SELECT station, target_minutes FROM report_station_targets
WHERE merchant_id = sqlc.arg(merchant_id) AND shop_id = sqlc.arg(shop_id)
ORDER BY station;

-- name: DeleteStationTargets :exec
DELETE FROM report_station_targets WHERE merchant_id = sqlc.arg(merchant_id) AND shop_id = sqlc.arg(shop_id);

-- name: InsertStationTarget :exec
INSERT INTO report_station_targets (merchant_id, shop_id, station, target_minutes, updated_at)
VALUES (sqlc.arg(merchant_id), sqlc.arg(shop_id), sqlc.arg(station), sqlc.arg(target_minutes), sqlc.arg(now));
