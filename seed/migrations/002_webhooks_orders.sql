-- Order webhooks. `event_id` is the idempotency key: the unique index makes the first delivery
-- the only one that can insert, whatever the concurrency, and the same transaction applies the
-- event to its order, so a claim never exists without its effects.
-- Identifiers are stored as VARBINARY (their UTF-8 bytes): they compare byte for byte and
-- without trailing-space padding, so 'EVT-1', 'evt-1' and 'evt-1 ' are three different events
-- on MariaDB and MySQL alike.
CREATE TABLE IF NOT EXISTS webhook_events (
  id           BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  event_id     VARBINARY(512) NOT NULL,
  body_sha256  BINARY(32)     NOT NULL,
  order_id     VARBINARY(512) NULL,
  status       VARCHAR(64)    NOT NULL,
  occurred_at  DATETIME(3)    NULL,
  received_at  DATETIME(3)    NOT NULL,
  payload      MEDIUMTEXT     NOT NULL,
  PRIMARY KEY (id),
  UNIQUE KEY uq_webhook_events_event_id (event_id),
  KEY idx_webhook_events_order (order_id, id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- One row per order: the status of the applied event, which is the one with the newest
-- effective time (its occurred_at, or its received_at when it carried none).
CREATE TABLE IF NOT EXISTS orders (
  order_id            VARBINARY(512) NOT NULL,
  status              VARCHAR(64)    NOT NULL,
  status_occurred_at  DATETIME(3)    NOT NULL,
  status_event_id     VARBINARY(512) NOT NULL,
  created_at          DATETIME(3)    NOT NULL,
  updated_at          DATETIME(3)    NOT NULL,
  PRIMARY KEY (order_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
