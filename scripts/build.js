#!/usr/bin/env node
// Builds Referee: TypeScript → dist/ with swc (fast enough for `npm start` to stay quick;
// type checking is `npm run typecheck`), and browser libraries copied from node_modules
// into static/vendor (no CDN, versions pinned by package-lock.json).
'use strict';
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const only = process.argv[2]; // 'vendor' copies the browser libraries only

function copy(from, to) {
  fs.cpSync(path.join(root, 'node_modules', from), path.join(root, 'static/vendor', to), {
    recursive: true,
    filter: (src) => !src.endsWith('.map'),
  });
}

// Copied over in place (no delete first): a test run elsewhere may be serving these files.
copy('@uswds/uswds/dist/css/uswds.min.css', 'uswds/css/uswds.min.css');
copy('@uswds/uswds/dist/js/uswds.min.js', 'uswds/js/uswds.min.js');
copy('@uswds/uswds/dist/js/uswds-init.min.js', 'uswds/js/uswds-init.min.js');
copy('@uswds/uswds/dist/fonts', 'uswds/fonts');
copy('@uswds/uswds/dist/img', 'uswds/img');
copy('htmx.org/dist/htmx.min.js', 'htmx/htmx.min.js');
copy('@simplewebauthn/browser/dist/bundle/index.umd.min.js', 'simplewebauthn/browser.min.js');

if (only !== 'vendor') {
  execFileSync(
    path.join(root, 'node_modules/.bin/swc'),
    ['src', 'migrations', '-d', 'dist', '--config-file', '.swcrc', '--quiet'],
    { cwd: root, stdio: 'inherit' },
  );
}
