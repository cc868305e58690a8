# syntax=docker/dockerfile:1
# The dialer image: `dialer worker` by default, `dialer serve` for the HTTP API, any other
# `dialer` command likewise. Configuration is mounted (DIALER_CONFIG); secrets come from the
# environment (docker compose env_file), never from the image.

# ---- build: compile TypeScript with the dev dependencies
FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# The `prepare` script builds, so it waits until the sources are in.
RUN npm ci --ignore-scripts
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npx tsc -p tsconfig.build.json

# ---- runtime: production dependencies and the compiled code only
FROM node:24-bookworm-slim AS runtime
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
# --ignore-scripts: `prepare` would run tsc, which is a dev dependency and not needed here.
RUN npm ci --omit=dev --ignore-scripts && npm cache clean --force
COPY --from=build /app/dist ./dist
COPY bin ./bin
COPY deploy/docker-entrypoint.sh /usr/local/bin/docker-entrypoint.sh
# The official image's unprivileged user (uid 1000); nothing here needs root.
USER node
ENV DIALER_CONFIG=/etc/dialer/dialer.yaml
ENTRYPOINT ["/usr/local/bin/docker-entrypoint.sh"]
CMD ["worker"]
