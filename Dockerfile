# syntax=docker/dockerfile:1
# One image for every PayMesh service: SERVICE=<name> (or the first argument) picks which,
# e.g. `docker run -e SERVICE=payment paymesh` or `docker run paymesh payment-v2`.
# The build context is an allowlist (.dockerignore): service code and package files only.

FROM node:24-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
COPY web/package.json web/
# Production dependencies only (no TypeScript, CDK or test tools); none of them needs an install script.
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund

# The web front end: built by Vite (a dev dependency) here, shipped as static files the gateway serves.
FROM node:24-slim AS web
WORKDIR /app
COPY package.json package-lock.json ./
COPY web/package.json web/
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY core core
COPY web web
RUN node web/scripts/build.ts

FROM node:24-slim
# Node 24 runs the TypeScript sources directly (type stripping): the services have no build step.
ENV NODE_ENV=production \
    NODE_EXTRA_CA_CERTS=/etc/ssl/certs/rds-global-bundle.pem
WORKDIR /app
# RDS signs its server certificates with Amazon's own CAs; services verify them (sslmode=verify-full) with this bundle.
ADD --chmod=444 https://truststore.pki.rds.amazonaws.com/global/global-bundle.pem /etc/ssl/certs/rds-global-bundle.pem
COPY --from=deps /app/node_modules ./node_modules
COPY --from=web /app/web/dist ./web/dist
COPY . .
# Code and dependencies stay owned by root: the service can read them, not change them.
USER node
EXPOSE 8000 8080 50051
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 CMD ["node", "/app/infra/container/healthcheck.ts"]
ENTRYPOINT ["node", "/app/infra/container/run-service.ts"]
