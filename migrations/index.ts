import { Migration20261126101500_foundation } from './Migration20261126101500_foundation';

/** Every migration, in order. Listed here (not discovered from the folder) so the build and the tests load the same code. */
export const migrations = [
  { name: 'Migration20261126101500_foundation', class: Migration20261126101500_foundation },
];
