-- Queries both engines run (see sqlc.yaml): shops and their settings.

-- name: InsertShop :exec
INSERT INTO shops (
    id, merchant_id, name, is_default, business_type, address, vat_rate_percent, prices_include_vat,
    service_charge_percent, opening_hours, receipt_header, receipt_footer, bank_bin, bank_account_number,
    bank_account_name, created_at, updated_at
) VALUES (
    sqlc.arg(id), sqlc.arg(merchant_id), sqlc.arg(name), sqlc.arg(is_default), sqlc.arg(business_type),
    sqlc.arg(address), sqlc.arg(vat_rate_percent), sqlc.arg(prices_include_vat), sqlc.arg(service_charge_percent),
    sqlc.arg(opening_hours), sqlc.arg(receipt_header), sqlc.arg(receipt_footer), sqlc.arg(bank_bin),
    sqlc.arg(bank_account_number), sqlc.arg(bank_account_name), sqlc.arg(created_at), sqlc.arg(created_at)
);

-- name: GetShop :one
SELECT * FROM shops WHERE merchant_id = sqlc.arg(merchant_id) AND id = sqlc.arg(id);

-- name: CountLiveShops :one
SELECT COUNT(*) FROM shops WHERE merchant_id = sqlc.arg(merchant_id) AND archived_at IS NULL;

-- name: CountDefaultShops :one
SELECT COUNT(*) FROM shops WHERE merchant_id = sqlc.arg(merchant_id) AND is_default;

-- name: ListLiveShopsAfter :many
-- ListLiveShopsAfter is one page of the merchant's live shops in (created_at, id) order, after the cursor
-- position (the zero time and an empty id start at the beginning).
SELECT * FROM shops
WHERE merchant_id = sqlc.arg(merchant_id) AND archived_at IS NULL
  AND (created_at > sqlc.arg(after_created_at) OR (created_at = sqlc.arg(after_created_at) AND id > sqlc.arg(after_id)))
ORDER BY created_at, id
LIMIT sqlc.arg(page_size);

-- name: ListAllShopsAfter :many
-- ListAllShopsAfter is ListLiveShopsAfter including archived shops.
SELECT * FROM shops
WHERE merchant_id = sqlc.arg(merchant_id)
  AND (created_at > sqlc.arg(after_created_at) OR (created_at = sqlc.arg(after_created_at) AND id > sqlc.arg(after_id)))
ORDER BY created_at, id
LIMIT sqlc.arg(page_size);

-- name: UpdateShopSettings :execrows
UPDATE shops
SET name = sqlc.arg(name), business_type = sqlc.arg(business_type), address = sqlc.arg(address),
    vat_rate_percent = sqlc.arg(vat_rate_percent), prices_include_vat = sqlc.arg(prices_include_vat),
    service_charge_percent = sqlc.arg(service_charge_percent), opening_hours = sqlc.arg(opening_hours),
    receipt_header = sqlc.arg(receipt_header), receipt_footer = sqlc.arg(receipt_footer),
    bank_bin = sqlc.arg(bank_bin), bank_account_number = sqlc.arg(bank_account_number),
    bank_account_name = sqlc.arg(bank_account_name),
    require_registered_device = sqlc.arg(require_registered_device),
    qr_orders_need_confirmation = sqlc.arg(qr_orders_need_confirmation),
    several_orders_per_table = sqlc.arg(several_orders_per_table),
    void_approval_threshold = sqlc.arg(void_approval_threshold), updated_at = sqlc.arg(updated_at)
WHERE merchant_id = sqlc.arg(merchant_id) AND id = sqlc.arg(id) AND archived_at IS NULL;

-- name: ClearDefaultShop :exec
UPDATE shops SET is_default = FALSE, updated_at = sqlc.arg(now)
WHERE merchant_id = sqlc.arg(merchant_id) AND is_default;

-- name: MakeDefaultShop :execrows
UPDATE shops SET is_default = TRUE, updated_at = sqlc.arg(now)
WHERE merchant_id = sqlc.arg(merchant_id) AND id = sqlc.arg(id) AND archived_at IS NULL;

-- name: ArchiveShop :execrows
UPDATE shops SET updated_at = sqlc.arg(now), archived_at = sqlc.arg(now), is_default = FALSE
WHERE merchant_id = sqlc.arg(merchant_id) AND id = sqlc.arg(id) AND archived_at IS NULL;

-- name: ArchiveMerchantShops :execrows
UPDATE shops SET updated_at = sqlc.arg(now), archived_at = sqlc.arg(now), is_default = FALSE
WHERE merchant_id = sqlc.arg(merchant_id) AND archived_at IS NULL;

-- name: GetShopAnyMerchant :one
-- GetShopAnyMerchant reads a shop by id alone; it runs only inside db.WithSystemTx (PublicShop).
SELECT * FROM shops WHERE id = sqlc.arg(id);

-- name: ListLiveShopIDs :many
SELECT id FROM shops WHERE merchant_id = sqlc.arg(merchant_id) AND archived_at IS NULL ORDER BY created_at, id;
