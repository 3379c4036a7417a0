import type { Cluster, Redis } from 'ioredis'

/**
 * A Lua script that touches exactly the keys it is given (so it also runs on a Redis Cluster):
 * every key it reads or writes must be among its KEYS, never built inside the script, and a
 * script with several keys must give them one hash tag (`{area}:…`) so they share a slot. The
 * service's scripts (rate-limit counters, token lock release and drop) each take one key.
 */
export interface ScriptSpec {
  /** The client command it becomes (unique per script in the service). */
  name: string
  /** How many of the call's leading arguments are keys. */
  keys: number
  lua: string
}

type Client = Redis | Cluster
type Command = (...args: Array<string | number>) => Promise<unknown>

/**
 * The one way scripts are loaded: ioredis' `defineCommand`, which sends EVALSHA and falls back
 * to EVAL once when the server does not know the script yet (a restarted or new node). Defining
 * the same script twice on one client (several plugins or apps sharing it) reuses the first.
 * Returns a function taking the keys, then the arguments.
 */
export function defineScript<R> (client: Client, spec: ScriptSpec): (...args: Array<string | number>) => Promise<R> {
  const commands = client as unknown as Record<string, Command | undefined>
  if (commands[spec.name] === undefined) client.defineCommand(spec.name, { numberOfKeys: spec.keys, lua: spec.lua })
  const command = (commands[spec.name] as Command).bind(client)
  return async (...args) => await command(...args) as R
}
