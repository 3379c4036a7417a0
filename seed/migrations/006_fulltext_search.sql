-- Search with the database's own full-text index (GET /api/products?q=..., GET /api/categories?q=...):
-- an InnoDB FULLTEXT index on the product name, queried in boolean mode (src/lib/search-sql.ts).
-- InnoDB's parser defaults decide what a word is (innodb_ft_min_token_size=3,
-- innodb_ft_max_token_size=84, the default stop word list); src/lib/search-words.ts reads `q` by
-- the same rules. Adding the index rebuilds the table once (InnoDB adds its hidden FTS_DOC_ID
-- column): minutes on a catalog of millions, during which the migrating instance waits.
ALTER TABLE products ADD FULLTEXT INDEX ft_products_name (name);

-- The word tables of the search this index replaces (004_search.sql). category_counts stays:
-- the unfiltered facet counts are read from it.
DROP TABLE IF EXISTS product_words;
DROP TABLE IF EXISTS search_words;
