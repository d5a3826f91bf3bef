export { buildApp, type AppOptions } from './app.js';
export { compose, type Services } from './composition.js';
export { CONFIG_VARIABLES, ConfigError, loadConfig, type Config } from './config.js';
export { main } from './main.js';
export { startServer, type RunningServer } from './server.js';
export { buildOpenApiDocument } from './openapi-document.js';
