// npm run docs:config — writes vigil.schema.json and docs/configuration.md from the schema.
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { configJsonSchemaText, configReferenceMarkdown } from './config-reference.ts';

const root = (relative: string) => fileURLToPath(new URL(`../${relative}`, import.meta.url));
writeFileSync(root('vigil.schema.json'), configJsonSchemaText());
writeFileSync(root('docs/configuration.md'), configReferenceMarkdown());
console.log('wrote vigil.schema.json and docs/configuration.md');
