// The Dockerfile as the deploy tests read it: per stage, what the manifests and compose.yaml must
// agree with. A reader of the instructions used here, not a full Dockerfile parser.

export interface DockerStage {
  env: Record<string, string>
  expose: number[]
  /** The exec form of CMD ([] when there is none). */
  cmd: string[]
  /** A HEALTHCHECK other than NONE. */
  healthcheck: boolean
}

/** The stages of a Dockerfile by their `AS` name; '' is the last stage (the image that ships). */
export function readDockerfile (text: string): Record<string, DockerStage> {
  const stages: Record<string, DockerStage> = {}
  let stage: DockerStage | undefined
  for (const line of text.replace(/\\\n/g, ' ').split('\n').map((l) => l.trim())) {
    if (line === '' || line.startsWith('#')) continue
    const [instruction = '', ...rest] = line.split(/\s+/)
    const args = rest.join(' ')
    switch (instruction.toUpperCase()) {
      case 'FROM':
        stage = { env: {}, expose: [], cmd: [], healthcheck: false }
        stages[/\sAS\s+(\S+)/i.exec(line)?.[1] ?? ''] = stage
        stages[''] = stage
        break
      case 'ENV':
        if (stage !== undefined) for (const [, k, v] of args.matchAll(/(\w+)=(\S+)/g)) stage.env[k] = v
        break
      case 'EXPOSE':
        stage?.expose.push(...rest.map((p) => Number.parseInt(p, 10)))
        break
      case 'CMD':
        if (stage !== undefined) stage.cmd = JSON.parse(args) as string[]
        break
      case 'HEALTHCHECK':
        if (stage !== undefined && !/^NONE$/i.test(args)) stage.healthcheck = true
        break
    }
  }
  return stages
}
