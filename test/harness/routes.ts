import type { TestApp } from './app';

export interface Route {
  method: string;
  path: string;
}

/** Every route the application registered (Nest's, on Express), as "METHOD /path" pieces. */
export function registeredRoutes(t: TestApp): Route[] {
  const express = t.app.getHttpAdapter().getInstance();
  const stack = (express.router ?? express._router).stack as { route?: { path: string; methods: Record<string, boolean> } }[];
  return stack
    .filter((layer) => layer.route && !layer.route.path.includes('*'))
    .flatMap((layer) => Object.keys(layer.route!.methods).map((m) => ({ method: m.toUpperCase(), path: layer.route!.path })));
}

/** Routes that end the session on purpose: a table of requests made as one person skips them. */
export const ENDS_SESSION = ['POST /sign-out', 'POST /verify/save-and-exit'];
