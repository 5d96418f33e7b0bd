import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** The project folder (holding package.json), whether running from src/ (tests) or dist/src/ (npm start). */
function findRoot(from: string): string {
  for (let dir = from; dir !== dirname(dir); dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return dir;
  }
  throw new Error(`package.json not found above ${from}`);
}

export const PROJECT_ROOT = findRoot(__dirname);
export const VIEWS_DIR = join(PROJECT_ROOT, 'views');
export const STATIC_DIR = join(PROJECT_ROOT, 'static');
