-- Order webhooks. `event_id` is the idempotency key: the unique index makes the first delivery
-- the only one that can insert, whatever the concurrency. Identifiers compare byte for byte
-- (utf8mb4_bin), so 'EVT-1' and 'evt-1' are different events.
CREATE TABLE IF NOT EXISTS webhook_events (
  id           BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  event_id     VARCHAR(128) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
  body_sha256  BINARY(32)   NOT NULL,
  order_id     VARCHAR(128) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NULL,
  status       VARCHAR(64)  NOT NULL,
  occurred_at  DATETIME(3)  NULL,
  received_at  DATETIME(3)  NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  payload      LONGTEXT     NOT NULL,
  PRIMARY KEY (id),
  UNIQUE KEY uq_webhook_events_event_id (event_id),
  KEY idx_webhook_events_order (order_id, id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS orders (
  order_id            VARCHAR(128) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
  status              VARCHAR(64)  NOT NULL,
  status_occurred_at  DATETIME(3)  NULL,
  status_event_id     VARCHAR(128) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
  created_at          DATETIME(3)  NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  updated_at          DATETIME(3)  NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3),
  PRIMARY KEY (order_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
