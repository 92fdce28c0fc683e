# syntax=docker/dockerfile:1
#
# One image for every service: build once, run any service by its entry point,
#   node dist/services/<name>/src/main.js            (a service)
#   node dist/services/<name>/src/main.js migrate    (its migrations and seed, then exit)
# The runtime stage is distroless (no shell, no package manager), runs as a numeric non-root user and
# writes nothing outside /tmp, so it runs with a read-only root filesystem.
#
#   docker build -t mch-alliance:$(git rev-parse --short HEAD) .
#   docker build --target dev -t mch-alliance:dev .     (the Tilt image: sources, compiler, shell, tar)

ARG NODE_BUILD_IMAGE=node:24-bookworm-slim
ARG NODE_RUNTIME_IMAGE=gcr.io/distroless/nodejs24-debian12:nonroot

# ---- all dependencies, for compiling ---------------------------------------------------------------
FROM ${NODE_BUILD_IMAGE} AS deps
WORKDIR /app
ENV npm_config_update_notifier=false npm_config_fund=false npm_config_audit=false
COPY package.json package-lock.json ./
# No install scripts run: none of the dependencies needs one (native modules ship prebuilt binaries).
RUN --mount=type=cache,target=/root/.npm npm ci --ignore-scripts

# ---- compile TypeScript to dist/ and gather the non-compiled files the processes read ---------------
FROM deps AS build
COPY tsconfig.json tsconfig.build.json ./
COPY proto ./proto
COPY services ./services
RUN npm run build
# Migrations, seed and reference data and static pages, kept at their repository paths
# (services/<name>/migrations, .../seed, .../data, .../static): the processes find them relative to the
# package.json named mch-alliance.
RUN set -eu; \
    for dir in services/*/migrations services/*/seed services/*/data services/*/static; do \
      if [ -d "$dir" ]; then mkdir -p "runtime-assets/$dir" && cp -R "$dir/." "runtime-assets/$dir/"; fi; \
    done; \
    test -d runtime-assets/services/common/migrations

# ---- production dependencies only -------------------------------------------------------------------
FROM ${NODE_BUILD_IMAGE} AS prod-deps
WORKDIR /app
ENV npm_config_update_notifier=false npm_config_fund=false npm_config_audit=false
COPY package.json package-lock.json ./
RUN --mount=type=cache,target=/root/.npm npm ci --omit=dev --ignore-scripts

# ---- development image for Tilt: Live Update syncs sources and recompiles in place ------------------
FROM deps AS dev
ENV NODE_ENV=development HOME=/tmp npm_config_cache=/tmp/.npm NODE_OPTIONS=--enable-source-maps
COPY --chown=65532:65532 package.json tsconfig.json tsconfig.build.json ./
COPY --chown=65532:65532 proto ./proto
COPY --chown=65532:65532 services ./services
COPY --from=build --chown=65532:65532 /app/dist ./dist
USER 65532:65532
ENTRYPOINT ["node"]
CMD ["dist/services/gateway/src/main.js"]

# ---- runtime ----------------------------------------------------------------------------------------
FROM ${NODE_RUNTIME_IMAGE} AS runtime
WORKDIR /app
ENV NODE_ENV=production NODE_OPTIONS=--enable-source-maps
COPY --from=prod-deps /app/node_modules ./node_modules
COPY --from=build /app/package.json ./package.json
COPY --from=build /app/dist ./dist
COPY --from=build /app/proto ./proto
COPY --from=build /app/runtime-assets/services ./services
USER 65532:65532
# The distroless image's entry point is node; the chart passes the service's entry point as args.
ENTRYPOINT ["/nodejs/bin/node"]
CMD ["dist/services/gateway/src/main.js"]
