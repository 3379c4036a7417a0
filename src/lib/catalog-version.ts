/**
 * The catalog version lives in Redis under this key (after the configured key prefix). Every
 * cached product page's key includes it, so INCR-ing it after any catalog write (the seeder,
 * future admin writes) drops every cached page at once; old pages simply expire. Read and written
 * alone (single-key GET and INCR), so on a Redis Cluster it needs no hash tag.
 */
export const CATALOG_VERSION_KEY = 'catalog:version'
