/** `npm run tour`: the pages of test/tour/stops.ts photographed in Chromium into tour/ (see test/tour/pictures.tour.ts). */
const base = require('./jest.config');

module.exports = {
  ...base,
  testMatch: ['<rootDir>/test/tour/**/*.tour.ts'],
  testPathIgnorePatterns: ['/node_modules/'],
  maxWorkers: 1,
  testTimeout: 30 * 60_000,
};
