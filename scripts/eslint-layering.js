// ESLint rule `riffle/layering`: enforces the import direction of DESIGN.md.
// - A file in src/<folder>/ may import another src/ folder only through that folder's index.ts.
// - model/ and semantics/ import nothing else from src/ (semantics may import model).
// - runner/ imports model/, semantics/, transforms/ (and observe/) but no connector (io/ etc.).
// - config/ (configuration files: YAML/JSON with positions, schema checks) imports only model/.
import { dirname, relative, resolve, sep } from 'node:path';

const allowed = {
  model: ['model'],
  semantics: ['model', 'semantics'],
  transforms: ['model', 'semantics', 'transforms'],
  runner: ['model', 'semantics', 'transforms', 'runner', 'observe'],
  testing: ['model', 'semantics', 'transforms', 'runner', 'testing'],
  config: ['model', 'config'],
};

function folderOf(srcRoot, file) {
  const rel = relative(srcRoot, file);
  if (rel.startsWith('..')) return undefined;
  const parts = rel.split(sep);
  return parts.length > 1 ? parts[0] : '';
}

export default {
  rules: {
    layering: {
      meta: { type: 'problem', schema: [] },
      create(context) {
        const file = context.filename;
        const srcRoot = resolve(context.cwd, 'src');
        const from = folderOf(srcRoot, file);
        if (from === undefined || from === '') return {};
        return {
          ImportDeclaration(node) {
            const spec = node.source.value;
            if (typeof spec !== 'string' || !spec.startsWith('.')) return;
            const target = resolve(dirname(file), spec);
            const to = folderOf(srcRoot, target);
            if (to === undefined || to === '' || to === from) return;
            const rel = relative(resolve(srcRoot, to), target);
            if (rel !== 'index.ts' && rel !== 'index.js') {
              context.report({ node, message: `src/${from} may import src/${to} only through its index.ts (got '${spec}').` });
            }
            const ok = allowed[from];
            if (ok && !ok.includes(to)) {
              context.report({ node, message: `src/${from} must not import src/${to} (allowed: ${ok.join(', ')}). See DESIGN.md "Layout".` });
            }
          },
        };
      },
    },
  },
};
