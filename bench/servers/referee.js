'use strict';
/** Referee, built from dist/ exactly as dist/src/main.js does it, minus migrations (the driver ran them). */
const { serve } = require('./child');

serve('referee', async () => {
  const { loadConfig } = require('../../dist/src/config/config');
  const { createApp } = require('../../dist/src/app');
  const config = loadConfig(process.env);
  if (!config.databaseUrl) throw new Error('DATABASE_URL is not set');
  return createApp(config);
});
