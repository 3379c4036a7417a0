// The migration runner lives with the service (src/migrations.ts), which runs it before serving;
// this module keeps the old import path working for the bench scripts.
export { migrate, splitStatements, migrationsDir, type MigrationResult } from '../src/migrations.js'
