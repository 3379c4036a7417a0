-- The catalog version (the counter in Redis that every cached page is filed under), recorded in
-- the primary database after each bump. The row replicates with the catalog rows written before
-- it, so a read replica that holds version N has applied every catalog write made before the bump
-- to N: the catalog stores a page read from a replica only under a version the replica holds
-- (plugins/catalog.ts). One row, id 1; the seeder writes it, and so does any service instance
-- that sees a version in Redis the row does not hold yet.
CREATE TABLE IF NOT EXISTS catalog_version (
  id          TINYINT UNSIGNED NOT NULL PRIMARY KEY,
  version     BIGINT UNSIGNED  NOT NULL,
  recorded_at DATETIME(3)      NOT NULL DEFAULT CURRENT_TIMESTAMP(3)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
