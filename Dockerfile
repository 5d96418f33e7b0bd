# syntax=docker/dockerfile:1
# Referee production image: Node.js 24, production dependencies only, non-root.
#   docker build -t referee .
#   docker run -p 3000:3000 -e DATABASE_URL=postgresql://… -e SESSION_SECRET=… -e BASE_URL=https://… referee
# (docker-compose.yml runs it with PostgreSQL.) Migrations run at start, under an advisory
# lock, so several instances may start together.

# ---- build: TypeScript → dist/ (swc, migrations included), browser libraries → static/vendor ----
FROM node:24.21.0-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# Install scripts run only for the packages approved in package.json "allowScripts".
RUN --mount=type=cache,target=/root/.npm npm ci --no-audit --no-fund
# The sources (.dockerignore keeps out node_modules, dist, tests, benchmarks, .git, .data…).
COPY . .
# content/ (help pages and policies, read at run time) is created empty when a version has none.
RUN npm run build && mkdir -p content

# ---- runtime ----
FROM node:24.21.0-slim AS runtime
ENV NODE_ENV=production \
    PORT=3000 \
    DATA_DIR=/var/lib/referee
WORKDIR /app
COPY package.json package-lock.json ./
# Production dependencies only: the `node` devDependency is left out, so the image's own
# Node.js 24 runs Referee.
RUN --mount=type=cache,target=/root/.npm npm ci --omit=dev --no-audit --no-fund
# Application files stay owned by root: the app user can read them, not change them.
COPY --from=build /app/dist ./dist
COPY --from=build /app/static ./static
COPY --from=build /app/views ./views
COPY --from=build /app/content ./content
# DATA_DIR: the only place the app may write (nothing is kept there in production when
# every secret comes from the environment).
RUN mkdir -p /var/lib/referee && chown node:node /var/lib/referee
USER node
EXPOSE 3000
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 3000) + '/healthz', { signal: AbortSignal.timeout(4000) }).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
CMD ["node", "dist/src/main.js"]
