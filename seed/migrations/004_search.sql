-- Search and facets (GET /api/products?q=..., GET /api/categories).
--
-- product_words: one row per distinct indexed word of each product name (src/lib/search-words.ts:
-- letters/digits runs, 3-84 characters, InnoDB's default stop words dropped), carrying copies of
-- the product's category, price and created_at and the number of indexed words in its name
-- (the relevance key: fewest words first). The primary key follows the products (rows are
-- appended in id order, and "does product P hold word W" is one lookup). Each secondary index
-- starts with the word and continues in the order of one sort, so a search page is one index range that starts at the cursor and stops
-- after limit + 1 entries, at any depth, however many products hold the word; the filters are
-- checked on index entries (category/price carried by each index). The seeder writes this table
-- from the names whenever it loads or resets the catalog.
CREATE TABLE IF NOT EXISTS product_words (
  word        VARCHAR(84) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
  product_id  BIGINT UNSIGNED   NOT NULL,
  category    VARCHAR(64)       NOT NULL,
  price       DECIMAL(10,2)     NOT NULL,
  created_at  DATETIME(3)       NOT NULL,
  name_words  SMALLINT UNSIGNED NOT NULL,
  PRIMARY KEY (product_id, word),
  KEY idx_words_id (word, product_id, category, price),
  KEY idx_words_price (word, price, product_id, category),
  KEY idx_words_created (word, created_at, product_id, category, price),
  KEY idx_words_rank (word, name_words, product_id, category, price)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- The vocabulary: how many products hold each word. A query's last word is expanded to the
-- words it starts from here, and the rarest term drives a multi-word search.
CREATE TABLE IF NOT EXISTS search_words (
  word      VARCHAR(84) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
  products  INT UNSIGNED NOT NULL,
  PRIMARY KEY (word)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Products per category, so the unfiltered facet counts cost a 20-row read instead of a scan
-- of the catalog. Written by the seeder with the catalog.
CREATE TABLE IF NOT EXISTS category_counts (
  category  VARCHAR(64)  NOT NULL,
  products  INT UNSIGNED NOT NULL,
  PRIMARY KEY (category)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
