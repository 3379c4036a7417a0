-- The catalog. Every secondary index serves one family of keyset queries (filter + sort);
-- the sort column is followed by `id` so ties are broken inside the index. The createdAt
-- indexes also carry `price`, and the price indexes `created_at`, so that a price filter with
-- a createdAt sort is answered from index entries alone, whichever of the two the optimiser
-- reads (covering keyset scan), instead of reading a row per entry.
-- docs/EXPLAIN.md shows the plan each (filter, sort) pair gets.
CREATE TABLE IF NOT EXISTS products (
  id          BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  name        VARCHAR(200)    NOT NULL,
  category    VARCHAR(64)     NOT NULL,
  price       DECIMAL(10,2)   NOT NULL,
  stock       INT UNSIGNED    NOT NULL DEFAULT 0,
  created_at  DATETIME(3)     NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  updated_at  DATETIME(3)     NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3),
  PRIMARY KEY (id),
  KEY idx_price_id (price, id, created_at),
  KEY idx_created_id (created_at, id, price),
  KEY idx_category_id_price (category, id, price),
  KEY idx_category_price_id (category, price, id, created_at),
  KEY idx_category_created_id (category, created_at, id, price)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
