#!/usr/bin/env node
// Draws the verification flow table (src/verification/flow.ts) as Mermaid diagrams into
// docs/verification-flow.md, so the picture never drifts from the code. Run by
// `npm run flow-diagram` (which builds first); test/verification-flow.spec.ts fails when
// the committed file is out of date.
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const { flowMarkdown } = require(path.join(root, 'dist/src/verification/flow.js'));
const out = path.join(root, 'docs/verification-flow.md');
fs.mkdirSync(path.dirname(out), { recursive: true });
fs.writeFileSync(out, flowMarkdown());
console.log(`Wrote ${path.relative(root, out)}`);
