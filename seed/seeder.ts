import type { Config } from '../src/config.js'

// Placeholder: the seeder lands in its own change.
export async function seedIfEmpty (_config: Config, _count: number): Promise<void> {}
