// The Dockerfile read with a real parser (dockerfile-ast, the parser behind the Dockerfile
// language server) into what the tests check: stages, and the final image's run-time contract
// (environment, entrypoint + command, user, health check), so the image's contract is tested
// from the file itself, not from a copy of it.
import { readFileSync } from 'node:fs';
import { DockerfileParser, type Copy, type Instruction } from 'dockerfile-ast';

export interface Stage {
  readonly name: string | undefined;
  readonly instructions: readonly Instruction[];
}

export interface ImageContract {
  readonly stages: readonly Stage[];
  readonly env: Readonly<Record<string, string>>;
  /** ENTRYPOINT followed by CMD, in exec form. */
  readonly command: readonly string[];
  readonly user: string | undefined;
  readonly workdir: string | undefined;
  readonly healthcheck: readonly string[] | undefined;
  readonly volumes: readonly string[];
}

function jsonArgs(instruction: Instruction | undefined): string[] | undefined {
  const content = instruction?.getArgumentsContent();
  if (!content) return undefined;
  const value: unknown = JSON.parse(content.trim());
  return Array.isArray(value) && value.every((v) => typeof v === 'string') ? (value as string[]) : undefined;
}

export function parseDockerfile(file: string) {
  return DockerfileParser.parse(readFileSync(file, 'utf8'));
}

export function readImageContract(file: string): ImageContract {
  const dockerfile = parseDockerfile(file);
  const stages: { name: string | undefined; instructions: Instruction[] }[] = [];
  for (const instruction of dockerfile.getInstructions()) {
    if (instruction.getKeyword() === 'FROM') {
      const name = /\bAS\s+(\S+)/i.exec(instruction.getArgumentsContent() ?? '')?.[1];
      stages.push({ name, instructions: [] });
    }
    stages.at(-1)?.instructions.push(instruction);
  }
  const final = stages.at(-1)?.instructions ?? [];
  const last = (keyword: string) => final.filter((i) => i.getKeyword() === keyword).at(-1);
  const env: Record<string, string> = {};
  for (const instruction of dockerfile.getENVs()) {
    if (!final.includes(instruction)) continue;
    for (const property of instruction.getProperties()) env[property.getName()] = property.getValue() ?? '';
  }
  const healthArgs = last('HEALTHCHECK')?.getArgumentsContent() ?? '';
  const cmdAt = healthArgs.search(/\bCMD\b/);
  const healthcheck = cmdAt < 0 ? undefined : (JSON.parse(healthArgs.slice(cmdAt + 3).trim()) as string[]);
  return {
    stages,
    env,
    command: [...(jsonArgs(last('ENTRYPOINT')) ?? []), ...(jsonArgs(last('CMD')) ?? [])],
    user: last('USER')?.getArgumentsContent()?.trim(),
    workdir: last('WORKDIR')?.getArgumentsContent()?.trim(),
    healthcheck,
    volumes: final.filter((i) => i.getKeyword() === 'VOLUME').flatMap((i) => jsonArgs(i) ?? (i.getArgumentsContent() ?? '').split(/\s+/)),
  };
}

export function isCopy(instruction: Instruction): instruction is Copy {
  return instruction.getKeyword() === 'COPY';
}
