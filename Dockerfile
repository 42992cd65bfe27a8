# syntax=docker/dockerfile:1
# Vigil's container image. Two stages: `build` compiles src/ to dist/ with the development
# dependencies, `runtime` holds only dist/, the spec and the production dependencies.
#   docker build --build-arg VIGIL_GIT_HASH=$(git rev-parse --short HEAD) -t vigil .
#   docker run --read-only -v vigil-data:/data -p 8080:8080 vigil
# The root file system may be read-only: Vigil writes only to /data (the embedded store; mount a
# volume) and, when it exists and is writable, the temp directory (a cache that only saves time).
# Node is PID 1 and handles SIGTERM/SIGINT itself (graceful stop, exit 0). A SIGTERM first
# fails /readyz for server.shutdown_delay (5 s), then in-flight requests get server.shutdown_grace
# (10 s): give `docker stop -t 20` / `docker run --stop-timeout 20` (Kubernetes:
# terminationGracePeriodSeconds: 20), or lower both settings.
# The configuration is /etc/vigil/vigil.yaml (deploy/container/vigil.yaml): mount your own over it.

ARG NODE_IMAGE=node:20-bookworm-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY bin ./bin
COPY scripts ./scripts
COPY generated ./generated
COPY openapi ./openapi
COPY src ./src
# Build info is baked here: there is no .git in the build context.
ARG VIGIL_GIT_HASH=unknown
RUN VIGIL_GIT_HASH="${VIGIL_GIT_HASH}" npm run build \
 && npm prune --omit=dev --no-audit --no-fund

FROM ${NODE_IMAGE} AS runtime
ARG VIGIL_GIT_HASH=unknown
LABEL org.opencontainers.image.title="vigil" \
      org.opencontainers.image.description="Contract-first health-check service" \
      org.opencontainers.image.licenses="MIT" \
      org.opencontainers.image.revision="${VIGIL_GIT_HASH}"
ENV NODE_ENV=production \
    VIGIL_CONFIG=/etc/vigil/vigil.yaml
WORKDIR /app
# Owned by root and not writable by the user Vigil runs as: the code cannot be changed at run time.
COPY --from=build /app/package.json /app/package-lock.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/bin ./bin
COPY --from=build /app/openapi ./openapi
COPY --from=build /app/src ./src
COPY LICENSE README.md CHANGELOG.md vigil.example.yaml vigil.schema.json ./
COPY deploy/container/vigil.yaml /etc/vigil/vigil.yaml
RUN mkdir -p /data && chown node:node /data
VOLUME ["/data"]
USER node
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=3s --start-period=60s --retries=3 CMD ["node", "/app/bin/healthcheck.mjs"]
STOPSIGNAL SIGTERM
# The heap limit bounds how far V8 lets the heap grow between collections (src/node-flags.ts).
ENTRYPOINT ["node", "--max-old-space-size=1024", "/app/bin/vigil.mjs"]
CMD ["serve"]
