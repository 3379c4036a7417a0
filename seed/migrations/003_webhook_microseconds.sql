-- Order webhooks keep instants to the microsecond: `occurred_at` is compared at the precision
-- it was sent with (up to microseconds), so `…00.0009Z` followed by `…00.0001Z` cannot move an
-- order back to the older event. DATETIME(6) holds years 1000–9999 on MariaDB and MySQL alike;
-- existing values keep their milliseconds.
ALTER TABLE webhook_events
  MODIFY occurred_at DATETIME(6) NULL,
  MODIFY received_at DATETIME(6) NOT NULL;

ALTER TABLE orders
  MODIFY status_occurred_at DATETIME(6) NOT NULL,
  MODIFY created_at DATETIME(6) NOT NULL,
  MODIFY updated_at DATETIME(6) NOT NULL;
