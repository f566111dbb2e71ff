# One Dockerfile for every connector of this repository; the build argument picks which:
#   docker build --build-arg CONNECTOR=source-openai-costs -t ai-spend/source-openai-costs:0.1.0 -t source-openai-costs .
#   docker run --rm source-openai-costs spec
# CONNECTOR: a connector of the registry, connector/connectors.ts.
# VERSION must equal package.json "version" and dockerImageTag in connectors/<name>/metadata.yaml
# (test/acceptance checks the default; scripts/test-image.sh passes it explicitly).
ARG NODE_IMAGE=node:22-bookworm-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /build
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY connector ./connector
RUN npm run build \
 && npm prune --omit=dev --omit=optional --no-audit --no-fund \
 && rm -rf dist/tools \
 && find dist -name '*.map' -delete

# The runtime: the base without npm, corepack and yarn (a connector installs nothing when it runs),
# man pages, message catalogues, package docs (their copyright files stay) and glibc's iconv
# modules (Node converts text itself); the package database stays, so image scanners still see
# every package. Copied into an empty image as one layer, so that what is removed is gone from
# the image instead of hidden under a later layer.
FROM ${NODE_IMAGE} AS runtime
RUN rm -rf /usr/local/lib/node_modules /usr/local/bin/npm /usr/local/bin/npx /usr/local/bin/corepack \
      /usr/local/bin/yarn /usr/local/bin/yarnpkg /opt/yarn-* /usr/local/include \
      /usr/share/locale /usr/share/man /usr/share/info /usr/lib/x86_64-linux-gnu/gconv /usr/lib/aarch64-linux-gnu/gconv \
 && find /usr/share/doc -mindepth 1 ! -name copyright ! -type d -delete \
 && node --version

FROM scratch
COPY --from=runtime / /
# The base image's PATH (its NODE_VERSION is informational: nothing reads it).
ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
ARG CONNECTOR=source-openai-costs
ARG VERSION=0.1.0
ENV NODE_ENV=production
WORKDIR /airbyte/integration_code
COPY --from=build /build/package.json ./package.json
COPY --from=build /build/node_modules ./node_modules
COPY --from=build /build/dist ./dist
# main.js -> this connector's entry, so ENTRYPOINT stays one literal for every connector.
# The case is written from connector/connectors.ts by `npm run generate`: do not edit it by hand.
RUN case "$CONNECTOR" in \
      source-openai-costs) provider=openai ;; \
      source-anthropic-costs) provider=anthropic ;; \
      source-aurous-usage) provider=aurous ;; \
      source-openrouter-costs) provider=openrouter ;; \
      source-xai-costs) provider=xai ;; \
      *) echo "unknown CONNECTOR '$CONNECTOR': use source-openai-costs, source-anthropic-costs, source-aurous-usage, source-openrouter-costs or source-xai-costs" >&2; exit 1 ;; \
    esac \
 && test -f "dist/providers/$provider/main.js" \
 && ln -s "dist/providers/$provider/main.js" main.js
LABEL io.airbyte.name="ai-spend/${CONNECTOR}" \
      io.airbyte.version="${VERSION}" \
      org.opencontainers.image.source="https://github.com/ai-spend/connectors" \
      org.opencontainers.image.licenses="MIT"
ENV AIRBYTE_ENTRYPOINT="node /airbyte/integration_code/main.js"
ENTRYPOINT ["node", "/airbyte/integration_code/main.js"]
USER node
