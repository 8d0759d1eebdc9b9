-- Queries both engines run (see sqlc.yaml): kitchen tickets.

-- name: InsertTicket :exec
INSERT INTO kitchen_tickets (id, merchant_id, shop_id, order_id, station, kind, status, label, created_at, updated_at)
VALUES (sqlc.arg(id), sqlc.arg(merchant_id), sqlc.arg(shop_id), sqlc.arg(order_id), sqlc.arg(station), sqlc.arg(kind),
        'new', sqlc.arg(label), sqlc.arg(created_at), sqlc.arg(created_at));

-- name: InsertTicketLine :exec
INSERT INTO kitchen_ticket_lines (id, merchant_id, ticket_id, order_line_id, position, name, quantity, modifiers, note, seat, course)
VALUES (sqlc.arg(id), sqlc.arg(merchant_id), sqlc.arg(ticket_id), sqlc.arg(order_line_id), sqlc.arg(position),
        sqlc.arg(name), sqlc.arg(quantity), sqlc.arg(modifiers), sqlc.arg(note), sqlc.arg(seat), sqlc.arg(course));

-- name: GetTicket :one
SELECT * FROM kitchen_tickets WHERE merchant_id = sqlc.arg(merchant_id) AND id = sqlc.arg(id);

-- name: ListTicketLines :many
SELECT * FROM kitchen_ticket_lines WHERE merchant_id = sqlc.arg(merchant_id) AND ticket_id = sqlc.arg(ticket_id)
ORDER BY position;

-- name: ListBoard :many
-- ListBoard is a shop's tickets for the display: one station or all (''), one status or the live ones ('').
SELECT * FROM kitchen_tickets
WHERE merchant_id = sqlc.arg(merchant_id) AND shop_id = sqlc.arg(shop_id)
  AND (CAST(sqlc.arg(station) AS TEXT) = '' OR station = sqlc.arg(station))
  AND ((CAST(sqlc.arg(status) AS TEXT) = '' AND status IN ('new', 'preparing', 'ready')) OR status = sqlc.arg(status))
ORDER BY created_at, id
LIMIT sqlc.arg(max_rows);

-- name: ListBoardLines :many
SELECT l.* FROM kitchen_ticket_lines l
JOIN kitchen_tickets t ON t.id = l.ticket_id
WHERE t.merchant_id = sqlc.arg(merchant_id) AND t.shop_id = sqlc.arg(shop_id)
  AND (CAST(sqlc.arg(station) AS TEXT) = '' OR t.station = sqlc.arg(station))
  AND ((CAST(sqlc.arg(status) AS TEXT) = '' AND t.status IN ('new', 'preparing', 'ready')) OR t.status = sqlc.arg(status))
ORDER BY l.ticket_id, l.position;

-- name: SetTicketStatus :execrows
-- SetTicketStatus moves a ticket from the status the caller read to the next one; 0 rows means it changed
-- meanwhile.
UPDATE kitchen_tickets
SET status = sqlc.arg(to_status), updated_at = sqlc.arg(now),
    started_at = CASE WHEN sqlc.arg(to_status) = 'preparing' AND started_at IS NULL THEN sqlc.arg(now) ELSE started_at END,
    ready_at = CASE WHEN sqlc.arg(to_status) = 'ready' THEN sqlc.arg(now) WHEN sqlc.arg(to_status) = 'preparing' THEN NULL ELSE ready_at END,
    served_at = CASE WHEN sqlc.arg(to_status) = 'served' THEN sqlc.arg(now) WHEN sqlc.arg(to_status) = 'preparing' THEN NULL ELSE served_at END,
    prep_seconds = CASE WHEN sqlc.arg(to_status) = 'ready' THEN sqlc.arg(prep_seconds) ELSE prep_seconds END
WHERE merchant_id = sqlc.arg(merchant_id) AND id = sqlc.arg(id) AND status = sqlc.arg(from_status);

-- name: MoveShopTickets :exec
UPDATE kitchen_tickets SET merchant_id = sqlc.arg(to_merchant_id)
WHERE shop_id = sqlc.arg(shop_id) AND merchant_id = sqlc.arg(from_merchant_id);

-- name: MoveShopTicketLines :exec
UPDATE kitchen_ticket_lines SET merchant_id = sqlc.arg(to_merchant_id)
WHERE kitchen_ticket_lines.merchant_id = sqlc.arg(from_merchant_id)
  AND ticket_id IN (SELECT t.id FROM kitchen_tickets t WHERE t.shop_id = sqlc.arg(shop_id));

-- name: CountUnservedOrderTickets :one
SELECT COUNT(*) FROM kitchen_tickets
WHERE merchant_id = sqlc.arg(merchant_id) AND order_id = sqlc.arg(order_id) AND kind = 'order'
  AND status IN ('new', 'preparing', 'ready');
