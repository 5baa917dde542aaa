import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, normalize, relative, sep } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

/**
 * The dependency rule of docs/architecture.md, checked on the import graph of the product code
 * (every static, type-only and dynamic import of a relative path).
 */

const root = normalize(join(import.meta.dirname, '..', '..'));

/**
 * Each top-level folder and the folders it may import from. The order is the layering: a
 * folder never imports one that is listed after it.
 */
const ALLOWED_IMPORTS: Readonly<Record<string, readonly string[]>> = {
  run: [],
  config: [],
  job: [],
  lambdas: ['run', 'job'],
  statemachine: ['run', 'lambdas'],
  local: ['run', 'config', 'job', 'lambdas', 'statemachine'],
  infra: ['run', 'config', 'job', 'lambdas', 'statemachine'],
  report: ['run', 'local', 'lambdas'],
  cli: ['run', 'config', 'job', 'lambdas', 'statemachine', 'local', 'report'],
  bin: ['cli'],
};

const PRODUCT_FOLDERS = Object.keys(ALLOWED_IMPORTS);

function productFiles(): string[] {
  const listed = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard', '*.ts', '*.mjs'], {
    cwd: root,
    encoding: 'utf8',
  });
  return listed
    .split('\n')
    .filter((file) => file.length > 0 && PRODUCT_FOLDERS.includes(file.split('/')[0] ?? '') && !file.endsWith('.d.ts'))
    .filter((file) => existsSync(join(root, file)));
}

/** The repository file a relative specifier names, as the bundler resolves it. */
function resolveSpecifier(from: string, specifier: string): string | undefined {
  const base = normalize(join(dirname(from), specifier));
  const candidates = [base, `${base}.ts`, `${base}.mjs`, join(base, 'index.ts')];
  return candidates.find((candidate) => existsSync(join(root, candidate)) && /\.(ts|mjs|json)$/.test(candidate));
}

interface ImportEdge {
  from: string;
  to: string;
  /** `export ... from`: the importing file re-exports what it imports. */
  reexport: boolean;
}

function importsOf(file: string): ImportEdge[] {
  const text = readFileSync(join(root, file), 'utf8');
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const edges: ImportEdge[] = [];
  const add = (specifier: string, reexport: boolean) => {
    if (!specifier.startsWith('.')) return;
    const to = resolveSpecifier(file, specifier);
    if (to) edges.push({ from: file, to: to.split(sep).join('/'), reexport });
  };
  const visit = (node: ts.Node) => {
    if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier)) add(node.moduleSpecifier.text, false);
    else if (ts.isExportDeclaration(node) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier))
      add(node.moduleSpecifier.text, true);
    else if (
      ts.isCallExpression(node) &&
      node.expression.kind === ts.SyntaxKind.ImportKeyword &&
      node.arguments[0] &&
      ts.isStringLiteral(node.arguments[0])
    )
      add(node.arguments[0].text, false);
    else if (
      ts.isImportTypeNode(node) &&
      ts.isLiteralTypeNode(node.argument) &&
      ts.isStringLiteral(node.argument.literal)
    )
      add(node.argument.literal.text, false);
    ts.forEachChild(node, visit);
  };
  visit(source);
  return edges;
}

/** Every import cycle, each as the files around it. */
function findCycles(graph: ReadonlyMap<string, readonly string[]>): string[][] {
  const cycles: string[][] = [];
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const walk = (file: string) => {
    state.set(file, 'open');
    stack.push(file);
    for (const next of graph.get(file) ?? []) {
      if (state.get(next) === 'open') cycles.push([...stack.slice(stack.indexOf(next)), next]);
      else if (!state.has(next)) walk(next);
    }
    stack.pop();
    state.set(file, 'done');
  };
  for (const file of graph.keys()) if (!state.has(file)) walk(file);
  return cycles;
}

/** The folder that owns `file`'s private folder, when `file` is inside one. */
const privateOwner = (file: string): string | undefined => {
  const at = file.split('/').indexOf('private');
  return at < 0 ? undefined : file.split('/').slice(0, at).join('/');
};

const files = productFiles();
const edges = files.flatMap(importsOf);
const topFolder = (file: string) => file.split('/')[0] ?? '';

describe('the dependency rule', () => {
  it('finds the product files and their imports (the check below has something to check)', () => {
    expect(files).toContain('run/ledger/item-transitions.ts');
    expect(edges.some((edge) => edge.from === 'lambdas/collect.ts' && edge.to === 'run/index.ts')).toBe(true);
  });

  it('has no import cycle', () => {
    const graph = new Map<string, string[]>(files.map((file) => [file, []]));
    for (const edge of edges) graph.get(edge.from)?.push(edge.to);
    expect(findCycles(graph).map((cycle) => cycle.join(' → '))).toEqual([]);
  });

  it('imports across top-level folders only downwards, as ALLOWED_IMPORTS lists', () => {
    const backEdges = edges
      .filter((edge) => topFolder(edge.from) !== topFolder(edge.to))
      .filter((edge) => !(ALLOWED_IMPORTS[topFolder(edge.from)] ?? []).includes(topFolder(edge.to)))
      .map((edge) => `${edge.from} → ${edge.to}`);
    expect(backEdges).toEqual([]);
  });

  it('imports a private/ module only from inside the folder that owns it', () => {
    const reaches = edges
      .filter((edge) => {
        const owner = privateOwner(edge.to);
        return owner !== undefined && !edge.from.startsWith(`${owner}/`);
      })
      .map((edge) => `${edge.from} → ${edge.to}`);
    expect(reaches).toEqual([]);
  });

  it('never re-exports a private/ module', () => {
    const reexports = edges
      .filter((edge) => edge.reexport && privateOwner(edge.to) !== undefined && privateOwner(edge.from) === undefined)
      .map((edge) => `${edge.from} → ${edge.to}`);
    expect(reexports).toEqual([]);
  });

  it('keeps index files to re-exports', () => {
    const withCode = files
      .filter((file) => file.endsWith('/index.ts'))
      .filter((file) => {
        const source = ts.createSourceFile(file, readFileSync(join(root, file), 'utf8'), ts.ScriptTarget.Latest);
        return source.statements.some((statement) => !(ts.isExportDeclaration(statement) && statement.moduleSpecifier));
      });
    expect(withCode).toEqual([]);
  });
});

describe('the checks themselves', () => {
  it('find a cycle of three files and none in a chain', () => {
    const cyclic = new Map([
      ['a', ['b']],
      ['b', ['c']],
      ['c', ['a']],
    ]);
    expect(findCycles(cyclic)).toEqual([['a', 'b', 'c', 'a']]);
    expect(
      findCycles(
        new Map([
          ['a', ['b']],
          ['b', ['c']],
          ['c', []],
        ]),
      ),
    ).toEqual([]);
  });

  it('tell which folder owns a private module', () => {
    expect(privateOwner('local/s3/private/xml.ts')).toBe('local/s3');
    expect(privateOwner('local/s3/server.ts')).toBeUndefined();
  });

  it('resolve a folder import to its index file', () => {
    expect(resolveSpecifier('cli/main.ts', '../run')).toBe('run/index.ts');
    expect(relative(root, join(root, 'run'))).toBe('run');
  });
});
