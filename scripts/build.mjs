#!/usr/bin/env node
/**
 * Compiles the product code to JavaScript in `dist/` with the pinned TypeScript, so the
 * installed `fanout` command and the `fanout/local` and `fanout/infra` libraries need no
 * TypeScript loader. `dist/` mirrors the source tree; `bin/fanout.mjs` runs it when the
 * sources are not there (an installed package).
 *
 * The sources import each other without extensions (`moduleResolution: Bundler`), which
 * Node.js cannot resolve, so the emit rewrites every relative specifier to the file it names
 * (`./io` → `./io.js`, `./targets` → `./targets/index.js`), and a `.ts` module named by URL
 * (`new URL('../job/array-item.ts', import.meta.url)`, loaded by another process at run time)
 * to its `.js`. Plain JavaScript modules (`.mjs`, with their `.d.mts`), the state machine
 * definitions, the input schema, the default configuration and the job launcher are copied.
 *
 * Usage: node scripts/build.mjs (npm run build)
 */
import { chmodSync, copyFileSync, existsSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import ts from 'typescript';

const root = join(import.meta.dirname, '..');
const outDir = join(root, 'dist');
/** The folders a user's installation runs; tests, benchmarks and examples stay out. */
const PRODUCT_FOLDERS = ['cli', 'config', 'job', 'lambdas', 'local', 'report', 'run', 'statemachine', 'infra'];
/** Files compiled code reads or runs as they are. */
const COPIED = /\.(mjs|d\.mts|json)$|^launch$|^Dockerfile(\.dockerignore)?$/;

function walk(dir, visit) {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) walk(path, visit);
    else visit(path, name);
  }
}

/** The specifier that names in `dist/` what `specifier` names in the sources, or undefined to keep it. */
function compiledSpecifier(sourceFile, specifier) {
  if (!specifier.startsWith('./') && !specifier.startsWith('../')) return undefined;
  const base = join(dirname(sourceFile), specifier);
  if (specifier.endsWith('.ts') && existsSync(base)) return `${specifier.slice(0, -3)}.js`;
  if (existsSync(`${base}.ts`)) return `${specifier}.js`;
  if (existsSync(join(base, 'index.ts'))) return `${specifier}/index.js`;
  return undefined;
}

const isImportMetaUrl = (node) =>
  ts.isPropertyAccessExpression(node) && ts.isMetaProperty(node.expression) && node.name.text === 'url';

/** Rewrites module specifiers (imports, exports, `import()`, `import('…')` types, `new URL('….ts', import.meta.url)`). */
function rewriteSpecifiers(context) {
  const { factory } = context;
  return (sourceFile) => {
    const file = sourceFile.fileName;
    const literal = (node) => {
      if (!node || !ts.isStringLiteral(node)) return undefined;
      const next = compiledSpecifier(file, node.text);
      return next === undefined ? undefined : factory.createStringLiteral(next);
    };
    const visit = (node) => {
      if (ts.isImportDeclaration(node)) {
        const next = literal(node.moduleSpecifier);
        if (next)
          return factory.updateImportDeclaration(node, node.modifiers, node.importClause, next, node.attributes);
      } else if (ts.isExportDeclaration(node)) {
        const next = literal(node.moduleSpecifier);
        if (next)
          return factory.updateExportDeclaration(
            node,
            node.modifiers,
            node.isTypeOnly,
            node.exportClause,
            next,
            node.attributes,
          );
      } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
        const next = literal(node.arguments[0]);
        if (next) return factory.updateCallExpression(node, node.expression, node.typeArguments, [next]);
      } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument)) {
        const next = literal(node.argument.literal);
        if (next)
          return factory.updateImportTypeNode(
            node,
            factory.updateLiteralTypeNode(node.argument, next),
            node.attributes,
            node.qualifier,
            node.typeArguments,
            node.isTypeOf,
          );
      } else if (
        ts.isNewExpression(node) &&
        ts.isIdentifier(node.expression) &&
        node.expression.text === 'URL' &&
        node.arguments?.length === 2 &&
        isImportMetaUrl(node.arguments[1])
      ) {
        const next = literal(node.arguments[0]);
        if (next)
          return factory.updateNewExpression(node, node.expression, node.typeArguments, [next, node.arguments[1]]);
      }
      return ts.visitEachChild(node, visit, context);
    };
    return ts.visitNode(sourceFile, visit);
  };
}

function build() {
  rmSync(outDir, { recursive: true, force: true });
  const sources = [];
  for (const folder of PRODUCT_FOLDERS) {
    walk(join(root, folder), (path, name) => {
      // An ambient declaration (`.d.ts`) is compiled with the rest and copied beside its output.
      if (name.endsWith('.ts')) sources.push(path);
      if (name.endsWith('.d.ts') || COPIED.test(name)) {
        const target = join(outDir, relative(root, path));
        mkdirSync(dirname(target), { recursive: true });
        copyFileSync(path, target);
        chmodSync(target, statSync(path).mode);
      }
    });
  }
  const configFile = ts.getParsedCommandLineOfConfigFile(
    join(root, 'tsconfig.json'),
    {},
    { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => undefined },
  );
  if (!configFile) throw new Error('cannot read tsconfig.json');
  const options = {
    ...configFile.options,
    noEmit: false,
    outDir,
    rootDir: root,
    declaration: true,
    sourceMap: false,
  };
  const program = ts.createProgram(sources, options);
  const emitted = program.emit(undefined, undefined, undefined, false, {
    after: [rewriteSpecifiers],
    afterDeclarations: [rewriteSpecifiers],
  });
  const diagnostics = [...ts.getPreEmitDiagnostics(program), ...emitted.diagnostics];
  if (diagnostics.length > 0) {
    const host = { getCanonicalFileName: (f) => f, getCurrentDirectory: () => root, getNewLine: () => '\n' };
    process.stderr.write(ts.formatDiagnosticsWithColorAndContext(diagnostics, host));
    process.exitCode = 1;
    return;
  }
  copyFileSync(join(root, 'fanout.config.json'), join(outDir, 'fanout.config.json'));
  process.stdout.write(`built ${sources.length} modules into ${relative(process.cwd(), outDir) || '.'}\n`);
}

build();
